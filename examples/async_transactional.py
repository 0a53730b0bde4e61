"""asyncio: consume, transform, produce, exactly once (aiokafka's "Transactional
Consume-Process-Produce" example).

aiokafka's ``AIOKafkaConsumer`` reads the input (read_committed); each batch of
results goes out in a transaction together with the consumer's offsets
(``send_offsets_to_transaction``), so the output and the group's progress commit or
abort together. The producer code is aiokafka's; only its import differs.

Usage: python examples/async_transactional.py [BOOTSTRAP] [TOPIC_PREFIX]
"""
from __future__ import annotations

import asyncio
import sys

from aiokafka import AIOKafkaConsumer

from purekafka.aio import AIOKafkaProducer

TOPICS = {"in": 2, "out": 2}
COUNT = 200


async def fill(bootstrap: str, topic: str) -> None:
    async with AIOKafkaProducer(bootstrap_servers=bootstrap) as producer:
        for i in range(COUNT):
            await producer.send(topic, b"%d" % i, key=b"k%d" % (i % 5))
        await producer.flush()


async def transform(bootstrap: str, in_topic: str, out_topic: str, group_id: str) -> int:
    consumer = AIOKafkaConsumer(
        in_topic, bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False,
        auto_offset_reset="earliest", isolation_level="read_committed")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=group_id + "-txn")
    await consumer.start()
    await producer.start()
    done = 0
    try:
        while done < COUNT:
            msg_batch = await consumer.getmany(timeout_ms=1000)
            if not msg_batch:
                continue
            async with producer.transaction():
                commit_offsets = {}
                for tp, msgs in msg_batch.items():
                    for msg in msgs:
                        await producer.send(out_topic, b"squared %d" % (int(msg.value) ** 2), key=msg.key)
                    commit_offsets[tp] = msgs[-1].offset + 1
                    done += len(msgs)
                await producer.send_offsets_to_transaction(commit_offsets, group_id)
    finally:
        await producer.stop()
        await consumer.stop()
    return done


async def run(bootstrap: str, prefix: str) -> None:
    await fill(bootstrap, prefix + "in")
    n = await transform(bootstrap, prefix + "in", prefix + "out", prefix + "group")
    print(f"{n} records transformed in transactions")


def main(bootstrap: str = "localhost:9092", prefix: str = "") -> None:
    asyncio.run(run(bootstrap, prefix))


if __name__ == "__main__":
    main(*sys.argv[1:3])
