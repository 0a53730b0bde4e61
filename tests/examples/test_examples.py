"""Every example in examples/ runs against the real broker; what it wrote is read back by
confluent-kafka and, for batch attributes, from the broker's own log segment."""
from __future__ import annotations

import json
import re
from datetime import datetime

import pytest

from tests.support.example_support import json_values, librdkafka_partitions, run_example, segment_batches
from purekafka.record import CompressionType
from tests.support.readback import consume, consume_all

pytestmark = pytest.mark.broker


@pytest.fixture(scope="module")
def ran(kafka):
    """Runs each example at most once per module, for the tests that look at its output."""
    cache: dict[str, object] = {}

    def get(name: str):
        if name not in cache:
            cache[name] = run_example(kafka, name)
        return cache[name]

    return get


def need_log_dir(kafka) -> None:
    if kafka.dir is None:
        pytest.skip("the broker's data directory is not ours to read (PUREKAFKA_BOOTSTRAP)")


def by_key(records) -> dict[bytes, list]:
    out: dict[bytes, list] = {}
    for r in records:
        out.setdefault(r.key, []).append(r)
    return out


def test_fire_and_forget(kafka):
    run = run_example(kafka, "fire_and_forget")
    records = consume_all(kafka.bootstrap, run.topic("user-events"))
    assert [(r.key, r.value) for r in records] == [
        (b"user1", f"User logged in ({i})".encode()) for i in range(5)]


def test_synchronous_send(kafka):
    run = run_example(kafka, "synchronous_send")
    [record] = consume_all(kafka.bootstrap, run.topic("user-events"))
    assert record.key == b"user1"
    event = json.loads(record.value)
    assert (event["userId"], event["action"]) == ("user1", "login")
    assert record.timestamp == int(datetime.fromisoformat(event["timestamp"]).timestamp() * 1000)
    assert record.timestamp_type == 1  # CreateTime, as sent
    assert record.headers == [("content-type", b"application/json"), ("source", b"synchronous_send")]
    assert f"partition {record.partition} with offset {record.offset} (timestamp {record.timestamp})" in run.stdout


def test_async_callbacks(kafka):
    run = run_example(kafka, "async_callbacks")
    records = consume_all(kafka.bootstrap, run.topic("user-events"))
    keys = [b"user1", b"user2", b"user3", b"user4"]
    assert sorted(r.key for r in records) == keys
    expected = librdkafka_partitions(kafka, keys, 3)
    for r in records:
        assert r.partition == expected[r.key]
        if r.key == b"user4":
            assert f"Message sent successfully: partition={r.partition}, offset={r.offset}" in run.stdout
        else:
            assert r.value == b"Event " + r.key[-1:]
            assert f"sent: {r.key.decode()} -> partition {r.partition}, offset {r.offset}" in run.stdout
    assert "4 messages acknowledged" in run.stdout


def test_batch_production(kafka):
    run = run_example(kafka, "batch_production")
    topic = run.topic("events")
    records = consume(kafka.bootstrap, topic, 1000)
    assert len(consume_all(kafka.bootstrap, topic, settle=1.0)) == 1000
    assert run.stdout.splitlines() == [f"Sent batch {n}" for n in range(1, 11)]
    expected = librdkafka_partitions(kafka, [f"key-{i}".encode() for i in range(1000)], 3)
    ids_per_partition: dict[int, list[int]] = {}
    for r in records:
        value = json.loads(r.value)
        assert r.key == f"key-{value['id']}".encode()
        assert value["data"] == f"Message {value['id']}"
        assert r.partition == expected[r.key]
        ids_per_partition.setdefault(r.partition, []).append(value["id"])
    assert sorted(i for ids in ids_per_partition.values() for i in ids) == list(range(1000))
    for ids in ids_per_partition.values():  # send order is kept within each partition
        assert ids == sorted(ids)


def test_key_partitioning(kafka, ran):
    run = ran("key_partitioning")
    records = consume_all(kafka.bootstrap, run.topic("user-events"))
    keyed = by_key(records)
    assert [r.value for r in keyed[b"user123"]] == [b"login", b"view_page", b"logout"]
    assert len({r.partition for r in keyed[b"user123"]}) == 1
    expected = librdkafka_partitions(kafka, list(keyed), 3)
    assert sorted(keyed) == [b"user123", b"user42", b"user7"]
    for r in records:
        assert r.partition == expected[r.key]
        assert re.search(rf"{r.key.decode()}\s+{r.value.decode()}\s+-> partition {r.partition} offset {r.offset} ",
                         run.stdout)


@pytest.mark.java
def test_key_partitioning_matches_java(kafka, ran, java):
    """Every keyed record sits where Kafka's Utils.toPositive(Utils.murmur2(key)) % 3 says."""
    records = consume_all(kafka.bootstrap, ran("key_partitioning").topic("user-events"), settle=1.0)
    keys = sorted({r.key for r in records})
    out = java.run("ExamplesCrossCheck", input=b"".join(b"3 " + k + b"\n" for k in keys)).decode().split("\n")
    expected = {k: int(line.split()[0]) for k, line in zip(keys, out)}
    assert {r.key: r.partition for r in records} == expected


def test_round_robin(kafka):
    run = run_example(kafka, "round_robin")
    sticky = consume_all(kafka.bootstrap, run.topic("logs"))
    assert [r.value for r in sticky] == [f"Log entry {i}".encode() for i in (1, 2, 3)]
    # Far below batch_size bytes: the sticky partitioner must not have moved on.
    assert len({r.partition for r in sticky}) == 1
    assert f"default (sticky): {[sticky[0].partition] * 3}" in run.stdout

    rotated = consume_all(kafka.bootstrap, run.topic("logs-rr"))
    where = {int(r.value.split()[-1]): r.partition for r in rotated}
    assert sorted(where) == list(range(1, 10))
    # Record by record over the three partitions: 1-3 distinct, 4-6 repeat them; the
    # partitioner.class producer (entries 7-9) starts a rotation of its own.
    assert sorted(where[i] for i in (1, 2, 3)) == [0, 1, 2]
    assert [where[i] for i in (4, 5, 6)] == [where[i] for i in (1, 2, 3)]
    assert sorted(where[i] for i in (7, 8, 9)) == [0, 1, 2]
    assert f"round robin:      {[where[i] for i in range(1, 7)]}" in run.stdout


def test_custom_partitioner(kafka, ran):
    run = ran("custom_partitioner")
    tasks = consume_all(kafka.bootstrap, run.topic("tasks"))
    assert len(tasks) == 5
    for r in tasks:
        priority = json.loads(r.value)["priority"]
        assert r.partition == {"high": 0, "medium": 1}.get(priority, 2), (priority, r.partition)
    users = consume_all(kafka.bootstrap, run.topic("users"))
    assert sorted(r.key for r in users) == [b"bob", b"dave", b"erin", b"vip-alice", b"vip-carol"]
    for r in users:
        assert r.value == r.key + b" signed in"
        if r.key.startswith(b"vip-"):
            assert r.partition == 0
        assert f"user {r.key.decode():<10} -> partition {r.partition}" in run.stdout


@pytest.mark.java
def test_custom_partitioner_matches_java_math(kafka, ran, java):
    """The non-VIP keys land where Java's Math.abs(Utils.murmur2(key)) % 3 says."""
    run = ran("custom_partitioner")
    users = consume_all(kafka.bootstrap, run.topic("users"))
    keys = [r.key for r in users if not r.key.startswith(b"vip-")]
    out = java.run("ExamplesCrossCheck", input=b"".join(b"3 " + k + b"\n" for k in keys)).decode().split("\n")
    expected = {k: int(line.split()[1]) for k, line in zip(keys, out)}
    assert {r.key: r.partition for r in users if r.key in expected} == expected


def test_explicit_partition(kafka):
    run = run_example(kafka, "explicit_partition")
    records = consume_all(kafka.bootstrap, run.topic("events"))
    assert [(r.partition, r.value) for r in records] == [
        (0, b"Message for partition 0"), (0, b"Message for partition 0"),
        (1, b"Message for partition 1"), (2, b"Message for partition 2")]
    assert all(r.key == b"same-key" for r in records)


def test_retries_backoff(kafka):
    run = run_example(kafka, "retries_backoff")
    records = consume_all(kafka.bootstrap, run.topic("events"))
    assert [r.value for r in records] == [b"an ordinary record", b"another ordinary record"]
    missing = run.topic("no-such-topic")
    assert not kafka.metadata([missing]).leaders.get(missing), "allow_auto_create_topics=False was not honoured"
    failed = re.search(rf"{re.escape(missing)}: failed after ([0-9.]+)s with retriable KafkaTimeoutError", run.stdout)
    assert failed, run.stdout
    assert 1.4 <= float(failed.group(1)) < 10  # max_block_ms=1500
    assert re.search(r"events: failed after 0\.\ds with non-retriable MessageSizeTooLargeError", run.stdout)


def test_compression(kafka, ran):
    run = ran("compression")
    expected = [{"id": i, "event": "page_view", "page": f"/products/{i % 17}", "user": f"user{i % 23}"}
                for i in range(200)]
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
        topic = run.topic(f"compressed-{codec}")
        assert json_values(consume_all(kafka.bootstrap, topic, settle=1.0)) == expected, codec


def test_compression_codec_on_disk(kafka, ran):
    """The batches in the broker's log carry the codec each producer was configured with."""
    need_log_dir(kafka)
    run = ran("compression")
    on_disk = {}
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
        topic = run.topic(f"compressed-{codec}")
        consume(kafka.bootstrap, topic, 200)  # written and readable before looking at disk
        batches = segment_batches(kafka, topic)
        assert sum(b.record_count for b in batches) == 200
        want = CompressionType[codec.upper()]
        assert {b.compression_type for b in batches} == {want}, codec
        on_disk[codec] = sum(b.size for b in batches)
    # Repetitive JSON: every codec must actually shrink it.
    for codec in ["gzip", "snappy", "lz4", "zstd"]:
        assert on_disk[codec] < on_disk["none"] * 0.8, on_disk


def test_dead_letter_queue(kafka):
    run = run_example(kafka, "dead_letter_queue")
    orders = consume_all(kafka.bootstrap, run.topic("orders"))
    assert [r.key for r in orders] == [b"order-1", b"order-3"]
    [dead] = consume_all(kafka.bootstrap, run.topic("orders.dlq"), settle=1.0)
    wrapped = json.loads(dead.value)
    assert wrapped["originalTopic"] == run.topic("orders")
    assert wrapped["originalMessage"]["key"] == "order-2"
    assert wrapped["originalMessage"]["value"]["note"] == "x" * 2000
    assert wrapped["error"].startswith("MessageSizeTooLargeError")


def test_idempotent(kafka, ran):
    run = ran("idempotent")
    topic = run.topic("payments")
    records = consume(kafka.bootstrap, topic, 300)
    assert len(consume_all(kafka.bootstrap, topic, settle=1.0)) == 300
    assert sorted(int(r.value.split()[1]) for r in records) == list(range(300))
    expected = librdkafka_partitions(kafka, [f"account-{i}".encode() for i in range(7)], 3)
    for r in records:
        assert r.partition == expected[r.key]
    for values in by_key(records).values():
        numbers = [int(r.value.split()[1]) for r in values]
        assert numbers == sorted(numbers)


def test_idempotent_batches_on_disk(kafka, ran):
    need_log_dir(kafka)
    topic = ran("idempotent").topic("payments")
    consume(kafka.bootstrap, topic, 300)
    for partition in range(3):
        batches = segment_batches(kafka, topic, partition)
        # One producer id, sequences gap-free from 0: what idempotence writes.
        assert len({(b.producer_id, b.producer_epoch) for b in batches}) <= 1
        sequence = 0
        for b in batches:
            assert b.producer_id >= 0 and b.base_sequence == sequence
            sequence += b.record_count


def test_java_style_config(kafka, ran):
    run = ran("java_style_config")
    [record] = consume_all(kafka.bootstrap, run.topic("user-events"))
    assert (record.key, record.value) == (b"user1", b"User logged in")
    assert f"partition {record.partition} with offset {record.offset}" in run.stdout


def test_java_style_config_on_disk(kafka, ran):
    need_log_dir(kafka)
    run = ran("java_style_config")
    consume(kafka.bootstrap, run.topic("user-events"), 1)
    [batch] = segment_batches(kafka, run.topic("user-events"))
    assert batch.compression_type == CompressionType.SNAPPY  # 'compression.type': 'snappy'
    assert batch.producer_id >= 0 and batch.base_sequence == 0  # 'enable.idempotence': true


def test_producer_service(kafka, ran):
    run = ran("producer_service")
    [login] = consume_all(kafka.bootstrap, run.topic("user-events"))
    assert login.key == b"user123"
    assert json.loads(login.value) == {"action": "login", "timestamp": "2025-11-05T10:30:00Z"}
    events = consume_all(kafka.bootstrap, run.topic("events"), settle=1.0)
    assert sorted((r.key, json.loads(r.value)["id"]) for r in events) == sorted(
        (f"key-{i}".encode(), i) for i in range(10))
    for r in events:
        assert json.loads(r.value) == {"id": int(r.key[4:]), "data": f"Message {int(r.key[4:])}"}
    assert f"Message sent: {run.topic('user-events')} [{login.partition}] @ {login.offset}" in run.stderr
    assert run.stderr.count("✓ Message sent") == 11
    assert "✓ Producer closed" in run.stderr


def test_producer_service_on_disk(kafka, ran):
    need_log_dir(kafka)
    run = ran("producer_service")
    consume(kafka.bootstrap, run.topic("events"), 10)
    batches = [b for p in range(3) for b in segment_batches(kafka, run.topic("events"), p)]
    assert sum(b.record_count for b in batches) == 10
    assert {b.compression_type for b in batches} == {CompressionType.SNAPPY}  # compression_type='snappy'


def test_delivery_guarantees(kafka, ran):
    run = ran("delivery_guarantees")
    assert [r.value for r in consume_all(kafka.bootstrap, run.topic("metrics"))] == [b"cpu=0.42"]
    assert [r.value for r in consume_all(kafka.bootstrap, run.topic("orders"), settle=1.0)] == [b"order created"]
    assert [r.value for r in consume_all(kafka.bootstrap, run.topic("payments"), settle=1.0)] == [
        b"payment processed"]
    assert "exactly-once: transaction committed" in run.stdout


def test_delivery_guarantees_on_disk(kafka, ran):
    """What each configuration puts on the wire: no producer id without idempotence (acks=0
    turns Java's default idempotence off; the second block turns it off explicitly), a
    transactional batch and a COMMIT marker for exactly-once."""
    need_log_dir(kafka)
    run = ran("delivery_guarantees")
    consume(kafka.bootstrap, run.topic("payments"), 1)
    for topic in ("metrics", "orders"):
        [batch] = segment_batches(kafka, run.topic(topic))
        assert (batch.producer_id, batch.base_sequence, batch.is_transactional) == (-1, -1, False), topic
    data, marker = segment_batches(kafka, run.topic("payments"))
    assert data.is_transactional and data.producer_id >= 0 and data.base_sequence == 0
    assert marker.is_control and marker.records[0].control.type == "COMMIT"
