"""Output: an indented tree for people, one JSON object per frame or batch for programs.

JSON field names are stable: frames always have ``type``, ``offset``, ``size``,
``where``, ``api_key``, ``api_name``, ``api_version``, ``correlation_id``,
``header``, ``body``, ``error``, ``problems``, ``topic_names`` (topic id -> name, for
ids the capture's Metadata responses named) and ``notes``; batches and records always
have the keys of :func:`batch_json` and :func:`record_json`. Bytes become
``{"hex": ..., "utf8": ...}`` (``utf8`` null when not valid UTF-8); every
``*error_code`` field gains a sibling ``*error_code_name``.
"""
from __future__ import annotations

import json
import uuid
from typing import Any

from purekafka.decode.batches import (
    RecordSet,
    compression_name,
    control_json,
    control_type_name,
    delete_horizon_ms,
    record_sequence,
    timestamp_type_name,
)
from purekafka.decode.frames import Message
from purekafka.errors import error_name
from purekafka.record import Record, RecordBatch

__all__ = ["message_json", "batch_json", "record_json", "message_tree", "batch_tree", "to_json_value"]

INDENT = "  "


def _bytes_json(b: bytes) -> dict[str, Any]:
    try:
        text: str | None = b.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return {"hex": b.hex(), "utf8": text}


def to_json_value(v: Any) -> Any:
    """A decoded value in JSON-ready form."""
    if isinstance(v, RecordSet):
        return {"batches": [batch_json(b, e) for b, e in zip(v.batches, v.errors)], "valid_bytes": v.valid_bytes,
                "trailing_bytes": v.trailing, "error": v.error}
    if isinstance(v, dict):
        out: dict[str, Any] = {}
        for k, x in v.items():
            key = str(k)
            out[key] = to_json_value(x)
            if key.endswith("error_code") and isinstance(x, int):
                out[key + "_name"] = error_name(x)
        return out
    if isinstance(v, (list, tuple)):
        return [to_json_value(x) for x in v]
    if isinstance(v, (bytes, bytearray, memoryview)):
        return _bytes_json(bytes(v))
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, float) and v != v:
        return None
    return v


def record_json(b: RecordBatch, r: Record) -> dict[str, Any]:
    """A record of batch ``b``, JSON-ready."""
    return {
        "offset": r.offset, "timestamp": r.timestamp, "offset_delta": r.offset_delta,
        "timestamp_delta": r.timestamp_delta, "attributes": r.attributes, "sequence": record_sequence(b, r),
        "size": r.size,
        "key": None if r.key is None else _bytes_json(r.key),
        "value": None if r.value is None else _bytes_json(r.value),
        "headers": [{"key": k, "value": None if v is None else _bytes_json(v)} for k, v in r.headers],
        "control": control_json(r.control),
    }


def batch_json(b: RecordBatch, error: str | None) -> dict[str, Any]:
    """A batch and its records, JSON-ready; ``error`` says why records are missing."""
    return {
        "type": "batch", "position": b.byte_offset, "base_offset": b.base_offset, "last_offset": b.last_offset,
        "batch_length": b.batch_length, "size": b.size, "partition_leader_epoch": b.partition_leader_epoch,
        "magic": b.magic, "crc": b.crc, "crc_computed": b.crc_computed, "crc_valid": b.crc_valid,
        "attributes": b.attributes, "compression": compression_name(b), "timestamp_type": timestamp_type_name(b),
        "is_transactional": b.is_transactional, "is_control": b.is_control,
        "delete_horizon_ms": delete_horizon_ms(b), "last_offset_delta": b.last_offset_delta,
        "base_timestamp": b.base_timestamp, "max_timestamp": b.max_timestamp, "producer_id": b.producer_id,
        "producer_epoch": b.producer_epoch, "base_sequence": b.base_sequence, "last_sequence": b.last_sequence,
        "records_count": b.record_count, "records": [record_json(b, r) for r in b.records], "error": error,
    }


def message_json(m: Message) -> str:
    obj = {
        "type": m.kind, "offset": m.offset, "size": m.size, "where": m.where, "api_key": m.api_key,
        "api_name": m.api_name, "api_version": m.api_version, "correlation_id": m.correlation_id,
        "header": to_json_value(m.header), "body": to_json_value(m.body), "error": m.error,
        "problems": list(m.problems), "topic_names": dict(m.topic_names), "notes": list(m.notes),
    }
    return json.dumps(obj)


# tree ---------------------------------------------------------------------

def _scalar(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (bytes, bytearray)):
        return _show_bytes(bytes(v))
    return str(v)


def _show_bytes(b: bytes, limit: int = 64) -> str:
    try:
        text = b.decode("utf-8")
        if text.isprintable():
            return json.dumps(text if len(text) <= limit else text[:limit] + "...", ensure_ascii=False)
    except UnicodeDecodeError:
        pass
    shown = b[:limit].hex()
    return f"0x{shown}{'...' if len(b) > limit else ''} ({len(b)} bytes)"


def _tree(name: str, v: Any, depth: int, out: list[str], names: dict[str, str] | None = None) -> None:
    pad = INDENT * depth
    if isinstance(v, RecordSet):
        out.append(f"{pad}{name}: {len(v.batches)} batch(es), {v.valid_bytes + v.trailing} bytes")
        for b, error in zip(v.batches, v.errors):
            batch_tree(b, error, depth + 1, out)
        if v.trailing:
            out.append(f"{pad}{INDENT}{v.trailing} trailing bytes (a partial batch)")
        if v.error:
            out.append(f"{pad}{INDENT}ERROR: {v.error}")
        return
    if isinstance(v, dict):
        items = [(k, x) for k, x in v.items() if not (k == "unknown_tags" and not x)]
        out.append(f"{pad}{name}:" if items else f"{pad}{name}: {{}}")
        for k, x in items:
            _tree(str(k), x, depth + 1, out, names)
        return
    if isinstance(v, list):
        if not v:
            out.append(f"{pad}{name}: []")
            return
        if all(not isinstance(x, (dict, list, RecordSet)) for x in v):
            out.append(f"{pad}{name}: [{', '.join(_scalar(x) for x in v)}]")
            return
        out.append(f"{pad}{name}: ({len(v)})")
        for i, x in enumerate(v):
            _tree(f"[{i}]", x, depth + 1, out, names)
        return
    text = _scalar(v)
    if name.endswith("error_code") and isinstance(v, int):
        text = f"{v} ({error_name(v)})"
    elif name == "topic_id" and names and str(v) in names:
        text = f"{text} (topic {json.dumps(names[str(v)], ensure_ascii=False)})"
    out.append(f"{pad}{name}: {text}")


def batch_tree(b: RecordBatch, error: str | None, depth: int, out: list[str]) -> None:
    """Append the lines of a batch and its records to ``out``."""
    pad = INDENT * depth
    crc = f"crc {b.crc:#010x} {'valid' if b.crc_valid else f'INVALID (computed {b.crc_computed:#010x})'}" \
        if b.crc_computed is not None else "crc not checked"
    flags = [compression_name(b), timestamp_type_name(b)]
    if b.is_transactional:
        flags.append("transactional")
    if b.is_control:
        flags.append("control")
    horizon = delete_horizon_ms(b)
    out.append(f"{pad}batch @{b.byte_offset}: offsets {b.base_offset}..{b.last_offset}, {b.record_count} record(s), "
               f"{b.size} bytes, magic {b.magic}, {crc}")
    out.append(f"{pad}{INDENT}attributes: {b.attributes:#06x} ({', '.join(flags)})"
               + (f", delete horizon {horizon}" if horizon is not None else ""))
    out.append(f"{pad}{INDENT}partition_leader_epoch: {b.partition_leader_epoch}  base_timestamp: "
               f"{b.base_timestamp}  max_timestamp: {b.max_timestamp}")
    out.append(f"{pad}{INDENT}producer_id: {b.producer_id}  producer_epoch: {b.producer_epoch}  "
               f"base_sequence: {b.base_sequence}  last_sequence: {b.last_sequence}")
    for r in b.records:
        line = f"{pad}{INDENT}record offset {r.offset}: timestamp {r.timestamp}"
        if r.control is not None:
            c = r.control
            line += f" CONTROL {control_type_name(c)}"
            if c.coordinator_epoch is not None:
                line += f" (coordinator_epoch {c.coordinator_epoch})"
        else:
            line += f" key={_scalar(r.key)} value={_scalar(r.value)}"
        sequence = record_sequence(b, r)
        if sequence != -1:
            line += f" sequence={sequence}"
        out.append(line)
        for hk, hv in r.headers:
            out.append(f"{pad}{INDENT * 2}header {json.dumps(hk, ensure_ascii=False)}: {_scalar(hv)}")
    if error:
        out.append(f"{pad}{INDENT}ERROR: {error}")


def message_tree(m: Message, number: int) -> str:
    out: list[str] = []
    where = f" [{m.where}]" if m.where else ""
    if m.kind == "error":
        out.append(f"#{number} ERROR at byte offset {m.offset}{where}: {m.error}")
        return "\n".join(out)
    title = f"#{number} {m.kind}"
    if m.api_key is not None:
        title += f" {m.api_name} v{m.api_version} (api key {m.api_key})"
    if m.correlation_id is not None:
        title += f" correlation_id={m.correlation_id}"
    title += f", {m.size + 4} bytes at offset {m.offset}{where}"
    out.append(title)
    for k, v in m.header.items():
        if k != "header_version":
            _tree(k, v, 1, out)
    if m.error:
        out.append(f"{INDENT}ERROR: {m.error}")
    if isinstance(m.body, dict):
        for k, v in m.body.items():
            if k == "unknown_tags" and not v:
                continue
            _tree(k, v, 1, out, m.topic_names)
    for p in m.problems:
        out.append(f"{INDENT}PROBLEM: {p}")
    for n in m.notes:
        out.append(f"{INDENT}NOTE: {n}")
    return "\n".join(out)
