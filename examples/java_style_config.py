"""The guide's "Essential Configuration Properties" block, verbatim, in Python.

Java's dotted names, Java-style values and serializer class names are accepted as they
are: ``StringSerializer`` encodes str as UTF-8, as Java's does.

Usage: python examples/java_style_config.py [BOOTSTRAP] [TOPIC_PREFIX]
"""
from __future__ import annotations

import sys

from purekafka import KafkaProducer

TOPICS = {"user-events": 1}


def main(bootstrap: str = "localhost:9092", prefix: str = "") -> None:
    producer_config = {
        # Required: Kafka broker addresses
        'bootstrap.servers': 'localhost:9092',

        # Serializers
        'key.serializer': 'org.apache.kafka.common.serialization.StringSerializer',
        'value.serializer': 'org.apache.kafka.common.serialization.StringSerializer',

        # Acknowledgments (0, 1, all/-1)
        'acks': 'all',

        # Retries
        'retries': 3,
        'retry.backoff.ms': 100,

        # Batching
        'batch.size': 16384,  # 16KB
        'linger.ms': 10,

        # Compression
        'compression.type': 'snappy',  # none, gzip, snappy, lz4, zstd

        # Buffer memory
        'buffer.memory': 33554432,  # 32MB

        # Request timeout
        'request.timeout.ms': 30000,

        # Idempotence (exactly-once semantics)
        'enable.idempotence': True,

        # Max in-flight requests
        'max.in.flight.requests.per.connection': 5,

        # Client ID for identification
        'client.id': 'my-producer-app'
    }
    producer_config['bootstrap.servers'] = bootstrap  # the one line that is not the guide's

    producer = KafkaProducer(**producer_config)
    metadata = producer.send(prefix + "user-events", key="user1", value="User logged in").get(timeout=30)
    print(f"Message sent to partition {metadata.partition} with offset {metadata.offset}")
    producer.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
