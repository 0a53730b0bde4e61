"""Transactions: several topics written atomically (guide pattern 5, Exactly-Once).

Records sent between ``begin_transaction()`` and ``commit_transaction()`` become visible
to ``read_committed`` consumers together, or, after ``abort_transaction()``, never.
A ``transactional_id`` turns idempotence on; it must be unique per producer instance.

Usage: python examples/transactional.py [BOOTSTRAP] [TOPIC_PREFIX]
"""
from __future__ import annotations

import sys

from purekafka import KafkaProducer
from purekafka.errors import KafkaError

TOPICS = {"orders": 1, "inventory": 1, "payments": 1}


def place_order(producer: KafkaProducer, prefix: str, order: str, fail: bool) -> None:
    producer.begin_transaction()
    try:
        producer.send(prefix + "orders", key=order.encode(), value=b"Order created")
        producer.send(prefix + "inventory", key=b"item1", value=f"Stock reduced for {order}".encode())
        # Written to the log now; an abort still hides them from read_committed consumers.
        # (Records not yet sent when abort_transaction() is called are dropped, as in Java.)
        producer.flush()
        if fail:
            raise RuntimeError("payment declined")
        producer.send(prefix + "payments", key=f"payment-{order}".encode(), value=b"Payment processed")
        producer.commit_transaction()
        print(f"{order}: transaction committed")
    except (KafkaError, RuntimeError) as error:
        producer.abort_transaction()
        print(f"{order}: transaction aborted ({error})")


def main(bootstrap: str = "localhost:9092", prefix: str = "") -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap,
                             transactional_id=f"{prefix}my-transactional-producer",
                             enable_idempotence=True, acks="all")
    producer.init_transactions()
    place_order(producer, prefix, "order1", fail=False)
    place_order(producer, prefix, "order2", fail=True)
    place_order(producer, prefix, "order3", fail=False)
    producer.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
