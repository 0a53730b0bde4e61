"""Corrupt input ends in DecodeError naming a field and byte offset, never another exception."""
from __future__ import annotations

import struct

import pytest
from crc32c import crc32c
from hypothesis import given
from hypothesis import strategies as st
from tests.support.record_strategies import record_lists

from purekafka.errors import DecodeError
from purekafka.record import CompressionType, RecordBatchBuilder, read_batches


def build(recs, codec=0) -> bytes:
    builder = RecordBatchBuilder(compression_type=codec, batch_size=1 << 30)
    for ts, key, value, hdrs in recs:
        builder.append(ts, key, value, hdrs)
    return builder.build()


def decode_all(data: bytes, **kw) -> None:
    for batch in read_batches(data, **kw):
        for r in batch.records:
            (r.key, r.value, r.headers)


def check(data: bytes, **kw) -> DecodeError | None:
    """Decode; a DecodeError must carry a field and an in-range offset."""
    try:
        decode_all(data, **kw)
    except DecodeError as exc:
        assert exc.field, exc
        assert exc.offset is not None and exc.offset >= 0, exc
        return exc
    return None


def recrc(data: bytearray, start: int = 0) -> bytearray:
    struct.pack_into(">I", data, start + 17, crc32c(bytes(data[start + 21:])))
    return data


@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    check(data)


@given(st.binary(min_size=49, max_size=49), st.binary(max_size=200))
def test_random_bytes_behind_a_plausible_header(middle: bytes, records: bytes) -> None:
    # A header whose length and magic are right, so decoding reaches the records.
    body = bytearray(middle + records)
    body[4] = 2  # magic sits at offset 16 of the batch = 4 of this part
    body[9:11] = b"\x00" + bytes([body[10] & 0x07])  # attributes: some codec, no control bit
    check(struct.pack(">qi", 0, len(body)) + bytes(body))


@st.composite
def mutations(draw: st.DrawFn) -> tuple[bytes, bytes]:
    recs = draw(record_lists)
    codec = draw(st.sampled_from(list(CompressionType)))
    data = bytearray(build(recs, codec))
    kind = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete"]))
    # Corrupting the records area (offset >= 61) is the interesting case; mostly aim there.
    lo = draw(st.sampled_from([0, 61])) if len(data) > 61 else 0
    i = draw(st.integers(lo, len(data) - 1))
    if kind == "flip":
        data[i] ^= 1 << draw(st.integers(0, 7))
    elif kind == "set":
        data[i] = draw(st.integers(0, 255))
    elif kind == "truncate":
        del data[i:]
    elif kind == "insert":
        data[i:i] = draw(st.binary(min_size=1, max_size=8))
    else:
        del data[i:i + draw(st.integers(1, 8))]
    if kind in ("insert", "delete", "truncate") and len(data) >= 12 and draw(st.booleans()):
        struct.pack_into(">i", data, 8, len(data) - 12)  # keep the batch length consistent
    if len(data) >= 61 and draw(st.booleans()):
        recrc(data)  # with a fixed-up CRC the damage reaches the record parser
    return bytes(data), bytes(build(recs, codec))


@given(mutations())
def test_mutated_batches(case) -> None:
    data, _ = case
    check(data)
    check(data, verify_crc=True)
    check(data, allow_truncated_tail=True)


@given(record_lists)
def test_every_truncation_is_an_error(recs) -> None:
    data = build(recs)
    # Every cut through the header and first records, then a stride through large values.
    for cut in [*range(1, min(len(data), 400)), *range(400, len(data), 97)]:
        with pytest.raises(DecodeError):
            decode_all(data[:cut])
        # Tolerated only as a partial *trailing* batch; nothing is yielded from it.
        assert list(read_batches(data[:cut], allow_truncated_tail=True)) == []


def test_wrong_magic() -> None:
    data = bytearray(build([(1, b"k", b"v", [])]))
    data[16] = 1
    exc = check(bytes(data))
    assert exc and exc.field == "magic" and exc.offset == 16


def test_batch_length_too_small_and_too_large() -> None:
    data = bytearray(build([(1, b"k", b"v", [])]))
    struct.pack_into(">i", data, 8, 10)
    exc = check(bytes(data))
    assert exc and exc.field == "batchLength" and exc.offset == 8
    struct.pack_into(">i", data, 8, len(data))
    exc = check(bytes(data))
    assert exc and exc.field == "batchLength"


def test_record_count_larger_than_records() -> None:
    data = recrc(bytearray(build([(1, b"k", b"v", [])] * 3)))
    struct.pack_into(">i", data, 57, 4)
    exc = check(bytes(recrc(data)))
    assert exc and exc.field == "recordsCount"


def test_record_count_smaller_than_records() -> None:
    data = bytearray(build([(1, b"k", b"v", [])] * 3))
    struct.pack_into(">i", data, 57, 2)
    exc = check(bytes(recrc(data)))
    assert exc and exc.field == "recordsCount" and "left after" in str(exc)


def test_negative_record_count() -> None:
    data = bytearray(build([(1, b"k", b"v", [])]))
    struct.pack_into(">i", data, 57, -1)
    exc = check(bytes(recrc(data)))
    assert exc and exc.field == "recordsCount" and exc.offset == 57


def test_bad_key_length_names_the_record_and_field() -> None:
    data = bytearray(build([(1, b"k", b"v", []), (1, b"kk", b"v", [])]))
    # Second record: length(1) attrs(1) tsDelta(1) offsetDelta(1) keyLength(1) ...
    first_len = data[61] >> 1
    second = 61 + 1 + first_len
    key_length_at = second + 4
    assert data[key_length_at] == 4  # zigzag(2)
    data[key_length_at] = 5  # zigzag(-3): not a legal length
    exc = check(bytes(recrc(data)))
    assert exc and exc.field == "records[1].keyLength" and exc.offset == key_length_at


def test_overlong_varint() -> None:
    data = bytearray(build([(1, b"k", b"v", [])]))
    # Replace the record's timestamp delta (offset 63) by an 11-byte varlong, keeping lengths right.
    data[63:64] = b"\xff" * 10 + b"\x01"
    data[61] = (data[61] >> 1) + 10 << 1
    struct.pack_into(">i", data, 8, len(data) - 12)
    exc = check(bytes(recrc(data)))
    assert exc and exc.field == "records[0].timestampDelta" and exc.offset == 63


def test_non_utf8_header_key() -> None:
    data = bytearray(build([(1, None, None, [("ab", b"v")])]))
    at = data.index(b"ab")
    data[at] = 0xFF
    exc = check(bytes(recrc(data)))
    assert exc and exc.field == "records[0].headers[0].key" and exc.offset == at


@pytest.mark.parametrize("codec", [1, 2, 3, 4])
def test_garbage_compressed_data(codec) -> None:
    data = bytearray(build([(1, b"k", b"v" * 50, [])], codec))
    data[61:] = b"\x00garbage!" * 3
    struct.pack_into(">i", data, 8, len(data) - 12)
    exc = check(bytes(recrc(data)))
    assert exc and exc.field.startswith("records (") and exc.offset == 61


@pytest.mark.parametrize("codec", [5, 6, 7])
def test_unknown_codec(codec) -> None:
    data = bytearray(build([(1, b"k", b"v", [])]))
    data[22] = codec
    exc = check(bytes(recrc(data)))
    assert exc and exc.field == "attributes" and exc.offset == 21


def test_varint_wider_than_java_allows() -> None:
    # Offset delta 0 written as a six-byte varint (five continuation bytes): Java's
    # ByteUtils.readVarint refuses more than five bytes, and so do we.
    data = bytearray(build([(1, b"k", b"v", [])]))
    assert data[64] == 0  # length(61) attributes(62) timestampDelta(63) offsetDelta(64)
    data[64:65] = b"\x80" * 5 + b"\x00"
    data[61] = (data[61] >> 1) + 5 << 1
    struct.pack_into(">i", data, 8, len(data) - 12)
    exc = check(bytes(recrc(data)))
    assert exc and exc.field == "records[0].offsetDelta" and exc.offset == 64


def test_legacy_message_set_names_the_magic() -> None:
    # A v1 message laid out by hand from the documented legacy format: offset, size,
    # crc, magic 1, attributes, timestamp, key (null), value "hi". Shorter than a v2 header.
    message = struct.pack(">bbq", 1, 0, 1000) + struct.pack(">i", -1) + struct.pack(">i", 2) + b"hi"
    data = struct.pack(">qiI", 0, 4 + len(message), 0) + message
    exc = check(data)
    assert exc and exc.field == "magic" and exc.offset == 16 and "magic 1" in str(exc)
