"""Wire primitives: a growable ``Writer`` and a sticky-error ``Reader``.

Kafka's protocol has fixed-width big-endian integers, zig-zag varints
(signed) and plain unsigned varints, strings and byte arrays in a classic
(int16/int32 length) and a compact (unsigned varint of length+1) form, arrays
in the same two forms, and tagged-field sections in flexible versions.

Methods that differ between classic and flexible versions take a ``flexible``
flag so that API modules write ``w.string(s, flex)`` instead of branching.

The ``Reader`` follows franz-go: when a read runs past the end, the reader
turns "bad", remembers where and in which field that happened, and every read
after that returns a zero value. The caller checks once, with
``Reader.finish()``, which raises ``DecodeError`` naming the first failing
field and its offset. Decoders therefore never leak ``IndexError`` or
``struct.error``.
"""
from __future__ import annotations

import builtins
import struct
import uuid as _uuid

from purekafka.errors import DecodeError, LocalProtocolError

__all__ = [
    "Writer",
    "Reader",
    "ZERO_UUID",
    "encode_uvarint",
    "encode_varint",
    "encode_varlong",
    "zigzag32",
    "zigzag64",
    "unzigzag",
]

ZERO_UUID = _uuid.UUID(int=0)

_I8 = struct.Struct(">b")
_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
_I64 = struct.Struct(">q")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_F64 = struct.Struct(">d")

_INT32_MIN = -(1 << 31)
_INT32_MAX = (1 << 31) - 1
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1


def zigzag32(v: int) -> int:
    """Zig-zag map a signed 32-bit value onto an unsigned one (0,-1,1,-2 -> 0,1,2,3)."""
    if not _INT32_MIN <= v <= _INT32_MAX:
        raise LocalProtocolError(f"varint {v} does not fit in 32 bits")
    return ((v << 1) ^ (v >> 31)) & 0xFFFFFFFF


def zigzag64(v: int) -> int:
    """Zig-zag map a signed 64-bit value onto an unsigned one."""
    if not _INT64_MIN <= v <= _INT64_MAX:
        raise LocalProtocolError(f"varlong {v} does not fit in 64 bits")
    return ((v << 1) ^ (v >> 63)) & 0xFFFFFFFFFFFFFFFF


def unzigzag(u: int) -> int:
    """Inverse of the zig-zag mapping."""
    return (u >> 1) ^ -(u & 1)


def encode_uvarint(v: int) -> bytes:
    """Unsigned LEB128 encoding of a non-negative int below 2**64."""
    if v < 0x80:
        if v < 0:
            raise LocalProtocolError(f"unsigned varint cannot hold {v}")
        return bytes((v,))
    if v >> 64:
        raise LocalProtocolError(f"unsigned varint {v} exceeds 64 bits")
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def encode_varint(v: int) -> bytes:
    """Zig-zag varint of a signed 32-bit value (Kafka ``varint``)."""
    return encode_uvarint(zigzag32(v))


def encode_varlong(v: int) -> bytes:
    """Zig-zag varint of a signed 64-bit value (Kafka ``varlong``)."""
    return encode_uvarint(zigzag64(v))


def _pack_error(kind: str, v: object) -> LocalProtocolError:
    return LocalProtocolError(f"{kind} value {v!r} is out of range or of the wrong type")


class Writer:
    """Appends Kafka primitives to one ``bytearray`` (``self.buf``).

    Range errors surface as ``LocalProtocolError``.
    """

    __slots__ = ("buf",)

    def __init__(self, buf: bytearray | None = None) -> None:
        self.buf = bytearray() if buf is None else buf

    def getvalue(self) -> bytes:
        return bytes(self.buf)

    def raw(self, b: bytes | bytearray | memoryview) -> None:
        self.buf += b

    # fixed width ---------------------------------------------------------
    def int8(self, v: int) -> None:
        try:
            self.buf += _I8.pack(v)
        except struct.error:
            raise _pack_error("int8", v) from None

    def bool(self, v: builtins.bool) -> None:
        self.buf.append(1 if v else 0)

    def int16(self, v: int) -> None:
        try:
            self.buf += _I16.pack(v)
        except struct.error:
            raise _pack_error("int16", v) from None

    def uint16(self, v: int) -> None:
        try:
            self.buf += _U16.pack(v)
        except struct.error:
            raise _pack_error("uint16", v) from None

    def int32(self, v: int) -> None:
        try:
            self.buf += _I32.pack(v)
        except struct.error:
            raise _pack_error("int32", v) from None

    def uint32(self, v: int) -> None:
        try:
            self.buf += _U32.pack(v)
        except struct.error:
            raise _pack_error("uint32", v) from None

    def int64(self, v: int) -> None:
        try:
            self.buf += _I64.pack(v)
        except struct.error:
            raise _pack_error("int64", v) from None

    def float64(self, v: float) -> None:
        try:
            self.buf += _F64.pack(v)
        except struct.error:
            raise _pack_error("float64", v) from None

    def uuid(self, v: _uuid.UUID) -> None:
        if not isinstance(v, _uuid.UUID):
            raise _pack_error("uuid", v)
        self.buf += v.bytes

    # varints -------------------------------------------------------------
    def uvarint(self, v: int) -> None:
        if 0 <= v < 0x80:
            self.buf.append(v)
        else:
            self.buf += encode_uvarint(v)

    def varint(self, v: int) -> None:
        self.buf += encode_uvarint(zigzag32(v))

    def varlong(self, v: int) -> None:
        self.buf += encode_uvarint(zigzag64(v))

    # strings / bytes -----------------------------------------------------
    def string(self, s: str | None, flexible: builtins.bool) -> None:
        """A non-nullable string; ``None`` is refused."""
        if s is None:
            raise LocalProtocolError("null given for a non-nullable string")
        self._str_body(s, flexible)

    def nullable_string(self, s: str | None, flexible: builtins.bool) -> None:
        if s is None:
            if flexible:
                self.buf.append(0)
            else:
                self.buf += b"\xff\xff"
            return
        self._str_body(s, flexible)

    def _str_body(self, s: str, flexible: builtins.bool) -> None:
        try:
            data = s.encode("utf-8")
        except (AttributeError, UnicodeEncodeError):
            raise _pack_error("string", s) from None
        n = len(data)
        if flexible:
            self.uvarint(n + 1)
        else:
            if n > 0x7FFF:
                raise LocalProtocolError(f"string of {n} bytes exceeds the int16 length limit")
            self.buf += _I16.pack(n)
        self.buf += data

    def bytes_(self, b: bytes | None, flexible: builtins.bool) -> None:
        """A non-nullable byte string; ``None`` is refused."""
        if b is None:
            raise LocalProtocolError("null given for non-nullable bytes")
        self._bytes_body(b, flexible)

    def nullable_bytes(self, b: bytes | None, flexible: builtins.bool) -> None:
        if b is None:
            if flexible:
                self.buf.append(0)
            else:
                self.buf += b"\xff\xff\xff\xff"
            return
        self._bytes_body(b, flexible)

    def _bytes_body(self, b: bytes, flexible: builtins.bool) -> None:
        if not isinstance(b, (bytes, bytearray, memoryview)):
            raise _pack_error("bytes", b)
        n = len(b)
        if flexible:
            self.uvarint(n + 1)
        else:
            self.buf += _I32.pack(n)
        self.buf += b

    # arrays --------------------------------------------------------------
    def array_len(self, n: int | None, flexible: builtins.bool) -> None:
        """Length prefix of an array; ``None`` writes the null array."""
        if n is None:
            if flexible:
                self.buf.append(0)
            else:
                self.buf += b"\xff\xff\xff\xff"
        elif flexible:
            self.uvarint(n + 1)
        else:
            self.buf += _I32.pack(n)

    # tagged fields -------------------------------------------------------
    def tagged_fields(self, fields: dict[int, bytes] | None) -> None:
        """A tagged-field section: count, then (tag, size, data) in tag order."""
        if not fields:
            self.buf.append(0)
            return
        self.uvarint(len(fields))
        for tag in sorted(fields):
            data = fields[tag]
            self.uvarint(tag)
            self.uvarint(len(data))
            self.buf += data


class Reader:
    """Reads Kafka primitives from a buffer with a sticky error flag.

    Every read takes the name of the field being read; it is only used to
    name the first failure. After a failure, reads return zero values
    (0, "", b"", empty dict, ``None`` for nullable forms).
    """

    __slots__ = ("buf", "pos", "end", "bad", "bad_field", "bad_offset", "bad_reason")

    def __init__(self, buf: bytes | bytearray | memoryview, pos: int = 0, end: int | None = None) -> None:
        self.buf = bytes(buf) if not isinstance(buf, bytes) else buf
        self.pos = pos
        self.end = len(self.buf) if end is None else end
        self.bad = False
        self.bad_field: str | None = None
        self.bad_offset: int | None = None
        self.bad_reason = ""

    # error handling ------------------------------------------------------
    def fail(self, field: str, reason: str = "not enough bytes") -> None:
        """Mark the reader bad (first failure wins)."""
        if not self.bad:
            self.bad = True
            self.bad_field = field
            self.bad_offset = self.pos
            self.bad_reason = reason
            self.pos = self.end

    def remaining(self) -> int:
        return self.end - self.pos

    def error(self) -> DecodeError | None:
        if not self.bad:
            return None
        return DecodeError(self.bad_reason, offset=self.bad_offset, field=self.bad_field)

    def finish(self, allow_trailing: builtins.bool = False) -> None:
        """Raise ``DecodeError`` if any read failed or (by default) bytes are left over."""
        if self.bad:
            raise DecodeError(self.bad_reason, offset=self.bad_offset, field=self.bad_field)
        if not allow_trailing and self.pos != self.end:
            raise DecodeError(f"{self.end - self.pos} trailing bytes", offset=self.pos, field=None)

    def _take(self, n: int, field: str) -> bytes:
        p = self.pos
        if n < 0 or p + n > self.end:
            self.fail(field)
            return b""
        self.pos = p + n
        return self.buf[p : p + n]

    # fixed width ---------------------------------------------------------
    def int8(self, field: str = "") -> int:
        p = self.pos
        if p + 1 > self.end:
            self.fail(field)
            return 0
        self.pos = p + 1
        value: int = _I8.unpack_from(self.buf, p)[0]
        return value

    def bool(self, field: str = "") -> builtins.bool:
        p = self.pos
        if p + 1 > self.end:
            self.fail(field)
            return False
        self.pos = p + 1
        return self.buf[p] != 0

    def int16(self, field: str = "") -> int:
        p = self.pos
        if p + 2 > self.end:
            self.fail(field)
            return 0
        self.pos = p + 2
        value: int = _I16.unpack_from(self.buf, p)[0]
        return value

    def uint16(self, field: str = "") -> int:
        p = self.pos
        if p + 2 > self.end:
            self.fail(field)
            return 0
        self.pos = p + 2
        value: int = _U16.unpack_from(self.buf, p)[0]
        return value

    def int32(self, field: str = "") -> int:
        p = self.pos
        if p + 4 > self.end:
            self.fail(field)
            return 0
        self.pos = p + 4
        value: int = _I32.unpack_from(self.buf, p)[0]
        return value

    def uint32(self, field: str = "") -> int:
        p = self.pos
        if p + 4 > self.end:
            self.fail(field)
            return 0
        self.pos = p + 4
        value: int = _U32.unpack_from(self.buf, p)[0]
        return value

    def int64(self, field: str = "") -> int:
        p = self.pos
        if p + 8 > self.end:
            self.fail(field)
            return 0
        self.pos = p + 8
        value: int = _I64.unpack_from(self.buf, p)[0]
        return value

    def float64(self, field: str = "") -> float:
        p = self.pos
        if p + 8 > self.end:
            self.fail(field)
            return 0.0
        self.pos = p + 8
        value: float = _F64.unpack_from(self.buf, p)[0]
        return value

    def uuid(self, field: str = "") -> _uuid.UUID:
        data = self._take(16, field)
        return _uuid.UUID(bytes=data) if data else ZERO_UUID

    # varints -------------------------------------------------------------
    def uvarint(self, field: str = "", max_bits: int = 64) -> int:
        buf = self.buf
        p = self.pos
        end = self.end
        result = 0
        shift = 0
        while True:
            if p >= end:
                self.fail(field)
                return 0
            b = buf[p]
            p += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                break
            shift += 7
            if shift >= max_bits:
                self.fail(field, "varint is too long")
                return 0
        if result >> max_bits:
            self.fail(field, f"varint exceeds {max_bits} bits")
            return 0
        self.pos = p
        return result

    def varint(self, field: str = "") -> int:
        return unzigzag(self.uvarint(field, 32))

    def varlong(self, field: str = "") -> int:
        return unzigzag(self.uvarint(field, 64))

    # lengths -------------------------------------------------------------
    def _length(self, field: str, flexible: builtins.bool, wide: builtins.bool) -> int:
        """Length prefix; -1 means null. Compact forms store length+1."""
        if flexible:
            return self.uvarint(field, 32) - 1
        return self.int32(field) if wide else self.int16(field)

    # strings / bytes -----------------------------------------------------
    def string(self, field: str, flexible: builtins.bool) -> str:
        n = self._length(field, flexible, False)
        if n < 0:
            if not self.bad:
                self.fail(field, "null for a non-nullable string")
            return ""
        return self._decode_str(self._take(n, field), field)

    def nullable_string(self, field: str, flexible: builtins.bool) -> str | None:
        n = self._length(field, flexible, False)
        if n < 0:
            if n < -1 and not self.bad:
                self.fail(field, f"negative string length {n}")
            return None
        return self._decode_str(self._take(n, field), field)

    def _decode_str(self, data: bytes, field: str) -> str:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            self.fail(field, "invalid UTF-8")
            return ""

    def bytes_(self, field: str, flexible: builtins.bool) -> bytes:
        n = self._length(field, flexible, True)
        if n < 0:
            if not self.bad:
                self.fail(field, "null for non-nullable bytes")
            return b""
        return self._take(n, field)

    def nullable_bytes(self, field: str, flexible: builtins.bool) -> bytes | None:
        n = self._length(field, flexible, True)
        if n < 0:
            if n < -1 and not self.bad:
                self.fail(field, f"negative bytes length {n}")
            return None
        return self._take(n, field)

    # arrays --------------------------------------------------------------
    def array_len(self, field: str, flexible: builtins.bool, nullable: builtins.bool = False) -> int:
        """Element count of an array; -1 for a null array (only if ``nullable``).

        A count larger than the bytes left is refused up front, since every
        element takes at least one byte, so a hostile count cannot make the
        caller loop billions of times.
        """
        n = self._length(field, flexible, True)
        if n < 0:
            if self.bad:
                return 0
            if n == -1 and nullable:
                return -1
            self.fail(field, "null for a non-nullable array" if n == -1 else f"negative array length {n}")
            return 0
        if n > self.end - self.pos:
            self.fail(field, f"array length {n} exceeds the remaining bytes")
            return 0
        return n

    # tagged fields -------------------------------------------------------
    def tagged_fields(self, field: str = "_tagged_fields") -> dict[int, bytes]:
        """Read a tagged-field section into ``{tag: raw bytes}``."""
        n = self.uvarint(field, 32)
        if n == 0:
            return {}
        out: dict[int, bytes] = {}
        last = -1
        for _ in range(n):
            tag = self.uvarint(field, 32)
            size = self.uvarint(field, 32)
            data = self._take(size, field)
            if self.bad:
                return {}
            if tag <= last:
                self.fail(field, f"tag {tag} out of order or repeated")
                return {}
            last = tag
            out[tag] = data
        return out
