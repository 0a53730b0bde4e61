"""Read the broker's own log segments with purekafka.record.

Apache Kafka stores batches on disk as they travel on the wire, so its .log files
are a second, independent source of real batches: ours after the broker assigned
offsets and leader epochs, ones the broker (Java) recompressed or stamped with
LogAppendTime, and the transaction markers its coordinator writes.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.readback import consume
from tests.support.record_broker import (
    NONE,
    Broker,
    build,
    connect,
    end_transaction,
    init_pid,
    produce_one,
    topic_ref,
    wait_for_transaction_coordinator,
)

from purekafka.record import CompressionType, RecordBatch, read_batches

pytestmark = pytest.mark.broker


@pytest.fixture(scope="module")
def broker(kafka) -> Iterator[Broker]:  # type: ignore[no-untyped-def]
    if kafka.dir is None:
        pytest.skip("needs the broker's log directory, so not with PUREKAFKA_BOOTSTRAP")
    b = connect(kafka.addresses[0])
    yield b
    b.close()


def segment_batches(kafka, topic: str, expect: int, partition: int = 0) -> list[RecordBatch]:  # type: ignore[no-untyped-def]
    """Batches in the partition's log segments, waiting up to 15 s for ``expect`` of them."""
    deadline = time.monotonic() + 15
    while True:
        files = sorted(Path(kafka.dir).glob(f"node-*/data/{topic}-{partition}/*.log"))
        assert files, f"no segment for {topic}-{partition} under {kafka.dir}"
        batches = [b for f in files for b in read_batches(f.read_bytes(), verify_crc=True)]
        if len(batches) >= expect or time.monotonic() > deadline:
            return batches
        time.sleep(0.1)


def records_of(batch: RecordBatch) -> list[tuple[int, bytes | None, bytes | None, list]]:
    return [(r.timestamp, r.key, r.value, r.headers) for r in batch.records]


def test_our_batches_on_disk(kafka, broker, topic_factory) -> None:
    topic = topic_factory()
    ref = topic_ref(broker, topic)
    now = int(time.time() * 1000)
    sent = []
    for codec in CompressionType:
        specs = [(i, b"k%d" % i, bytes([codec]) * (i * 30), [("codec", codec.name.encode())]) for i in range(5)]
        batch, recs = build(specs, now, codec)
        part = produce_one(broker, ref, batch, -1)
        assert part.error_code == NONE
        sent.append((codec, part.base_offset, recs))
    batches = segment_batches(kafka, topic, len(sent))
    assert len(batches) == len(sent)
    for disk, (codec, base_offset, recs) in zip(batches, sent):
        assert disk.crc_valid and disk.compression_type == codec
        assert disk.base_offset == base_offset == 5 * codec
        assert disk.partition_leader_epoch >= 0  # stamped by the broker (outside the CRC)
        assert [r.offset for r in disk.records] == list(range(base_offset, base_offset + 5))
        assert records_of(disk) == recs


def test_log_append_time_batches(kafka, broker, topic_factory) -> None:
    topic = topic_factory(config={"message.timestamp.type": "LogAppendTime"})
    batch, recs = build([(-50_000, b"a", b"1", []), (0, None, b"2", [])], int(time.time() * 1000), 3)
    part = produce_one(broker, topic_ref(broker, topic), batch, 1)
    assert part.error_code == NONE and part.log_append_time_ms > 0
    [disk] = segment_batches(kafka, topic, 1)
    # The broker set the timestamp type bit and maxTimestamp, and so recomputed the CRC.
    assert disk.crc_valid and disk.timestamp_type == 1
    assert disk.max_timestamp == part.log_append_time_ms
    assert [r.timestamp for r in disk.records] == [part.log_append_time_ms] * 2
    assert [(r.key, r.value) for r in disk.records] == [(b"a", b"1"), (None, b"2")]
    got = consume(kafka.bootstrap, topic, 2)
    assert [(r.timestamp, r.timestamp_type) for r in got] == [(part.log_append_time_ms, 2)] * 2  # 2: LogAppendTime


@pytest.mark.parametrize("target", ["gzip", "snappy", "lz4", "zstd"])
def test_batches_the_broker_recompressed(kafka, broker, topic_factory, target) -> None:
    topic = topic_factory(config={"compression.type": target})
    specs = [(i, b"key", b"value %d " % i * 20, [("h", b"v"), ("n", None)]) for i in range(30)]
    batch, recs = build(specs, int(time.time() * 1000), CompressionType.NONE)
    assert produce_one(broker, topic_ref(broker, topic), batch, 1).error_code == NONE
    [disk] = segment_batches(kafka, topic, 1)
    assert disk.compression_type == CompressionType[target.upper()]
    assert disk.crc_valid and records_of(disk) == recs


def test_transaction_markers(kafka, broker, topic_factory) -> None:
    topic = topic_factory()
    ref = topic_ref(broker, topic)
    txn_id = f"purekafka-record-{uuid.uuid4().hex[:8]}"
    wait_for_transaction_coordinator(broker, txn_id)
    pid = init_pid(broker, txn_id)
    producer_id, epoch = pid.producer_id, pid.producer_epoch
    now = int(time.time() * 1000)
    outcomes = []
    for n, commit in enumerate([True, False, True]):
        batch, _ = build([(0, b"txn", b"%d" % n, [])], now, CompressionType.ZSTD, producer_id=producer_id,
                         producer_epoch=epoch, base_sequence=0 if n == 0 or broker.end_txn >= 5 else n,
                         is_transactional=True)
        part = produce_one(broker, ref, batch, -1, transactional_id=txn_id)
        assert part.error_code == NONE, part
        resp = end_transaction(broker, txn_id, producer_id, epoch, commit)
        assert resp.error_code == NONE, resp
        marker_epoch = epoch
        if broker.end_txn >= 5 and resp.producer_epoch >= 0:
            # Transaction protocol v2 (KIP-890): every EndTxn bumps the epoch.
            producer_id, epoch = resp.producer_id, resp.producer_epoch
            marker_epoch = epoch
        outcomes.append((commit, marker_epoch))
    batches = segment_batches(kafka, topic, 6)
    data = [b for b in batches if not b.is_control]
    markers = [b for b in batches if b.is_control]
    assert len(data) == 3 and len(markers) == 3
    assert all(b.is_transactional for b in batches)
    assert {b.producer_id for b in batches} <= {pid.producer_id, producer_id}
    for marker, (commit, marker_epoch) in zip(markers, outcomes):
        assert marker.is_transactional and marker.record_count == 1
        [record] = marker.records
        assert record.control is not None
        assert record.control.type == ("COMMIT" if commit else "ABORT") and record.control.version == 0
        assert record.control.coordinator_epoch is not None and record.control.coordinator_epoch >= 0
        assert marker.producer_epoch == marker_epoch
    # Read committed hides the aborted record; librdkafka agrees with the markers we decoded.
    got = consume(kafka.bootstrap, topic, 2)
    assert [r.value for r in got] == [b"0", b"2"]
