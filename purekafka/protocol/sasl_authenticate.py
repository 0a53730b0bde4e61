"""SaslAuthenticate (API key 36): carry one SASL token each way.

Follows a SaslHandshake v1. The tokens themselves belong to the mechanism
(PLAIN, SCRAM-SHA-256/512, OAUTHBEARER); this module only frames them.
Version 1 adds ``session_lifetime_ms`` (KIP-368 re-authentication); version 2
is flexible.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from purekafka.protocol._codec import is_flexible, put_tags
from purekafka.protocol.primitives import Reader, Writer

API_KEY = 36
MIN_VERSION = 0
MAX_VERSION = 2
FLEXIBLE_VERSION = 2
_API = "SaslAuthenticate"


@dataclass
class SaslAuthenticateRequest:
    """One client SASL token."""

    auth_bytes: bytes = b""
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class SaslAuthenticateResponse:
    """The server token, or an error; ``session_lifetime_ms`` 0 means no re-authentication."""

    error_code: int = 0
    error_message: str | None = ""
    auth_bytes: bytes = b""
    session_lifetime_ms: int = 0  # v1+, ignorable
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


def _check(version: int) -> bool:
    return is_flexible(_API, version, MIN_VERSION, MAX_VERSION, FLEXIBLE_VERSION)


def encode_request(msg: SaslAuthenticateRequest, version: int) -> bytes:
    """Encode a SaslAuthenticate request body at ``version``."""
    flex = _check(version)
    w = Writer()
    w.bytes_(msg.auth_bytes, flex)
    put_tags(w, msg.unknown_tags, flex, "SaslAuthenticateRequest")
    return w.getvalue()


def decode_request(buf: bytes | bytearray | memoryview, version: int) -> SaslAuthenticateRequest:
    """Decode a SaslAuthenticate request body; raises ``DecodeError`` on bad bytes."""
    flex = _check(version)
    r = Reader(buf)
    msg = SaslAuthenticateRequest(auth_bytes=r.bytes_("auth_bytes", flex))
    if flex:
        msg.unknown_tags = r.tagged_fields()
    r.finish()
    return msg


def encode_response(msg: SaslAuthenticateResponse, version: int) -> bytes:
    """Encode a SaslAuthenticate response body at ``version``."""
    flex = _check(version)
    w = Writer()
    w.int16(msg.error_code)
    w.nullable_string(msg.error_message, flex)
    w.bytes_(msg.auth_bytes, flex)
    if version >= 1:
        w.int64(msg.session_lifetime_ms)
    put_tags(w, msg.unknown_tags, flex, "SaslAuthenticateResponse")
    return w.getvalue()


def decode_response(buf: bytes | bytearray | memoryview, version: int) -> SaslAuthenticateResponse:
    """Decode a SaslAuthenticate response body; raises ``DecodeError`` on bad bytes."""
    flex = _check(version)
    r = Reader(buf)
    msg = SaslAuthenticateResponse(
        error_code=r.int16("error_code"),
        error_message=r.nullable_string("error_message", flex),
        auth_bytes=r.bytes_("auth_bytes", flex),
    )
    if version >= 1:
        msg.session_lifetime_ms = r.int64("session_lifetime_ms")
    if flex:
        msg.unknown_tags = r.tagged_fields()
    r.finish()
    return msg
