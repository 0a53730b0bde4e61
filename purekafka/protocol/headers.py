"""Request and response headers, and request framing.

RequestHeader v0: api_key int16, api_version int16, correlation_id int32.
v1 adds client_id as a *classic* nullable string (int16 length, even in v2).
v2 adds a tagged-field section. ResponseHeader v0 is the correlation id;
v1 adds a tagged-field section.

Which header version a message uses follows from whether the API version is
flexible, so this module keeps Kafka's table of first flexible versions per
API key, for every API (not only the ones purekafka encodes), so that the
decode tool can split header from body for any captured request.
"""
from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

from purekafka.errors import DecodeError, LocalProtocolError
from purekafka.protocol.primitives import Reader, Writer

__all__ = [
    "RequestHeader",
    "FIRST_FLEXIBLE_VERSION",
    "request_header_version",
    "response_header_version",
    "encode_request_header",
    "encode_request_frame",
    "request_frame_parts",
    "decode_request_header",
    "decode_response_header",
    "encode_response_header",
]

API_VERSIONS_KEY = 18
CONTROLLED_SHUTDOWN_KEY = 7

# First flexible version of each API key (Kafka 4.4 message definitions; the
# removed inter-broker APIs 4-7 keep the values they had when they existed).
# Keys absent here have no flexible version.
FIRST_FLEXIBLE_VERSION: dict[int, int] = {
    0: 9, 1: 12, 2: 6, 3: 9, 4: 4, 5: 2, 6: 6, 7: 3, 8: 8, 9: 6, 10: 3, 11: 6,
    12: 4, 13: 4, 14: 4, 15: 5, 16: 3, 18: 3, 19: 5, 20: 4, 21: 2, 22: 2,
    23: 4, 24: 3, 25: 3, 26: 3, 27: 1, 28: 3, 29: 2, 30: 2, 31: 2, 32: 4,
    33: 2, 34: 2, 35: 2, 36: 2, 37: 2, 38: 2, 39: 2, 40: 2, 41: 2, 42: 2,
    43: 2, 44: 1, 45: 0, 46: 0, 48: 1, 49: 1, 50: 0, 51: 0, 52: 0, 53: 1,
    54: 1, 55: 0, 56: 0, 57: 0, 58: 0, 59: 0, 60: 0, 61: 0, 62: 0, 63: 0,
    64: 0, 65: 0, 66: 0, 67: 0, 68: 0, 69: 0, 70: 0, 71: 0, 72: 0, 73: 0,
    74: 0, 75: 0, 76: 0, 77: 0, 78: 0, 79: 0, 80: 0, 81: 0, 82: 0, 83: 0,
    84: 0, 85: 0, 86: 0, 87: 0, 88: 0, 89: 0, 90: 0, 91: 0, 92: 0, 93: 0,
    94: 0,
}

_NEVER = 1 << 30
_HDR_FIXED = struct.Struct(">ihhi")  # size, api_key, api_version, correlation_id
_I16 = struct.Struct(">h")


def is_flexible(api_key: int, version: int) -> bool:
    """Whether ``version`` of ``api_key`` uses the flexible (compact, tagged) encoding."""
    return version >= FIRST_FLEXIBLE_VERSION.get(api_key, _NEVER)


def request_header_version(api_key: int, version: int) -> int:
    """RequestHeader version that goes with this request (0, 1 or 2)."""
    if api_key == CONTROLLED_SHUTDOWN_KEY and version == 0:
        # ControlledShutdown v0 predates client ids.
        return 0
    return 2 if is_flexible(api_key, version) else 1


def response_header_version(api_key: int, version: int) -> int:
    """ResponseHeader version that goes with this response (0 or 1).

    ApiVersions responses always use v0: a client that sent a version the
    broker does not know must still be able to read the error.
    """
    if api_key == API_VERSIONS_KEY:
        return 0
    return 1 if is_flexible(api_key, version) else 0


@dataclass
class RequestHeader:
    """A decoded request header."""

    api_key: int
    api_version: int
    correlation_id: int
    client_id: str | None = None
    unknown_tags: dict[int, bytes] = field(default_factory=dict)
    header_version: int = 1


def encode_request_header(
    api_key: int,
    version: int,
    correlation_id: int,
    client_id: str | None,
    header_version: int | None = None,
    tags: dict[int, bytes] | None = None,
) -> bytes:
    """The header bytes alone (no size prefix)."""
    hv = request_header_version(api_key, version) if header_version is None else header_version
    w = Writer()
    w.int16(api_key)
    w.int16(version)
    w.int32(correlation_id)
    if hv >= 1:
        w.nullable_string(client_id, False)
    if hv >= 2:
        w.tagged_fields(tags)
    return bytes(w.buf)


def encode_request_frame(
    api_key: int, version: int, correlation_id: int, client_id: str | None, body: bytes
) -> bytes:
    """A complete request: 4-byte size prefix, header, body."""
    return b"".join(request_frame_parts(api_key, version, correlation_id, client_id, (body,)))


def request_frame_parts(
    api_key: int,
    version: int,
    correlation_id: int,
    client_id: str | None,
    body_parts: Sequence[bytes | bytearray | memoryview],
) -> list[bytes | bytearray | memoryview]:
    """A request as pieces: ``[size prefix + header, *body_parts]``.

    Lets a large Produce body (see ``produce.request_parts``) reach the socket
    without being joined twice.
    """
    hv = request_header_version(api_key, version)
    if hv == 0:
        client = b""
    elif client_id is None:
        client = b"\xff\xff"
    else:
        data = client_id.encode("utf-8")
        if len(data) > 0x7FFF:
            raise LocalProtocolError("client_id exceeds the int16 length limit")
        client = _I16.pack(len(data)) + data
    tail = b"\x00" if hv == 2 else b""
    size = 8 + len(client) + len(tail) + sum(len(p) for p in body_parts)
    try:
        fixed = _HDR_FIXED.pack(size, api_key, version, correlation_id)
    except struct.error:
        raise LocalProtocolError("api key, version or correlation id out of range") from None
    return [fixed + client + tail, *body_parts]


def decode_request_header(buf: bytes | bytearray | memoryview, header_version: int | None = None) -> tuple[RequestHeader, int]:
    """Decode a request header (without size prefix); returns ``(header, body_offset)``.

    The header version is derived from the api key and version read, unless given.
    """
    r = Reader(buf)
    api_key = r.int16("request_api_key")
    version = r.int16("request_api_version")
    corr = r.int32("correlation_id")
    err = r.error()
    if err is not None:
        raise err
    hv = request_header_version(api_key, version) if header_version is None else header_version
    client_id = r.nullable_string("client_id", False) if hv >= 1 else None
    tags = r.tagged_fields() if hv >= 2 else {}
    err = r.error()
    if err is not None:
        raise err
    return RequestHeader(api_key, version, corr, client_id, tags, hv), r.pos


def encode_response_header(correlation_id: int, header_version: int) -> bytes:
    """Response header bytes (no size prefix), for tests and fake peers."""
    w = Writer()
    w.int32(correlation_id)
    if header_version >= 1:
        w.tagged_fields(None)
    return bytes(w.buf)


def decode_response_header(buf: bytes | bytearray | memoryview, header_version: int) -> tuple[int, int]:
    """Decode a response header (without size prefix); returns ``(correlation_id, body_offset)``."""
    r = Reader(buf)
    corr = r.int32("correlation_id")
    if header_version >= 1:
        r.tagged_fields()
    err = r.error()
    if err is not None:
        raise err
    return corr, r.pos


def check_frame_size(size: int, max_size: int = 100 * 1024 * 1024) -> None:
    """Refuse a frame size prefix that is negative or implausibly large."""
    if size < 0 or size > max_size:
        raise DecodeError(f"frame size {size} outside [0, {max_size}]", offset=0, field="size")
