"""Dev-time converter: Kafka's message JSON -> purekafka's protocol_specs/ format.

Run it from the repository (the jars default to the cached Kafka releases)::

    python tools/specgen.py [--jar NEWEST.jar] [--old-jar kafka-clients-3.9.1.jar] [--out protocol_specs]

Every request and response message of the newest kafka-clients jar is written,
one file per API, plus the two headers. Kafka 4.0 removed old versions of many
APIs (KIP-896) and a few whole APIs; those versions come from the 3.9 jar and
are merged in per API: the union of the versions, fields that exist only in
removed versions kept with their version ranges. For a version both jars define
the newest jar's definition wins (they differ only in names and ``ignorable``).
The spec files are committed facts; tests/protocol/test_spec_drift.py checks them
independently against both jars.

Our format (one file per API, plus one per header)::

    {"api_key": 0, "name": "Produce",
     "request":  {"valid_versions": [0, 13], "kafka_valid_versions": [3, 13],
                  "removed_versions": [0, 2],
                  "flexible_versions": [9, null], "fields": [FIELD, ...]},
     "response": {...}}

``valid_versions`` is what we decode, ``kafka_valid_versions`` the newest jar's
range and ``removed_versions`` the versions only the old jar defines. A version
range is ``[lo, hi]`` with ``hi`` null for "and later", or null for "none". A
FIELD is::

    {"name": "snake_case", "kafka_name": "CamelCase", "type": T,
     "versions": RANGE, "nullable_versions": RANGE, "tag": int|null,
     "tagged_versions": RANGE, "default": value, "ignorable": bool,
     "flexible_versions": RANGE (only when the field overrides the message),
     "struct_name": "...", "fields": [FIELD, ...] (struct and struct arrays)}

where T is a scalar (int8 int16 int32 int64 uint16 uint32 float64 bool uuid
string bytes records), "struct", or "array:<scalar>" / "array:struct".
Common structs are inlined where used.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re
import sys
import zipfile
from typing import Any

SCALARS = {"int8", "int16", "int32", "int64", "uint16", "uint32", "float64", "bool", "uuid", "string", "bytes", "records"}
HEADERS = ("RequestHeader", "ResponseHeader")
NEWEST = "4.4.0"
OLD = "3.9.1"
# Far above any Kafka version: the top of the universe of versions ranges are evaluated on.
_TOP = 64


def strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))


# Names the mechanical rule would mangle.
SNAKE_OVERRIDES = {"Enable2Pc": "enable_2pc"}


def snake(name: str) -> str:
    if name in SNAKE_OVERRIDES:
        return SNAKE_OVERRIDES[name]
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def parse_range(text: str | None) -> list[int | None] | None:
    if text is None or text == "none":
        return None
    if text.endswith("+"):
        return [int(text[:-1]), None]
    if "-" in text:
        lo, hi = text.split("-")
        return [int(lo), int(hi)]
    return [int(text), int(text)]


def parse_default(ftype: str, raw: Any) -> Any:
    """Kafka's default as a typed JSON value (null, bool, int, float, string)."""
    if ftype.startswith("[]"):
        return None if raw == "null" else []
    if ftype in ("bool",):
        if raw is None:
            return False
        return str(raw).lower() == "true"
    if ftype in ("int8", "int16", "int32", "int64", "uint16", "uint32"):
        if raw is None:
            return 0
        s = str(raw)
        return int(s, 16) if s.lower().startswith("0x") else int(s)
    if ftype == "float64":
        return 0.0 if raw is None else float(raw)
    if ftype == "string":
        if raw is None:
            return ""
        return None if raw == "null" else str(raw)
    if ftype == "records":
        return None  # Kafka's generated classes start records out null
    if ftype == "bytes":
        return None if raw == "null" else ""  # "" = empty bytes
    if ftype == "uuid":
        return "00000000-0000-0000-0000-000000000000" if raw is None else str(raw)
    # struct
    return None if raw == "null" else {}


def convert_fields(fields: list[dict[str, Any]], common: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for f in fields:
        ktype: str = f["type"]
        elem = ktype[2:] if ktype.startswith("[]") else ktype
        sub = f.get("fields")
        if elem not in SCALARS and sub is None:
            sub = common[elem]["fields"]
        if ktype.startswith("[]"):
            t = "array:" + ("struct" if elem not in SCALARS else elem)
        else:
            t = "struct" if elem not in SCALARS else elem
        g: dict[str, Any] = {
            "name": snake(f["name"]),
            "kafka_name": f["name"],
            "type": t,
            "versions": parse_range(f["versions"]),
            "nullable_versions": parse_range(f.get("nullableVersions")),
            "tag": f.get("tag"),
            "tagged_versions": parse_range(f.get("taggedVersions")),
            "default": parse_default(ktype, f.get("default")),
            "ignorable": bool(f.get("ignorable", False)),
        }
        if "flexibleVersions" in f:
            g["flexible_versions"] = parse_range(f["flexibleVersions"])
        if elem not in SCALARS:
            g["struct_name"] = elem
            g["fields"] = convert_fields(sub, common)
        out.append(g)
    return out


def convert_message(d: dict[str, Any]) -> dict[str, Any]:
    """One Kafka message definition in our format (``valid_versions`` = Kafka's)."""
    kafka_range = parse_range(d["validVersions"])
    common = {c["name"]: c for c in d.get("commonStructs", [])}
    return {
        "valid_versions": kafka_range,
        "kafka_valid_versions": kafka_range,
        "removed_versions": None,
        "flexible_versions": parse_range(d.get("flexibleVersions")),
        "fields": convert_fields(d.get("fields", []), common),
    }


# merging ------------------------------------------------------------------

def members(rng: list[int | None] | None) -> set[int]:
    """The versions of a range, up to _TOP."""
    if rng is None:
        return set()
    lo, hi = rng
    assert lo is not None
    return set(range(lo, (_TOP if hi is None else hi) + 1))


def hull(versions: set[int], open_ended: bool) -> list[int | None] | None:
    if not versions:
        return None
    return [min(versions), None if open_ended else max(versions)]


class MergeError(Exception):
    """The two jars' definitions cannot be expressed as one field list."""


def merge_range(new: list[int | None] | None, old: list[int | None] | None,
                kept: set[int], removed: set[int], where: str) -> list[int | None] | None:
    """A range that is ``new`` on the newest jar's versions and ``old`` on the removed ones."""
    want = (members(new) & kept) | (members(old) & removed)
    if members(new) & removed == members(old) & removed:
        return new  # the newest jar's range already says the right thing for removed versions
    both = kept | removed
    got = hull(want, new is not None and new[1] is None and max(both) in want)
    if (members(got) & both) != want:
        raise MergeError(f"{where}: versions {sorted(want)} are not one range")
    return got


def merge_fields(new: list[dict[str, Any]], old: list[dict[str, Any]], kept: set[int], removed: set[int],
                 where: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    old_by_name = {f["kafka_name"]: f for f in old}
    for f in new:
        o = old_by_name.get(f["kafka_name"])
        g = dict(f)
        path = f"{where}.{f['kafka_name']}"
        for key in ("versions", "nullable_versions", "tagged_versions", "flexible_versions"):
            if key in f or (o is not None and key in o):
                g[key] = merge_range(f.get(key), o.get(key) if o else None, kept, removed, f"{path} {key}")
        if "fields" in f:
            g["fields"] = merge_fields(f["fields"], o.get("fields", []) if o else [], kept, removed, path)
        if o is not None and members(g["versions"]) & removed:
            for key in ("type", "tag", "default"):
                if o[key] != f[key]:
                    raise MergeError(f"{path}: {key} {o[key]!r} in the old jar, {f[key]!r} in the newest")
        out.append(g)
    new_names = {f["kafka_name"] for f in new}
    anchor = -1
    for o in old:
        if o["kafka_name"] in new_names:
            anchor = next(i for i, g in enumerate(out) if g["kafka_name"] == o["kafka_name"])
            continue
        only = members(o["versions"]) & removed
        if not only:
            continue  # renamed in versions both jars define: the newest jar's name stands
        g = dict(o)
        if members(o["versions"]) & kept:
            g["versions"] = hull(only, False)
        anchor += 1
        out.insert(anchor, g)
    return out


def merge_message(new: dict[str, Any] | None, old: dict[str, Any] | None, name: str) -> dict[str, Any]:
    """The newest jar's message with the versions only the old jar defines merged in."""
    if new is None or new["valid_versions"] is None:
        assert old is not None, name
        msg = dict(old)
        msg["kafka_valid_versions"] = None
        msg["removed_versions"] = old["valid_versions"]
        return msg
    if old is None:
        return new
    kept = members(new["valid_versions"])
    removed = members(old["valid_versions"]) - kept
    if not removed:
        return new
    if new["flexible_versions"] != old["flexible_versions"]:
        raise MergeError(f"{name}: flexible versions differ between the jars")
    valid = hull(kept | removed, False)
    if members(valid) != kept | removed:
        raise MergeError(f"{name}: the jars' versions are not one range")
    return {
        "valid_versions": valid,
        "kafka_valid_versions": new["valid_versions"],
        "removed_versions": hull(removed, False),
        "flexible_versions": new["flexible_versions"],
        "fields": merge_fields(new["fields"], old["fields"], kept, removed, name),
    }


def view(fields: list[dict[str, Any]], version: int, flex: bool, wire_only: bool) -> list[Any]:
    """What a version of a field list looks like on the wire (and, unless ``wire_only``, to Java)."""
    out = []
    for f in fields:
        if version not in members(f["versions"]):
            continue
        fflex = version in members(f["flexible_versions"]) if "flexible_versions" in f else flex
        tagged = flex and f["tag"] is not None and version in members(f["tagged_versions"])
        item = [f["type"], version in members(f["nullable_versions"]), f["tag"] if tagged else None,
                f["default"], fflex, view(f.get("fields", []), version, flex, wire_only)]
        if not wire_only:
            item += [f["kafka_name"], f.get("struct_name"), f["ignorable"]]
        else:
            item.append(f["kafka_name"])
        out.append(item)
    return out


def check_merge(merged: dict[str, Any], new: dict[str, Any] | None, old: dict[str, Any] | None, name: str) -> None:
    """Every version of the merged message reads as the jar that defines it."""
    for v in sorted(members(merged["valid_versions"])):
        from_new = new is not None and v in members(new["valid_versions"])
        src = new if from_new else old
        assert src is not None
        flex = v in members(merged["flexible_versions"])
        # Removed versions compare as wire and names: `ignorable` is a writer's rule, the newest jar's stands.
        mine = view(merged["fields"], v, flex, not from_new)
        theirs = view(src["fields"], v, flex, not from_new)
        if mine != theirs:
            raise MergeError(f"{name} v{v}: the merged definition differs from the jar's")


# jars ---------------------------------------------------------------------

def load_kafka(source: str) -> dict[str, dict[str, Any]]:
    """Kafka's JSON definitions keyed by message name, from a jar or a folder."""
    out: dict[str, dict[str, Any]] = {}
    if source.endswith(".jar"):
        with zipfile.ZipFile(source) as z:
            for n in z.namelist():
                if n.startswith("common/message/") and n.endswith(".json"):
                    d = json.loads(strip_comments(z.read(n).decode("utf-8")))
                    out[d["name"]] = d
    else:
        for n in os.listdir(source):
            if n.endswith(".json"):
                with open(os.path.join(source, n), encoding="utf-8") as fh:
                    d = json.loads(strip_comments(fh.read()))
                out[d["name"]] = d
    return out


def cached_jar(version: str) -> str:
    """The kafka-clients jar of a release tools/kafka_local.py has resolved."""
    root = os.environ.get("PUREKAFKA_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "purekafka"))
    hits = glob.glob(os.path.join(root, f"kafka-{version}", "libs", f"kafka-clients-{version}.jar"))
    if not hits:
        raise SystemExit(f"kafka-clients {version} is not cached: run `python tools/kafka_local.py fetch --interop`")
    return hits[0]


def by_api(kafka: dict[str, dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    return {(d["type"], d["apiKey"]): d for d in kafka.values() if d["type"] in ("request", "response")}


def build_specs(new_jar: dict[str, dict[str, Any]], old_jar: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every spec file's content, keyed by spec name."""
    new_api, old_api = by_api(new_jar), by_api(old_jar)
    out: dict[str, dict[str, Any]] = {}
    for key in sorted({k for _, k in new_api} | {k for _, k in old_api}):
        req_new, req_old = new_api.get(("request", key)), old_api.get(("request", key))
        # An API the newest jar keeps (or keeps as a "none" stub) goes by its newest name.
        named = req_new if req_new is not None else req_old
        assert named is not None
        name = named["name"][: -len("Request")]
        spec: dict[str, Any] = {"api_key": key, "name": name}
        for kind in ("request", "response"):
            n, o = new_api.get((kind, key)), old_api.get((kind, key))
            cn = convert_message(n) if n is not None else None
            co = convert_message(o) if o is not None else None
            merged = merge_message(cn, co, f"{name}{kind.capitalize()}")
            check_merge(merged, cn, co, f"{name}{kind.capitalize()}")
            spec[kind] = merged
        out[name] = spec
    for name in HEADERS:
        cn, co = convert_message(new_jar[name]), convert_message(old_jar[name])
        merged = merge_message(cn, co, name)
        check_merge(merged, cn, co, name)
        out[name] = {"name": name, "header": merged}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--jar", help=f"newest kafka-clients jar or a common/message folder (default: the cached {NEWEST})")
    ap.add_argument("--old-jar", help=f"the jar removed versions come from (default: the cached {OLD})")
    ap.add_argument("--out", default="protocol_specs")
    ap.add_argument("--check", action="store_true", help="exit 1 if the files in --out differ from what would be written")
    args = ap.parse_args(argv)
    specs = build_specs(load_kafka(args.jar or cached_jar(NEWEST)), load_kafka(args.old_jar or cached_jar(OLD)))
    texts = {name + ".json": _dump(spec, 0) + "\n" for name, spec in specs.items()}
    if args.check:
        stale = sorted(n for n, t in texts.items() if not _same(os.path.join(args.out, n), t))
        extra = sorted(set(os.listdir(args.out)) - set(texts)) if os.path.isdir(args.out) else []
        for n in stale + extra:
            print(f"{args.out}/{n} is stale", file=sys.stderr)
        return 1 if stale or extra else 0
    os.makedirs(args.out, exist_ok=True)
    for n in set(os.listdir(args.out)) - set(texts):
        if n.endswith(".json"):
            os.remove(os.path.join(args.out, n))
    for n, text in texts.items():
        with open(os.path.join(args.out, n), "w", encoding="utf-8") as fh:
            fh.write(text)
    return 0


def _same(path: str, text: str) -> bool:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read() == text
    except OSError:
        return False


def _dump(obj: Any, depth: int) -> str:
    """JSON with one line per field, nested fields indented: readable diffs."""
    pad = "  " * (depth + 1)
    if isinstance(obj, dict):
        parts = []
        for k, v in obj.items():
            if isinstance(v, dict) or (k == "fields" and v):
                parts.append(f"{pad}{json.dumps(k)}: {_dump(v, depth + 1)}")
            else:
                parts.append(f"{pad}{json.dumps(k)}: {json.dumps(v)}")
        if depth >= 2 and "fields" not in obj:
            return "{" + ", ".join(p.strip() for p in parts) + "}"
        return "{\n" + ",\n".join(parts) + "\n" + "  " * depth + "}"
    if isinstance(obj, list):
        items = [_dump(x, depth + 1) for x in obj]
        return "[\n" + ",\n".join(pad + i for i in items) + "\n" + "  " * depth + "]"
    return json.dumps(obj)


if __name__ == "__main__":
    sys.exit(main())
