"""Fire-and-forget: acks=0, send and move on (guide: Message Production Patterns, 1).

The producer does not wait for the broker: each future completes as soon as its request
is written, with offset -1. Fastest, and records can be lost (at-most-once with
``retries=0``).

Usage: python examples/fire_and_forget.py [BOOTSTRAP] [TOPIC_PREFIX]
"""
from __future__ import annotations

import sys

from purekafka import KafkaProducer

TOPICS = {"user-events": 1}


def main(bootstrap: str = "localhost:9092", prefix: str = "") -> None:
    topic = prefix + "user-events"
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        key_serializer=str.encode,
        value_serializer=str.encode,
        acks=0,
        retries=0,
    )
    for i in range(5):
        producer.send(topic, key="user1", value=f"User logged in ({i})")
    print("5 messages sent (fire and forget)")
    # Even without acknowledgements, close() waits until the requests are on the wire.
    producer.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
