"""Transactions through the KafkaProducer facade, read back with read_committed and
read_uncommitted by confluent-kafka."""
from __future__ import annotations

import time

import pytest

from purekafka import KafkaProducer
from purekafka import errors as Errors
from tests.support.readback import consume

pytestmark = pytest.mark.broker


def test_commit_and_abort_are_seen_as_such(kafka, topic_factory) -> None:
    topic = topic_factory(partitions=2)
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=f"tx-{time.monotonic_ns()}",
                       linger_ms=5) as p:
        p.init_transactions()
        p.begin_transaction()
        for i in range(20):
            p.send(topic, key=b"%d" % i, value=b"c%d" % i)
        p.commit_transaction()
        p.begin_transaction()
        aborted = [p.send(topic, key=b"%d" % i, value=b"a%d" % i) for i in range(20)]
        p.flush()
        p.abort_transaction()
        p.begin_transaction()
        p.send(topic, value=b"last", key=b"x")
        p.commit_transaction()
    assert all(f.succeeded() for f in aborted)  # written, then aborted by the marker
    committed = consume(kafka.bootstrap, topic, 21, timeout=20)
    assert sorted(c.value for c in committed) == sorted([b"c%d" % i for i in range(20)] + [b"last"])
    everything = consume(kafka.bootstrap, topic, 41, timeout=20, isolation_level="read_uncommitted")
    assert len(everything) == 41


def test_a_second_producer_fences_the_first(kafka, topic_factory) -> None:
    topic = topic_factory()
    tid = f"fence-{time.monotonic_ns()}"
    old = KafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=tid)
    new = KafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=tid)
    try:
        old.init_transactions()
        old.begin_transaction()
        old.send(topic, b"zombie")
        old.flush()
        new.init_transactions()  # bumps the epoch and aborts the old transaction
        new.begin_transaction()
        new.send(topic, b"fresh")
        new.commit_transaction()
        with pytest.raises(Errors.KafkaError):
            old.commit_transaction()
    finally:
        old.close(0)
        new.close()
    got = consume(kafka.bootstrap, topic, 1, timeout=10)
    assert [c.value for c in got] == [b"fresh"]


def test_transactional_calls_need_a_transactional_id(kafka) -> None:
    with KafkaProducer(bootstrap_servers=kafka.bootstrap) as p:
        with pytest.raises(Errors.IllegalStateError, match="transactional_id"):
            p.begin_transaction()


def test_send_outside_a_transaction_is_refused(kafka, topic_factory) -> None:
    topic = topic_factory()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=f"tx-{time.monotonic_ns()}") as p:
        p.init_transactions()
        with pytest.raises(Errors.IllegalStateError):
            p.send(topic, b"v")


def test_transaction_protocol_follows_the_broker(kafka, topic_factory) -> None:
    # Kafka 4.4 finalizes transaction.version 2 (KIP-890): Produce adds partitions itself.
    topic = topic_factory()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=f"tv-{time.monotonic_ns()}") as p:
        p.init_transactions()
        tv = p._network.finalized_features.get("transaction.version", 0)
        assert p._txn.transaction_v2 == (tv >= 2)
        p.begin_transaction()
        p.send(topic, b"v").get(30)
        p.commit_transaction()
    assert [c.value for c in consume(kafka.bootstrap, topic, 1)] == [b"v"]
