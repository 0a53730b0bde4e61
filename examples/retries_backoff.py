"""Retries and backoff, retriable and non-retriable errors (guide: Error Handling).

Retriable errors (network errors, leader not available, not enough replicas) are retried
with exponential backoff: ``retry_backoff_ms`` doubling up to ``retry_backoff_max_ms``,
with jitter, for at most ``retries`` retries and ``delivery_timeout_ms`` in total (the
guide's KafkaJS ``retry: {initialRetryTime: 100, retries: 8, multiplier: 2,
maxRetryTime: 30000}``). When they run out, the future fails with the last error, and
``e.retriable`` tells the two kinds apart.

Two failures a single local broker produces on demand:

- a topic that does not exist, with ``allow_auto_create_topics=False``: the producer
  keeps asking for its metadata (backing off) until ``max_block_ms``, then raises the
  retriable ``KafkaTimeoutError``;
- a record larger than ``max_request_size``: the non-retriable
  ``MessageSizeTooLargeError``, at once, without touching the other records.

Usage: python examples/retries_backoff.py [BOOTSTRAP] [TOPIC_PREFIX]
"""
from __future__ import annotations

import sys
import time

from purekafka import KafkaProducer
from purekafka.errors import KafkaError

TOPICS = {"events": 1}


def attempt(producer: KafkaProducer, topic: str, value: bytes) -> None:
    started = time.monotonic()
    try:
        md = producer.send(topic, value=value).get(timeout=60)
        print(f"{topic}: sent to partition {md.partition} at offset {md.offset}")
    except KafkaError as e:
        kind = "retriable" if e.retriable else "non-retriable"
        print(f"{topic}: failed after {time.monotonic() - started:.1f}s with {kind} "
              f"{type(e).__name__}: {e}")


def main(bootstrap: str = "localhost:9092", prefix: str = "") -> None:
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        retries=8,
        retry_backoff_ms=100,
        retry_backoff_max_ms=30000,
        delivery_timeout_ms=120000,
        max_block_ms=1500,
        allow_auto_create_topics=False,
        enable_idempotence=False,  # at-least-once, the guide's middle guarantee
    )
    attempt(producer, prefix + "events", b"an ordinary record")
    attempt(producer, prefix + "no-such-topic", b"nowhere to go")
    attempt(producer, prefix + "events", b"x" * 2_000_000)  # over max_request_size (1 MB)
    attempt(producer, prefix + "events", b"another ordinary record")
    producer.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
