"""Build -> read round trips and the builder's size/limit behaviour."""
from __future__ import annotations

import struct

import pytest
from crc32c import crc32c
from hypothesis import given
from hypothesis import strategies as st
from tests.support.record_strategies import codec_and_level, producer_fields, record_lists

from purekafka.errors import DecodeError, LocalProtocolError
from purekafka.record import CompressionType, ControlRecord, RecordBatchBuilder, patch_producer_state, read_batches


def build(recs, codec=0, level=None, batch_size=1 << 30, **fields) -> bytes:
    builder = RecordBatchBuilder(compression_type=codec, compression_level=level, batch_size=batch_size, **fields)
    for ts, key, value, hdrs in recs:
        assert builder.append(ts, key, value, hdrs) is not None
    return builder.build()


@given(record_lists, codec_and_level(), producer_fields(), st.integers(-1, (1 << 31) - 1))
def test_round_trip(recs, codec_level, fields, leader_epoch) -> None:
    codec, level = codec_level
    data = build(recs, codec, level, partition_leader_epoch=leader_epoch, **fields)
    [batch] = list(read_batches(data, verify_crc=True))
    assert batch.crc_valid
    assert batch.byte_offset == 0 and batch.size == len(data)
    assert batch.magic == 2 and batch.base_offset == 0
    assert batch.compression_type == codec
    assert batch.partition_leader_epoch == leader_epoch
    assert batch.producer_id == fields["producer_id"]
    assert batch.producer_epoch == fields["producer_epoch"]
    assert batch.base_sequence == fields["base_sequence"]
    assert batch.is_transactional == fields["is_transactional"]
    assert not batch.is_control and not batch.has_delete_horizon and batch.timestamp_type == 0
    assert batch.record_count == len(recs) and batch.last_offset_delta == len(recs) - 1
    assert batch.base_timestamp == recs[0][0]
    assert batch.max_timestamp == max(r[0] for r in recs)
    got = [(r.timestamp, r.key, r.value, r.headers) for r in batch.records]
    assert got == [(ts, k, v, list(h)) for ts, k, v, h in recs]
    assert [r.offset for r in batch.records] == list(range(len(recs)))
    assert all(r.control is None and r.attributes == 0 for r in batch.records)


@given(st.lists(record_lists, min_size=1, max_size=4), st.sampled_from(list(CompressionType)))
def test_consecutive_batches(groups, codec) -> None:
    datas = [build(g, codec) for g in groups]
    batches = list(read_batches(b"".join(datas)))
    assert [b.byte_offset for b in batches] == [sum(map(len, datas[:i])) for i in range(len(datas))]
    assert [[(r.key, r.value) for r in b.records] for b in batches] == [[(k, v) for _, k, v, _ in g] for g in groups]


@given(record_lists, st.integers(0, 4000))
def test_size_accounting_and_limit(recs, batch_size) -> None:
    builder = RecordBatchBuilder(batch_size=batch_size)
    sizes = []
    for i, (ts, key, value, hdrs) in enumerate(recs):
        size = builder.append(ts, key, value, hdrs)
        if size is None:
            assert i > 0, "the first record is always accepted"
            assert builder.is_full()
            break
        sizes.append(size)
        if i > 0:
            assert builder.estimated_size() <= batch_size
    data = builder.build()
    assert len(data) == builder.estimated_size() == 61 + sum(sizes)
    assert builder.record_count == len(sizes)
    [batch] = read_batches(data)
    assert [(r.key, r.value) for r in batch.records] == [(k, v) for _, k, v, _ in recs[:len(sizes)]]


def test_full_builder_refuses_everything_after_first_refusal() -> None:
    builder = RecordBatchBuilder(batch_size=61 + 20)
    assert builder.append(0, None, b"x" * 10) is not None
    assert builder.append(0, None, b"x" * 10) is None
    assert builder.append(0, None, None) is None  # would fit, but the batch is closed for appends
    assert builder.record_count == 1


def test_build_is_final() -> None:
    builder = RecordBatchBuilder()
    builder.append(5, b"k", b"v")
    data = builder.build()
    assert builder.build() == data
    with pytest.raises(LocalProtocolError):
        builder.append(5, b"k", b"v")
    with pytest.raises(LocalProtocolError):
        RecordBatchBuilder().build()


@pytest.mark.parametrize("kwargs", [
    {"compression_type": 7}, {"compression_type": 2, "compression_level": 1},
    {"compression_type": 1, "compression_level": 10}, {"compression_type": 3, "compression_level": 18},
    {"compression_type": 0, "compression_level": 1}, {"timestamp_type": 2}, {"batch_size": -1},
])
def test_bad_builder_arguments(kwargs) -> None:
    with pytest.raises(LocalProtocolError):
        RecordBatchBuilder(**kwargs)


@pytest.mark.parametrize("ts", [-2, 1 << 63])
def test_bad_timestamps(ts) -> None:
    with pytest.raises(LocalProtocolError):
        RecordBatchBuilder().append(ts, None, b"v")


@given(record_lists, st.sampled_from(list(CompressionType)), producer_fields(), producer_fields())
def test_patch_producer_state(recs, codec, before, after) -> None:
    data = build(recs, codec, **before)
    patched = patch_producer_state(data, after["producer_id"], after["producer_epoch"],
                                   after["base_sequence"], after["is_transactional"])
    [batch] = read_batches(patched, verify_crc=True)
    assert (batch.producer_id, batch.producer_epoch, batch.base_sequence, batch.is_transactional) == (
        after["producer_id"], after["producer_epoch"], after["base_sequence"], after["is_transactional"])
    assert batch.compression_type == codec
    [original] = read_batches(data)
    assert [(r.key, r.value, r.headers, r.timestamp) for r in batch.records] == \
        [(r.key, r.value, r.headers, r.timestamp) for r in original.records]
    # Only the patched fields and the CRC may differ.
    assert patched[:17] == data[:17] and patched[23:43] == data[23:43] and patched[57:] == data[57:]


def test_crc_mismatch_is_reported_not_raised_by_default() -> None:
    data = bytearray(build([(1, b"k", b"v", [])]))
    data[-1] ^= 0xFF  # last byte of the record (headers count) changes; the CRC no longer matches
    data[-1] ^= 0xFF
    data[17] ^= 0x01  # corrupt the stored CRC itself
    [batch] = read_batches(data)
    assert not batch.crc_valid
    assert batch.crc == struct.unpack_from(">I", data, 17)[0]
    assert batch.crc != crc32c(bytes(data[21:]))
    with pytest.raises(DecodeError) as info:
        list(read_batches(data, verify_crc=True))
    assert info.value.field == "crc" and info.value.offset == 17


def test_control_batch_decoding() -> None:
    # A COMMIT marker laid out by hand from the documented control record schema:
    # key = version int16 0, type int16 1; value = version int16 0, coordinator epoch int32 7.
    key = struct.pack(">hh", 0, 1)
    value = struct.pack(">hi", 0, 7)
    builder = RecordBatchBuilder(is_transactional=True, producer_id=5, producer_epoch=1, base_sequence=-1)
    builder.append(10, key, value)
    data = bytearray(builder.build())
    attributes = struct.unpack_from(">h", data, 21)[0] | 0x20
    struct.pack_into(">h", data, 21, attributes)
    struct.pack_into(">I", data, 17, crc32c(bytes(data[21:])))
    [batch] = read_batches(data, verify_crc=True)
    assert batch.is_control and batch.is_transactional
    assert batch.records[0].control is not None
    assert batch.records[0].control == ControlRecord(version=0, type_id=1, type="COMMIT", marker_version=0,
                                                     coordinator_epoch=7)


def test_truncated_tail_can_be_tolerated() -> None:
    one = build([(1, b"k", b"v", [])])
    data = one + one[:30]
    assert len(list(read_batches(data, allow_truncated_tail=True))) == 1
    with pytest.raises(DecodeError):
        list(read_batches(data))


def test_header_arguments() -> None:
    builder = RecordBatchBuilder()
    builder.append(1, None, b"v", {"ab": b"1", "c": None})  # a dict means its items
    builder.append(1, None, b"v", [(b"raw", b"2")])  # bytes keys are taken as UTF-8 already
    [batch] = read_batches(builder.build())
    assert [r.headers for r in batch.records] == [[("ab", b"1"), ("c", None)], [("raw", b"2")]]
    with pytest.raises(TypeError):
        RecordBatchBuilder().append(1, None, b"v", [(5, b"x")])
    with pytest.raises(TypeError):
        RecordBatchBuilder().append(1, "text key", b"v")
