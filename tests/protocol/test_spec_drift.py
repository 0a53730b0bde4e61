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

from purekafka.protocol import headers, specs
from tools import kafka_local

OLD_KAFKA = "3.9.1"

pytestmark = pytest.mark.java


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


def _read_jar(path: str) -> dict[str, dict[str, Any]]:
    out = {}
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            if n.startswith("common/message/") and n.endswith(".json"):
                d = json.loads(_strip_comments(z.read(n).decode("utf-8")))
                out[d["name"]] = d
    assert len(out) > 100
    return out


@pytest.fixture(scope="module")
def kafka_messages(java) -> dict[str, dict[str, Any]]:
    """The newest jar's definitions (the one the Java tests run)."""
    jars = [p for p in java.classpath.split(":") if re.search(r"/kafka-clients-[0-9.]+\.jar$", p)]
    assert jars, "kafka-clients jar not on the classpath"
    return _read_jar(jars[0])


@pytest.fixture(scope="module")
def old_messages() -> dict[str, dict[str, Any]]:
    """Kafka 3.9's definitions: the versions Kafka 4.0 removed come from them."""
    jars = [p for p in kafka_local.resolve(OLD_KAFKA) if p.name == f"kafka-clients-{OLD_KAFKA}.jar"]
    assert jars, f"kafka-clients {OLD_KAFKA} not resolved"
    return _read_jar(str(jars[0]))


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
    """(name, type, nullable, tag, default, ignorable, flexible, sub-fields) per field of ``version``."""
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
            int(f["tag"]) if tagged else None,  # Kafka 3.9 writes one tag as a string
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


def _wire(view: list[tuple] | None) -> list[tuple] | None:
    """A view without what only Java's writer and readers care about: names and ``ignorable``."""
    if view is None:
        return None
    return [("struct" if t[7] is not None else t[1], t[1].startswith("[]"), t[2], t[3], t[4], t[6],
             _wire(t[7])) for t in view]


def _parts() -> list[tuple[str, str]]:
    """(spec name, part) for every part of every spec file."""
    out = []
    for name, spec in specs.all_specs().items():
        for part in ("request", "response", "header"):
            if part in spec:
                out.append((name, part))
    return out


def _kafka_message(jar: dict[str, dict[str, Any]], name: str, part: str) -> dict[str, Any] | None:
    if part == "header":
        return jar.get(name)
    key = specs.all_specs()[name]["api_key"]
    found = [d for d in jar.values() if d["type"] == part and d.get("apiKey") == key]
    return found[0] if found else None


def _versions(d: dict[str, Any] | None) -> set[int]:
    return {v for v in range(64) if d is not None and _kafka_in(v, d["validVersions"])}


def test_every_api_of_both_jars_has_a_spec(kafka_messages, old_messages) -> None:
    want = {"RequestHeader", "ResponseHeader", "ApiVersions", "Metadata", "Produce", "FindCoordinator",
            "InitProducerId", "AddPartitionsToTxn", "EndTxn", "AddOffsetsToTxn", "TxnOffsetCommit",
            "SaslHandshake", "SaslAuthenticate", "Fetch", "ListOffsets"}
    assert want <= set(specs.all_specs())
    keys = {d["api_key"]: d for d in specs.all_specs().values() if "api_key" in d}
    for jar in (kafka_messages, old_messages):
        for d in jar.values():
            if d["type"] in ("request", "response"):
                assert d["apiKey"] in keys, f"no spec for {d['name']}"
                assert d["type"] in keys[d["apiKey"]]
    assert len(keys) >= 95


@pytest.mark.parametrize("name,part", _parts())
def test_spec_matches_kafka(kafka_messages, old_messages, name: str, part: str) -> None:
    """Each version matches the jar that defines it: the newest jar, else Kafka 3.9 (removed versions)."""
    ours = specs.all_specs()[name][part]
    new = _kafka_message(kafka_messages, name, part)
    old = _kafka_message(old_messages, name, part)
    new_versions, old_versions = _versions(new), _versions(old)
    assert ours["kafka_valid_versions"] == (_kafka_range(new["validVersions"]) if new else None)
    removed = sorted(old_versions - new_versions)
    assert ours["removed_versions"] == ([removed[0], removed[-1]] if removed else None)
    lo, hi = ours["valid_versions"]
    assert set(range(lo, hi + 1)) == new_versions | old_versions
    compared = 0
    for version in range(lo, hi + 1):
        jars = [d for d in (new, old) if d is not None and version in _versions(d)]
        for i, kafka in enumerate(jars):
            assert ours["flexible_versions"] == _kafka_range(kafka.get("flexibleVersions", "none"))
            common = {c["name"]: c for c in kafka.get("commonStructs", [])}
            flex = _kafka_in(version, kafka.get("flexibleVersions"))
            theirs = _kafka_view(kafka["fields"], version, flex, common)
            mine = _our_view(ours["fields"], version, flex)
            if kafka is new:
                assert mine == theirs, f"{kafka['name']} v{version} drifted from the newest jar's definition"
            elif new is not None and version in new_versions and version == max(old_versions) and \
                    (_kafka_message(old_messages, name, "request" if part != "header" else part) or old).get(
                        "latestVersionUnstable"):
                pass  # 3.9 marked this version unstable (in the request's file); the newest jar's is the released one
            else:
                # 3.9's names and `ignorable` flags lost to the newest jar's where both define a version;
                # the bytes must still be the same.
                assert _wire(mine) == _wire(theirs), f"{kafka['name']} v{version} drifted from Kafka 3.9's bytes"
                if not i:
                    assert [t[:5] + t[6:7] for t in _flat(mine)] == [t[:5] + t[6:7] for t in _flat(theirs)], \
                        f"{kafka['name']} v{version} (only in Kafka 3.9) drifted from its definition"
            compared += 1
    assert compared > 0


def _flat(view: list[tuple]) -> list[tuple]:
    out = []
    for t in view:
        out.append(t[:7])
        out += _flat(t[7] or [])
    return out


def test_header_versions_follow_the_specs() -> None:
    """headers.py's table of first flexible versions says what every spec says."""
    for spec in specs.all_specs().values():
        if "api_key" not in spec:
            continue
        flex = spec["request"]["flexible_versions"]
        assert headers.FIRST_FLEXIBLE_VERSION.get(spec["api_key"]) == (flex[0] if flex else None), spec["name"]


def test_committed_specs_are_what_specgen_writes(java) -> None:
    """protocol_specs/ is generated (never hand-edited): regenerating from both jars changes nothing."""
    from tools import specgen

    new = [p for p in java.classpath.split(":") if re.search(r"/kafka-clients-[0-9.]+\.jar$", p)][0]
    old = [str(p) for p in kafka_local.resolve(OLD_KAFKA) if p.name == f"kafka-clients-{OLD_KAFKA}.jar"][0]
    assert specgen.main(["--check", "--jar", new, "--old-jar", old, "--out", str(specs.SPEC_DIR)]) == 0
