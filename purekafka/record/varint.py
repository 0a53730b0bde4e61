"""Zigzag varints as the v2 record format uses them (protobuf-style, signed).

Kept here rather than borrowed from ``purekafka.protocol.primitives`` because the
record hot path wants tables and inlined single-byte cases that a general
protocol reader does not need.
"""
from __future__ import annotations

from purekafka.errors import DecodeError, LocalProtocolError

__all__ = [
    "ZIGZAG_TABLE_SIZE",
    "encode_varint",
    "encode_varlong",
    "decode_varint",
    "size_of_varint",
    "zigzag_table",
]

_INT32_MIN = -(1 << 31)
_INT32_MAX = (1 << 31) - 1
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1

# Lengths and offset deltas inside a 16 KiB batch are almost always below this,
# so a tuple lookup replaces the encode loop for them.
ZIGZAG_TABLE_SIZE = 1 << 14


def _encode_unsigned(u: int) -> bytes:
    out = bytearray()
    while u > 0x7F:
        out.append((u & 0x7F) | 0x80)
        u >>= 7
    out.append(u)
    return bytes(out)


def encode_varlong(value: int) -> bytes:
    """Zigzag-encode a signed 64-bit integer (Kafka's varlong)."""
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise LocalProtocolError(f"varlong out of range: {value}")
    return _encode_unsigned(((value << 1) ^ (value >> 63)) & 0xFFFFFFFFFFFFFFFF)


def encode_varint(value: int) -> bytes:
    """Zigzag-encode a signed 32-bit integer (Kafka's varint)."""
    if not _INT32_MIN <= value <= _INT32_MAX:
        raise LocalProtocolError(f"varint out of range: {value}")
    return _encode_unsigned(((value << 1) ^ (value >> 31)) & 0xFFFFFFFF)


def size_of_varint(value: int) -> int:
    """Encoded length in bytes of a zigzag varint/varlong."""
    u = (value << 1) ^ (value >> 63)
    size = 1
    while u > 0x7F:
        u >>= 7
        size += 1
    return size


def zigzag_table(n: int = ZIGZAG_TABLE_SIZE) -> tuple[bytes, ...]:
    """Encodings of 0..n-1, indexable by the (non-negative) value."""
    return tuple(_encode_unsigned(v << 1) for v in range(n))


def decode_varint(buf: bytes | bytearray | memoryview, pos: int, end: int,
                  max_bytes: int = 10, field: str = "varint",
                  base: int = 0) -> tuple[int, int]:
    """Decode a zigzag varint starting at ``pos``; returns ``(value, next_pos)``.

    ``max_bytes`` is 5 for a varint and 10 for a varlong, as in Java's
    ``ByteUtils``. ``base`` is added to positions reported in errors.
    """
    shift = 0
    u = 0
    start = pos
    while True:
        if pos >= end:
            raise DecodeError("truncated varint", offset=base + start, field=field)
        b = buf[pos]
        pos += 1
        u |= (b & 0x7F) << shift
        if b < 0x80:
            break
        shift += 7
        if pos - start >= max_bytes:
            raise DecodeError(f"varint longer than {max_bytes} bytes", offset=base + start, field=field)
    if max_bytes == 5:
        if u > 0xFFFFFFFF:
            raise DecodeError("varint does not fit in 32 bits", offset=base + start, field=field)
    elif u > 0xFFFFFFFFFFFFFFFF:
        raise DecodeError("varlong does not fit in 64 bits", offset=base + start, field=field)
    return (u >> 1) ^ -(u & 1), pos
