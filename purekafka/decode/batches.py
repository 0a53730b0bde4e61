"""Record batches as the decode tool frames them, read by the library's reader.

Framing follows Kafka's own log readers (``FileLogInputStream``): a batch is
``batchLength + 12`` bytes, a ``batchLength`` below 14 is corrupt and ends the walk,
and what is left at the end that cannot hold a batch is reported as trailing bytes.
Each framed batch is read by :func:`purekafka.record.read_batches_tolerant`, so a
damaged batch keeps its header and the records before the damage, a bad CRC is
shown rather than refused, and the next batch is still read.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from purekafka.errors import DecodeError
from purekafka.record import (
    CONTROL_TYPES,
    CompressionType,
    ControlRecord,
    Record,
    RecordBatch,
    increment_sequence,
    read_batches_tolerant,
)

__all__ = ["RecordSet", "read_record_set", "DEFAULT_MAX_DECOMPRESSED", "set_max_decompressed", "expand_records", "error_reason", "compression_name",
           "timestamp_type_name", "delete_horizon_ms", "record_sequence", "control_json"]

LOG_OVERHEAD = 12  # baseOffset + batchLength
MIN_BATCH_SIZE = 14  # Kafka refuses a smaller batchLength as corrupt
_PREFIX_SIZE = 17  # baseOffset, batchLength, partitionLeaderEpoch, magic
_INT32 = struct.Struct(">i")
DEFAULT_MAX_DECOMPRESSED = 64 * 1024 * 1024
# One process-wide cap (the command line's --max-decompressed), so every reader the
# tool builds, for captures, frame files, segments and the proxy, keeps to it.
_max_decompressed = DEFAULT_MAX_DECOMPRESSED


def set_max_decompressed(limit: int) -> None:
    """The most bytes one batch's records may decompress to; more is a decode error."""
    global _max_decompressed
    if limit < 1:
        raise ValueError(f"the decompressed size limit must be positive, not {limit}")
    _max_decompressed = limit


@dataclass
class RecordSet:
    """The batches of a records field or log segment.

    ``errors[i]`` says why (some of) the records of ``batches[i]`` could not be read.
    """

    batches: list[RecordBatch]
    errors: list[str | None]
    valid_bytes: int  # bytes covered by whole batches
    trailing: int  # bytes after them that do not hold a whole batch
    error: str | None = None  # framing stopped early (corrupt size)


def read_record_set(data: bytes) -> RecordSet:
    """All batches of a records section or log segment."""
    batches: list[RecordBatch] = []
    errors: list[str | None] = []
    pos = 0
    end = len(data)
    while end - pos >= _PREFIX_SIZE:
        (batch_length,) = _INT32.unpack_from(data, pos + 8)
        if batch_length < MIN_BATCH_SIZE:
            return RecordSet(batches, errors, pos, end - pos, (
                f"batch at byte offset {pos} declares batchLength {batch_length}; "
                f"expected at least {MIN_BATCH_SIZE}; the remaining {end - pos} bytes are skipped"))
        batch_end = pos + LOG_OVERHEAD + batch_length
        if batch_end > end:
            break
        read = read_batches_tolerant(data, start=pos, end=batch_end, max_decompressed=_max_decompressed)
        # The batch fits and holds the prefix up to magic, so the reader always places it.
        batch = read.batches[0] if read.batches else read.partial
        assert batch is not None
        batches.append(batch)
        errors.append(None if read.error is None else _explain(read.error))
        pos = batch_end
    return RecordSet(batches, errors, pos, end - pos)


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


def _explain(e: DecodeError) -> str:
    fld = f", field {e.field!r}" if e.field else ""
    loc = f", at byte offset {e.offset}" if e.offset is not None else ""
    return f"{error_reason(e)}{fld}{loc}"


def compression_name(b: RecordBatch) -> str:
    """The codec as Kafka's tools spell it ('none', 'gzip', ...), or 'unknown(N)'."""
    codec = b.attributes & 0x07
    return CompressionType(codec).name.lower() if codec <= CompressionType.ZSTD else f"unknown({codec})"


def timestamp_type_name(b: RecordBatch) -> str:
    """'CreateTime' or 'LogAppendTime', as Java names the timestamp type."""
    return "LogAppendTime" if b.timestamp_type else "CreateTime"


def delete_horizon_ms(b: RecordBatch) -> int | None:
    """The log cleaner's delete horizon (``base_timestamp`` when attribute bit 6 is set)."""
    return b.base_timestamp if b.has_delete_horizon else None


def record_sequence(b: RecordBatch, r: Record) -> int:
    """The record's sequence number (-1 when the batch has no base sequence)."""
    return -1 if b.base_sequence == -1 else increment_sequence(b.base_sequence, r.offset_delta)


def control_type_name(c: ControlRecord) -> str:
    """The control type's name, or 'UNKNOWN(<type id>)'."""
    return c.type if c.type_id in CONTROL_TYPES else f"UNKNOWN({c.type_id})"


def control_json(c: ControlRecord | None) -> dict[str, Any] | None:
    """A control record's key and marker value, JSON-ready."""
    if c is None:
        return None
    out: dict[str, Any] = {"version": c.version, "type": control_type_name(c), "type_id": c.type_id}
    if c.coordinator_epoch is not None:
        out["marker_version"], out["coordinator_epoch"] = c.marker_version, c.coordinator_epoch
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
            run = read_record_set(bytes(v))
            body[name] = run
            for b, error in zip(run.batches, run.errors):
                if not b.crc_valid and b.crc_computed is not None:
                    problems.append(f"batch at offset {b.byte_offset} of a {name} field: CRC {b.crc} is invalid "
                                    f"(computed {b.crc_computed})")
                if error:
                    problems.append(f"{name} field: {error} (offsets within the field)")
            if run.error:
                problems.append(f"{name} field: {run.error} (offsets within the field)")
        elif t == "struct" and isinstance(v, dict):
            expand_records(f.get("fields", []), v, version, problems)
        elif t == "array:struct" and isinstance(v, list):
            for item in v:
                if isinstance(item, dict):
                    expand_records(f.get("fields", []), item, version, problems)
