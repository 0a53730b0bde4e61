"""Batch production: 1000 messages in groups of 100 (guide pattern 4, and its batching tips).

The producer batches by itself: records for the same partition are packed into one
RecordBatch of up to ``batch_size`` bytes, waiting up to ``linger_ms`` for it to fill.
``flush()`` after each group is the guide's "await send(batch)".

Usage: python examples/batch_production.py [BOOTSTRAP] [TOPIC_PREFIX]
"""
from __future__ import annotations

import json
import sys
import time

from purekafka import KafkaProducer

TOPICS = {"events": 3}


def main(bootstrap: str = "localhost:9092", prefix: str = "") -> None:
    topic = prefix + "events"
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        key_serializer=str.encode,
        value_serializer=lambda v: json.dumps(v).encode(),
        batch_size=32768,  # 32 KB
        linger_ms=100,
        max_in_flight_requests_per_connection=5,
    )
    messages = [(f"key-{i}", {"id": i, "timestamp": int(time.time() * 1000), "data": f"Message {i}"})
                for i in range(1000)]
    batch_size = 100
    for start in range(0, len(messages), batch_size):
        for key, value in messages[start:start + batch_size]:
            producer.send(topic, key=key, value=value)
        producer.flush()
        print(f"Sent batch {start // batch_size + 1}")
    producer.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
