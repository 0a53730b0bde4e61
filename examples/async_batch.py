"""asyncio: hand over whole batches (aiokafka's "Batch producer" example).

``create_batch()`` gives an empty batch; ``append`` returns None once it is full;
``send_batch`` queues it for one partition and returns a future of its first
record's metadata. The code is aiokafka's; only the import differs.

Usage: python examples/async_batch.py [BOOTSTRAP] [TOPIC_PREFIX]
"""
from __future__ import annotations

import asyncio
import random
import sys

from purekafka.aio import AIOKafkaProducer

TOPICS = {"batches": 2}
COUNT = 500


async def send_many(bootstrap: str, topic: str, num: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_batch_size=4096)
    await producer.start()
    try:
        partitions = sorted(await producer.partitions_for(topic))
        i = 0
        batches = 0
        while i < num:
            batch = producer.create_batch()
            while i < num:
                metadata = batch.append(key=None, value=b"msg %04d" % i, timestamp=None)
                if metadata is None:
                    break  # full: send this one, start the next
                i += 1
            partition = random.choice(partitions)
            fut = await producer.send_batch(batch, topic, partition=partition)
            meta = await fut
            batches += 1
            print(f"{batch.record_count()} messages sent to partition {partition}, first at offset {meta.offset}")
        print(f"{num} messages in {batches} batches")
    finally:
        await producer.stop()


def main(bootstrap: str = "localhost:9092", prefix: str = "") -> None:
    asyncio.run(send_many(bootstrap, prefix + "batches", COUNT))


if __name__ == "__main__":
    main(*sys.argv[1:3])
