"""asyncio: send and collect the futures (aiokafka's documentation, "Producer": send).

``await producer.send()`` queues a record and returns a future; awaiting the future
gives the record's metadata once the broker acknowledged it. The code is aiokafka's;
only the import differs (``from aiokafka import AIOKafkaProducer`` runs it unchanged).

Usage: python examples/async_simple_send.py [BOOTSTRAP] [TOPIC_PREFIX]
"""
from __future__ import annotations

import asyncio
import sys

from purekafka.aio import AIOKafkaProducer

TOPICS = {"my_topic": 3}


async def send_many(bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        futures = []
        for i in range(100):
            futures.append(await producer.send(topic, b"Super message %d" % i, key=b"key-%d" % (i % 10)))
        metas = await asyncio.gather(*futures)
        print(f"{len(metas)} messages acknowledged, "
              f"partitions {sorted({m.partition for m in metas})}")
    finally:
        # Wait for all pending messages to be delivered or expire.
        await producer.stop()


def main(bootstrap: str = "localhost:9092", prefix: str = "") -> None:
    asyncio.run(send_many(bootstrap, prefix + "my_topic"))


if __name__ == "__main__":
    main(*sys.argv[1:3])
