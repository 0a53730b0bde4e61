"""Real client sessions captured with tcpdump on loopback: every frame decodes, tshark agrees,
and the decoded values are what the clients did.

librdkafka (confluent-kafka) as admin, idempotent producer, transactional producer and
consumer group; kafka-python as a consumer group. Connections other tests left open join a
capture mid-stream and are left out (what was sent before the capture began is not in it).
"""
from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import confluent_kafka
import pytest
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from tests.support.loopback_capture import LoopbackCapture, clean, decode, decode_frames, tshark_matches, undecoded

pytestmark = pytest.mark.broker


def _by_api(frames: list[dict[str, Any]], name: str, kind: str = "request") -> list[dict[str, Any]]:
    return [f for f in frames if f["api_name"] == name and f["type"] == kind]


def _topic_of(frame: dict[str, Any], t: dict[str, Any]) -> str | None:
    """A topic entry's name, or the name its topic id stands for in this capture."""
    return t.get("name") or t.get("topic") or frame["topic_names"].get(str(t.get("topic_id")))


def _committed(frames: list[dict[str, Any]], group: str, topic: str) -> dict[int, int]:
    """Offsets the OffsetCommit requests of ``group`` committed for ``topic``, the last per partition."""
    out: dict[int, int] = {}
    for f in _by_api(frames, "OffsetCommit"):
        if f["body"]["group_id"] != group:
            continue
        for t in f["body"]["topics"]:
            if _topic_of(f, t) == topic:
                out.update({p["partition_index"]: p["committed_offset"] for p in t["partitions"]})
    return out


def _produce(bootstrap: str, topic: str, n: int, extra: dict[str, Any] | None = None) -> None:
    p = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, **(extra or {})})
    for i in range(n):
        p.produce(topic, key=b"k%d" % i, value=b"v%d" % i, partition=i % 2)
    assert p.flush(30) == 0


def _check_all_decoded(cap: Path, port: int) -> list[dict[str, Any]]:
    frames = clean(decode_frames(cap, [port]))
    assert undecoded(frames) == []
    assert len(frames) >= 20
    tshark_matches(cap, [port], frames)
    return frames


def test_librdkafka_admin_producers_and_consumer_group(kafka, tmp_path):
    host, port = kafka.addresses[0]
    bootstrap = f"{host}:{port}"
    topic, group, txn_id = (f"cap-{uuid.uuid4().hex[:8]}", f"cap-group-{uuid.uuid4().hex[:6]}",
                            f"cap-txn-{uuid.uuid4().hex[:6]}")
    cap = tmp_path / "librdkafka.pcap"
    with LoopbackCapture(cap, [port]):
        admin = AdminClient({"bootstrap.servers": bootstrap})
        admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])[topic].result(30)
        kafka.wait_for_leaders(topic)
        res = ConfigResource(ConfigResource.Type.TOPIC, topic)
        configs = admin.describe_configs([res])[res].result(30)
        assert "cleanup.policy" in configs
        _produce(bootstrap, topic, 4, {"enable.idempotence": True})
        tp = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id})
        tp.init_transactions(30)
        tp.begin_transaction()
        for i in range(2):
            tp.produce(topic, key=b"t%d" % i, value=b"txn %d" % i, partition=i)
        tp.commit_transaction(30)
        del tp
        consumer = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        consumer.subscribe([topic])
        got: list[Any] = []
        deadline = time.monotonic() + 40
        while len(got) < 6 and time.monotonic() < deadline:
            m = consumer.poll(0.5)
            if m is not None and m.error() is None:
                got.append(m)
        assert len(got) == 6
        consumer.commit(asynchronous=False)
        positions = {p.partition: p.offset for p in consumer.position(
            [confluent_kafka.TopicPartition(topic, 0), confluent_kafka.TopicPartition(topic, 1)])}
        consumer.close()
    frames = _check_all_decoded(cap, port)
    names = {f["api_name"] for f in frames}
    assert {"CreateTopics", "DescribeConfigs", "InitProducerId", "Produce", "AddPartitionsToTxn", "EndTxn",
            "FindCoordinator", "JoinGroup", "SyncGroup", "OffsetFetch", "OffsetCommit", "Fetch"} <= names, names
    (create,) = _by_api(frames, "CreateTopics")
    assert [(t["name"], t["num_partitions"]) for t in create["body"]["topics"]] == [(topic, 2)]
    (created,) = _by_api(frames, "CreateTopics", "response")
    assert [(t["name"], t["error_code"]) for t in created["body"]["topics"]] == [(topic, 0)]
    described = [r["resource_name"] for f in _by_api(frames, "DescribeConfigs") for r in f["body"]["resources"]]
    assert described == [topic]
    inits = _by_api(frames, "InitProducerId")
    assert {str(f["body"]["transactional_id"]) for f in inits} == {"None", txn_id}
    (end,) = _by_api(frames, "EndTxn")
    assert end["body"]["transactional_id"] == txn_id and end["body"]["committed"] is True
    assert {f["body"]["group_id"] for f in _by_api(frames, "JoinGroup")} == {group}
    assert {f["body"]["group_id"] for f in _by_api(frames, "LeaveGroup")} <= {group}  # sent on close, if in time
    # The offsets committed are the consumer's positions: past the records and the commit marker.
    assert _committed(frames, group, topic) == positions


def test_kafka_python_consumer_group(kafka, tmp_path):
    kafka_python = pytest.importorskip("kafka")
    host, port = kafka.addresses[0]
    bootstrap = f"{host}:{port}"
    topic = kafka.create_topic(f"cap-kp-{uuid.uuid4().hex[:8]}", partitions=2)
    group = f"cap-kp-group-{uuid.uuid4().hex[:6]}"
    _produce(bootstrap, topic, 6)
    cap = tmp_path / "kafka_python.pcap"
    with LoopbackCapture(cap, [port]):
        consumer = kafka_python.KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group,
                                              auto_offset_reset="earliest", enable_auto_commit=False,
                                              client_id="capture-kp")
        got = []
        deadline = time.monotonic() + 40
        while len(got) < 6 and time.monotonic() < deadline:
            for recs in consumer.poll(timeout_ms=500).values():
                got += recs
        assert len(got) == 6
        consumer.commit()
        consumer.close()
    frames = _check_all_decoded(cap, port)
    assert {"JoinGroup", "SyncGroup", "OffsetFetch", "OffsetCommit", "Fetch", "LeaveGroup"} <= \
        {f["api_name"] for f in frames}
    assert {f["header"]["client_id"] for f in frames if f["type"] == "request"} == {"capture-kp"}
    join = _by_api(frames, "JoinGroup")
    assert {f["body"]["group_id"] for f in join} == {group}
    assert _committed(frames, group, topic) == {0: 3, 1: 3}
    # The views: the group's frames by client id, and stats that count every JoinGroup.
    rc, out, _ = decode(["--port", str(port), "--summary", "--filter", "client=capture-kp",
                         "--filter", "api=JoinGroup,SyncGroup", str(cap)])
    lines = out.splitlines()
    assert lines and all(("JoinGroup" in x or "SyncGroup" in x) and "corr=" in x for x in lines)
    assert sum(" < " in x and "latency=" in x for x in lines) == sum(" > " in x for x in lines)


def _java_tool(main_class: str, *args: str, timeout: float = 120) -> str:
    """Run one of Kafka's own command-line tools from the jars; its stdout."""
    from tests.support.kafka import kafka_local

    cp = kafka_local.classpath(kafka_local.DEFAULT_VERSION)
    proc = subprocess.run(["java", "-Xmx160m", "-XX:TieredStopAtLevel=1", "-cp", cp, main_class, *args],
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (main_class, proc.stdout[-2000:], proc.stderr[-2000:])
    return proc.stdout


@pytest.mark.java
def test_kafka_console_consumer_and_admin_tools(kafka, tmp_path):
    if shutil.which("java") is None:
        pytest.skip("java is not installed (make setup installs a JDK)")
    host, port = kafka.addresses[0]
    bootstrap = f"{host}:{port}"
    topic, group = f"cap-java-{uuid.uuid4().hex[:8]}", f"cap-java-group-{uuid.uuid4().hex[:6]}"
    cap = tmp_path / "java_tools.pcap"
    with LoopbackCapture(cap, [port]):
        _java_tool("org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bootstrap, "--create",
                   "--topic", topic, "--partitions", "2", "--replication-factor", "1")
        kafka.wait_for_leaders(topic)
        described = _java_tool("org.apache.kafka.tools.ConfigCommand", "--bootstrap-server", bootstrap,
                               "--describe", "--entity-type", "topics", "--entity-name", topic, "--all")
        assert "cleanup.policy=delete" in described
        _produce(bootstrap, topic, 4)
        out = _java_tool("org.apache.kafka.tools.consumer.ConsoleConsumer", "--bootstrap-server", bootstrap,
                         "--topic", topic, "--group", group, "--from-beginning", "--max-messages", "4",
                         "--timeout-ms", "60000")
        assert sorted(out.split()) == ["v0", "v1", "v2", "v3"]
    frames = _check_all_decoded(cap, port)
    (create,) = _by_api(frames, "CreateTopics")
    assert [(t["name"], t["num_partitions"], t["replication_factor"]) for t in create["body"]["topics"]] == \
        [(topic, 2, 1)]
    assert [r["resource_name"] for f in _by_api(frames, "DescribeConfigs") for r in f["body"]["resources"]] == [topic]
    joined = {f["body"]["group_id"] for name in ("JoinGroup", "ConsumerGroupHeartbeat") for f in _by_api(frames, name)}
    assert joined == {group}
    # The console consumer commits on close what it consumed: two records per partition.
    assert _committed(frames, group, topic) == {0: 2, 1: 2}
