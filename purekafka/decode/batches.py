"""RecordBatch reading for the decode tool: every field, every problem, with offsets.

The layout is the one described in :mod:`purekafka.record.batch`. Unlike a
producer-side reader, this one never stops at the first problem: a bad CRC is
shown and decoding continues, a batch whose records cannot be read keeps its
header, and framing follows Kafka's own log readers (a batch is
``batchLength + 12`` bytes; what is left at the end that cannot hold one is
reported as trailing bytes).

Control records (attribute bit 5) carry a key of version int16 and type int16
(0 abort, 1 commit, 2 leader change, 3/4 snapshot header/footer, 5 KRaft
version, 6 KRaft voters); commit and abort markers have a value of version
int16 and coordinator epoch int32.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from crc32c import crc32c

from purekafka.errors import DecodeError
from purekafka.record.batch import HEADER, HEADER_SIZE
from purekafka.record.codecs import decompress
from purekafka.record.varint import decode_varint

__all__ = ["Record", "Batch", "BatchRun", "read_batch_run", "expand_records", "increment_sequence",
           "error_reason", "CODEC_NAMES", "CONTROL_TYPES"]

CODEC_NAMES = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}
CONTROL_TYPES = {0: "ABORT", 1: "COMMIT", 2: "LEADER_CHANGE", 3: "SNAPSHOT_HEADER", 4: "SNAPSHOT_FOOTER",
                 5: "KRAFT_VERSION", 6: "KRAFT_VOTERS"}
LOG_OVERHEAD = 12  # baseOffset + batchLength
MIN_BATCH_SIZE = 14  # Kafka refuses a smaller batchLength as corrupt
_INT_MAX = (1 << 31) - 1
_I16_I32 = struct.Struct(">hi")
_I16_I16 = struct.Struct(">hh")


def increment_sequence(sequence: int, increment: int) -> int:
    """Kafka's sequence arithmetic: sequences wrap from 2**31-1 to 0."""
    if sequence > _INT_MAX - increment:
        return increment - (_INT_MAX - sequence) - 1
    return sequence + increment


@dataclass
class Record:
    offset: int
    timestamp: int
    offset_delta: int
    timestamp_delta: int
    attributes: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]
    sequence: int
    size: int  # bytes after the length varint
    control: dict[str, Any] | None = None


@dataclass
class Batch:
    position: int  # absolute offset of baseOffset
    base_offset: int
    batch_length: int
    partition_leader_epoch: int
    magic: int
    crc: int
    attributes: int = 0
    last_offset_delta: int = 0
    base_timestamp: int = 0
    max_timestamp: int = 0
    producer_id: int = -1
    producer_epoch: int = -1
    base_sequence: int = -1
    records_count: int = 0
    crc_computed: int | None = None
    records: list[Record] = field(default_factory=list)
    error: str | None = None  # why (some of) the records could not be read

    @property
    def size(self) -> int:
        return self.batch_length + LOG_OVERHEAD

    @property
    def crc_valid(self) -> bool:
        return self.crc_computed == self.crc

    @property
    def compression(self) -> str:
        return CODEC_NAMES.get(self.attributes & 0x07, f"unknown({self.attributes & 0x07})")

    @property
    def timestamp_type(self) -> str:
        return "LogAppendTime" if self.attributes & 0x08 else "CreateTime"

    @property
    def is_transactional(self) -> bool:
        return bool(self.attributes & 0x10)

    @property
    def is_control(self) -> bool:
        return bool(self.attributes & 0x20)

    @property
    def delete_horizon_ms(self) -> int | None:
        return self.base_timestamp if self.attributes & 0x40 else None

    @property
    def last_offset(self) -> int:
        return self.base_offset + self.last_offset_delta

    @property
    def last_sequence(self) -> int:
        if self.base_sequence == -1:
            return -1
        return increment_sequence(self.base_sequence, self.last_offset_delta)


@dataclass
class BatchRun:
    batches: list[Batch]
    valid_bytes: int  # bytes covered by whole batches
    trailing: int  # bytes after them that do not hold a whole batch
    error: str | None = None  # framing stopped early (corrupt size)


def read_batch_run(data: bytes, base: int = 0) -> BatchRun:
    """All batches of a records section or log segment; ``base`` is the absolute offset of ``data[0]``."""
    batches: list[Batch] = []
    pos = 0
    end = len(data)
    while end - pos >= 17:  # baseOffset, batchLength, partitionLeaderEpoch, magic
        base_offset, batch_length, leader_epoch, magic = struct.unpack_from(">qiib", data, pos)
        if batch_length < MIN_BATCH_SIZE:
            return BatchRun(batches, pos, end - pos, (
                f"batch at byte offset {base + pos} declares batchLength {batch_length}; "
                f"expected at least {MIN_BATCH_SIZE}; the remaining {end - pos} bytes are skipped"))
        if pos + LOG_OVERHEAD + batch_length > end:
            break
        chunk = data[pos:pos + LOG_OVERHEAD + batch_length]
        batches.append(_read_batch(chunk, base + pos, base_offset, batch_length, leader_epoch, magic))
        pos += LOG_OVERHEAD + batch_length
    return BatchRun(batches, pos, end - pos)


def _read_batch(chunk: bytes, at: int, base_offset: int, batch_length: int, leader_epoch: int,
                magic: int) -> Batch:
    if magic != 2:
        b = Batch(at, base_offset, batch_length, leader_epoch, magic, 0)
        b.error = (f"batch at byte offset {at} has magic {magic}; only magic 2 (Kafka 0.11+) "
                   f"record batches are decoded")
        return b
    if len(chunk) < HEADER_SIZE:
        b = Batch(at, base_offset, batch_length, leader_epoch, magic, 0)
        b.error = f"batch at byte offset {at} is {len(chunk)} bytes; a v2 batch header needs {HEADER_SIZE}"
        return b
    (_, _, _, _, crc, attrs, lod, base_ts, max_ts, pid, epoch, base_seq, count) = HEADER.unpack_from(chunk, 0)
    b = Batch(at, base_offset, batch_length, leader_epoch, magic, crc, attrs, lod, base_ts, max_ts,
              pid, epoch, base_seq, count, crc32c(chunk[21:]))
    try:
        payload = chunk[HEADER_SIZE:]
        codec = attrs & 0x07
        if codec:
            payload = decompress(codec, payload, at + HEADER_SIZE)
            where = f"decompressed {b.compression} data of the batch at byte offset {at}, offset "
            rel = 0
        else:
            where = ""
            rel = at + HEADER_SIZE
        _read_records(b, payload, rel, where)
    except DecodeError as e:
        b.error = _explain(e, "")
    return b


def error_reason(e: DecodeError) -> str:
    """A DecodeError's message without the location suffix its constructor appends."""
    where = []
    if e.field is not None:
        where.append(f"field {e.field!r}")
    if e.offset is not None:
        where.append(f"byte offset {e.offset}")
    text = str(e)
    suffix = f" ({', '.join(where)})"
    return text[:-len(suffix)] if where and text.endswith(suffix) else text


def _explain(e: DecodeError, where: str) -> str:
    text = error_reason(e)
    loc = f", at {where or 'byte offset '}{e.offset}" if e.offset is not None else ""
    fld = f", field {e.field!r}" if e.field else ""
    return f"{text}{fld}{loc}"


def _read_records(b: Batch, data: bytes, rel: int, where: str) -> None:
    pos = 0
    end = len(data)
    log_append = bool(b.attributes & 0x08)
    for i in range(b.records_count):
        try:
            length, pos = decode_varint(data, pos, end, 5, "record length", rel)
            start = pos
            if length < 0 or pos + length > end:
                raise DecodeError(f"record {i} declares length {length} but {end - pos} bytes remain",
                                  offset=rel + pos, field="record length")
            stop = pos + length
            attributes = data[pos]
            pos += 1
            ts_delta, pos = decode_varint(data, pos, stop, 10, "timestampDelta", rel)
            off_delta, pos = decode_varint(data, pos, stop, 5, "offsetDelta", rel)
            key, pos = _bytes(data, pos, stop, "key", rel)
            value, pos = _bytes(data, pos, stop, "value", rel)
            n_headers, pos = decode_varint(data, pos, stop, 5, "headers count", rel)
            if n_headers < 0 or n_headers > stop - pos:
                raise DecodeError(f"header count {n_headers} is impossible in the {stop - pos} bytes left",
                                  offset=rel + pos, field="headers count")
            hdrs: list[tuple[str, bytes | None]] = []
            for _ in range(n_headers):
                hkey, pos = _bytes(data, pos, stop, "header key", rel)
                hval, pos = _bytes(data, pos, stop, "header value", rel)
                if hkey is None:
                    raise DecodeError("null header key", offset=rel + pos, field="header key")
                hdrs.append((hkey.decode("utf-8", "replace"), hval))
            if pos != stop:
                raise DecodeError(f"record {i} has {stop - pos} bytes beyond its last header",
                                  offset=rel + pos, field="record")
        except DecodeError as e:
            b.error = f"record {i} of {b.records_count}: " + _explain(e, where)
            return
        except IndexError:
            b.error = f"record {i} of {b.records_count}: truncated, at {where or 'byte offset '}{rel + pos}"
            return
        ts = b.max_timestamp if log_append else b.base_timestamp + ts_delta
        seq = -1 if b.base_sequence == -1 else increment_sequence(b.base_sequence, off_delta)
        rec = Record(b.base_offset + off_delta, ts, off_delta, ts_delta, attributes, key, value, hdrs, seq,
                     stop - start)
        if b.is_control:
            rec.control = _control(key, value)
        b.records.append(rec)
    if pos != end:
        b.error = (f"{end - pos} bytes after the {b.records_count} records the header announces, "
                   f"at {where or 'byte offset '}{rel + pos}")


def _bytes(data: bytes, pos: int, stop: int, what: str, rel: int) -> tuple[bytes | None, int]:
    n, pos = decode_varint(data, pos, stop, 5, what + " length", rel)
    if n < 0:
        return None, pos
    if pos + n > stop:
        raise DecodeError(f"{what} of {n} bytes overruns the record ({stop - pos} bytes left)",
                          offset=rel + pos, field=what)
    return data[pos:pos + n], pos + n


def _control(key: bytes | None, value: bytes | None) -> dict[str, Any]:
    if key is None or len(key) < 4:
        return {"type": "INVALID", "problem": "control record key shorter than 4 bytes"}
    version, type_id = _I16_I16.unpack_from(key, 0)
    out: dict[str, Any] = {"version": version, "type": CONTROL_TYPES.get(type_id, f"UNKNOWN({type_id})"),
                           "type_id": type_id}
    if type_id in (0, 1):
        if value is not None and len(value) >= 6:
            out["marker_version"], out["coordinator_epoch"] = _I16_I32.unpack_from(value, 0)
        else:
            out["problem"] = "end-transaction marker value shorter than 6 bytes"
    return out


def expand_records(fields: list[dict[str, Any]], body: dict[str, Any], version: int, problems: list[str]) -> None:
    """Replace each ``records`` field of a decoded message by its decoded batches (in place)."""
    from purekafka.protocol.specs import in_range

    for f in fields:
        name = f["name"]
        if not in_range(version, f["versions"]) or name not in body:
            continue
        v = body[name]
        t = f["type"]
        if t == "records" and isinstance(v, (bytes, bytearray)):
            run = read_batch_run(bytes(v))
            body[name] = run
            for b in run.batches:
                if not b.crc_valid and b.magic == 2 and b.crc_computed is not None:
                    problems.append(f"batch at offset {b.position} of a {name} field: CRC {b.crc} is invalid "
                                    f"(computed {b.crc_computed})")
                if b.error:
                    problems.append(f"{name} field: {b.error} (offsets within the field)")
            if run.error:
                problems.append(f"{name} field: {run.error} (offsets within the field)")
        elif t == "struct" and isinstance(v, dict):
            expand_records(f.get("fields", []), v, version, problems)
        elif t == "array:struct" and isinstance(v, list):
            for item in v:
                if isinstance(item, dict):
                    expand_records(f.get("fields", []), item, version, problems)
