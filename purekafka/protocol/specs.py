"""Generic codec driven by ``protocol_specs/``: the test oracle and the decoder for tools.

It interprets our spec files (see ``tools/specgen.py`` for the format) and
encodes or decodes any message they describe, at any version in range. It is
deliberately written apart from the hand-written API modules: tests check
that both produce the same bytes and the same values.

Messages are plain nested dicts keyed by snake_case field names. Decoding
returns every field of the struct (fields absent in that version hold their
defaults) plus ``unknown_tags`` (``{tag: bytes}``) in every struct, the same
shape as ``dataclasses.asdict`` of the hand-written dataclasses. Encoding
accepts dicts or dataclasses; missing fields take their defaults.

Value types: ints, bools, floats, ``str``/``None``, ``bytes``/``None`` for
``bytes`` and ``records``, ``uuid.UUID`` for uuids, lists, dicts.
"""
from __future__ import annotations

import dataclasses
import json
import sys
import uuid as _uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

from purekafka.errors import DecodeError, LocalProtocolError, UnsupportedVersionError
from purekafka.protocol.headers import decode_request_header, decode_response_header, response_header_version
from purekafka.protocol.primitives import Reader, Writer

__all__ = [
    "SPEC_DIR", "load_spec", "all_specs", "message_spec", "encode", "decode", "decode_prefix",
    "decode_request_frame", "decode_response_frame", "default_value", "in_range", "to_plain",
]



def _spec_dir() -> Path:
    # In a source tree the specs sit beside the package; an installed wheel carries them as
    # data files under <prefix>/share/purekafka (pyproject's data-files), which is where
    # `purekafka decode` finds them outside a checkout.
    candidates = [Path(__file__).resolve().parents[2] / "protocol_specs",
                  Path(sys.prefix) / "share" / "purekafka" / "protocol_specs"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]


SPEC_DIR = _spec_dir()

def in_range(version: int, rng: list[int | None] | None) -> bool:
    """Whether ``version`` falls in a spec range (``[lo, hi]``, hi null = open, null = none)."""
    if rng is None:
        return False
    lo, hi = rng
    return version >= lo and (hi is None or version <= hi)  # type: ignore[operator]


@lru_cache(maxsize=None)
def all_specs() -> dict[str, dict[str, Any]]:
    """Every spec file, keyed by name (``"Produce"``, ``"RequestHeader"``, ...)."""
    out = {}
    for p in sorted(SPEC_DIR.glob("*.json")):
        with open(p, encoding="utf-8") as fh:
            d = json.load(fh)
        out[d["name"]] = d
    return out


@lru_cache(maxsize=None)
def _by_key() -> dict[int, dict[str, Any]]:
    return {d["api_key"]: d for d in all_specs().values() if "api_key" in d}


def load_spec(api: int | str) -> dict[str, Any]:
    """The spec of one API, by api key or name."""
    try:
        return _by_key()[api] if isinstance(api, int) else all_specs()[api]
    except KeyError:
        raise UnsupportedVersionError(f"no protocol spec for API {api!r}") from None


def message_spec(api: int | str, kind: str) -> dict[str, Any]:
    """``kind`` is "request", "response" or "header"."""
    spec = load_spec(api)
    if kind not in spec:
        raise ValueError(f"{spec['name']} has no {kind!r} part")
    part: dict[str, Any] = spec[kind]
    return part


def _check(msg: dict[str, Any], version: int, name: str) -> None:
    if not in_range(version, msg["valid_versions"]):
        raise UnsupportedVersionError(f"{name} version {version} outside {msg['valid_versions']}")


# defaults -----------------------------------------------------------------

def default_value(f: dict[str, Any]) -> Any:
    """The default of a field as a Python value."""
    t = f["type"]
    d = f["default"]
    if t.startswith("array:"):
        return None if d is None else []
    if t == "struct":
        return None if d is None else struct_defaults(f["fields"])
    if t == "uuid":
        return _uuid.UUID(d)
    if t in ("bytes", "records"):
        return None if d is None else d.encode("latin-1")
    return d


def struct_defaults(fields: list[dict[str, Any]]) -> dict[str, Any]:
    out = {f["name"]: default_value(f) for f in fields}
    out["unknown_tags"] = {}
    return out


def _get(obj: Any, name: str, f: dict[str, Any] | None) -> Any:
    if isinstance(obj, dict):
        if name in obj:
            return obj[name]
    elif hasattr(obj, name):
        return getattr(obj, name)
    if f is None:
        return {}
    return default_value(f)


def _normalize(v: Any) -> Any:
    """Plain data for comparisons (dataclasses to dicts)."""
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {k: _normalize(x) for k, x in dataclasses.asdict(v).items()}
    if isinstance(v, dict):
        return {k: _normalize(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_normalize(x) for x in v]
    if isinstance(v, (bytearray, memoryview)):
        return bytes(v)
    return v


def _canon(f: dict[str, Any], v: Any) -> Any:
    """``v`` with every missing struct field filled in with its default."""
    t = f["type"]
    if v is None:
        return None
    if t == "struct":
        return _canon_struct(f["fields"], v)
    if t == "array:struct":
        return [_canon_struct(f["fields"], x) for x in v]
    return _normalize(v)


def _canon_struct(fields: list[dict[str, Any]], v: Any) -> dict[str, Any]:
    out = {g["name"]: _canon(g, _get(v, g["name"], g)) for g in fields}
    out["unknown_tags"] = _normalize(_get(v, "unknown_tags", None))
    return out


def _is_default(f: dict[str, Any], v: Any) -> bool:
    return bool(_canon(f, v) == default_value(f))


# encoding -----------------------------------------------------------------

_FIXED = {"int8", "int16", "int32", "int64", "uint16", "uint32", "float64", "bool", "uuid"}


def encode(api: int | str, version: int, kind: str, msg: Any) -> bytes:
    """Encode a message body (or a header, with kind "header") at ``version``."""
    spec = message_spec(api, kind)
    _check(spec, version, f"{load_spec(api)['name']} {kind}")
    flex = in_range(version, spec["flexible_versions"])
    w = Writer()
    _write_struct(w, spec["fields"], msg, version, flex, load_spec(api)["name"])
    return bytes(w.buf)


def _write_struct(w: Writer, fields: list[dict[str, Any]], obj: Any, version: int, flex: bool, path: str) -> None:
    tagged: dict[int, bytes] = {}
    for f in fields:
        name = f["name"]
        v = _get(obj, name, f)
        if not in_range(version, f["versions"]):
            if not f["ignorable"] and not _is_default(f, v):
                raise LocalProtocolError(f"{path}.{name} cannot be set to a non-default value in version {version}")
            continue
        fflex = in_range(version, f["flexible_versions"]) if "flexible_versions" in f else flex
        if flex and f["tag"] is not None and in_range(version, f["tagged_versions"]):
            if not _is_default(f, v):
                sub = Writer()
                _write_value(sub, f, v, version, fflex, f"{path}.{name}")
                tagged[f["tag"]] = bytes(sub.buf)
            continue
        _write_value(w, f, v, version, fflex, f"{path}.{name}")
    if flex:
        unknown = _get(obj, "unknown_tags", None) or {}
        for tag, data in unknown.items():
            if tag in tagged:
                raise LocalProtocolError(f"{path}: unknown tag {tag} clashes with a known tagged field")
            tagged[tag] = bytes(data)
        w.tagged_fields(tagged)
    elif _get(obj, "unknown_tags", None):
        raise LocalProtocolError(f"{path}: tagged fields need a flexible version")


def _write_value(w: Writer, f: dict[str, Any], v: Any, version: int, flex: bool, path: str) -> None:
    t = f["type"]
    nullable = in_range(version, f["nullable_versions"])
    if v is None and not nullable:
        raise LocalProtocolError(f"{path} is not nullable in version {version}")
    if t.startswith("array:"):
        if v is None:
            w.array_len(None, flex)
            return
        w.array_len(len(v), flex)
        elem = t[6:]
        for item in v:
            if elem == "struct":
                _write_struct(w, f["fields"], item, version, flex, path)
            else:
                _write_scalar(w, elem, item, False, flex, path)
        return
    if t == "struct":
        if v is None:
            # Kafka writes a nullable struct as an int8 presence marker.
            w.int8(-1)
            return
        if nullable:
            w.int8(1)
        _write_struct(w, f["fields"], v, version, flex, path)
        return
    _write_scalar(w, t, v, nullable, flex, path)


def _write_scalar(w: Writer, t: str, v: Any, nullable: bool, flex: bool, path: str) -> None:
    if t in _FIXED:
        if t == "bool":
            if not isinstance(v, bool):
                raise LocalProtocolError(f"{path}: bool expected, got {v!r}")
            w.bool(v)
        else:
            getattr(w, t)(v)
    elif t == "string":
        (w.nullable_string if nullable else w.string)(v, flex)
    elif t in ("bytes", "records"):
        (w.nullable_bytes if nullable else w.bytes_)(v, flex)
    else:
        raise LocalProtocolError(f"{path}: unknown type {t}")


# decoding -----------------------------------------------------------------

def decode(api: int | str, version: int, kind: str, buf: bytes, allow_trailing: bool = False) -> dict[str, Any]:
    """Decode a message body (or header) into a nested dict; raises ``DecodeError``."""
    spec = message_spec(api, kind)
    _check(spec, version, f"{load_spec(api)['name']} {kind}")
    flex = in_range(version, spec["flexible_versions"])
    r = Reader(buf)
    out = _read_struct(r, spec["fields"], version, flex)
    r.finish(allow_trailing=allow_trailing)
    return out


def decode_prefix(api: int | str, version: int, kind: str, buf: bytes) -> tuple[dict[str, Any], int]:
    """Decode from the start of ``buf``; returns the dict and the bytes consumed."""
    spec = message_spec(api, kind)
    _check(spec, version, f"{load_spec(api)['name']} {kind}")
    flex = in_range(version, spec["flexible_versions"])
    r = Reader(buf)
    out = _read_struct(r, spec["fields"], version, flex)
    r.finish(allow_trailing=True)
    return out, r.pos


def _read_struct(r: Reader, fields: list[dict[str, Any]], version: int, flex: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    by_tag: dict[int, dict[str, Any]] = {}
    for f in fields:
        name = f["name"]
        if not in_range(version, f["versions"]):
            out[name] = default_value(f)
            continue
        fflex = in_range(version, f["flexible_versions"]) if "flexible_versions" in f else flex
        if flex and f["tag"] is not None and in_range(version, f["tagged_versions"]):
            out[name] = default_value(f)
            by_tag[f["tag"]] = f
            continue
        out[name] = _read_value(r, f, version, fflex)
    unknown: dict[int, bytes] = {}
    if flex:
        for tag, data in r.tagged_fields().items():
            known = by_tag.get(tag)
            if known is None:
                unknown[tag] = data
                continue
            sub = Reader(data)
            out[known["name"]] = _read_value(sub, known, version, flex)
            if sub.bad or sub.pos != sub.end:
                r.fail(known["name"], sub.bad_reason if sub.bad else "tagged field has trailing bytes")
    out["unknown_tags"] = unknown
    return out


def _read_value(r: Reader, f: dict[str, Any], version: int, flex: bool) -> Any:
    t = f["type"]
    name = f["name"]
    nullable = in_range(version, f["nullable_versions"])
    if t.startswith("array:"):
        n = r.array_len(name, flex, nullable)
        if n < 0:
            return None
        elem = t[6:]
        if elem == "struct":
            return [_read_struct(r, f["fields"], version, flex) for _ in range(n) if not r.bad]
        return [_read_scalar(r, elem, False, flex, name) for _ in range(n) if not r.bad]
    if t == "struct":
        if nullable:
            marker = r.int8(name)
            if marker < 0:
                return None
        return _read_struct(r, f["fields"], version, flex)
    return _read_scalar(r, t, nullable, flex, name)


def _read_scalar(r: Reader, t: str, nullable: bool, flex: bool, name: str) -> Any:
    if t in _FIXED:
        return getattr(r, t)(name)
    if t == "string":
        return r.nullable_string(name, flex) if nullable else r.string(name, flex)
    if t in ("bytes", "records"):
        return r.nullable_bytes(name, flex) if nullable else r.bytes_(name, flex)
    r.fail(name, f"unknown type {t}")
    return None


def to_plain(v: Any) -> Any:
    """Dataclass messages as nested dicts, in the shape ``decode`` returns."""
    return _normalize(v)


# whole frames -------------------------------------------------------------

def _strip_size(buf: bytes, has_size: bool) -> bytes:
    if not has_size:
        return buf
    r = Reader(buf)
    size = r.int32("size")
    r.finish(allow_trailing=True)
    if size != len(buf) - 4:
        raise DecodeError(f"size prefix says {size} bytes but {len(buf) - 4} follow", offset=0, field="size")
    return buf[4:]


def decode_request_frame(buf: bytes, has_size: bool = True) -> dict[str, Any]:
    """A whole request (optionally with its 4-byte size prefix) as ``{"header": ..., "body": ...}``.

    The body is decoded when a spec exists for its API and version; otherwise
    ``body`` is None and ``body_bytes`` holds it.
    """
    frame = _strip_size(buf, has_size)
    hdr, off = decode_request_header(frame)
    out: dict[str, Any] = {
        "header": {
            "request_api_key": hdr.api_key, "request_api_version": hdr.api_version,
            "correlation_id": hdr.correlation_id, "client_id": hdr.client_id,
            "header_version": hdr.header_version, "unknown_tags": hdr.unknown_tags,
        },
        "api_name": _by_key().get(hdr.api_key, {}).get("name"),
        "body": None,
        "body_bytes": frame[off:],
    }
    spec = _by_key().get(hdr.api_key)
    if spec is not None and in_range(hdr.api_version, spec["request"]["valid_versions"]):
        out["body"] = decode(hdr.api_key, hdr.api_version, "request", frame[off:])
    return out


def decode_response_frame(buf: bytes, api_key: int, version: int, has_size: bool = True) -> dict[str, Any]:
    """A whole response to ``api_key``/``version`` as ``{"correlation_id": ..., "body": ...}``."""
    frame = _strip_size(buf, has_size)
    corr, off = decode_response_header(frame, response_header_version(api_key, version))
    return {"correlation_id": corr, "body": decode(api_key, version, "response", frame[off:])}
