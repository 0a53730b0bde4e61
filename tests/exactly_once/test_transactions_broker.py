"""TransactionManager against the real broker: its requests go to Apache Kafka through a
one-socket driver (tests/support/eos_wire.py); confluent-kafka reads the topic back with
read_committed and read_uncommitted, and the group's committed offsets. The transition
table and Java's rules are unit-tested in tests/core/test_transactions.py.
"""
from __future__ import annotations

import time

import pytest

from purekafka.core.idempotence import IdempotenceState
from purekafka.core.transactions import AbortScope, GroupMetadata, State, TransactionManager
from purekafka.errors import ProducerFencedError


def _committed_offset(bootstrap: str, group: str, topic: str, partition: int) -> int:
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        [tp] = c.committed([TopicPartition(topic, partition)], timeout=15)
        return tp.offset
    finally:
        c.close()


def _produce_in_txn(wire, tm: TransactionManager, topic: str, partition: int, values: list[bytes]) -> None:
    from tests.support.eos_wire import batch_bytes

    tp = (topic, partition)
    tm.maybe_add_partition(tp)
    wire.drive(tm)  # TV1: AddPartitionsToTxn
    assert tm.is_send_allowed(tp)
    idem = tm.idempotence
    batch = idem.assign(tp, len(values))
    lo, hi = tm.produce_version_range()
    for _ in range(100):
        p = wire.produce(topic, partition, batch_bytes(batch, values, transactional=True),
                         transactional_id=tm.transactional_id, lo=lo, hi=hi)
        if p.error_code == 0:
            assert idem.on_acked(batch, p.base_offset)
            return
        # e.g. CONCURRENT_TRANSACTIONS while the previous transaction's markers are written
        d = idem.on_error(batch, p.error_code, log_start_offset=p.log_start_offset)
        assert d.action == "retry", (p, d)
        time.sleep(0.05)
        assert idem.can_resend(batch)
        idem.resend(batch)
    raise AssertionError(f"produce kept failing: {p}")


def _run_transactions(kafka, topic_factory, tv: int) -> None:
    from tests.support.eos_wire import Wire
    from tests.support.readback import consume_all

    topic = topic_factory(partitions=2)
    source = topic_factory()  # offsets of a (pretend) consumed topic go to the group
    group = f"g-{topic}"
    wire = Wire(kafka.bootstrap)
    try:
        broker_tv = wire.features.get("transaction.version", 0)
        if tv >= 2:
            assert broker_tv >= 2, f"the broker finalizes transaction.version={broker_tv}"
        tm = TransactionManager(f"txn-{topic}", IdempotenceState(transactional=True), transaction_version=tv)
        result = tm.initialize(0)
        kinds = wire.drive(tm)
        assert kinds[0] == "FindCoordinator" and kinds[-1] == "InitProducerId"
        result.consume()
        pid, epoch = tm.idempotence.producer_id, tm.idempotence.producer_epoch

        # transaction 1: records on both partitions and a group offset; committed
        tm.begin()
        _produce_in_txn(wire, tm, topic, 0, [b"c0", b"c1"])
        _produce_in_txn(wire, tm, topic, 1, [b"c2"])
        offsets = tm.send_offsets({(source, 0): 10}, GroupMetadata(group))
        kinds = wire.drive(tm)
        assert ("AddOffsetsToTxn" in kinds) == (tv < 2) and "TxnOffsetCommit" in kinds
        offsets.consume()
        commit = tm.begin_commit()
        assert wire.drive(tm) == ["EndTxn"]
        commit.consume()
        if tv >= 2:  # EndTxn v5 hands out the next epoch
            assert (tm.idempotence.producer_id, tm.idempotence.producer_epoch) == (pid, epoch + 1)
        else:
            assert (tm.idempotence.producer_id, tm.idempotence.producer_epoch) == (pid, epoch)

        # transaction 2: records and an offset; aborted
        tm.begin()
        _produce_in_txn(wire, tm, topic, 0, [b"a0", b"a1"])
        offsets = tm.send_offsets({(source, 0): 20}, GroupMetadata(group))
        wire.drive(tm)
        offsets.consume()
        abort = tm.begin_abort()
        assert wire.drive(tm) == ["EndTxn"]
        abort.consume()

        # transaction 3: committed after the abort
        tm.begin()
        _produce_in_txn(wire, tm, topic, 1, [b"c3"])
        commit = tm.begin_commit()
        wire.drive(tm)
        commit.consume()
        assert tm.state is State.READY
    finally:
        wire.close()
    committed = consume_all(kafka.bootstrap, topic, isolation_level="read_committed")
    assert sorted((r.partition, r.value) for r in committed) == [(0, b"c0"), (0, b"c1"), (1, b"c2"), (1, b"c3")]
    everything = consume_all(kafka.bootstrap, topic, isolation_level="read_uncommitted")
    assert sorted(r.value for r in everything) == [b"a0", b"a1", b"c0", b"c1", b"c2", b"c3"]
    assert _committed_offset(kafka.bootstrap, group, source, 0) == 10  # the aborted 20 did not stick


@pytest.mark.broker
def test_broker_transactions_tv2(kafka, topic_factory) -> None:
    _run_transactions(kafka, topic_factory, tv=2)


@pytest.mark.broker
def test_broker_transactions_tv1(kafka, topic_factory) -> None:
    """The older protocol still works against Kafka 4.x: AddPartitionsToTxn, AddOffsetsToTxn, Produce <= v11."""
    _run_transactions(kafka, topic_factory, tv=0)


@pytest.mark.broker
@pytest.mark.parametrize("tv", [0, 2])
def test_broker_fencing_is_fatal(kafka, topic_factory, tv: int) -> None:
    from tests.support.eos_wire import Wire

    topic = topic_factory()
    wire = Wire(kafka.bootstrap)
    try:
        old = TransactionManager(f"fence-{topic}", IdempotenceState(transactional=True), transaction_version=tv)
        r = old.initialize(0)
        wire.drive(old)
        r.consume()
        old.begin()
        _produce_in_txn(wire, old, topic, 0, [b"zombie"])
        new = TransactionManager(f"fence-{topic}", IdempotenceState(transactional=True), transaction_version=tv)
        r = new.initialize(0)
        wire.drive(new)  # the coordinator aborts the old transaction and bumps the epoch
        r.consume()
        assert new.idempotence.producer_epoch > old.idempotence.producer_epoch
        commit = old.begin_commit()
        wire.drive(old)
        assert old.state is State.FATAL_ERROR and isinstance(commit.error, ProducerFencedError)
        with pytest.raises(ProducerFencedError):
            commit.consume()
        with pytest.raises(ProducerFencedError):
            old.begin()
        assert old.batches_to_abort()[0] is AbortScope.ALL
    finally:
        wire.close()
