"""Batches built by purekafka.record, produced over a plain socket to the real Apache Kafka,
read back by confluent-kafka (librdkafka).

Only purekafka.protocol (ApiVersions, Metadata, InitProducerId, Produce) and
purekafka.record are used on the producing side.
"""
from __future__ import annotations

import itertools
import socket
import struct
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from readback import consume
from record_strategies import small_payloads

from purekafka.protocol import api_versions, headers as protocol_headers, init_producer_id, metadata, produce
from purekafka.record import CompressionType, RecordBatchBuilder, patch_producer_state

pytestmark = pytest.mark.broker

NONE = 0
CORRUPT_MESSAGE = 2
OUT_OF_ORDER_SEQUENCE_NUMBER = 45
COORDINATOR_NOT_READY = {14, 15}  # COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE
NOT_READY = {3, 6, 100}  # UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_ID

# Offsets from the time of the test: Kafka 4 refuses timestamps more than an hour
# ahead (log.message.timestamp.after.max.ms), so records carry "now + delta".
# librdkafka hands header names to Python as C strings, so a NUL in a name cannot be
# read back by confluent-kafka (Java reads it fine; see test_record_java.py).
broker_headers = st.lists(
    st.tuples(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"),
                      max_size=12),
              small_payloads), max_size=4)
record_specs = st.lists(st.tuples(st.integers(-100_000, 100_000), small_payloads, small_payloads, broker_headers),
                        min_size=1, max_size=20)
broker_settings = settings(max_examples=2, suppress_health_check=[HealthCheck.function_scoped_fixture])


class Conn:
    """One blocking socket that sends whole frames and reads whole responses."""

    _ids = itertools.count(1)

    def __init__(self, addr: tuple[str, int]) -> None:
        self.sock = socket.create_connection(addr, timeout=30)

    def close(self) -> None:
        self.sock.close()

    def _exact(self, n: int) -> bytes:
        parts = []
        while n:
            chunk = self.sock.recv(n)
            if not chunk:
                raise ConnectionError("broker closed the connection")
            parts.append(chunk)
            n -= len(chunk)
        return b"".join(parts)

    def send(self, api_key: int, version: int, body: bytes) -> int:
        corr = next(self._ids)
        self.sock.sendall(protocol_headers.encode_request_frame(api_key, version, corr, "purekafka-record-test", body))
        return corr

    def call(self, module, version: int, body: bytes):  # type: ignore[no-untyped-def]
        corr = self.send(module.API_KEY, version, body)
        (size,) = struct.unpack(">i", self._exact(4))
        frame = self._exact(size)
        got, off = protocol_headers.decode_response_header(
            frame, protocol_headers.response_header_version(module.API_KEY, version))
        assert got == corr
        return module.decode_response(frame[off:], version)


@pytest.fixture(scope="module")
def broker(kafka):  # type: ignore[no-untyped-def]
    conn = Conn(kafka.addresses[0])
    versions = conn.call(api_versions, api_versions.MAX_VERSION,
                         api_versions.encode_request(api_versions.ApiVersionsRequest("purekafka", "0.1.0"),
                                                     api_versions.MAX_VERSION)).versions()
    lo, hi = versions[produce.API_KEY]
    produce_version = min(hi, produce.MAX_VERSION)
    assert produce_version >= max(lo, produce.MIN_VERSION)
    yield conn, produce_version, min(versions[metadata.API_KEY][1], metadata.MAX_VERSION), \
        min(versions[init_producer_id.API_KEY][1], init_producer_id.MAX_VERSION)
    conn.close()


def topic_ref(conn: Conn, md_version: int, produce_version: int, topic: str):  # type: ignore[no-untyped-def]
    """The topic as Produce at this version names it: its id from v13, else its name."""
    if produce_version < 13:
        return topic
    req = metadata.MetadataRequest([metadata.MetadataRequestTopic(name=topic)], False)
    resp = conn.call(metadata, md_version, metadata.encode_request(req, md_version))
    [t] = resp.topics
    assert t.error_code == NONE and t.partitions[0].leader_id >= 0
    return t.topic_id


def build(specs, now_ms: int, codec: int, **fields) -> tuple[bytes, list[tuple[int, bytes | None, bytes | None, list]]]:
    recs = [(now_ms + d, k, v, h) for d, k, v, h in specs]
    builder = RecordBatchBuilder(compression_type=codec, batch_size=1 << 20, **fields)
    for ts, key, value, hdrs in recs:
        assert builder.append(ts, key, value, hdrs) is not None
    return builder.build(), recs


def produce_one(conn: Conn, version: int, ref, batch: bytes, acks: int,  # type: ignore[no-untyped-def]
                partition: int = 0, retry_not_ready: bool = True):
    body = produce.build_request(version, None, acks, 30_000, [(ref, [(partition, batch)])])
    if acks == 0:
        conn.send(produce.API_KEY, version, body)  # the broker sends no response at acks=0
        return None
    deadline = time.monotonic() + 15
    while True:
        resp = conn.call(produce, version, body)
        [topic] = resp.responses
        [part] = topic.partition_responses
        # Just after creation the broker may list itself as leader in metadata a moment
        # before its replica manager takes the partition; a real producer retries too.
        if retry_not_ready and part.error_code in NOT_READY and time.monotonic() < deadline:
            time.sleep(0.1)
            continue
        return part


def assert_read_back(kafka, topic: str, recs, partition: int = 0, extra: int = 0) -> None:  # type: ignore[no-untyped-def]
    got = [r for r in consume(kafka.bootstrap, topic, len(recs) + extra) if r.partition == partition]
    assert [(r.offset, r.key, r.value, r.headers, r.timestamp, r.timestamp_type) for r in got] == \
        [(i, k, v, list(h), ts, 1) for i, (ts, k, v, h) in enumerate(recs)]


@pytest.mark.parametrize("acks", [0, 1, -1])
@pytest.mark.parametrize("codec", list(CompressionType), ids=[c.name.lower() for c in CompressionType])
@broker_settings
@given(specs=record_specs)
def test_produce_and_read_back(kafka, broker, topic_factory, codec, acks, specs) -> None:
    conn, version, md_version, _ = broker
    batch, recs = build(specs, int(time.time() * 1000), codec)
    if acks == 0:
        # Nothing comes back at acks=0, so first make sure the broker leads the topic:
        # an acks=1 record to partition 1 (same broker, same metadata update) must land.
        topic = topic_factory(partitions=2)
        ref = topic_ref(conn, md_version, version, topic)
        warm = produce_one(conn, version, ref, build([(0, b"warm-up", None, [])], int(time.time() * 1000), 0)[0],
                           1, partition=1)
        assert warm.error_code == NONE
        # A fresh connection: at acks=0 the broker answers an error by closing the socket.
        side = Conn(kafka.addresses[0])
        try:
            assert produce_one(side, version, ref, batch, 0) is None
        finally:
            side.close()
        assert_read_back(kafka, topic, recs, extra=1)
    else:
        topic = topic_factory()
        part = produce_one(conn, version, topic_ref(conn, md_version, version, topic), batch, acks)
        assert (part.error_code, part.base_offset) == (NONE, 0)
        assert_read_back(kafka, topic, recs)


@pytest.mark.parametrize("codec", [0, 3])
def test_wrong_crc_is_corrupt_message(kafka, broker, topic_factory, codec) -> None:
    conn, version, md_version, _ = broker
    topic = topic_factory()
    batch = bytearray(build([(0, b"k", b"v" * 40, [])], int(time.time() * 1000), codec)[0])
    batch[17] ^= 0x5A
    part = produce_one(conn, version, topic_ref(conn, md_version, version, topic), bytes(batch), 1)
    assert part.error_code == CORRUPT_MESSAGE


def test_patched_producer_state_is_accepted_in_sequence(kafka, broker, topic_factory) -> None:
    """Batches built without producer state, patched at 'drain time' as the accumulator will do."""
    conn, version, md_version, pid_version = broker
    topic = topic_factory()
    req = init_producer_id.InitProducerIdRequest(transactional_id=None, transaction_timeout_ms=60_000)
    deadline = time.monotonic() + 30
    while True:
        pid = conn.call(init_producer_id, pid_version, init_producer_id.encode_request(req, pid_version))
        if pid.error_code in COORDINATOR_NOT_READY and time.monotonic() < deadline:
            time.sleep(0.2)  # the producer-id manager is still starting
            continue
        break
    assert pid.error_code == NONE and pid.producer_id >= 0
    ref = topic_ref(conn, md_version, version, topic)
    now = int(time.time() * 1000)
    first, recs1 = build([(0, b"a", b"1", []), (1, b"b", b"2", [("h", None)])], now, 4)
    second, recs2 = build([(2, b"c", b"3", [])], now, 2)

    def patched(batch: bytes, seq: int) -> bytes:
        return patch_producer_state(batch, pid.producer_id, pid.producer_epoch, seq, False)

    ok1 = produce_one(conn, version, ref, patched(first, 0), -1)
    assert (ok1.error_code, ok1.base_offset) == (NONE, 0)
    # A gap in the sequence is refused, which shows the broker reads the patched fields.
    gap = produce_one(conn, version, ref, patched(second, 7), -1)
    assert gap.error_code == OUT_OF_ORDER_SEQUENCE_NUMBER
    # A retry of the same batch is deduplicated: same base offset, nothing appended twice.
    again = produce_one(conn, version, ref, patched(first, 0), -1)
    assert (again.error_code, again.base_offset) == (NONE, 0)
    ok2 = produce_one(conn, version, ref, patched(second, 2), -1)
    assert (ok2.error_code, ok2.base_offset) == (NONE, 2)
    assert_read_back(kafka, topic, recs1 + recs2)
