"""examples/async_*.py: aiokafka-style code, run as written (purekafka.aio) and with only
the import changed back to aiokafka; confluent-kafka reads back what each left, and the
two runs must have written the same records."""
from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.support.example_support import EXAMPLES, ROOT, create_example_topics, run_example
from tests.support.readback import consume_all, end_offsets

pytestmark = pytest.mark.broker

IMPORT = "from purekafka.aio import AIOKafkaProducer"


def run_with_aiokafka(kafka, name: str, tmp_path: Path) -> str:
    """The example with ``from aiokafka import AIOKafkaProducer``: its topic prefix."""
    source = (EXAMPLES / f"{name}.py").read_text()
    assert source.count(IMPORT) == 1, "an async example imports the producer once, from purekafka.aio"
    script = tmp_path / f"{name}_aiokafka.py"
    script.write_text(source.replace(IMPORT, "from aiokafka import AIOKafkaProducer"))
    prefix = f"ex-{uuid.uuid4().hex[:10]}-"
    create_example_topics(kafka, name, prefix)
    proc = subprocess.run([sys.executable, str(script), kafka.bootstrap, prefix],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return prefix


def records(kafka, topic: str) -> list[tuple]:
    return sorted((r.partition, r.key, r.value, tuple(r.headers or ())) for r in consume_all(kafka.bootstrap, topic))


def test_simple_send(kafka, tmp_path) -> None:
    run = run_example(kafka, "async_simple_send")
    assert "100 messages acknowledged, partitions [0, 1, 2]" in run.stdout
    ours = records(kafka, run.topic("my_topic"))
    assert sorted(v for _, _, v, _ in ours) == sorted(b"Super message %d" % i for i in range(100))
    theirs = records(kafka, run_with_aiokafka(kafka, "async_simple_send", tmp_path) + "my_topic")
    # Same keys, so the same partitions (murmur2): the same records where aiokafka put them.
    assert ours == theirs


def test_send_and_wait(kafka, tmp_path) -> None:
    run = run_example(kafka, "async_send_and_wait")
    assert [line for line in run.stdout.splitlines() if line.startswith("sent")] == [
        f"sent to partition 0 at offset {i}" for i in range(3)]
    ours = records(kafka, run.topic("user-events"))
    assert ours == [(0, b"user1", b'{"userId": "user1", "action": "login", "n": %d}' % i,
                     (("content-type", b"application/json"),)) for i in range(3)]
    theirs = records(kafka, run_with_aiokafka(kafka, "async_send_and_wait", tmp_path) + "user-events")
    assert ours == theirs


def test_batch(kafka, tmp_path) -> None:
    run = run_example(kafka, "async_batch")
    assert "500 messages in" in run.stdout
    for prefix in (run.prefix, run_with_aiokafka(kafka, "async_batch", tmp_path)):
        got = consume_all(kafka.bootstrap, prefix + "batches")
        assert sorted(r.value for r in got) == [b"msg %04d" % i for i in range(500)]
        # Each batch went to one partition whole: values are in order within each partition.
        for p in (0, 1):
            values = [r.value for r in got if r.partition == p]
            assert values == sorted(values)


def test_transactional_consume_transform_produce(kafka, tmp_path) -> None:
    from confluent_kafka import Consumer, TopicPartition

    for prefix in (run_example(kafka, "async_transactional", timeout=180).prefix,
                   run_with_aiokafka(kafka, "async_transactional", tmp_path)):
        out = consume_all(kafka.bootstrap, prefix + "out", isolation_level="read_committed")
        assert sorted(r.value for r in out) == sorted(b"squared %d" % (i * i) for i in range(200))
        # The group's offsets committed with the transactions: all of the input.
        c = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": prefix + "group"})
        try:
            committed = c.committed([TopicPartition(prefix + "in", p) for p in (0, 1)], timeout=15)
        finally:
            c.close()
        assert {tp.partition: tp.offset for tp in committed} == end_offsets(kafka.bootstrap, prefix + "in")
