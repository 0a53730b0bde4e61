"""SaslHandshake (API key 17): choose a SASL mechanism.

The first request on a SASL listener. Version 0 is followed by raw SASL
tokens framed only by a 4-byte length; version 1 is followed by
SaslAuthenticate requests, which is what purekafka uses. Never flexible:
Kafka cannot bump it because clients up to 2.4 negotiate it incorrectly.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from purekafka.protocol._codec import NO_FLEXIBLE_VERSION, check_version, no_tags
from purekafka.protocol.primitives import Reader, Writer

API_KEY = 17
MIN_VERSION = 0
MAX_VERSION = 1
FLEXIBLE_VERSION = NO_FLEXIBLE_VERSION
_API = "SaslHandshake"


@dataclass
class SaslHandshakeRequest:
    """The SASL mechanism the client wants, e.g. "PLAIN" or "SCRAM-SHA-512"."""

    mechanism: str = ""
    # Kept for uniformity with the other messages; always empty, never flexible.
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class SaslHandshakeResponse:
    """Outcome, and the mechanisms the listener has enabled."""

    error_code: int = 0
    mechanisms: list[str] = field(default_factory=list)
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


def encode_request(msg: SaslHandshakeRequest, version: int) -> bytes:
    """Encode a SaslHandshake request body at ``version``."""
    check_version(_API, version, MIN_VERSION, MAX_VERSION)
    no_tags(msg.unknown_tags, "SaslHandshakeRequest")
    w = Writer()
    w.string(msg.mechanism, False)
    return w.getvalue()


def decode_request(buf: bytes | bytearray | memoryview, version: int) -> SaslHandshakeRequest:
    """Decode a SaslHandshake request body; raises ``DecodeError`` on bad bytes."""
    check_version(_API, version, MIN_VERSION, MAX_VERSION)
    r = Reader(buf)
    msg = SaslHandshakeRequest(mechanism=r.string("mechanism", False))
    r.finish()
    return msg


def encode_response(msg: SaslHandshakeResponse, version: int) -> bytes:
    """Encode a SaslHandshake response body at ``version``."""
    check_version(_API, version, MIN_VERSION, MAX_VERSION)
    no_tags(msg.unknown_tags, "SaslHandshakeResponse")
    w = Writer()
    w.int16(msg.error_code)
    w.array_len(len(msg.mechanisms), False)
    for mechanism in msg.mechanisms:
        w.string(mechanism, False)
    return w.getvalue()


def decode_response(buf: bytes | bytearray | memoryview, version: int) -> SaslHandshakeResponse:
    """Decode a SaslHandshake response body; raises ``DecodeError`` on bad bytes."""
    check_version(_API, version, MIN_VERSION, MAX_VERSION)
    r = Reader(buf)
    msg = SaslHandshakeResponse(error_code=r.int16("error_code"))
    n = r.array_len("mechanisms", False)
    msg.mechanisms = [r.string("mechanisms", False) for _ in range(n)]
    r.finish()
    return msg
