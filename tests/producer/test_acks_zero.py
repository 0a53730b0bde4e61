"""acks=0 against the real broker: nothing answers, so nothing may wait for an answer.

With acks=0 the only signal the I/O loop gets is the socket taking the bytes. These
tests send more than one drain round's worth (several batches per partition), which
is what used to leave the loop asleep in ``select`` with batches still queued.
"""
from __future__ import annotations

import time

import pytest

from purekafka import KafkaProducer
from tests.support.readback import consume, wait_until_writable

pytestmark = pytest.mark.broker

PARTITIONS = 3


def _send_all_and_read_back(kafka, topic: str, n: int, size: int, **conf) -> float:
    """Send ``n`` keyed records of ``size`` bytes with acks=0; return flush's seconds."""
    wait_until_writable(kafka.bootstrap, topic)
    p = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks=0, enable_idempotence=False, **conf)
    try:
        futures = [p.send(topic, key=b"k%d" % i, value=(b"%06d" % i).ljust(size, b"x"))
                   for i in range(n)]
        start = time.monotonic()
        p.flush(20)
        took = time.monotonic() - start
        assert all(f.succeeded() for f in futures)
    finally:
        # A bounded close: an unbounded one would hang with the producer it is testing.
        p.close(5)
    got = consume(kafka.bootstrap, topic, n, timeout=30)
    assert sorted(c.value[:6] for c in got) == [b"%06d" % i for i in range(n)]
    assert all(len(c.value) == size for c in got)
    per_key: dict[bytes, list[int]] = {}
    for c in got:
        per_key.setdefault(c.key, []).append(int(c.value[:6]))
    assert all(v == sorted(v) for v in per_key.values())  # a key's records keep their order
    return took


def test_acks0_400_records_of_5000_bytes_are_all_delivered(kafka, topic_factory) -> None:
    # The reported hang: flush(20) timed out with 9 of 400 futures done (one
    # batch per partition, three records each), the I/O thread in select().
    topic = topic_factory(partitions=PARTITIONS)
    took = _send_all_and_read_back(kafka, topic, 400, 5000, linger_ms=0, batch_size=16384)
    assert took < 10, f"flush took {took:.1f}s"


def test_acks0_small_batches_with_linger_are_all_delivered(kafka, topic_factory) -> None:
    topic = topic_factory(partitions=PARTITIONS)
    _send_all_and_read_back(kafka, topic, 400, 5000, linger_ms=5, batch_size=1024)


def test_acks0_with_a_tiny_send_buffer_is_all_delivered(kafka, topic_factory) -> None:
    # Every request is written in pieces: completion must wait for the last piece.
    topic = topic_factory(partitions=PARTITIONS)
    _send_all_and_read_back(kafka, topic, 400, 5000, linger_ms=0, batch_size=16384,
                            send_buffer_bytes=4096)
