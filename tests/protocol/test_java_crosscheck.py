"""purekafka's protocol codecs against Kafka's generated ``*Data`` classes (tests/java/ProtocolCrossCheck.java).

For a Hypothesis-drawn sample of messages of every registered API (both
helpers' modules, via ``apis.API_BY_KEY``; the generic spec codec for APIs
with a spec but no module, such as Fetch and ListOffsets), every version and
both directions:

* Kafka parses our bytes, and its JsonConverter shows the same field values;
  Kafka writing the parsed message back gives exactly our bytes (unknown
  tagged fields included).
* Kafka builds the message from JSON and serializes it; purekafka decodes
  those bytes to the same values, and our encoder gives the same bytes.

All samples go to one JVM launch.
"""
from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import strategies
from purekafka.protocol import headers, primitives, specs
from purekafka.protocol.apis import API_BY_KEY

pytestmark = pytest.mark.java

SAMPLES_PER_VERSION = 6


def _camel(kafka_name: str) -> str:
    return kafka_name[0].lower() + kafka_name[1:]


def _uuid_to_kafka(u: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(u.bytes).decode().rstrip("=")


def _uuid_from_kafka(s: str) -> uuid.UUID:
    return uuid.UUID(bytes=base64.urlsafe_b64decode(s + "=="))


def to_kafka_json(fields: list[dict], value: dict, version: int) -> dict:
    """Our dict -> the JSON Kafka's JsonConverter reads (fields of this version only)."""
    out: dict[str, Any] = {}
    for f in fields:
        if not specs.in_range(version, f["versions"]):
            continue
        out[_camel(f["kafka_name"])] = _value_to_kafka(f, value[f["name"]], version)
    return out


def _value_to_kafka(f: dict, v: Any, version: int) -> Any:
    if v is None:
        return None
    t = f["type"]
    if t == "struct":
        return to_kafka_json(f["fields"], v, version)
    if t == "array:struct":
        return [to_kafka_json(f["fields"], x, version) for x in v]
    if t == "array:uuid":
        return [_uuid_to_kafka(x) for x in v]
    if t == "uuid":
        return _uuid_to_kafka(v)
    if t in ("bytes", "records"):
        return base64.b64encode(v).decode()
    return v


def from_kafka_json(fields: list[dict], node: dict, version: int) -> dict:
    """Kafka's JSON -> our dict shape (absent fields at defaults, no unknown tags; records unknown)."""
    out: dict[str, Any] = {}
    for f in fields:
        key = _camel(f["kafka_name"])
        if not specs.in_range(version, f["versions"]) or key not in node:
            out[f["name"]] = specs.default_value(f)
            continue
        out[f["name"]] = _value_from_kafka(f, node[key], version)
    out["unknown_tags"] = {}
    return out


def _value_from_kafka(f: dict, v: Any, version: int) -> Any:
    if v is None:
        return None
    t = f["type"]
    if t == "struct":
        return from_kafka_json(f["fields"], v, version)
    if t == "array:struct":
        return [from_kafka_json(f["fields"], x, version) for x in v]
    if t == "uuid":
        return _uuid_from_kafka(v)
    if t == "array:uuid":
        return [_uuid_from_kafka(x) for x in v]
    if t == "bytes":
        return base64.b64decode(v)
    if t == "records":
        return "<records>"  # Kafka's JSON does not show record bytes
    return v


def without_tags(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: ({} if k == "unknown_tags" else without_tags(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [without_tags(x) for x in v]
    return v


def records_hidden(fields: list[dict], v: dict) -> dict:
    out = dict(v)
    for f in fields:
        x = v[f["name"]]
        if f["type"] == "records" and x is not None:
            out[f["name"]] = "<records>"
        elif f["type"] == "struct" and x is not None:
            out[f["name"]] = records_hidden(f["fields"], x)
        elif f["type"] == "array:struct" and x is not None:
            out[f["name"]] = [records_hidden(f["fields"], y) for y in x]
    return out


def _ranges() -> dict[int, tuple[int, int, str]]:
    """Every API to check: the hand-written module's range, or the spec's for spec-only APIs."""
    out = {}
    for spec in specs.all_specs().values():
        if "api_key" not in spec:
            continue
        key = spec["api_key"]
        mod = API_BY_KEY.get(key)
        if mod is not None:
            out[key] = (mod.MIN_VERSION, mod.MAX_VERSION, mod.__name__.rsplit(".", 1)[1])
        elif spec["request"]["kafka_valid_versions"] is not None:
            # The versions of the jar these classes come from (Kafka 4.0 removed some).
            lo, hi = spec["request"]["kafka_valid_versions"]
            out[key] = (lo, hi, spec["name"] + "(spec)")
    return out


RANGES = _ranges()


def _cases() -> list[tuple[int, str, int]]:
    return [(key, kind, v) for key, (lo, hi, _) in sorted(RANGES.items()) for kind in ("request", "response")
            for v in range(lo, hi + 1)]


def _sample(strategy: st.SearchStrategy, n: int) -> list:
    got: list = []

    @settings(max_examples=n, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(x: Any) -> None:
        got.append(x)

    collect()
    return got[:n]


def _module_codec(key: int, kind: str):
    """(dataclass or None, encode(msg, version), decode(buf, version)); the generic codec for spec-only APIs."""
    mod = API_BY_KEY.get(key)
    if mod is None:
        return (None, lambda msg, v: specs.encode(key, v, kind, msg),
                lambda buf, v: specs.decode(key, v, kind, buf))
    cls = getattr(mod, specs.load_spec(key)["name"] + kind.capitalize())
    return cls, getattr(mod, f"encode_{kind}"), getattr(mod, f"decode_{kind}")


def _build(cls, msg: dict):
    return msg if cls is None else strategies.to_dataclass(cls, msg)


@pytest.fixture(scope="module")
def crosscheck(java) -> dict:
    """Runs every sample through Java once; returns per-case lists of (msg, ours, parse answer, build answer)."""
    jobs: list[tuple[tuple[int, str, int], dict, bytes]] = []
    lines: list[str] = []
    for key, kind, v in _cases():
        cls, encode, _ = _module_codec(key, kind)
        fields = specs.message_spec(key, kind)["fields"]
        for msg in _sample(strategies.message(key, kind, v), SAMPLES_PER_VERSION):
            ours = encode(_build(cls, msg), v)
            jobs.append(((key, kind, v), msg, ours))
            lines.append(f"parse {kind} {key} {v} {ours.hex()}")
            lines.append(f"build {kind} {key} {v} {json.dumps(to_kafka_json(fields, msg, v), separators=(',', ':'))}")
    answers = java.run("ProtocolCrossCheck", input=("\n".join(lines) + "\n").encode()).decode().split("\n")[:-1]
    assert len(answers) == len(lines)
    out: dict = {}
    for i, (case, msg, ours) in enumerate(jobs):
        out.setdefault(case, []).append((msg, ours, answers[2 * i], answers[2 * i + 1]))
    return out


@pytest.mark.parametrize("key,kind,version", _cases(),
                         ids=[f"{RANGES[k][2]}-{kd}-v{v}" for k, kd, v in _cases()])
def test_kafka_agrees(crosscheck: dict, key: int, kind: str, version: int) -> None:
    fields = specs.message_spec(key, kind)["fields"]
    _, encode, decode = _module_codec(key, kind)
    cls = _module_codec(key, kind)[0]
    samples = crosscheck[(key, kind, version)]
    assert samples
    for msg, ours, parsed, built in samples:
        # Kafka reads our bytes to the same values and writes them back byte for byte.
        assert parsed.startswith("OK "), f"Kafka could not parse our bytes: {parsed}"
        node_text, _, hex2 = parsed[3:].rpartition(" ")
        assert bytes.fromhex(hex2) == ours
        assert from_kafka_json(fields, json.loads(node_text), version) == without_tags(records_hidden(fields, msg))
        # Kafka builds the message; we decode its bytes to the same values and encode the same bytes.
        assert built.startswith("OK "), f"Kafka could not build the message: {built}"
        theirs = bytes.fromhex(built[3:])
        plain = without_tags(msg)
        assert specs.to_plain(decode(theirs, version)) == plain
        assert encode(_build(cls, plain), version) == theirs


# headers and primitives ----------------------------------------------------

def test_headers_and_varints_match_kafka(java) -> None:
    lines: list[str] = []
    expected: list[tuple[str, Any]] = []
    for hv in (1, 2):
        for client_id in (None, "", "purekafka-é"):
            body = headers.encode_request_header(18, 3, 123456, client_id, header_version=hv)
            lines.append(f"parse header 0 {hv} {body.hex()}")
            expected.append(("req", (body, client_id)))
    for hv in (0, 1):
        body = headers.encode_response_header(-7, hv)
        lines.append(f"parse header 1 {hv} {body.hex()}")
        expected.append(("resp", body))
    ints = [0, 1, -1, 63, -64, 64, -65, 300, (1 << 31) - 1, -(1 << 31)]
    longs = ints + [(1 << 63) - 1, -(1 << 63), 1 << 40, -(1 << 40)]
    uints = [0, 1, 127, 128, 16383, 16384, (1 << 32) - 1]
    for n in ints:
        lines.append(f"varint {n}")
        expected.append(("hex", primitives.encode_varint(n)))
    for n in longs:
        lines.append(f"varlong {n}")
        expected.append(("hex", primitives.encode_varlong(n)))
    for n in uints:
        lines.append(f"uvarint {n}")
        expected.append(("hex", primitives.encode_uvarint(n)))
    answers = java.run("ProtocolCrossCheck", input=("\n".join(lines) + "\n").encode()).decode().split("\n")[:-1]
    assert len(answers) == len(lines)
    for line, answer, (what, exp) in zip(lines, answers, expected):
        assert answer.startswith("OK "), (line, answer)
        if what == "hex":
            assert bytes.fromhex(answer[3:]) == exp, line
        elif what == "req":
            body, client_id = exp
            node_text, _, hex2 = answer[3:].rpartition(" ")
            node = json.loads(node_text)
            assert bytes.fromhex(hex2) == body
            assert (node["requestApiKey"], node["requestApiVersion"], node["correlationId"]) == (18, 3, 123456)
            assert node["clientId"] == client_id
        else:
            node_text, _, hex2 = answer[3:].rpartition(" ")
            assert json.loads(node_text)["correlationId"] == -7
            assert bytes.fromhex(hex2) == exp
