"""TxnOffsetCommit (API key 28): commit consumer offsets inside a transaction.

Sent to the *group* coordinator (not the transaction coordinator). Versions
3+ are flexible and carry the consumer's group metadata (KIP-447) so the
coordinator can fence zombie consumers. From version 5, under transaction
protocol version 2 (KIP-890 part 2), the request also adds the group to the
transaction, replacing AddOffsetsToTxn; without TV2 a client must stay at
version 4 or below inside a transaction. Version 6 (KIP-1319) names topics by
id instead of name: ``name`` (v0-5) and ``topic_id`` (v6+) are both ignorable,
so whichever one a version lacks is dropped on encode.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from purekafka.protocol._codec import absent, is_flexible, put_tags
from purekafka.protocol.primitives import ZERO_UUID, Reader, Writer

API_KEY = 28
MIN_VERSION = 0
MAX_VERSION = 6
FLEXIBLE_VERSION = 3
_API = "TxnOffsetCommit"
FIRST_TOPIC_ID_VERSION = 6
MAX_VERSION_WITHOUT_TV2 = 4
"""Highest version usable inside a transaction without transaction protocol version 2 (as Java caps it)."""


@dataclass
class TxnOffsetCommitRequestPartition:
    partition_index: int = 0
    committed_offset: int = 0
    committed_leader_epoch: int = -1  # v2+, ignorable
    committed_metadata: str | None = ""
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class TxnOffsetCommitRequestTopic:
    name: str = ""  # v0-5, ignorable
    topic_id: uuid.UUID = ZERO_UUID  # v6+, ignorable
    partitions: list[TxnOffsetCommitRequestPartition] = field(default_factory=list)
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class TxnOffsetCommitRequest:
    """Offsets to commit for ``group_id`` when the transaction commits."""

    transactional_id: str = ""
    group_id: str = ""
    producer_id: int = 0
    producer_epoch: int = 0
    generation_id_or_member_epoch: int = -1  # v3+
    member_id: str = ""  # v3+
    group_instance_id: str | None = None  # v3+
    topics: list[TxnOffsetCommitRequestTopic] = field(default_factory=list)
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class TxnOffsetCommitResponsePartition:
    partition_index: int = 0
    error_code: int = 0
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class TxnOffsetCommitResponseTopic:
    name: str = ""  # v0-5, ignorable
    topic_id: uuid.UUID = ZERO_UUID  # v6+, ignorable
    partitions: list[TxnOffsetCommitResponsePartition] = field(default_factory=list)
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class TxnOffsetCommitResponse:
    """Per-partition outcome of TxnOffsetCommit."""

    throttle_time_ms: int = 0
    topics: list[TxnOffsetCommitResponseTopic] = field(default_factory=list)
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


def _check(version: int) -> bool:
    return is_flexible(_API, version, MIN_VERSION, MAX_VERSION, FLEXIBLE_VERSION)


def _write_topic_key(w: Writer, name: str, topic_id: uuid.UUID, version: int, flex: bool) -> None:
    if version >= FIRST_TOPIC_ID_VERSION:
        w.uuid(topic_id)
    else:
        w.string(name, flex)


def _read_topic_key(r: Reader, version: int, flex: bool) -> tuple[str, uuid.UUID]:
    if version >= FIRST_TOPIC_ID_VERSION:
        return "", r.uuid("topic_id")
    return r.string("name", flex), ZERO_UUID


def encode_request(msg: TxnOffsetCommitRequest, version: int) -> bytes:
    """Encode a TxnOffsetCommit request body at ``version``."""
    flex = _check(version)
    w = Writer()
    w.string(msg.transactional_id, flex)
    w.string(msg.group_id, flex)
    w.int64(msg.producer_id)
    w.int16(msg.producer_epoch)
    if version >= 3:
        w.int32(msg.generation_id_or_member_epoch)
        w.string(msg.member_id, flex)
        w.nullable_string(msg.group_instance_id, flex)
    elif msg.generation_id_or_member_epoch != -1:
        raise absent(_API, "generation_id_or_member_epoch", version)
    elif msg.member_id != "":
        raise absent(_API, "member_id", version)
    elif msg.group_instance_id is not None:
        raise absent(_API, "group_instance_id", version)
    w.array_len(len(msg.topics), flex)
    for t in msg.topics:
        _write_topic_key(w, t.name, t.topic_id, version, flex)
        w.array_len(len(t.partitions), flex)
        for p in t.partitions:
            w.int32(p.partition_index)
            w.int64(p.committed_offset)
            if version >= 2:
                w.int32(p.committed_leader_epoch)
            w.nullable_string(p.committed_metadata, flex)
            put_tags(w, p.unknown_tags, flex, "TxnOffsetCommitRequestPartition")
        put_tags(w, t.unknown_tags, flex, "TxnOffsetCommitRequestTopic")
    put_tags(w, msg.unknown_tags, flex, "TxnOffsetCommitRequest")
    return bytes(w.buf)


def decode_request(buf: bytes | bytearray | memoryview, version: int) -> TxnOffsetCommitRequest:
    """Decode a TxnOffsetCommit request body; raises ``DecodeError`` on bad bytes."""
    flex = _check(version)
    r = Reader(buf)
    msg = TxnOffsetCommitRequest(
        transactional_id=r.string("transactional_id", flex),
        group_id=r.string("group_id", flex),
        producer_id=r.int64("producer_id"),
        producer_epoch=r.int16("producer_epoch"),
    )
    if version >= 3:
        msg.generation_id_or_member_epoch = r.int32("generation_id_or_member_epoch")
        msg.member_id = r.string("member_id", flex)
        msg.group_instance_id = r.nullable_string("group_instance_id", flex)
    for _ in range(r.array_len("topics", flex)):
        name, topic_id = _read_topic_key(r, version, flex)
        t = TxnOffsetCommitRequestTopic(name=name, topic_id=topic_id)
        for _ in range(r.array_len("partitions", flex)):
            p = TxnOffsetCommitRequestPartition(
                partition_index=r.int32("partition_index"),
                committed_offset=r.int64("committed_offset"),
            )
            if version >= 2:
                p.committed_leader_epoch = r.int32("committed_leader_epoch")
            p.committed_metadata = r.nullable_string("committed_metadata", flex)
            if flex:
                p.unknown_tags = r.tagged_fields()
            t.partitions.append(p)
            if r.bad:
                break
        if flex:
            t.unknown_tags = r.tagged_fields()
        msg.topics.append(t)
        if r.bad:
            break
    if flex:
        msg.unknown_tags = r.tagged_fields()
    r.finish()
    return msg


def encode_response(msg: TxnOffsetCommitResponse, version: int) -> bytes:
    """Encode a TxnOffsetCommit response body at ``version``."""
    flex = _check(version)
    w = Writer()
    w.int32(msg.throttle_time_ms)
    w.array_len(len(msg.topics), flex)
    for t in msg.topics:
        _write_topic_key(w, t.name, t.topic_id, version, flex)
        w.array_len(len(t.partitions), flex)
        for p in t.partitions:
            w.int32(p.partition_index)
            w.int16(p.error_code)
            put_tags(w, p.unknown_tags, flex, "TxnOffsetCommitResponsePartition")
        put_tags(w, t.unknown_tags, flex, "TxnOffsetCommitResponseTopic")
    put_tags(w, msg.unknown_tags, flex, "TxnOffsetCommitResponse")
    return bytes(w.buf)


def decode_response(buf: bytes | bytearray | memoryview, version: int) -> TxnOffsetCommitResponse:
    """Decode a TxnOffsetCommit response body; raises ``DecodeError`` on bad bytes."""
    flex = _check(version)
    r = Reader(buf)
    msg = TxnOffsetCommitResponse(throttle_time_ms=r.int32("throttle_time_ms"))
    for _ in range(r.array_len("topics", flex)):
        name, topic_id = _read_topic_key(r, version, flex)
        t = TxnOffsetCommitResponseTopic(name=name, topic_id=topic_id)
        for _ in range(r.array_len("partitions", flex)):
            p = TxnOffsetCommitResponsePartition(
                partition_index=r.int32("partition_index"), error_code=r.int16("error_code")
            )
            if flex:
                p.unknown_tags = r.tagged_fields()
            t.partitions.append(p)
            if r.bad:
                break
        if flex:
            t.unknown_tags = r.tagged_fields()
        msg.topics.append(t)
        if r.bad:
            break
    if flex:
        msg.unknown_tags = r.tagged_fields()
    r.finish()
    return msg
