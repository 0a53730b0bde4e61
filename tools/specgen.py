"""Dev-time converter: Kafka's message JSON -> purekafka's protocol_specs/ format.

Run with the kafka-clients jar (or an unpacked ``common/message`` folder)::

    python tools/specgen.py --jar /path/kafka-clients-X.jar --out protocol_specs

The spec files it writes are committed facts; this script is only a
convenience for refreshing them, and tests/protocol/test_spec_drift.py checks
them independently against Kafka's definitions.

Our format (one file per API, plus one per header)::

    {"api_key": 0, "name": "Produce",
     "request":  {"valid_versions": [3, 13], "kafka_valid_versions": [3, 13],
                  "flexible_versions": [9, null], "fields": [FIELD, ...]},
     "response": {...}}

A version range is ``[lo, hi]`` with ``hi`` null for "and later", or null
for "none". A FIELD is::

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
import json
import os
import re
import sys
import zipfile
from typing import Any

# (Kafka message base name, our version range or None for Kafka's own)
WANTED: list[tuple[str, tuple[int, int] | None]] = [
    ("ApiVersions", (0, 4)),
    ("Metadata", (0, 13)),
    ("Produce", (3, 13)),
    ("FindCoordinator", (0, 6)),
    # The transaction and SASL APIs keep Kafka's whole range, so the generic
    # codec covers whatever range their hand-written modules choose.
    ("InitProducerId", None),
    ("AddPartitionsToTxn", None),
    ("EndTxn", None),
    ("AddOffsetsToTxn", None),
    ("TxnOffsetCommit", None),
    ("SaslHandshake", None),
    ("SaslAuthenticate", None),
    ("Fetch", None),
    ("ListOffsets", None),
]
HEADERS = {"RequestHeader": (0, 2), "ResponseHeader": (0, 1)}

SCALARS = {"int8", "int16", "int32", "int64", "uint16", "uint32", "float64", "bool", "uuid", "string", "bytes", "records"}


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


def convert_message(d: dict[str, Any], ours: tuple[int, int] | None) -> dict[str, Any]:
    kafka_range = parse_range(d["validVersions"])
    common = {c["name"]: c for c in d.get("commonStructs", [])}
    valid = list(ours) if ours is not None else kafka_range
    return {
        "valid_versions": valid,
        "kafka_valid_versions": kafka_range,
        "flexible_versions": parse_range(d.get("flexibleVersions")),
        "fields": convert_fields(d["fields"], common),
    }


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jar", required=True, help="kafka-clients jar or a common/message folder")
    ap.add_argument("--out", default="protocol_specs")
    args = ap.parse_args(argv)
    kafka = load_kafka(args.jar)
    os.makedirs(args.out, exist_ok=True)
    for name, ours in WANTED:
        req = kafka[name + "Request"]
        resp = kafka[name + "Response"]
        spec = {
            "api_key": req["apiKey"],
            "name": name,
            "request": convert_message(req, ours),
            "response": convert_message(resp, ours),
        }
        _write(os.path.join(args.out, name + ".json"), spec)
    for name, ours in HEADERS.items():
        spec = {"name": name, "header": convert_message(kafka[name], ours)}
        _write(os.path.join(args.out, name + ".json"), spec)
    return 0


def _write(path: str, spec: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(_dump(spec, 0))
        fh.write("\n")


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
