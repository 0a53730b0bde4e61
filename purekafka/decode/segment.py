"""Kafka log segments (``<base offset>.log``) and the ``kafka-dump-log`` format.

A segment file is a plain run of record batches, exactly as the broker stored
them. :func:`dump_log_lines` prints what Kafka's ``DumpLogSegments`` prints
with ``--print-data-log`` (which implies deep iteration), line for line: one
line per batch, one per record with its key and payload read as UTF-8, and
``endTxnMarker`` for commit and abort markers. Booleans, ``OptionalLong`` and
timestamp type names are spelled the way Java prints them.
"""
from __future__ import annotations

import os
from typing import Iterator

from purekafka.decode.batches import (
    RecordSet,
    compression_name,
    control_type_name,
    delete_horizon_ms,
    read_record_set,
    record_sequence,
    timestamp_type_name,
)
from purekafka.record import Record, RecordBatch

__all__ = ["dump_log_lines", "segment_base_offset", "java_utf8"]


def _java_bool(v: bool) -> str:
    return "true" if v else "false"


def _optional_long(v: int | None) -> str:
    return "OptionalLong.empty" if v is None else f"OptionalLong[{v}]"


def _cont(b: int) -> bool:
    return b & 0xC0 == 0x80


def java_utf8(b: bytes) -> str:
    """``new String(bytes, UTF_8)`` as Java computes it, replacement characters included.

    Python's decoder replaces each maximal invalid subpart; Java's differs in places
    (an encoded surrogate such as ``ed a1 95`` is one U+FFFD in Java, three in Python),
    and kafka-dump-log prints Java's. This follows the JDK's String decoding.
    """
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        pass
    out: list[str] = []
    repl = "\ufffd"
    n = len(b)
    i = 0
    while i < n:
        b1 = b[i]
        i += 1
        if b1 < 0x80:
            out.append(chr(b1))
        elif 0xC2 <= b1 <= 0xDF:
            if i < n:
                if _cont(b[i]):
                    out.append(chr(((b1 & 0x1F) << 6) | (b[i] & 0x3F)))
                    i += 1
                else:
                    out.append(repl)
                continue
            out.append(repl)
            break
        elif 0xE0 <= b1 <= 0xEF:
            if i + 1 < n:
                b2, b3 = b[i], b[i + 1]
                if (b1 == 0xE0 and b2 & 0xE0 == 0x80) or not _cont(b2) or not _cont(b3):
                    out.append(repl)
                    i += 0 if (b1 == 0xE0 and b2 & 0xE0 == 0x80) or not _cont(b2) else 1
                else:
                    c = ((b1 & 0x0F) << 12) | ((b2 & 0x3F) << 6) | (b3 & 0x3F)
                    out.append(repl if 0xD800 <= c <= 0xDFFF else chr(c))
                    i += 2
                continue
            if i < n and ((b1 == 0xE0 and b[i] & 0xE0 == 0x80) or not _cont(b[i])):
                out.append(repl)
                continue
            out.append(repl)
            break
        elif 0xF0 <= b1 <= 0xF7:
            if i + 2 < n:
                b2, b3, b4 = b[i], b[i + 1], b[i + 2]
                uc = ((b1 & 0x07) << 18) | ((b2 & 0x3F) << 12) | ((b3 & 0x3F) << 6) | (b4 & 0x3F)
                if not (_cont(b2) and _cont(b3) and _cont(b4)) or not 0x10000 <= uc < 0x110000:
                    out.append(repl)
                    if (b1 > 0xF4 or (b1 == 0xF0 and not 0x90 <= b2 <= 0xBF)
                            or (b1 == 0xF4 and b2 & 0xF0 != 0x80) or not _cont(b2)):
                        pass
                    elif not _cont(b3):
                        i += 1
                    else:
                        i += 2
                else:
                    out.append(chr(uc))
                    i += 3
                continue
            if b1 > 0xF4 or (i < n and ((b1 == 0xF0 and not 0x90 <= b[i] <= 0xBF)
                                        or (b1 == 0xF4 and b[i] & 0xF0 != 0x80) or not _cont(b[i]))):
                out.append(repl)
                continue
            i += 1
            out.append(repl)
            if i < n and not _cont(b[i]):
                continue
            break
        else:
            out.append(repl)
    return "".join(out)


def segment_base_offset(path: str) -> int | None:
    """The base offset a segment's file name carries (``00000000000000000042.log`` -> 42)."""
    stem = os.path.basename(path).split(".")[0]
    try:
        return int(stem)
    except ValueError:
        return None


def _batch_line(b: RecordBatch) -> str:
    if b.magic >= 2:
        head = (f"baseOffset: {b.base_offset} lastOffset: {b.last_offset} count: {b.record_count} "
                f"baseSequence: {b.base_sequence} lastSequence: {b.last_sequence} producerId: {b.producer_id} "
                f"producerEpoch: {b.producer_epoch} partitionLeaderEpoch: {b.partition_leader_epoch} "
                f"isTransactional: {_java_bool(b.is_transactional)} isControl: {_java_bool(b.is_control)} "
                f"deleteHorizonMs: {_optional_long(delete_horizon_ms(b))}")
    else:
        head = f"offset: {b.base_offset}"
    return (f"{head} position: {b.byte_offset} {timestamp_type_name(b)}: {b.max_timestamp} size: {b.size} "
            f"magic: {b.magic} compresscodec: {compression_name(b)} crc: {b.crc} isvalid: {_java_bool(b.crc_valid)}")


def _record_line(b: RecordBatch, r: Record) -> str:
    line = (f"| offset: {r.offset} {timestamp_type_name(b)}: {r.timestamp} "
            f"keySize: {-1 if r.key is None else len(r.key)} valueSize: {-1 if r.value is None else len(r.value)}"
            f" sequence: {record_sequence(b, r)} headerKeys: [{','.join(k for k, _ in r.headers)}]")
    if b.is_control:
        c = r.control
        if c is not None and c.coordinator_epoch is not None:
            line += f" endTxnMarker: {c.type} coordinatorEpoch: {c.coordinator_epoch}"
        elif c is not None:
            line += f" controlType: {control_type_name(c)}({c.type_id})"
        return line
    prefix = " "
    if r.key is not None:
        line += f"{prefix}key: {java_utf8(r.key)}"
    if r.value is not None:
        line += f" payload: {java_utf8(r.value)}"
    return line


def dump_log_lines(path: str, data: bytes, problems: list[str], non_consecutive: list[str]) -> Iterator[str]:
    """Lines of ``kafka-dump-log --files PATH --print-data-log`` for a segment's bytes.

    Records that cannot be read and framing errors go to ``problems`` (Kafka would
    stop with an exception there); offset jumps go to ``non_consecutive`` as Kafka
    reports them on stderr.
    """
    yield f"Dumping {path}"
    base = segment_base_offset(path)
    if path.endswith(".log"):
        if base is None:
            problems.append(f"{os.path.basename(path)}: the file name does not start with a base offset")
        else:
            yield f"Log starting offset: {base}"
    run: RecordSet = read_record_set(data)
    last = -1
    for b, error in zip(run.batches, run.errors):
        yield _batch_line(b)
        if not b.crc_valid:
            problems.append(f"batch at byte offset {b.byte_offset}: CRC {b.crc} is invalid "
                            f"(computed {b.crc_computed})")
        for r in b.records:
            if r.offset != last + 1:
                non_consecutive.append(f"  {last} is followed by {r.offset}")
            last = r.offset
            yield _record_line(b, r)
        if error:
            problems.append(error)
    if run.error:
        problems.append(run.error)
    elif run.trailing:
        yield f"Found {run.trailing} invalid bytes at the end of {os.path.basename(path)}"
