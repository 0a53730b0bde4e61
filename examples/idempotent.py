"""Idempotent producer (guide: Producer Configuration, 4).

With ``enable_idempotence=True`` (the default, as in Java and kafka-python 3) the broker
gives the producer an id and checks a sequence number per partition, so a retried batch
is never written twice. The guide's required settings: acks='all', at most 5 requests in
flight, retries effectively unlimited.

Usage: python examples/idempotent.py [BOOTSTRAP] [TOPIC_PREFIX]
"""
from __future__ import annotations

import sys

from purekafka import KafkaProducer

TOPICS = {"payments": 3}


def main(bootstrap: str = "localhost:9092", prefix: str = "") -> None:
    topic = prefix + "payments"
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        enable_idempotence=True,
        acks="all",
        max_in_flight_requests_per_connection=5,
        retries=2147483647,  # Integer.MAX_VALUE
        key_serializer=str.encode,
        value_serializer=str.encode,
        linger_ms=5,
    )
    futures = [producer.send(topic, key=f"account-{i % 7}", value=f"payment {i}") for i in range(300)]
    producer.flush()
    per_partition: dict[int, int] = {}
    for f in futures:
        md = f.get(timeout=30)
        per_partition[md.partition] = per_partition.get(md.partition, 0) + 1
    print(f"300 payments written exactly once: {dict(sorted(per_partition.items()))} per partition")
    producer.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
