"""Dead letter queue (guide: Error Handling, Dead Letter Queue Pattern).

A record that cannot be delivered goes to ``<topic>.dlq`` instead, wrapped with the
original topic, the original message and the error. Topic ``orders`` is created with
``max.message.bytes=1024``, so the broker itself rejects the oversized order
(MESSAGE_TOO_LARGE, not retriable).

Usage: python examples/dead_letter_queue.py [BOOTSTRAP] [TOPIC_PREFIX]
"""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

from purekafka import KafkaProducer
from purekafka.errors import KafkaError

TOPICS = {"orders": 1, "orders.dlq": 1}
TOPIC_CONFIG = {"orders": {"max.message.bytes": "1024"}}


def send_with_dlq(producer: KafkaProducer, topic: str, message: dict) -> None:
    try:
        md = producer.send(topic, key=message.get("key"), value=message["value"]).get(timeout=30)
        print(f"{topic}: {message['key']} -> partition {md.partition} offset {md.offset}")
    except KafkaError as error:
        print(f"Failed to send to {topic}: {type(error).__name__}: {error}", file=sys.stderr)
        dead = {
            "originalTopic": topic,
            "originalMessage": message,
            "error": f"{type(error).__name__}: {error}",
            "timestamp": datetime.now(timezone.utc).isoformat(),
        }
        md = producer.send(f"{topic}.dlq", value=dead).get(timeout=30)
        print(f"{topic}.dlq: {message['key']} -> partition {md.partition} offset {md.offset}")


def main(bootstrap: str = "localhost:9092", prefix: str = "") -> None:
    with KafkaProducer(bootstrap_servers=bootstrap,
                       key_serializer=lambda k: k.encode() if k else None,
                       value_serializer=lambda v: json.dumps(v).encode()) as producer:
        topic = prefix + "orders"
        send_with_dlq(producer, topic, {"key": "order-1", "value": {"item": "book", "qty": 1}})
        send_with_dlq(producer, topic, {"key": "order-2", "value": {"item": "poster", "note": "x" * 2000}})
        send_with_dlq(producer, topic, {"key": "order-3", "value": {"item": "pen", "qty": 3}})


if __name__ == "__main__":
    main(*sys.argv[1:3])
