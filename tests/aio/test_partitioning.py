"""AIOKafkaProducer's partitioning against the real broker: null keys stick to one
partition as KafkaProducer's do (KIP-794), a kafka-python 3 partitioner's KIP-480
``on_new_batch`` hook runs as in KafkaProducer, and an aiokafka-style callable is called
with exactly what aiokafka itself passes it. confluent-kafka reads back where each
record landed."""
from __future__ import annotations

import asyncio
from typing import Any

import aiokafka
import pytest

from purekafka import KafkaProducer
from purekafka.aio import AIOKafkaProducer
from purekafka.partitioner import UniformStickyPartitioner
from tests.support.readback import consume

pytestmark = pytest.mark.broker

N = 300
VALUE = 95  # bytes: ~104 encoded, 9 fill a 1024-byte batch with room for timestamp deltas
BATCH = 1024
UNIFORM = "org.apache.kafka.clients.producer.UniformStickyPartitioner"


def _runs(parts: list[int]) -> list[int]:
    """Lengths of the runs of equal partitions, in send order."""
    runs = [1]
    for a, b in zip(parts, parts[1:]):
        if a == b:
            runs[-1] += 1
        else:
            runs.append(1)
    return runs


def _value(i: int) -> bytes:
    return b"%05d" % i + b"x" * (VALUE - 5)


def _aio_partitions(bootstrap: str, topic: str, **conf: Any) -> list[int]:
    async def main() -> list[int]:
        # A long linger: batches close by size alone, so the runs are deterministic.
        async with AIOKafkaProducer(bootstrap_servers=bootstrap, max_batch_size=BATCH,
                                    linger_ms=5000, **conf) as p:
            futures = [await p.send(topic, _value(i)) for i in range(N)]
            await p.flush()
            return [m.partition for m in await asyncio.gather(*futures)]

    return asyncio.run(main())


def _threaded_partitions(bootstrap: str, topic: str, **conf: Any) -> list[int]:
    with KafkaProducer(bootstrap_servers=bootstrap, batch_size=BATCH, linger_ms=5000, **conf) as p:
        futures = [p.send(topic, _value(i)) for i in range(N)]
        p.flush(60)
        return [f.get(0).partition for f in futures]


def _read_back(bootstrap: str, topic: str, parts: list[int]) -> None:
    got = consume(bootstrap, topic, N, timeout=60)
    assert len(got) == N
    assert {int(r.value[:5]): r.partition for r in got if r.value} == dict(enumerate(parts))


def test_null_keys_are_sticky_as_in_kafka_producer(kafka, topic_factory) -> None:
    topic, other = topic_factory(partitions=3), topic_factory(partitions=3)
    parts = _aio_partitions(kafka.bootstrap, topic)
    _read_back(kafka.bootstrap, topic, parts)
    assert len(set(parts)) > 1, parts
    # KIP-794: switch once batch_size bytes went to the partition and its batch is full,
    # at the latest at twice that. 9 records (116 estimated bytes each) pass batch_size
    # but leave their batch short of full by bytes, so the switch comes at 18, twice the
    # bytes; the next partition is drawn among all, the same one included, so a run is
    # 18 records or a multiple.
    est = 21 + VALUE
    stint = -(-2 * BATCH // est)
    assert stint == 18
    for got in (parts, _threaded_partitions(kafka.bootstrap, other)):
        runs = _runs(got)
        assert all(n % stint == 0 for n in runs[:-1]), runs
        assert len(runs) > 1


def test_kafka_python_partitioner_new_batch_hook_runs(kafka, topic_factory) -> None:
    calls: list[tuple[str, int]] = []

    class Recording(UniformStickyPartitioner):
        def on_new_batch(self, topic: str, cluster: Any, prev_partition: int) -> None:
            calls.append((topic, prev_partition))
            super().on_new_batch(topic, cluster, prev_partition)

    topic, other = topic_factory(partitions=3), topic_factory(partitions=3)
    parts = _aio_partitions(kafka.bootstrap, topic, partitioner=Recording())
    _read_back(kafka.bootstrap, topic, parts)
    runs = _runs(parts)
    # KIP-480: a record that would open a batch runs the hook, which moves the sticky
    # partition off the old one: one run per batch, 9 records each.
    assert runs[:-1] == [9] * (len(runs) - 1) and 0 < runs[-1] <= 9, runs
    assert len(calls) == len(runs) and {t for t, _ in calls} == {topic}
    # The same runs as KafkaProducer's, by name too.
    assert _runs(_aio_partitions(kafka.bootstrap, other, partitioner=UNIFORM)) == runs
    assert _runs(_threaded_partitions(kafka.bootstrap, other, partitioner=UNIFORM)) == runs


class _Recorder:
    """An aiokafka partitioner: ``(key_bytes, all_partitions, available_partitions)``."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, key_bytes: bytes | None, all_partitions: list[int], available: list[int]) -> int:
        self.calls.append((key_bytes, all_partitions, available))
        return all_partitions[len(key_bytes or b"") % len(all_partitions)]


def _keyed_sends(producer_cls: Any, bootstrap: str, topic: str, partitioner: Any) -> list[int]:
    async def main() -> list[int]:
        p = producer_cls(bootstrap_servers=bootstrap, partitioner=partitioner,
                         key_serializer=lambda k: None if k is None else k.encode())
        await p.start()
        try:
            keys = ["", "a", None, "bb", "ccc"] * 4
            futures = [await p.send(topic, b"%05d" % i, key=k) for i, k in enumerate(keys)]
            return [m.partition for m in await asyncio.gather(*futures)]
        finally:
            await p.stop()

    return asyncio.run(main())


def test_aiokafka_partitioner_is_called_as_aiokafka_calls_it(kafka, topic_factory) -> None:
    ours, theirs = _Recorder(), _Recorder()
    topic, other = topic_factory(partitions=3), topic_factory(partitions=3)
    parts = _keyed_sends(AIOKafkaProducer, kafka.bootstrap, topic, ours)
    their_parts = _keyed_sends(aiokafka.AIOKafkaProducer, kafka.bootstrap, other, theirs)
    assert parts == their_parts == [0, 1, 0, 2, 0] * 4  # None has no bytes: partition 0
    # One call per record, with the serialized key and lists of partition ids, as aiokafka's.
    assert len(ours.calls) == len(theirs.calls) == 20
    assert [(k, a, sorted(v)) for k, a, v in ours.calls] == \
        [(k, a, sorted(v)) for k, a, v in theirs.calls]
    assert all(type(a) is list and type(v) is list for _, a, v in ours.calls)
    got = consume(kafka.bootstrap, topic, 20, timeout=60)
    assert [r.partition for r in sorted(got, key=lambda r: r.value or b"")] == parts
