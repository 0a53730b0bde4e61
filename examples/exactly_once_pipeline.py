"""Consume-transform-produce, exactly once: output records and the consumer's offsets
commit in one transaction (``producer.transaction()`` + ``send_offsets_to_transaction``).

purekafka is a producer; the consumer here is confluent-kafka's (any consumer that reads
with ``isolation.level=read_committed`` and leaves offset commits to the producer works).
The script first writes 10 payments to ``payments-in``, then processes them in batches of
5. The second batch "crashes" half way: its transaction aborts, so neither its output nor
its offsets stick, and the retry from the group's committed offset writes it once.

Usage: python examples/exactly_once_pipeline.py [BOOTSTRAP] [TOPIC_PREFIX]
"""
from __future__ import annotations

import sys
import uuid

from confluent_kafka import Consumer, TopicPartition

from purekafka import KafkaProducer

TOPICS = {"payments-in": 1, "payments-out": 1}


class SimulatedCrash(Exception):
    pass


def process(consumer: Consumer, producer: KafkaProducer, group: str, src: str, dst: str,
            label: str, crash: bool = False) -> None:
    msgs = []
    while len(msgs) < 5:
        msgs.extend(m for m in consumer.consume(5 - len(msgs), timeout=1.0) if not m.error())
    try:
        with producer.transaction():  # commits at the end of the block, aborts if it raises
            for i, m in enumerate(msgs):
                if crash and i == 3:
                    raise SimulatedCrash("crashed after 3 records")
                producer.send(dst, key=m.key(), value=b"PROCESSED " + m.value())
            # The offsets of the next records to read, committed only if the transaction commits.
            producer.send_offsets_to_transaction({(src, 0): msgs[-1].offset() + 1}, group)
        print(f"{label}: committed {len(msgs)} records, group offset now {msgs[-1].offset() + 1}")
    except SimulatedCrash as error:
        print(f"{label}: transaction aborted ({error})")
        # Start again where the group's committed offset says.
        committed = consumer.committed([TopicPartition(src, 0)], timeout=10)[0].offset
        consumer.seek(TopicPartition(src, 0, max(committed, 0)))


def main(bootstrap: str = "localhost:9092", prefix: str = "") -> None:
    src, dst = prefix + "payments-in", prefix + "payments-out"
    with KafkaProducer(bootstrap_servers=bootstrap) as upstream:
        for i in range(10):
            upstream.send(src, key=b"payment-%d" % i, value=b"payment-%d" % i)
    group = f"{prefix}payment-processor"
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                         "isolation.level": "read_committed"})
    consumer.assign([TopicPartition(src, 0, 0)])
    producer = KafkaProducer(bootstrap_servers=bootstrap, transactional_id=f"{prefix}processor-{uuid.uuid4().hex[:6]}")
    try:
        producer.init_transactions()
        process(consumer, producer, group, src, dst, "batch 1")
        process(consumer, producer, group, src, dst, "batch 2", crash=True)
        process(consumer, producer, group, src, dst, "batch 2 retry")
    finally:
        producer.close()
        consumer.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
