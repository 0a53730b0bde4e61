"""The guide's three delivery guarantees, each configured with the guide's own settings.

- at-most-once: ``acks=0, retries=0``: fastest; a record may be lost, never duplicated;
- at-least-once: ``acks=all, retries=3, enable.idempotence=false``: never lost, a retry
  may duplicate;
- exactly-once: ``acks=all``, retries unbounded, idempotence, and a ``transactional.id``.

The settings are the guide's Java-style blocks, passed as they are.

Usage: python examples/delivery_guarantees.py [BOOTSTRAP] [TOPIC_PREFIX]
"""
from __future__ import annotations

import sys

from purekafka import KafkaProducer

TOPICS = {"metrics": 1, "orders": 1, "payments": 1}
Integer_MAX_VALUE = 2147483647


def main(bootstrap: str = "localhost:9092", prefix: str = "") -> None:
    at_most_once = {
        'acks': '0',
        'retries': 0
    }
    with KafkaProducer(**{"bootstrap.servers": bootstrap}, **at_most_once) as producer:
        producer.send(prefix + "metrics", value=b"cpu=0.42")
    print("at-most-once: sent (no acknowledgement asked for)")

    at_least_once = {
        'acks': 'all',
        'retries': 3,
        'enable.idempotence': False
    }
    with KafkaProducer(**{"bootstrap.servers": bootstrap}, **at_least_once) as producer:
        md = producer.send(prefix + "orders", value=b"order created").get(timeout=30)
    print(f"at-least-once: acknowledged at offset {md.offset}")

    exactly_once = {
        'acks': 'all',
        'retries': Integer_MAX_VALUE,
        'enable.idempotence': True,
        'transactional.id': f'{prefix}unique-id'
    }
    with KafkaProducer(**{"bootstrap.servers": bootstrap}, **exactly_once) as producer:
        producer.init_transactions()
        producer.begin_transaction()
        producer.send(prefix + "payments", value=b"payment processed")
        producer.commit_transaction()
    print("exactly-once: transaction committed")


if __name__ == "__main__":
    main(*sys.argv[1:3])
