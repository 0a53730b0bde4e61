"""The transaction API of KafkaProducer: the ``transaction()`` context manager, the forms
``send_offsets_to_transaction`` accepts, and clear errors for calls out of order.
Everything is checked against the real broker and read back by confluent-kafka."""
from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import Consumer, TopicPartition as CkTopicPartition
from kafka.structs import ConsumerGroupMetadata, OffsetAndMetadata, TopicPartition as KpTopicPartition

from purekafka import KafkaProducer
from purekafka import errors as Errors
from tests.support.readback import consume, consume_all

pytestmark = [pytest.mark.broker, pytest.mark.timeout(120)]


def _txn_producer(kafka) -> KafkaProducer:
    p = KafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=f"api-{uuid.uuid4().hex}", linger_ms=5)
    p.init_transactions()
    return p


def test_txn_context_manager_commits_on_success_and_aborts_on_exception(kafka, topic_factory) -> None:
    topic = topic_factory(partitions=2)
    with _txn_producer(kafka) as p:
        with p.transaction() as same:
            assert same is p
            for i in range(10):
                p.send(topic, value=b"kept-%d" % i)
        with pytest.raises(RuntimeError, match="business failure"):
            with p.transaction():
                for i in range(10):
                    p.send(topic, value=b"dropped-%d" % i)
                p.flush()  # in the log, so only the abort marker can hide them
                raise RuntimeError("business failure")
        with p.transaction():  # the producer is usable again after the abort
            p.send(topic, value=b"after")
    got = consume(kafka.bootstrap, topic, 11, timeout=20)
    assert sorted(r.value for r in got) == sorted([b"kept-%d" % i for i in range(10)] + [b"after"])
    assert len(consume(kafka.bootstrap, topic, 21, timeout=20, isolation_level="read_uncommitted")) == 21


def test_txn_context_manager_raises_the_fencing_when_the_abort_fails(kafka, topic_factory) -> None:
    topic = topic_factory()
    tid = f"api-fence-{uuid.uuid4().hex}"
    old = KafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=tid)
    try:
        old.init_transactions()
        with pytest.raises(Errors.ProducerFencedError) as info:
            with old.transaction():
                old.send(topic, b"zombie").get(30)
                with KafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=tid) as new:
                    new.init_transactions()
                raise RuntimeError("application failure")
        assert isinstance(info.value.__cause__, RuntimeError)
    finally:
        old.close(0)
    assert consume_all(kafka.bootstrap, topic, settle=2.0) == []


def _group_offsets(bootstrap: str, group: str, topic: str) -> int:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        return c.committed([CkTopicPartition(topic, 0)], timeout=15)[0].offset
    finally:
        c.close()


@pytest.mark.parametrize("form", ["kafka-python", "confluent-tp", "tuple-with-metadata"])
def test_txn_send_offsets_accepts_the_common_forms(kafka, topic_factory, form) -> None:
    topic = topic_factory()
    group = f"api-g-{uuid.uuid4().hex[:8]}"
    if form == "kafka-python":
        offsets = {KpTopicPartition(topic, 0): OffsetAndMetadata(7, "m", -1)}
        meta = ConsumerGroupMetadata(group_id=group)
    elif form == "confluent-tp":
        offsets = {CkTopicPartition(topic, 0): CkTopicPartition(topic, 0, 7)}
        meta = group
    else:
        offsets = {(topic, 0): (7, "meta")}
        meta = group
    with _txn_producer(kafka) as p:
        with p.transaction():
            p.send(topic, b"v")
            p.send_offsets_to_transaction(offsets, meta)
    assert _group_offsets(kafka.bootstrap, group, topic) == 7


def test_txn_send_offsets_refuses_what_is_not_group_metadata(kafka, topic_factory) -> None:
    topic = topic_factory()
    with _txn_producer(kafka) as p:
        p.begin_transaction()
        with pytest.raises(TypeError, match="group_id"):
            p.send_offsets_to_transaction({(topic, 0): 1}, object())
        with pytest.raises(ValueError, match="member_id"):
            p.send_offsets_to_transaction({(topic, 0): 1}, ConsumerGroupMetadata(group_id="g", generation_id=3))
        p.abort_transaction()


def test_txn_calls_out_of_order_name_the_state(kafka, topic_factory) -> None:
    topic = topic_factory()
    with _txn_producer(kafka) as p:
        with pytest.raises(Errors.IllegalStateError, match="READY|Ready|ready"):
            p.send(topic, b"outside")
        with pytest.raises(Errors.IllegalStateError, match="READY|Ready|ready"):
            p.commit_transaction()
        with pytest.raises(Errors.IllegalStateError, match="READY|Ready|ready"):
            p.send_offsets_to_transaction({(topic, 0): 1}, "g")
        p.begin_transaction()
        with pytest.raises(Errors.IllegalStateError, match="IN_TRANSACTION|InTransaction|in_transaction"):
            p.begin_transaction()
        p.abort_transaction()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=f"api-{uuid.uuid4().hex}") as fresh:
        with pytest.raises(Errors.IllegalStateError, match="UNINITIALIZED|Uninitialized|uninitialized"):
            fresh.begin_transaction()


def test_txn_send_offsets_with_a_joined_consumers_metadata_and_a_stale_generation(kafka, topic_factory) -> None:
    """kafka-python's consumer joins a group; its group_metadata() (real generation and
    member id) commits; the same metadata with a wrong generation is refused by the
    group coordinator (KIP-447) and only that transaction's offsets are lost."""
    from kafka import KafkaConsumer

    topic = topic_factory()
    group = f"api-join-{uuid.uuid4().hex[:8]}"
    consumer = KafkaConsumer(topic, bootstrap_servers=kafka.bootstrap, group_id=group, enable_auto_commit=False,
                             isolation_level="read_committed", auto_offset_reset="earliest")
    try:
        deadline = time.monotonic() + 30
        while not consumer.assignment() and time.monotonic() < deadline:
            consumer.poll(200)
        meta = consumer.group_metadata()
        assert meta.generation_id > 0 and meta.member_id, meta
        with _txn_producer(kafka) as p:
            with p.transaction():
                p.send(topic, b"v")
                p.send_offsets_to_transaction({(topic, 0): 4}, meta)
            stale = meta._replace(generation_id=meta.generation_id + 7)
            with pytest.raises(Errors.KafkaError, match="generation|GENERATION|CommitFailed"):
                with p.transaction():
                    p.send(topic, b"w")
                    p.send_offsets_to_transaction({(topic, 0): 9}, stale)
            with p.transaction():  # abortable: the producer goes on
                p.send(topic, b"x")
    finally:
        consumer.close(autocommit=False)
    assert _group_offsets(kafka.bootstrap, group, topic) == 4
    assert [r.value for r in consume(kafka.bootstrap, topic, 2, timeout=20)] == [b"v", b"x"]
