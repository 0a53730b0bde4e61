"""Synchronous send: wait for the broker's acknowledgement (guide pattern 2).

``future.get(timeout)`` blocks until the record is written (acks='all' by default) and
returns its ``RecordMetadata``, or raises the ``KafkaError`` that failed it.

Usage: python examples/synchronous_send.py [BOOTSTRAP] [TOPIC_PREFIX]
"""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

from purekafka import KafkaProducer
from purekafka.errors import KafkaError

TOPICS = {"user-events": 1}


def main(bootstrap: str = "localhost:9092", prefix: str = "") -> None:
    topic = prefix + "user-events"
    with KafkaProducer(
        bootstrap_servers=bootstrap,
        key_serializer=str.encode,
        value_serializer=lambda v: json.dumps(v).encode(),
    ) as producer:
        now = datetime.now(timezone.utc)
        event = {"userId": "user1", "action": "login", "timestamp": now.isoformat()}
        headers = [("content-type", b"application/json"), ("source", b"synchronous_send")]
        try:
            # timestamp_ms sets the record's CreateTime (default: the time of send()).
            metadata = producer.send(topic, key="user1", value=event, headers=headers,
                                     timestamp_ms=int(now.timestamp() * 1000)).get(timeout=10)
        except KafkaError as e:
            print(f"Failed to send message: {e}", file=sys.stderr)
            raise SystemExit(1)
        print(f"Message sent to partition {metadata.partition} with offset {metadata.offset} "
              f"(timestamp {metadata.timestamp})")


if __name__ == "__main__":
    main(*sys.argv[1:3])
