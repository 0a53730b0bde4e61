"""Batches built by purekafka.record, produced over a plain socket to the real Apache Kafka,
read back by confluent-kafka (librdkafka).

Only purekafka.protocol (ApiVersions, Metadata, InitProducerId, Produce) and
purekafka.record are used on the producing side.
"""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.readback import consume
from tests.support.record_broker import NONE, Broker, Conn, build, connect, init_pid, produce_one, topic_ref
from tests.support.record_strategies import small_payloads

from purekafka.record import CompressionType, patch_producer_state

pytestmark = pytest.mark.broker

CORRUPT_MESSAGE = 2
OUT_OF_ORDER_SEQUENCE_NUMBER = 45

# librdkafka hands header names to Python as C strings, so a NUL in a name cannot be
# read back by confluent-kafka (Java reads it fine; see test_record_java.py).
broker_headers = st.lists(
    st.tuples(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"),
                      max_size=12),
              small_payloads), max_size=4)
# Timestamps are offsets from the time of the test: Kafka 4 refuses timestamps more
# than an hour ahead (log.message.timestamp.after.max.ms).
record_specs = st.lists(st.tuples(st.integers(-100_000, 100_000), small_payloads, small_payloads, broker_headers),
                        min_size=1, max_size=20)
broker_settings = settings(max_examples=2, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def broker(kafka) -> Iterator[Broker]:  # type: ignore[no-untyped-def]
    b = connect(kafka.addresses[0])
    yield b
    b.close()


def assert_read_back(kafka, topic: str, recs, partition: int = 0, extra: int = 0) -> None:  # type: ignore[no-untyped-def]
    got = [r for r in consume(kafka.bootstrap, topic, len(recs) + extra) if r.partition == partition]
    assert [(r.offset, r.key, r.value, r.headers, r.timestamp, r.timestamp_type) for r in got] == \
        [(i, k, v, list(h), ts, 1) for i, (ts, k, v, h) in enumerate(recs)]


@pytest.mark.parametrize("acks", [0, 1, -1])
@pytest.mark.parametrize("codec", list(CompressionType), ids=[c.name.lower() for c in CompressionType])
@broker_settings
@given(specs=record_specs)
def test_produce_and_read_back(kafka, broker, topic_factory, codec, acks, specs) -> None:
    batch, recs = build(specs, int(time.time() * 1000), codec)
    if acks == 0:
        # Nothing comes back at acks=0, so first make sure the broker leads the topic:
        # an acks=1 record to partition 1 (same broker, same metadata update) must land.
        topic = topic_factory(partitions=2)
        ref = topic_ref(broker, topic)
        warm = produce_one(broker, ref, build([(0, b"warm-up", None, [])], int(time.time() * 1000), 0)[0], 1,
                           partition=1)
        assert warm.error_code == NONE
        # A fresh connection: at acks=0 the broker answers an error by closing the socket.
        side = Conn(kafka.addresses[0])
        try:
            assert produce_one(broker, ref, batch, 0, conn=side) is None
        finally:
            side.close()
        assert_read_back(kafka, topic, recs, extra=1)
    else:
        topic = topic_factory()
        part = produce_one(broker, topic_ref(broker, topic), batch, acks)
        assert (part.error_code, part.base_offset) == (NONE, 0)
        assert_read_back(kafka, topic, recs)


@pytest.mark.parametrize("codec", [0, 3])
def test_wrong_crc_is_corrupt_message(broker, topic_factory, codec) -> None:
    topic = topic_factory()
    batch = bytearray(build([(0, b"k", b"v" * 40, [])], int(time.time() * 1000), codec)[0])
    batch[17] ^= 0x5A
    part = produce_one(broker, topic_ref(broker, topic), bytes(batch), 1)
    assert part.error_code == CORRUPT_MESSAGE


def test_patched_producer_state_is_accepted_in_sequence(kafka, broker, topic_factory) -> None:
    """Batches built without producer state, patched at 'drain time' as the accumulator will do."""
    topic = topic_factory()
    pid = init_pid(broker)
    ref = topic_ref(broker, topic)
    now = int(time.time() * 1000)
    first, recs1 = build([(0, b"a", b"1", []), (1, b"b", b"2", [("h", None)])], now, 4)
    second, recs2 = build([(2, b"c", b"3", [])], now, 2)

    def patched(batch: bytes, seq: int) -> bytes:
        return patch_producer_state(batch, pid.producer_id, pid.producer_epoch, seq, False)

    ok1 = produce_one(broker, ref, patched(first, 0), -1)
    assert (ok1.error_code, ok1.base_offset) == (NONE, 0)
    # A gap in the sequence is refused, which shows the broker reads the patched fields.
    gap = produce_one(broker, ref, patched(second, 7), -1)
    assert gap.error_code == OUT_OF_ORDER_SEQUENCE_NUMBER
    # A retry of the same batch is deduplicated: same base offset, nothing appended twice.
    again = produce_one(broker, ref, patched(first, 0), -1)
    assert (again.error_code, again.base_offset) == (NONE, 0)
    ok2 = produce_one(broker, ref, patched(second, 2), -1)
    assert (ok2.error_code, ok2.base_offset) == (NONE, 2)
    assert_read_back(kafka, topic, recs1 + recs2)
