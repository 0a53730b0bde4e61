"""asyncio: one record at a time with ``send_and_wait`` (aiokafka's "send_one").

Serializers, a key and headers; ``send_and_wait`` returns the record's metadata.
The code is aiokafka's; only the import differs.

Usage: python examples/async_send_and_wait.py [BOOTSTRAP] [TOPIC_PREFIX]
"""
from __future__ import annotations

import asyncio
import json
import sys

from purekafka.aio import AIOKafkaProducer

TOPICS = {"user-events": 1}


async def send_one(bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        key_serializer=str.encode,
        value_serializer=lambda v: json.dumps(v).encode(),
        acks="all",
        enable_idempotence=True,
    )
    # Get cluster layout and initial topic/partition leadership information
    await producer.start()
    try:
        for i in range(3):
            meta = await producer.send_and_wait(
                topic, {"userId": "user1", "action": "login", "n": i}, key="user1",
                headers=[("content-type", b"application/json")])
            print(f"sent to partition {meta.partition} at offset {meta.offset}")
    finally:
        await producer.stop()


def main(bootstrap: str = "localhost:9092", prefix: str = "") -> None:
    asyncio.run(send_one(bootstrap, prefix + "user-events"))


if __name__ == "__main__":
    main(*sys.argv[1:3])
