"""Published vectors: CRC-32C (RFC 3720, the common check value) and zigzag varints (protobuf)."""
from __future__ import annotations

import pytest
from crc32c import crc32c
from hypothesis import given
from hypothesis import strategies as st

from purekafka.errors import DecodeError, LocalProtocolError
from purekafka.record.varint import (
    decode_varint,
    encode_varint,
    encode_varlong,
    size_of_varint,
    zigzag_table,
)

# RFC 3720 appendix B.4 CRC examples, and the "check" value of CRC-32C (Castagnoli)
# from the catalogue of parametrised CRC algorithms.
ISCSI_READ_PDU = bytes.fromhex(
    "01c0000000000000000000000000000014000000000004000000001400000018"
    "28000000000000000200000000000000")


@pytest.mark.parametrize(("data", "expected"), [
    (b"123456789", 0xE3069283),
    (bytes(32), 0x8A9136AA),
    (b"\xff" * 32, 0x62A8AB43),
    (bytes(range(32)), 0x46DD794E),
    (bytes(range(31, -1, -1)), 0x113FDB5C),
    (ISCSI_READ_PDU, 0xD9963A56),
])
def test_crc32c_published_vectors(data: bytes, expected: int) -> None:
    assert crc32c(data) == expected


# Zigzag mapping and base-128 bytes from the protocol buffers encoding guide.
@pytest.mark.parametrize(("value", "encoded"), [
    (0, "00"), (-1, "01"), (1, "02"), (-2, "03"), (2, "04"),
    (63, "7e"), (-64, "7f"), (64, "8001"), (-65, "8101"), (150, "ac02"),
    (2147483647, "feffffff0f"), (-2147483648, "ffffffff0f"),
])
def test_zigzag_varint_vectors(value: int, encoded: str) -> None:
    assert encode_varint(value).hex() == encoded
    assert decode_varint(bytes.fromhex(encoded), 0, len(encoded) // 2, max_bytes=5) == (value, len(encoded) // 2)
    assert size_of_varint(value) == len(encoded) // 2


@pytest.mark.parametrize(("value", "encoded"), [
    ((1 << 63) - 1, "feffffffffffffffff01"),
    (-(1 << 63), "ffffffffffffffffff01"),
    (1 << 32, "8080808020"),  # zigzag 2**33: four empty groups, then 2**5
])
def test_zigzag_varlong_vectors(value: int, encoded: str) -> None:
    assert encode_varlong(value).hex() == encoded
    assert decode_varint(bytes.fromhex(encoded), 0, len(encoded) // 2) == (value, len(encoded) // 2)


def test_out_of_range_values_are_refused() -> None:
    with pytest.raises(LocalProtocolError):
        encode_varint(1 << 31)
    with pytest.raises(LocalProtocolError):
        encode_varlong(-(1 << 63) - 1)


@pytest.mark.parametrize(("data", "max_bytes"), [
    (b"", 5), (b"\x80", 5), (b"\xff\xff\xff\xff\xff\x01", 5), (b"\xff\xff\xff\xff\x7f", 5),
    (b"\xff" * 10 + b"\x01", 10), (b"\xff" * 9 + b"\x7f", 10),
])
def test_bad_varints_raise_decode_error(data: bytes, max_bytes: int) -> None:
    with pytest.raises(DecodeError) as info:
        decode_varint(data, 0, len(data), max_bytes=max_bytes, field="x")
    assert info.value.field == "x" and info.value.offset == 0


def test_table_matches_encoder() -> None:
    table = zigzag_table(1 << 14)
    assert all(table[v] == encode_varint(v) for v in range(1 << 14))


@given(st.integers(-(1 << 63), (1 << 63) - 1))
def test_varlong_round_trip(value: int) -> None:
    enc = encode_varlong(value)
    assert len(enc) == size_of_varint(value)
    assert decode_varint(enc, 0, len(enc)) == (value, len(enc))
