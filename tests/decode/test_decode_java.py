"""Every frame of the real captures, decoded by us and by Kafka's own generated message classes.

tests/java/ProtocolCrossCheck.java (the protocol layer's helper) parses a body with
Kafka's ``*Data`` class and prints its JsonConverter output; our decoded body must
hold the same fields (only those of the frame's version) with the same values.
Records fields are compared elsewhere (against DumpLogSegments).
"""
from __future__ import annotations

import base64
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from purekafka.decode.frames import Conversation, FrameSplitter
from purekafka.decode.pcap import Segment, read_capture
from purekafka.decode.render import to_json_value
from purekafka.decode.tcp import Chunk, Reassembler
from purekafka.protocol import headers

pytestmark = pytest.mark.java
DATA = Path(__file__).parent / "data"


def _frames(path: Path, ports: set[int] | None = None) -> list[tuple[str, int, int, bytes, Any]]:
    """(kind, api key, version, body bytes, our decoded body) for every frame in a capture."""
    reasm = Reassembler(ports or {9092})
    splitters: dict[tuple[int, bool], FrameSplitter] = {}
    convs: dict[int, Conversation] = {}
    out = []
    events = []
    for seg in read_capture(path.read_bytes()):
        assert isinstance(seg, Segment)
        events += reasm.add(seg)
    events += reasm.finish()
    for ev in events:
        assert isinstance(ev, Chunk)
        sp = splitters.setdefault((ev.conn, ev.to_server), FrameSplitter())
        conv = convs.setdefault(ev.conn, Conversation())
        for item in sp.feed(ev.data):
            assert isinstance(item, tuple)
            offset, frame = item
            msg = conv.request(offset, frame) if ev.to_server else conv.response(offset, frame)
            assert msg.error is None and not msg.problems
            assert msg.api_key is not None and msg.api_version is not None
            if ev.to_server:
                _, at = headers.decode_request_header(frame)
            else:
                _, at = headers.decode_response_header(
                    frame, headers.response_header_version(msg.api_key, msg.api_version))
            out.append((msg.kind, msg.api_key, msg.api_version, frame[at:], msg.body))
    return out


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _kafka_form(v: Any) -> Any:
    """Our JSON-ready body in the value conventions of Kafka's JsonConverter."""
    if isinstance(v, dict):
        if set(v) == {"hex", "utf8"}:
            return base64.b64encode(bytes.fromhex(v["hex"])).decode()
        if "batches" in v and "valid_bytes" in v:
            return "<records>"
        return {k: _kafka_form(x) for k, x in v.items()
                if k != "unknown_tags" and not k.endswith("error_code_name")}
    if isinstance(v, list):
        return [_kafka_form(x) for x in v]
    if isinstance(v, str) and re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", v):
        return base64.urlsafe_b64encode(uuid.UUID(v).bytes).decode().rstrip("=")
    return v


def _java_form(v: Any, records: set[str]) -> Any:
    if isinstance(v, dict):
        return {_snake(k): ("<records>" if _snake(k) in records else _java_form(x, records)) for k, x in v.items()}
    if isinstance(v, list):
        return [_java_form(x, records) for x in v]
    return v


@pytest.mark.parametrize("name", ["tcpdump_confluent.pcap", "proxy_confluent.pcap", "proxy_purekafka.pcap"])
def test_bodies_match_kafkas_message_classes(java, name):
    check_against_java(java, _frames(DATA / name))


@pytest.mark.broker
def test_fresh_purekafka_and_confluent_traffic_matches_kafkas_message_classes(java, kafka, topic_factory, tmp_path):
    import confluent_kafka
    from tests.support.readback import consume
    from tests.decode.test_decode_broker import RunningProxy

    from purekafka import KafkaProducer

    topic = topic_factory(partitions=2)
    cap = tmp_path / "both.pcap"
    rp = RunningProxy(kafka.addresses[0], cap)
    try:
        prod = KafkaProducer(bootstrap_servers=rp.bootstrap, compression_type="lz4", enable_idempotence=True)
        try:
            for i in range(6):
                prod.send(topic, key=b"p%d" % i, value=b"purekafka", headers=[("n", b"%d" % i)]).get(timeout=30)
        finally:
            prod.close(10)
        cp = confluent_kafka.Producer({"bootstrap.servers": rp.bootstrap, "compression.type": "zstd"})
        cp.produce(topic, key=b"c", value=b"confluent")
        assert cp.flush(30) == 0
        del cp
        consume(rp.bootstrap, topic, 7, timeout=60)  # Fetch requests and responses, through the proxy
    finally:
        rp.stop()
    frames = _frames(cap, {kafka.addresses[0][1]})
    assert {"Produce", "Fetch", "Metadata", "InitProducerId"} <= {_api_name(k) for _, k, _, _, _ in frames}
    check_against_java(java, frames)


def _api_name(key: int) -> str:
    from purekafka.protocol.apis import api_name

    return api_name(key)


def check_against_java(java, frames: list[tuple[str, int, int, bytes, Any]]) -> None:
    assert len(frames) >= 8
    lines = [f"parse {kind} {key} {version} {body.hex()}" for kind, key, version, body, _ in frames]
    answers = java.run("ProtocolCrossCheck", input=("\n".join(lines) + "\n").encode()).decode().splitlines()
    assert len(answers) == len(frames)
    for (kind, key, version, _, ours), answer in zip(frames, answers):
        assert answer.startswith("OK "), (kind, key, version, answer)
        theirs = json.loads(answer[3:].rsplit(" ", 1)[0])
        mine = _kafka_form(to_json_value(ours))
        assert _drop_tagged_defaults(mine, _java_form(theirs, {"records"})) == _java_form(theirs, {"records"}), \
            (kind, key, version)


def _drop_tagged_defaults(mine: Any, theirs: Any) -> Any:
    """Kafka's JsonConverter leaves out tagged fields that hold their default; so do we, for comparing."""
    if isinstance(mine, dict) and isinstance(theirs, dict):
        return {k: _drop_tagged_defaults(v, theirs.get(k)) for k, v in mine.items()
                if k in theirs or not _default_like(v)}
    if isinstance(mine, list) and isinstance(theirs, list) and len(mine) == len(theirs):
        return [_drop_tagged_defaults(a, b) for a, b in zip(mine, theirs)]
    return mine


def _default_like(v: Any) -> bool:
    if isinstance(v, dict):
        return all(_default_like(x) for x in v.values())
    return v in (None, False, 0, -1, "", [])


# Every API and version, as Kafka's own classes build them ------------------------------

def _bridge(java, version: str | None = None) -> list[list[str]]:
    """tests/java/DecodeAllApis.java's lines, split: on the newest jar, or on another release's."""
    if version is None:
        text = java.run("DecodeAllApis").decode()
    else:
        import subprocess

        from tools import kafka_local

        cp = f"{java.build_dir}:{kafka_local.classpath(version)}"
        text = subprocess.run(["java", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Xmx512m", "-cp", cp,
                               "DecodeAllApis"], capture_output=True, check=True, timeout=120).stdout.decode()
    return [line.split(" ", 6) for line in text.splitlines()]


def _theirs(v: Any) -> Any:
    """Java's JSON with our field names; a records field that is set becomes "<records>"."""
    if isinstance(v, dict):
        from tools.specgen import snake  # our names are the generator's choice (Enable2Pc -> enable_2pc)

        out = {}
        for k, x in v.items():
            name = snake(k[0].upper() + k[1:])
            out[name] = "<records>" if name in ("records", "unaligned_records") and x is not None else _theirs(x)
        return out
    if isinstance(v, list):
        return [_theirs(x) for x in v]
    return v


def _check_bridge_line(kind: str, key: int, version: int, hv: int, hex_body: str, json_text: str) -> None:
    from purekafka.protocol import headers as hdrs

    body = b"" if hex_body == "-" else bytes.fromhex(hex_body)
    conv = Conversation(fixed_api=(key, version))
    if kind == "request":
        assert hdrs.request_header_version(key, version) == hv
        frame = hdrs.encode_request_frame(key, version, 7, "bridge", body)
        msg = conv.request(0, frame[4:])
    else:
        assert hdrs.response_header_version(key, version) == hv
        frame = hdrs.encode_response_header(7, hv) + body
        msg = conv.response(0, frame)
    where = (kind, key, version)
    assert msg.error is None and not msg.problems, (where, msg.error, msg.problems)
    assert msg.header["header_version"] == hv
    theirs = _theirs(json.loads(json_text))
    mine = _kafka_form(to_json_value(msg.body))
    assert _drop_tagged_defaults(mine, theirs) == theirs, where


def _spec_versions(part: str, which: str) -> set[tuple[str, int, int]]:
    from purekafka.protocol import specs

    out = set()
    for spec in specs.all_specs().values():
        if "api_key" in spec:
            for kind in ("request", "response"):
                rng = spec[kind][part]
                if rng is not None:
                    out |= {(kind, spec["api_key"], v) for v in range(rng[0], rng[1] + 1)}
    return out


def test_every_api_and_version_kafkas_classes_build_decodes_to_their_values(java):
    """Default and filled messages of every API, kind and version of the newest jar."""
    lines = _bridge(java)
    seen = set()
    for kind, key, version, variant, hv, hex_body, rest in lines:
        assert not hex_body.startswith("ERR"), (kind, key, version, variant, rest)
        _check_bridge_line(kind, int(key), int(version), int(hv), hex_body, rest)
        seen.add((kind, int(key), int(version)))
    assert seen == _spec_versions("kafka_valid_versions", "newest")
    assert len(lines) > 1000


def test_versions_kafka_4_removed_decode_as_kafka_3_9_built_them(java):
    """The versions only Kafka 3.9 defines, built by 3.9's classes (the same Java program on its jar)."""
    want = _spec_versions("removed_versions", "3.9")
    seen = set()
    for kind, key, version, variant, hv, hex_body, rest in _bridge(java, "3.9.1"):
        case = (kind, int(key), int(version))
        if case not in want:
            continue
        assert not hex_body.startswith("ERR"), (case, variant, rest)
        _check_bridge_line(kind, int(key), int(version), int(hv), hex_body, rest)
        seen.add(case)
    assert seen == want
