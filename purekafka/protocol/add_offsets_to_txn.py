"""AddOffsetsToTxn (API key 25): add a consumer group's offsets to a transaction.

Sent to the transaction coordinator before TxnOffsetCommit, so that the
group's __consumer_offsets partition takes part in the commit/abort. Under
transaction protocol version 2 (KIP-890 part 2) the Java client skips this
call: TxnOffsetCommit v5+ adds the group implicitly. Versions 3+ are flexible.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from purekafka.protocol._codec import is_flexible, put_tags
from purekafka.protocol.primitives import Reader, Writer

API_KEY = 25
MIN_VERSION = 0
MAX_VERSION = 4
FLEXIBLE_VERSION = 3
_API = "AddOffsetsToTxn"


@dataclass
class AddOffsetsToTxnRequest:
    """Add ``group_id``'s offsets partition to the transaction."""

    transactional_id: str = ""
    producer_id: int = 0
    producer_epoch: int = 0
    group_id: str = ""
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class AddOffsetsToTxnResponse:
    """Outcome of AddOffsetsToTxn."""

    throttle_time_ms: int = 0
    error_code: int = 0
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


def _check(version: int) -> bool:
    return is_flexible(_API, version, MIN_VERSION, MAX_VERSION, FLEXIBLE_VERSION)


def encode_request(msg: AddOffsetsToTxnRequest, version: int) -> bytes:
    """Encode an AddOffsetsToTxn request body at ``version``."""
    flex = _check(version)
    w = Writer()
    w.string(msg.transactional_id, flex)
    w.int64(msg.producer_id)
    w.int16(msg.producer_epoch)
    w.string(msg.group_id, flex)
    put_tags(w, msg.unknown_tags, flex, "AddOffsetsToTxnRequest")
    return w.getvalue()


def decode_request(buf: bytes | bytearray | memoryview, version: int) -> AddOffsetsToTxnRequest:
    """Decode an AddOffsetsToTxn request body; raises ``DecodeError`` on bad bytes."""
    flex = _check(version)
    r = Reader(buf)
    msg = AddOffsetsToTxnRequest(
        transactional_id=r.string("transactional_id", flex),
        producer_id=r.int64("producer_id"),
        producer_epoch=r.int16("producer_epoch"),
        group_id=r.string("group_id", flex),
    )
    if flex:
        msg.unknown_tags = r.tagged_fields()
    r.finish()
    return msg


def encode_response(msg: AddOffsetsToTxnResponse, version: int) -> bytes:
    """Encode an AddOffsetsToTxn response body at ``version``."""
    flex = _check(version)
    w = Writer()
    w.int32(msg.throttle_time_ms)
    w.int16(msg.error_code)
    put_tags(w, msg.unknown_tags, flex, "AddOffsetsToTxnResponse")
    return w.getvalue()


def decode_response(buf: bytes | bytearray | memoryview, version: int) -> AddOffsetsToTxnResponse:
    """Decode an AddOffsetsToTxn response body; raises ``DecodeError`` on bad bytes."""
    flex = _check(version)
    r = Reader(buf)
    msg = AddOffsetsToTxnResponse(throttle_time_ms=r.int32("throttle_time_ms"), error_code=r.int16("error_code"))
    if flex:
        msg.unknown_tags = r.tagged_fields()
    r.finish()
    return msg
