"""Idempotence and transactions over SASL_SSL (SCRAM-SHA-512): InitProducerId, the coordinator
lookups and EndTxn all run on authenticated TLS connections. Read back with confluent-kafka."""
from __future__ import annotations

import pytest

from purekafka import KafkaProducer
from tests.support.kafka import SecureKafka, unique_name
from tests.support.readback import consume_all

pytestmark = pytest.mark.broker

LISTENER, MECH = "SASL_SSL", "SCRAM-SHA-512"


def test_idempotent_run(secure_kafka: SecureKafka) -> None:
    topic = secure_kafka.create_topic(unique_name("idem-secure"), partitions=3)
    producer = KafkaProducer(**secure_kafka.kafka_python(LISTENER, MECH), enable_idempotence=True,
                             acks="all", linger_ms=2, max_in_flight_requests_per_connection=5)
    try:
        futures = [producer.send(topic, key=f"k{i % 7}".encode(), value=f"idem-{i}".encode()) for i in range(300)]
        producer.flush(timeout=60)
        metas = [f.get(timeout=30) for f in futures]
    finally:
        producer.close(timeout=10)
    by_partition: dict[int, list[int]] = {}
    for m in metas:
        by_partition.setdefault(m.partition, []).append(m.offset)
    for offsets in by_partition.values():
        assert offsets == list(range(len(offsets)))  # no gap, no duplicate, in order
    got = consume_all(secure_kafka.bootstrap_of(LISTENER), topic, isolation_level="read_uncommitted",
                      extra=secure_kafka.confluent(LISTENER, MECH))
    assert sorted(r.value for r in got) == sorted(f"idem-{i}".encode() for i in range(300))


def test_transactional_run(secure_kafka: SecureKafka) -> None:
    topic = secure_kafka.create_topic(unique_name("txn-secure"), partitions=2)
    producer = KafkaProducer(**secure_kafka.kafka_python(LISTENER, MECH),
                             transactional_id=unique_name("txn-secure-id"))
    try:
        producer.init_transactions()
        producer.begin_transaction()
        for i in range(50):
            producer.send(topic, key=b"c", value=f"committed-{i}".encode())
        producer.commit_transaction()
        producer.begin_transaction()
        for i in range(10):
            producer.send(topic, key=b"a", value=f"aborted-{i}".encode())
        producer.flush(timeout=30)
        producer.abort_transaction()
    finally:
        producer.close(timeout=10)
    extra = secure_kafka.confluent(LISTENER, MECH)
    committed = consume_all(secure_kafka.bootstrap_of(LISTENER), topic, extra=extra)
    assert sorted(r.value for r in committed) == sorted(f"committed-{i}".encode() for i in range(50))
    everything = consume_all(secure_kafka.bootstrap_of(LISTENER), topic, isolation_level="read_uncommitted",
                             extra=extra)
    assert len(everything) == 60  # the aborted ten were written, and are filtered by read_committed
