"""Transactions through KafkaProducer against real Apache Kafka, on both transaction
protocols: the default 4.4 cluster (transaction.version 2, KIP-890) and a second
single-node cluster formatted with transaction.version=1.

What purekafka wrote is read back by confluent-kafka (read_committed and
read_uncommitted), the control markers are read from the broker's own log segments,
and consumer-group offsets are checked with confluent-kafka's ``committed()``.
"""
from __future__ import annotations

import contextlib
import re
import subprocess
import time
import uuid
from collections import namedtuple
from pathlib import Path
from typing import Iterator

import pytest
from confluent_kafka import Consumer, TopicPartition as CkTopicPartition

from tests.support.kafka import LocalKafka, start_cluster
from purekafka import KafkaProducer
from purekafka import errors as Errors
from purekafka.record import read_batches
from tests.support.readback import consume

pytestmark = [pytest.mark.broker, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def tv1_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    cluster = start_cluster(tmp_path_factory.mktemp("kafka-tv1") / "cluster", nodes=1,
                            extra=["--feature", "transaction.version=1"])
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=[2, 1], ids=["tv2", "tv1"])
def cluster(request: pytest.FixtureRequest) -> tuple[LocalKafka, int]:
    """(cluster, transaction.version it was formatted with)."""
    if request.param == 2:
        return request.getfixturevalue("kafka"), 2
    return request.getfixturevalue("tv1_kafka"), 1


def _topic(kafka: LocalKafka, partitions: int = 1, prefix: str = "tx") -> str:
    return kafka.create_topic(f"{prefix}-{uuid.uuid4().hex[:10]}", partitions)


def _producer(kafka: LocalKafka, **kw) -> KafkaProducer:
    return KafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=f"tid-{uuid.uuid4().hex}",
                         linger_ms=5, **kw)


def _assert_protocol(p: KafkaProducer, version: int) -> None:
    # What the producer negotiated must follow what the cluster was formatted with.
    assert p._network.finalized_features.get("transaction.version", 0) == version
    assert p._txn.transaction_v2 == (version >= 2), (
        f"cluster has transaction.version={version} but the producer chose "
        f"{'v2' if p._txn.transaction_v2 else 'v1'}")


def _markers(kafka: LocalKafka, topic: str, partition: int) -> list[tuple[str, int, int]]:
    """(type, producer_id, producer_epoch) of each control marker in the partition's log."""
    assert kafka.dir is not None
    logs = sorted(Path(kafka.dir).glob(f"node-*/data/{topic}-{partition}/*.log"))
    assert logs, f"no log segment for {topic}-{partition}"
    out = []
    for log in logs:
        for batch in read_batches(log.read_bytes(), verify_crc=True):
            if batch.is_control:
                assert batch.is_transactional and len(batch.records) == 1, batch
                out.append((batch.records[0].control.type, batch.producer_id, batch.producer_epoch))
    return out


def test_txn_commit_and_abort_across_topics_and_partitions(cluster) -> None:
    kafka, version = cluster
    topics = [_topic(kafka, 3, "txa"), _topic(kafka, 3, "txb")]
    tps = [(t, p) for t in topics for p in range(3)]
    plan = [("commit", "c1"), ("abort", "a1"), ("commit", "c2"), ("abort", "a2")]
    with _producer(kafka) as p:
        p.init_transactions()
        _assert_protocol(p, version)
        for outcome, tag in plan:
            p.begin_transaction()
            futures = [p.send(t, key=f"{tag}-{i}".encode(), value=f"{tag}-{t}-{part}-{i}".encode(), partition=part)
                       for t, part in tps for i in range(5)]
            if outcome == "commit":
                p.commit_transaction()
            else:
                p.flush()  # in the log before the abort: read_uncommitted must see them
                p.abort_transaction()
            assert all(f.succeeded() for f in futures), [f.exception for f in futures if f.failed()][:3]
    for t in topics:
        mine_c = {f"c{n}-{t}-{part}-{i}".encode() for n in (1, 2) for part in range(3) for i in range(5)}
        mine_a = {f"a{n}-{t}-{part}-{i}".encode() for n in (1, 2) for part in range(3) for i in range(5)}
        rc = consume(kafka.bootstrap, t, len(mine_c), timeout=20)
        values = [r.value for r in rc]
        assert len(values) == len(set(values)) == len(mine_c), f"duplicates or extras in {t}: {len(values)}"
        assert set(values) == mine_c, f"read_committed {t}: foreign {sorted(set(values) - mine_c)[:5]}"
        # Within each partition, the committed records come in send order.
        for part in range(3):
            got = [r.value for r in rc if r.partition == part]
            want = [f"c{n}-{t}-{part}-{i}".encode() for n in (1, 2) for i in range(5)]
            assert got == want, f"{t}-{part}: {got}"
        ru = consume(kafka.bootstrap, t, len(mine_c) + len(mine_a), timeout=20, isolation_level="read_uncommitted")
        assert {r.value for r in ru} == mine_c | mine_a
        for part in range(3):
            marks = _markers(kafka, t, part)
            assert [m[0] for m in marks] == ["COMMIT", "ABORT", "COMMIT", "ABORT"], marks
            assert len({m[1] for m in marks}) == 1, f"one producer id expected: {marks}"
            epochs = [m[2] for m in marks]
            if version >= 2:
                # KIP-890: the coordinator bumps the epoch at the end of every transaction.
                assert epochs == sorted(set(epochs)), f"tv2 epochs must increase: {epochs}"
            else:
                assert len(set(epochs)) == 1, f"tv1 keeps one epoch: {epochs}"


GroupMeta = namedtuple("GroupMeta", ["group_id", "generation_id", "member_id", "group_instance_id"])


def _committed(consumer: Consumer, topic: str, partitions: int) -> dict[int, int]:
    got = consumer.committed([CkTopicPartition(topic, q) for q in range(partitions)], timeout=15)
    return {tp.partition: tp.offset for tp in got}


@pytest.mark.parametrize("meta_form", ["str", "object"])
def test_txn_consume_transform_produce_commits_offsets_only_with_the_transaction(cluster, meta_form) -> None:
    kafka, version = cluster
    src, dst = _topic(kafka, 2, "src"), _topic(kafka, 2, "dst")
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, linger_ms=5) as plain:
        for i in range(20):
            plain.send(src, value=b"in-%d" % i, partition=i % 2)
        plain.flush()
    group = f"ctp-{uuid.uuid4().hex[:8]}"
    consumer = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": group, "enable.auto.commit": False,
                         "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    try:
        consumer.subscribe([src])
        msgs = []
        deadline = time.monotonic() + 30
        while len(msgs) < 20 and time.monotonic() < deadline:
            for m in consumer.consume(20, timeout=0.5):
                assert not m.error(), m.error()
                msgs.append(m)
        assert len(msgs) == 20, f"input read back {len(msgs)} of 20"
        next_offsets = {q: max(m.offset() for m in msgs if m.partition() == q) + 1 for q in range(2)}
        if meta_form == "str":
            meta = group
        else:
            meta = GroupMeta(group, -1, "", None)  # a consumer outside group management (KIP-447 fields)
        with _producer(kafka) as p:
            p.init_transactions()
            _assert_protocol(p, version)
            # 1: aborted, with offsets: neither the output nor the offsets may stick.
            p.begin_transaction()
            for m in msgs:
                p.send(dst, value=b"aborted-" + m.value(), partition=m.partition())
            # As in Java, abort drops batches not yet sent; flush so the aborted records are
            # really in the log and read_uncommitted below can tell abort from never-sent.
            p.flush()
            p.send_offsets_to_transaction({(src, q): 3 for q in range(2)}, meta)
            p.abort_transaction()
            after_abort = _committed(consumer, src, 2)
            assert all(o < 0 for o in after_abort.values()), f"offsets of an aborted transaction: {after_abort}"
            # 2: committed: output and offsets together.
            p.begin_transaction()
            for m in msgs:
                p.send(dst, value=b"out-" + m.value(), partition=m.partition())
            p.send_offsets_to_transaction({(src, q): o for q, o in next_offsets.items()}, meta)
            p.commit_transaction()
        after_commit = _committed(consumer, src, 2)
        assert after_commit == next_offsets, f"committed {after_commit}, expected {next_offsets}"
    finally:
        consumer.close()
    out = consume(kafka.bootstrap, dst, 20, timeout=20)
    assert sorted(r.value for r in out) == sorted(b"out-in-%d" % i for i in range(20))
    assert len(consume(kafka.bootstrap, dst, 40, timeout=20, isolation_level="read_uncommitted")) == 40


def test_txn_zombie_is_fenced_and_its_transaction_never_appears(cluster) -> None:
    kafka, version = cluster
    topic = _topic(kafka, 2, "zombie")
    tid = f"zombie-{uuid.uuid4().hex}"
    old = KafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=tid, linger_ms=5)
    new = KafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=tid, linger_ms=5)
    try:
        old.init_transactions()
        _assert_protocol(old, version)
        old.begin_transaction()
        for i in range(10):
            old.send(topic, value=b"zombie-%d" % i, partition=i % 2)
        old.flush()
        new.init_transactions()  # bumps the epoch: the coordinator aborts old's transaction
        new.begin_transaction()
        for i in range(10):
            new.send(topic, value=b"fresh-%d" % i, partition=i % 2)
        # The zombie carries on as if nothing happened: its EndTxn carries the old epoch.
        with pytest.raises(Errors.ProducerFencedError):
            old.commit_transaction()
        # Fenced is fatal: nothing more goes out under the old epoch.
        with pytest.raises(Errors.ProducerFencedError):
            old.send(topic, value=b"zombie-late", partition=0).get(30)
        with pytest.raises(Errors.ProducerFencedError):
            old.begin_transaction()
        new.commit_transaction()
    finally:
        old.close(0)
        new.close()
    got = consume(kafka.bootstrap, topic, 10, timeout=20)
    assert sorted(r.value for r in got) == sorted(b"fresh-%d" % i for i in range(10))


_DUMP_BATCH = re.compile(r"producerId: (-?\d+) producerEpoch: (-?\d+) .*?isTransactional: (\w+) isControl: (\w+)")
_DUMP_MARKER = re.compile(r"endTxnMarker: (\w+)")


@pytest.mark.java
def test_txn_markers_agree_with_kafkas_dump_log_segments(cluster, java) -> None:
    """Kafka's own DumpLogSegments reads the same markers (and epochs) from the log as we do."""
    kafka, version = cluster
    topic = _topic(kafka, 2, "dump")
    with _producer(kafka) as p:
        p.init_transactions()
        for outcome in ("commit", "abort", "abort", "commit"):
            with pytest.raises(RuntimeError) if outcome == "abort" else contextlib.nullcontext():
                with p.transaction():
                    for q in range(2):
                        p.send(topic, value=outcome.encode(), partition=q)
                    p.flush()
                    if outcome == "abort":
                        raise RuntimeError("abort this one")
    consume(kafka.bootstrap, topic, 4, timeout=20)  # markers written (LSO advanced)
    for q in range(2):
        ours = _markers(kafka, topic, q)
        theirs = []
        for seg in sorted(Path(kafka.dir).glob(f"node-*/data/{topic}-{q}/*.log")):
            out = subprocess.run(["java", "-XX:TieredStopAtLevel=1", "-cp", java.classpath,
                                  "org.apache.kafka.tools.DumpLogSegments", "--deep-iteration", "--files", str(seg)],
                                 capture_output=True, timeout=120)
            assert out.returncode == 0, out.stderr.decode(errors="replace")
            batch = None
            for line in out.stdout.decode().splitlines():
                m = _DUMP_BATCH.search(line)
                if m:
                    batch = m.groups() if m.group(4) == "true" else None
                    continue
                mk = _DUMP_MARKER.search(line)
                if mk and batch is not None:
                    theirs.append((mk.group(1), int(batch[0]), int(batch[1])))
        assert [m[0] for m in theirs] == ["COMMIT", "ABORT", "ABORT", "COMMIT"], theirs
        assert ours == theirs, f"read_batches {ours} vs DumpLogSegments {theirs}"
