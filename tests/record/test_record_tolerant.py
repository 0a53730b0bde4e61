"""read_batches_tolerant: what the strict reader reads, up to the first error, and that error."""
from __future__ import annotations

import gzip
import struct

import pytest
from crc32c import crc32c
from hypothesis import given
from hypothesis import strategies as st
from tests.support.record_strategies import record_lists

from purekafka.errors import DecodeError
from purekafka.record import (
    CompressionType,
    ReadResult,
    Record,
    RecordBatch,
    RecordBatchBuilder,
    read_batches,
    read_batches_tolerant,
)

_BATCH_FIELDS = [f for f in RecordBatch.__slots__ if f != "records"]


def build(recs, codec: int = 0, base_offset: int = 0) -> bytes:
    builder = RecordBatchBuilder(compression_type=codec, batch_size=1 << 30)
    for ts, key, value, hdrs in recs:
        builder.append(ts, key, value, hdrs)
    data = bytearray(builder.build())
    struct.pack_into(">q", data, 0, base_offset)
    return bytes(data)


def view(b: RecordBatch) -> tuple[object, ...]:
    """A batch as plain values, for comparing two reads."""
    return (*[getattr(b, f) for f in _BATCH_FIELDS], b.records)


def strict(data: bytes) -> tuple[list[RecordBatch], DecodeError | None]:
    """The batches ``read_batches`` yields and the error it ends with, if any."""
    batches: list[RecordBatch] = []
    try:
        for batch in read_batches(data):
            batches.append(batch)
    except DecodeError as exc:
        return batches, exc
    return batches, None


def same_error(a: DecodeError | None, b: DecodeError | None) -> bool:
    if a is None or b is None:
        return a is b
    return (str(a), a.field, a.offset) == (str(b), b.field, b.offset)


def check_against_strict(data: bytes) -> ReadResult:
    """The tolerant read agrees with the strict one on the same bytes, and never raises."""
    got = read_batches_tolerant(data)
    batches, error = strict(data)
    assert [view(b) for b in got.batches] == [view(b) for b in batches]
    assert same_error(got.error, error), (got.error, error)
    if error is None:
        assert got.partial is None and got.offset == len(data)
    else:
        assert 0 <= got.offset <= len(data), (got.offset, len(data), got.error)
    return got


def is_prefix(short: list[Record], long: list[Record]) -> bool:
    return len(short) <= len(long) and long[:len(short)] == short


groups = st.lists(st.tuples(record_lists, st.sampled_from(list(CompressionType))), min_size=1, max_size=3)


def segment(batches) -> tuple[bytes, list[int]]:
    """Consecutive batches with consecutive offsets; also where each batch starts."""
    out = bytearray()
    starts = []
    offset = 0
    for recs, codec in batches:
        starts.append(len(out))
        out += build(recs, codec, offset)
        offset += len(recs)
    return bytes(out), starts


@given(groups)
def test_undamaged_input_reads_as_strict_with_no_error(batches) -> None:
    data, starts = segment(batches)
    got = check_against_strict(data)
    assert got.error is None and got.partial is None and got.offset == len(data)
    assert [b.byte_offset for b in got.batches] == starts
    assert got.records == [r for b in read_batches(data) for r in b.records]


@given(groups, st.data())
def test_truncation_anywhere_keeps_a_prefix_of_the_records(batches, data) -> None:
    whole, _ = segment(batches)
    records = [r for b in read_batches(whole) for r in b.records]
    cut = data.draw(st.integers(0, len(whole) - 1))
    cut_data = bytearray(whole[:cut])
    last = max((s for s in segment(batches)[1] if s + 12 <= cut), default=None)
    if last is not None and data.draw(st.booleans()):
        # Make the cut batch's length agree with what is left, so the damage is found
        # inside the batch (in its records, or as a short header) rather than by framing.
        struct.pack_into(">i", cut_data, last + 8, cut - last - 12)
    got = check_against_strict(bytes(cut_data))
    if cut:
        assert got.error is not None
    assert is_prefix(got.records, records)
    if got.partial is not None:
        assert got.partial.byte_offset == (last if last is not None else 0)


@st.composite
def damaged(draw: st.DrawFn) -> tuple[bytes, bytes, int]:
    """Valid batches, then one change at a drawn position (which is returned too)."""
    data, starts = segment(draw(groups))
    out = bytearray(data)
    # The records area of some batch is the interesting place; aim there half the time.
    if draw(st.booleans()):
        start = draw(st.sampled_from(starts))
        i = draw(st.integers(min(start + 61, len(out) - 1), len(out) - 1))
    else:
        i = draw(st.integers(0, len(out) - 1))
    kind = draw(st.sampled_from(["flip", "set", "insert", "delete"]))
    if kind == "flip":
        out[i] ^= 1 << draw(st.integers(0, 7))
    elif kind == "set":
        out[i] = draw(st.integers(0, 255))
    elif kind == "insert":
        out[i:i] = draw(st.binary(min_size=1, max_size=8))
    else:
        del out[i:i + draw(st.integers(1, 8))]
    holder = max(s for s in starts if s <= i)
    if kind in ("insert", "delete") and holder + 12 <= len(out) and draw(st.booleans()):
        # Keep the batch length in step with the bytes added or removed.
        (length,) = struct.unpack_from(">i", data, holder + 8)
        struct.pack_into(">i", out, holder + 8, max(0, length + len(out) - len(data)))
    if holder + 61 <= len(out) and draw(st.booleans()):
        # A CRC that matches again lets the damage reach the record parser unnoticed by it.
        (length,) = struct.unpack_from(">i", out, holder + 8)
        end = holder + 12 + length
        if 0 <= length and end <= len(out):
            struct.pack_into(">I", out, holder + 17, crc32c(bytes(out[holder + 21:end])))
    return data, bytes(out), holder


@given(damaged())
def test_damage_anywhere_leaves_the_batches_before_it_and_an_offset_in_the_input(case) -> None:
    original, data, holder = case
    got = check_against_strict(data)
    before = [view(b) for b in read_batches(original) if b.byte_offset < holder]
    assert [view(b) for b in got.batches][:len(before)] == before
    if got.error is not None:
        assert 0 <= got.offset <= len(data)
        if got.partial is not None:
            # The interrupted batch is the first one not read whole.
            assert got.partial.byte_offset == (got.batches[-1].byte_offset + got.batches[-1].size
                                               if got.batches else 0)


@given(st.binary(max_size=300))
def test_random_bytes_never_raise(data: bytes) -> None:
    check_against_strict(data)


@given(groups, st.data())
def test_start_and_end_read_a_slice_with_offsets_in_the_whole(batches, data) -> None:
    whole, starts = segment(batches)
    bounds = sorted({*starts, len(whole)})
    lo = data.draw(st.sampled_from(bounds))
    hi = data.draw(st.sampled_from([b for b in bounds if b >= lo]))
    got = read_batches_tolerant(whole, start=lo, end=hi)
    alone = list(read_batches(whole[lo:hi]))
    assert got.error is None and got.offset == hi
    assert [b.byte_offset for b in got.batches] == [lo + b.byte_offset for b in alone]
    assert got.records == [r for b in alone for r in b.records]


def test_records_before_a_bad_record_are_kept() -> None:
    data = bytearray(build([(1, b"a", b"1", []), (2, b"b", b"2", []), (3, b"c", b"3", [])]))
    at = data.index(b"c")
    data[at - 1] = 0x7F  # the third record's key length: -64, which no record may have
    got = read_batches_tolerant(bytes(data))
    assert got.batches == [] and got.partial is not None
    assert [(r.key, r.value) for r in got.partial.records] == [(b"a", b"1"), (b"b", b"2")]
    assert got.error is not None and got.error.field == "records[2].keyLength"
    assert got.offset == at - 1 == got.error.offset


def test_errors_inside_compressed_records_point_at_the_compressed_block() -> None:
    recs = [(1, b"a", b"1", []), (2, b"b", b"2", [("ab", b"v")])]
    plain = bytearray(build(recs))
    at = plain.index(b"ab")
    body = bytearray(plain[61:])
    body[at - 61] = 0xFF  # a header key that is not UTF-8, inside the compressed block
    data = bytearray(build(recs, CompressionType.GZIP))
    data[61:] = gzip.compress(bytes(body), mtime=0)
    struct.pack_into(">i", data, 8, len(data) - 12)
    got = read_batches_tolerant(bytes(data))
    assert got.partial is not None and [r.key for r in got.partial.records] == [b"a"]
    assert got.error is not None and got.error.field == "records[1].headers[0].key"
    assert got.offset == 61 and got.error.offset == at - 61
    assert "decompressed" in str(got.error)


def test_a_legacy_batch_is_placed_with_the_fields_up_to_magic() -> None:
    data = bytearray(build([(1, b"k", b"v", [])]))
    struct.pack_into(">qi", data, 0, 42, len(data) - 12)
    data[16] = 1
    got = read_batches_tolerant(bytes(data))
    assert got.error is not None and got.error.field == "magic" and got.offset == 16
    assert got.partial is not None
    assert (got.partial.base_offset, got.partial.magic, got.partial.size) == (42, 1, len(data))
    assert got.partial.records == [] and got.partial.crc_computed is None and not got.partial.crc_valid


def test_start_and_end_are_checked() -> None:
    with pytest.raises(ValueError):
        read_batches_tolerant(b"abc", start=2, end=1)
    with pytest.raises(ValueError):
        read_batches_tolerant(b"abc", end=4)
