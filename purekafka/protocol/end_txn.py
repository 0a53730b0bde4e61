"""EndTxn (API key 26): commit or abort the producer's ongoing transaction.

Sent to the transaction coordinator. Versions 3+ are flexible. Version 5 is
KIP-890 part 2 (transaction protocol version 2): the coordinator bumps the
producer epoch on every commit/abort and returns the new id and epoch in the
response, which the producer must adopt for its next transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from purekafka.protocol._codec import is_flexible, put_tags
from purekafka.protocol.primitives import Reader, Writer

API_KEY = 26
MIN_VERSION = 0
MAX_VERSION = 5
FLEXIBLE_VERSION = 3
MAX_VERSION_WITHOUT_TV2 = 4
"""Highest version a producer may send without transaction protocol version 2 (Java caps it so)."""
_API = "EndTxn"


@dataclass
class EndTxnRequest:
    """Commit (``committed=True``) or abort the ongoing transaction."""

    transactional_id: str = ""
    producer_id: int = 0
    producer_epoch: int = 0
    committed: bool = False
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class EndTxnResponse:
    """Outcome; from v5 also the producer id and the bumped epoch to use next."""

    throttle_time_ms: int = 0
    error_code: int = 0
    # v5+ and ignorable: older versions simply drop them.
    producer_id: int = -1
    producer_epoch: int = -1
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


def _check(version: int) -> bool:
    return is_flexible(_API, version, MIN_VERSION, MAX_VERSION, FLEXIBLE_VERSION)


def encode_request(msg: EndTxnRequest, version: int) -> bytes:
    """Encode an EndTxn request body at ``version``."""
    flex = _check(version)
    w = Writer()
    w.string(msg.transactional_id, flex)
    w.int64(msg.producer_id)
    w.int16(msg.producer_epoch)
    w.bool(msg.committed)
    put_tags(w, msg.unknown_tags, flex, "EndTxnRequest")
    return w.getvalue()


def decode_request(buf: bytes | bytearray | memoryview, version: int) -> EndTxnRequest:
    """Decode an EndTxn request body; raises ``DecodeError`` on bad bytes."""
    flex = _check(version)
    r = Reader(buf)
    msg = EndTxnRequest(
        transactional_id=r.string("transactional_id", flex),
        producer_id=r.int64("producer_id"),
        producer_epoch=r.int16("producer_epoch"),
        committed=r.bool("committed"),
    )
    if flex:
        msg.unknown_tags = r.tagged_fields()
    r.finish()
    return msg


def encode_response(msg: EndTxnResponse, version: int) -> bytes:
    """Encode an EndTxn response body at ``version``."""
    flex = _check(version)
    w = Writer()
    w.int32(msg.throttle_time_ms)
    w.int16(msg.error_code)
    if version >= 5:
        w.int64(msg.producer_id)
        w.int16(msg.producer_epoch)
    put_tags(w, msg.unknown_tags, flex, "EndTxnResponse")
    return w.getvalue()


def decode_response(buf: bytes | bytearray | memoryview, version: int) -> EndTxnResponse:
    """Decode an EndTxn response body; raises ``DecodeError`` on bad bytes."""
    flex = _check(version)
    r = Reader(buf)
    msg = EndTxnResponse(throttle_time_ms=r.int32("throttle_time_ms"), error_code=r.int16("error_code"))
    if version >= 5:
        msg.producer_id = r.int64("producer_id")
        msg.producer_epoch = r.int16("producer_epoch")
    if flex:
        msg.unknown_tags = r.tagged_fields()
    r.finish()
    return msg
