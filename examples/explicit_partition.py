"""Explicit partition selection (guide: Partitioning Strategies, 4).

``partition=`` wins over the key and over any partitioner.

Usage: python examples/explicit_partition.py [BOOTSTRAP] [TOPIC_PREFIX]
"""
from __future__ import annotations

import sys

from purekafka import KafkaProducer

TOPICS = {"events": 3}


def main(bootstrap: str = "localhost:9092", prefix: str = "") -> None:
    topic = prefix + "events"
    with KafkaProducer(bootstrap_servers=bootstrap) as producer:
        for partition in (0, 1, 2, 0):
            md = producer.send(topic, value=f"Message for partition {partition}".encode(),
                               key=b"same-key", partition=partition).get(timeout=30)
            print(f"asked for partition {partition}: landed in partition {md.partition} at offset {md.offset}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
