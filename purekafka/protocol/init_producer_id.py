"""InitProducerId (API key 22): obtain a producer id and epoch.

An idempotent producer sends it (transactional_id null) to any broker; a
transactional producer sends it to its transaction coordinator, which also
fences older producers with the same transactional id by bumping the epoch.
Versions 2+ are flexible. Version 3 lets a producer pass its current id and
epoch so it can recover from INVALID_PRODUCER_EPOCH without a new id.
Version 6 (KIP-939, two-phase commit) is still marked unstable in Kafka 4.4:
brokers only advertise it when unstable versions are enabled, so a producer
negotiating with ``MAX_VERSION`` only reaches it on such a broker.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from purekafka.protocol._codec import absent, is_flexible, put_tags
from purekafka.protocol.primitives import Reader, Writer

API_KEY = 22
MIN_VERSION = 0
MAX_VERSION = 6
FLEXIBLE_VERSION = 2
_API = "InitProducerId"


@dataclass
class InitProducerIdRequest:
    """Ask for a producer id; ``transactional_id=None`` for an idempotent producer."""

    # Kafka's generator gives a nullable string without a declared default the default "".
    transactional_id: str | None = ""
    transaction_timeout_ms: int = 0
    producer_id: int = -1  # v3+
    producer_epoch: int = -1  # v3+
    enable_2pc: bool = False  # v6+
    keep_prepared_txn: bool = False  # v6+
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class InitProducerIdResponse:
    """The producer id and epoch to stamp on batches (``error_code`` 0 on success)."""

    throttle_time_ms: int = 0
    error_code: int = 0
    producer_id: int = -1
    producer_epoch: int = 0
    ongoing_txn_producer_id: int = -1  # v6+
    ongoing_txn_producer_epoch: int = -1  # v6+
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


def _check(version: int) -> bool:
    return is_flexible(_API, version, MIN_VERSION, MAX_VERSION, FLEXIBLE_VERSION)


def encode_request(msg: InitProducerIdRequest, version: int) -> bytes:
    """Encode an InitProducerId request body at ``version``."""
    flex = _check(version)
    w = Writer()
    w.nullable_string(msg.transactional_id, flex)
    w.int32(msg.transaction_timeout_ms)
    if version >= 3:
        w.int64(msg.producer_id)
        w.int16(msg.producer_epoch)
    elif msg.producer_id != -1:
        raise absent(_API, "producer_id", version)
    elif msg.producer_epoch != -1:
        raise absent(_API, "producer_epoch", version)
    if version >= 6:
        w.bool(msg.enable_2pc)
        w.bool(msg.keep_prepared_txn)
    elif msg.enable_2pc:
        raise absent(_API, "enable_2pc", version)
    elif msg.keep_prepared_txn:
        raise absent(_API, "keep_prepared_txn", version)
    put_tags(w, msg.unknown_tags, flex, "InitProducerIdRequest")
    return w.getvalue()


def decode_request(buf: bytes | bytearray | memoryview, version: int) -> InitProducerIdRequest:
    """Decode an InitProducerId request body; raises ``DecodeError`` on bad bytes."""
    flex = _check(version)
    r = Reader(buf)
    msg = InitProducerIdRequest(
        transactional_id=r.nullable_string("transactional_id", flex),
        transaction_timeout_ms=r.int32("transaction_timeout_ms"),
    )
    if version >= 3:
        msg.producer_id = r.int64("producer_id")
        msg.producer_epoch = r.int16("producer_epoch")
    if version >= 6:
        msg.enable_2pc = r.bool("enable_2pc")
        msg.keep_prepared_txn = r.bool("keep_prepared_txn")
    if flex:
        msg.unknown_tags = r.tagged_fields()
    r.finish()
    return msg


def encode_response(msg: InitProducerIdResponse, version: int) -> bytes:
    """Encode an InitProducerId response body at ``version``."""
    flex = _check(version)
    w = Writer()
    w.int32(msg.throttle_time_ms)
    w.int16(msg.error_code)
    w.int64(msg.producer_id)
    w.int16(msg.producer_epoch)
    if version >= 6:
        w.int64(msg.ongoing_txn_producer_id)
        w.int16(msg.ongoing_txn_producer_epoch)
    elif msg.ongoing_txn_producer_id != -1:
        raise absent(_API, "ongoing_txn_producer_id", version)
    elif msg.ongoing_txn_producer_epoch != -1:
        raise absent(_API, "ongoing_txn_producer_epoch", version)
    put_tags(w, msg.unknown_tags, flex, "InitProducerIdResponse")
    return w.getvalue()


def decode_response(buf: bytes | bytearray | memoryview, version: int) -> InitProducerIdResponse:
    """Decode an InitProducerId response body; raises ``DecodeError`` on bad bytes."""
    flex = _check(version)
    r = Reader(buf)
    msg = InitProducerIdResponse(
        throttle_time_ms=r.int32("throttle_time_ms"),
        error_code=r.int16("error_code"),
        producer_id=r.int64("producer_id"),
        producer_epoch=r.int16("producer_epoch"),
    )
    if version >= 6:
        msg.ongoing_txn_producer_id = r.int64("ongoing_txn_producer_id")
        msg.ongoing_txn_producer_epoch = r.int16("ongoing_txn_producer_epoch")
    if flex:
        msg.unknown_tags = r.tagged_fields()
    r.finish()
    return msg
