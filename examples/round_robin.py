"""Records without a key (guide: Partitioning Strategies, 2).

By default (as in Java since Kafka 3.3, KIP-794) records without a key stick to one
partition until ``batch_size`` bytes went there, then move on: even over time, and
fewer, fuller batches. For strict rotation, record by record, use
``RoundRobinPartitioner`` (also accepted as Java's ``partitioner.class`` name).

Usage: python examples/round_robin.py [BOOTSTRAP] [TOPIC_PREFIX]
"""
from __future__ import annotations

import sys

from purekafka import KafkaProducer
from purekafka.partitioner import RoundRobinPartitioner

TOPICS = {"logs": 3, "logs-rr": 3}


def send_logs(producer: KafkaProducer, topic: str, first: int, count: int) -> list[int]:
    futures = [producer.send(topic, value=f"Log entry {i}".encode()) for i in range(first, first + count)]
    return [f.get(timeout=30).partition for f in futures]


def main(bootstrap: str = "localhost:9092", prefix: str = "") -> None:
    with KafkaProducer(bootstrap_servers=bootstrap) as producer:
        print("default (sticky):", send_logs(producer, prefix + "logs", 1, 3))
    with KafkaProducer(bootstrap_servers=bootstrap, partitioner=RoundRobinPartitioner()) as producer:
        print("round robin:     ", send_logs(producer, prefix + "logs-rr", 1, 6))
    # The Java class name works as well.
    with KafkaProducer(**{"bootstrap.servers": bootstrap,
                          "partitioner.class": "org.apache.kafka.clients.producer.RoundRobinPartitioner"}
                       ) as producer:
        print("round robin (partitioner.class):", send_logs(producer, prefix + "logs-rr", 7, 3))


if __name__ == "__main__":
    main(*sys.argv[1:3])
