"""protocol_specs/ must agree with Kafka's own message definitions, version by version.

Kafka's JSON (``common/message/*.json`` inside the kafka-clients jar) is read
and interpreted here independently of tools/specgen.py: for every version we
cover, both sides are reduced to a tree of (name, type, nullable, tag,
default, ignorable, field-level flexibility) and compared.
"""
from __future__ import annotations

import json
import re
import zipfile
from typing import Any

import pytest

from purekafka.protocol import specs

pytestmark = pytest.mark.java


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


@pytest.fixture(scope="module")
def kafka_messages(java) -> dict[str, dict[str, Any]]:
    jars = [p for p in java.classpath.split(":") if re.search(r"/kafka-clients-[0-9.]+\.jar$", p)]
    assert jars, "kafka-clients jar not on the classpath"
    out = {}
    with zipfile.ZipFile(jars[0]) as z:
        for n in z.namelist():
            if n.startswith("common/message/") and n.endswith(".json"):
                d = json.loads(_strip_comments(z.read(n).decode("utf-8")))
                out[d["name"]] = d
    assert len(out) > 100
    return out


def _kafka_in(version: int, text: str | None) -> bool:
    if text is None or text == "none":
        return False
    if text.endswith("+"):
        return version >= int(text[:-1])
    lo, _, hi = text.partition("-")
    return int(lo) <= version <= int(hi or lo)




def _kafka_default(ktype: str, raw: Any) -> Any:
    if ktype.startswith("[]"):
        return "null" if raw == "null" else "[]"
    if raw is None:
        return {
            "bool": False, "string": "", "bytes": b"", "records": None, "float64": 0.0,
            "uuid": "00000000-0000-0000-0000-000000000000",
        }.get(ktype, 0 if ktype.startswith(("int", "uint")) else "{}")
    if ktype == "bool":
        return str(raw).lower() == "true"
    if ktype.startswith(("int", "uint")):
        return int(str(raw), 0) if str(raw).lower().startswith("0x") else int(raw)
    if ktype == "float64":
        return float(raw)
    if raw == "null":
        return None
    return raw


def _kafka_view(fields: list[dict], version: int, flex: bool, common: dict[str, dict]) -> list[tuple]:
    out = []
    for f in fields:
        if not _kafka_in(version, f["versions"]):
            continue
        ktype = f["type"]
        elem = ktype[2:] if ktype.startswith("[]") else ktype
        sub = f.get("fields")
        if sub is None and elem in common:
            sub = common[elem]["fields"]
        fflex = _kafka_in(version, f["flexibleVersions"]) if "flexibleVersions" in f else flex
        tagged = flex and "tag" in f and _kafka_in(version, f.get("taggedVersions"))
        out.append((
            f["name"],
            ktype,
            _kafka_in(version, f.get("nullableVersions")),
            f["tag"] if tagged else None,
            _kafka_default(ktype, f.get("default")),
            bool(f.get("ignorable", False)),
            fflex,
            _kafka_view(sub, version, flex, common) if sub is not None else None,
        ))
    return out


def _our_type(f: dict) -> str:
    t = f["type"]
    if t == "struct":
        return f["struct_name"]
    if t == "array:struct":
        return "[]" + f["struct_name"]
    if t.startswith("array:"):
        return "[]" + t[6:]
    return t


def _our_default(f: dict) -> Any:
    t, d = f["type"], f["default"]
    if t.startswith("array:"):
        return "null" if d is None else "[]"
    if t == "struct":
        return None if d is None else "{}"
    if t == "bytes":
        return None if d is None else d.encode("latin-1")
    return d


def _our_view(fields: list[dict], version: int, flex: bool) -> list[tuple]:
    out = []
    for f in fields:
        if not specs.in_range(version, f["versions"]):
            continue
        fflex = specs.in_range(version, f["flexible_versions"]) if "flexible_versions" in f else flex
        tagged = flex and f["tag"] is not None and specs.in_range(version, f["tagged_versions"])
        assert re.sub(r"[^a-z0-9]", "", f["name"]) == f["kafka_name"].lower()
        out.append((
            f["kafka_name"],
            _our_type(f),
            specs.in_range(version, f["nullable_versions"]),
            f["tag"] if tagged else None,
            _our_default(f),
            f["ignorable"],
            fflex,
            _our_view(f["fields"], version, flex) if "fields" in f else None,
        ))
    return out


def _kafka_range(text: str) -> list[int | None] | None:
    if text == "none":
        return None
    if text.endswith("+"):
        return [int(text[:-1]), None]
    lo, _, hi = text.partition("-")
    return [int(lo), int(hi or lo)]


def _parts() -> list[tuple[str, str, str]]:
    """(spec name, part, Kafka message name) for every part of every spec file."""
    out = []
    for name, spec in specs.all_specs().items():
        for part, suffix in (("request", "Request"), ("response", "Response"), ("header", "")):
            if part in spec:
                out.append((name, part, name + suffix))
    return out


def test_every_api_we_need_has_a_spec() -> None:
    want = {"RequestHeader", "ResponseHeader", "ApiVersions", "Metadata", "Produce", "FindCoordinator",
            "InitProducerId", "AddPartitionsToTxn", "EndTxn", "AddOffsetsToTxn", "TxnOffsetCommit",
            "SaslHandshake", "SaslAuthenticate", "Fetch", "ListOffsets"}
    assert want <= set(specs.all_specs())


@pytest.mark.parametrize("name,part,kafka_name", _parts())
def test_spec_matches_kafka(kafka_messages, name: str, part: str, kafka_name: str) -> None:
    ours = specs.all_specs()[name][part]
    kafka = kafka_messages[kafka_name]
    if part != "header":
        assert specs.all_specs()[name]["api_key"] == kafka["apiKey"]
    assert ours["kafka_valid_versions"] == _kafka_range(kafka["validVersions"])
    assert ours["flexible_versions"] == _kafka_range(kafka.get("flexibleVersions", "none"))
    common = {c["name"]: c for c in kafka.get("commonStructs", [])}
    lo, hi = ours["valid_versions"]
    compared = 0
    for version in range(lo, hi + 1):
        if not _kafka_in(version, kafka["validVersions"]):
            # Only RequestHeader v0 is ours alone (Kafka 4 dropped it from its range).
            assert kafka_name == "RequestHeader" and version == 0
            continue
        flex = _kafka_in(version, kafka.get("flexibleVersions"))
        theirs = _kafka_view(kafka["fields"], version, flex, common)
        mine = _our_view(ours["fields"], version, flex)
        assert mine == theirs, f"{kafka_name} v{version} drifted from Kafka's definition"
        compared += 1
    assert compared > 0
