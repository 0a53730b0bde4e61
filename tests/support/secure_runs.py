"""Runs of purekafka.KafkaProducer against the secure listeners (tests/security).

``produce`` sends and waits for every future; ``first_failure`` drives a producer that must be
refused and returns the error it raised and how long that took, wherever it surfaced (the
constructor's bootstrap, ``send()``'s future or ``flush()``).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from purekafka import KafkaProducer

# What a refused producer is given to wait at most: a failure must come far sooner.
MAX_BLOCK_MS = 60000
# "Fast": well below max_block_ms (and the 30 s bootstrap timeout), room for a slow machine.
FAST_S = 10.0


def records(tag: str, count: int) -> list[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    """(key, value, headers) triples that name the run, so a stray record shows."""
    return [(f"k{i}".encode(), f"{tag}-{i}".encode(), [("run", tag.encode())]) for i in range(count)]


def produce(settings: dict[str, Any], topic: str, rows: list[tuple[bytes, bytes, list[tuple[str, bytes]]]],
            **extra: Any) -> list[Any]:
    """Send ``rows`` with a producer built from ``settings``; the RecordMetadata of each, in order."""
    producer = KafkaProducer(**settings, **{"max_block_ms": 30000, **extra})
    try:
        futures = [producer.send(topic, key=k, value=v, headers=h) for k, v, h in rows]
        producer.flush(timeout=60)
        return [f.get(timeout=30) for f in futures]
    finally:
        producer.close(timeout=10)


def first_failure(settings: dict[str, Any], topic: str, **extra: Any) -> tuple[BaseException, float]:
    """The error a refused producer raises, and the seconds from construction to it.

    AssertionError if the record is accepted after all."""
    t0 = time.monotonic()
    producer = None
    try:
        producer = KafkaProducer(**settings, **{"max_block_ms": MAX_BLOCK_MS, **extra})
        future = producer.send(topic, b"must-not-arrive")
        producer.flush(timeout=MAX_BLOCK_MS / 1000)
        future.get(timeout=MAX_BLOCK_MS / 1000)
    except Exception as e:  # noqa: BLE001 - the caller asserts the class
        return e, time.monotonic() - t0
    finally:
        if producer is not None:
            producer.close(timeout=5)
    raise AssertionError(f"the broker accepted a record it must refuse (settings {sorted(settings)})")


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        # The raw arguments too: a secret passed as an argument but not formatted still leaks
        # to any handler that formats differently.
        self.lines.append(f"{text} {record.args!r}")


@contextmanager
def debug_log(name: str = "purekafka") -> Iterator[list[str]]:
    """Everything ``name``'s loggers emit at DEBUG, formatted, while the block runs."""
    logger = logging.getLogger(name)
    handler = _Capture()
    old = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
