"""Drive tests/java/TxnProtocolGolden.java: Kafka's own *Data classes encode our messages.

Messages go to Java as the JSON that Kafka's generated ``*DataJsonConverter``
reads: every dataclass field (whatever the version) under its Kafka JSON
name, so that Java itself decides, per version, what to write, what to drop
(ignorable fields) and what to refuse (UnsupportedVersionException).
"""
from __future__ import annotations

import base64
import dataclasses
import json
import uuid
from typing import Any

import pytest

from purekafka.errors import LocalProtocolError

# snake_case names whose camelCase form is not the mechanical one.
_CAMEL_EXCEPTIONS = {"enable_2pc": "enable2Pc"}


def camel(name: str) -> str:
    if name in _CAMEL_EXCEPTIONS:
        return _CAMEL_EXCEPTIONS[name]
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def kafka_uuid(u: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(u.bytes).decode().rstrip("=")


def to_kafka_json(value: Any) -> Any:
    """A message dataclass as the JSON Kafka's converters read and write."""
    if dataclasses.is_dataclass(value):
        return {camel(f.name): to_kafka_json(getattr(value, f.name))
                for f in dataclasses.fields(value) if f.name != "unknown_tags"}
    if isinstance(value, list):
        return [to_kafka_json(v) for v in value]
    if isinstance(value, uuid.UUID):
        return kafka_uuid(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    return value


def restrict(ours: Any, theirs: Any) -> Any:
    """``ours`` (Kafka JSON) cut down to the keys present in ``theirs``: Java's
    writer only emits the fields a version carries."""
    if isinstance(theirs, dict) and isinstance(ours, dict):
        return {k: restrict(ours.get(k), v) for k, v in theirs.items()}
    if isinstance(theirs, list) and isinstance(ours, list) and len(ours) == len(theirs):
        return [restrict(o, t) for o, t in zip(ours, theirs)]
    return ours


@dataclasses.dataclass
class JavaResult:
    ok: bool
    wire: bytes = b""
    readback: Any = None  # Java's JSON of what it reads back from ``wire``
    error: str = ""


def encode_with_java(java: Any, api_key: int, kind: str, cases: list[tuple[Any, int]]) -> list[JavaResult]:
    """Encode each (message, version) with Kafka's Java classes, one JVM for all."""
    side = "req" if kind == "request" else "resp"
    lines = [f"enc {side} {api_key} {v} {json.dumps(to_kafka_json(m))}" for m, v in cases]
    # split("\n"), not splitlines(): Java's JSON may hold U+0085 or U+2028 unescaped.
    out = java.run("TxnProtocolGolden", input=("\n".join(lines) + "\n").encode()).decode().split("\n")[:-1]
    assert len(out) == len(lines), out
    results = []
    for line in out:
        status, _, rest = line.partition(" ")
        if status == "OK":
            hexdata, _, readback = rest.partition(" ")
            results.append(JavaResult(True, bytes.fromhex(hexdata), json.loads(readback)))
        else:
            results.append(JavaResult(False, error=rest))
    return results


def check_against_java(java: Any, module: Any, kind: str, messages: list[Any]) -> int:
    """Every message at every version of ``module``: byte-identical to Java, or refused by both.

    Also decodes Java's bytes with ours and compares field by field with what
    Java read back. Returns how many (message, version) pairs Java encoded.
    """
    versions = range(module.MIN_VERSION, module.MAX_VERSION + 1)
    cases = [(m, v) for m in messages for v in versions]
    encode = getattr(module, f"encode_{kind}")
    decode = getattr(module, f"decode_{kind}")
    encoded = 0
    for (msg, version), res in zip(cases, encode_with_java(java, module.API_KEY, kind, cases)):
        where = f"{module.__name__} {kind} v{version}: {msg!r}"
        if not res.ok:
            assert res.error.startswith("UnsupportedVersionException"), f"{where}: Java said {res.error}"
            with pytest.raises(LocalProtocolError):
                encode(msg, version)
            continue
        encoded += 1
        assert encode(msg, version).hex() == res.wire.hex(), where
        decoded = decode(res.wire, version)
        assert restrict(to_kafka_json(decoded), res.readback) == res.readback, where
    return encoded


def client_facts(java: Any) -> dict[str, int]:
    """Version caps of the Java client's request builders (see ``facts`` in TxnProtocolGolden.java)."""
    (line,) = java.run("TxnProtocolGolden", input=b"facts\n").decode().splitlines()
    status, _, rest = line.partition(" ")
    assert status == "OK", line
    facts: dict[str, int] = json.loads(rest)
    return facts
