"""Produce (API key 0): the hot path. Versions 3-13.

Request layout (v3+): transactional_id, acks, timeout_ms, then per topic its
name (its topic id from v13), then per partition its index and the records
(already-built RecordBatch bytes, passed through untouched). v9+ is flexible.

The request encoder is hand-rolled for speed: it gathers byte pieces in one
list with a few ``struct`` packs per partition and joins once, and
``build_request`` takes plain tuples so the sender need not build dataclasses
per partition.

Response notes: v5 adds log_start_offset, v8 per-batch record errors and an
error message, v10 the tagged ``current_leader`` (partition level) and
``node_endpoints`` (top level) of KIP-951 leader discovery: on
NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH the sender moves the partition to
that leader at once (``Cluster.update_leader``), with its address from
``node_endpoints``, rather than waiting for a metadata refresh.
"""
from __future__ import annotations

import struct
import uuid as _uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from purekafka.errors import LocalProtocolError
from purekafka.protocol._codec import absent, check_version, finish_tag, no_tags, write_tags
from purekafka.protocol.primitives import ZERO_UUID, Reader, Writer, encode_uvarint

API_KEY = 0
MIN_VERSION = 3
MAX_VERSION = 13
FLEXIBLE_VERSION = 9

_NAME = "Produce"


@dataclass
class PartitionProduceData:
    index: int = 0
    records: bytes | None = None
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class TopicProduceData:
    name: str = ""  # v0-12
    topic_id: _uuid.UUID = ZERO_UUID  # v13+
    partition_data: list[PartitionProduceData] = field(default_factory=list)
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class ProduceRequest:
    transactional_id: str | None = None
    acks: int = 0
    timeout_ms: int = 0
    topic_data: list[TopicProduceData] = field(default_factory=list)
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class BatchIndexAndErrorMessage:
    batch_index: int = 0
    batch_index_error_message: str | None = None
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class LeaderIdAndEpoch:
    leader_id: int = -1
    leader_epoch: int = -1
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class PartitionProduceResponse:
    index: int = 0
    error_code: int = 0
    base_offset: int = 0
    log_append_time_ms: int = -1  # v2+
    log_start_offset: int = -1  # v5+
    record_errors: list[BatchIndexAndErrorMessage] = field(default_factory=list)  # v8+
    error_message: str | None = None  # v8+
    current_leader: LeaderIdAndEpoch = field(default_factory=LeaderIdAndEpoch)  # v10+, tag 0
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class TopicProduceResponse:
    name: str = ""  # v0-12
    topic_id: _uuid.UUID = ZERO_UUID  # v13+
    partition_responses: list[PartitionProduceResponse] = field(default_factory=list)
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class NodeEndpoint:
    node_id: int = 0
    host: str = ""
    port: int = 0
    rack: str | None = None
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class ProduceResponse:
    responses: list[TopicProduceResponse] = field(default_factory=list)
    throttle_time_ms: int = 0  # v1+
    node_endpoints: list[NodeEndpoint] = field(default_factory=list)  # v10+, tag 0
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


# request ------------------------------------------------------------------

_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
_ACKS_TIMEOUT = struct.Struct(">hi")
_IDX_LEN = struct.Struct(">ii")
_NULL_STR = b"\xff\xff"
_NULL_RECORDS = b"\xff\xff\xff\xff"

TopicTuple = tuple["str | _uuid.UUID", Sequence[tuple[int, "bytes | None"]]]


def _str(s: str, flex: bool) -> bytes:
    data = s.encode("utf-8")
    if flex:
        return encode_uvarint(len(data) + 1) + data
    if len(data) > 0x7FFF:
        raise LocalProtocolError("topic name exceeds the int16 length limit")
    return _I16.pack(len(data)) + data


def request_parts(
    version: int,
    transactional_id: str | None,
    acks: int,
    timeout_ms: int,
    topic_data: Iterable[TopicTuple],
) -> list[bytes]:
    """Body pieces of a ProduceRequest; ``b"".join`` them (or write them out in turn).

    ``topic_data`` is ``[(topic name, or topic id from v13, [(partition, records), ...]), ...]``.
    Records are written as given. Topics and partitions may be any sequences
    (their ``len`` is taken).
    """
    check_version(_NAME, version, MIN_VERSION, MAX_VERSION)
    flex = version >= 9
    by_id = version >= 13
    out: list[bytes] = []
    app = out.append
    try:
        if transactional_id is None:
            app(b"\x00" if flex else _NULL_STR)
        else:
            app(_str(transactional_id, flex))
        app(_ACKS_TIMEOUT.pack(acks, timeout_ms))
        topics = topic_data if isinstance(topic_data, (list, tuple)) else list(topic_data)
        app(encode_uvarint(len(topics) + 1) if flex else _I32.pack(len(topics)))
        for topic, partitions in topics:
            if by_id:
                if not isinstance(topic, _uuid.UUID):
                    raise LocalProtocolError(f"Produce v{version} names topics by id; got {topic!r}")
                app(topic.bytes)
            else:
                if not isinstance(topic, str):
                    raise LocalProtocolError(f"Produce v{version} names topics by name; got {topic!r}")
                app(_str(topic, flex))
            if flex:
                app(encode_uvarint(len(partitions) + 1))
                for index, records in partitions:
                    if records is None:
                        app(_I32.pack(index) + b"\x00\x00")
                    else:
                        app(_I32.pack(index) + encode_uvarint(len(records) + 1))
                        app(records)
                        app(b"\x00")
                app(b"\x00")
            else:
                app(_I32.pack(len(partitions)))
                for index, records in partitions:
                    if records is None:
                        app(_I32.pack(index) + _NULL_RECORDS)
                    else:
                        app(_IDX_LEN.pack(index, len(records)))
                        app(records)
        if flex:
            app(b"\x00")
    except struct.error as e:
        raise LocalProtocolError(f"Produce request value out of range: {e}") from None
    except (TypeError, ValueError) as e:
        raise LocalProtocolError(f"Produce request has a malformed topic or partition entry: {e}") from None
    return out


def build_request(
    version: int,
    transactional_id: str | None,
    acks: int,
    timeout_ms: int,
    topic_data: Iterable[TopicTuple],
) -> bytes:
    """Fast path: a ProduceRequest body from plain tuples (see ``request_parts``)."""
    return b"".join(request_parts(version, transactional_id, acks, timeout_ms, topic_data))


def _has_tags(msg: ProduceRequest) -> bool:
    if msg.unknown_tags:
        return True
    for t in msg.topic_data:
        if t.unknown_tags:
            return True
        for p in t.partition_data:
            if p.unknown_tags:
                return True
    return False


def encode_request(msg: ProduceRequest, version: int) -> bytes:
    """Encode a ProduceRequest body at ``version``."""
    check_version(_NAME, version, MIN_VERSION, MAX_VERSION)
    by_id = version >= 13
    # name and topic_id are both ignorable: the one the version lacks is dropped.
    topics = [
        (t.topic_id if by_id else t.name, [(p.index, p.records) for p in t.partition_data])
        for t in msg.topic_data
    ]
    if not _has_tags(msg):
        return build_request(version, msg.transactional_id, msg.acks, msg.timeout_ms, topics)
    return _encode_request_tagged(msg, version)


def _encode_request_tagged(msg: ProduceRequest, version: int) -> bytes:
    """The slow path, for messages carrying unknown tagged fields."""
    flex = version >= 9
    if not flex:
        raise LocalProtocolError("ProduceRequest: tagged fields need a flexible version")
    w = Writer()
    w.nullable_string(msg.transactional_id, True)
    w.int16(msg.acks)
    w.int32(msg.timeout_ms)
    w.array_len(len(msg.topic_data), True)
    for t in msg.topic_data:
        if version >= 13:
            w.uuid(t.topic_id)
        else:
            w.string(t.name, True)
        w.array_len(len(t.partition_data), True)
        for p in t.partition_data:
            w.int32(p.index)
            w.nullable_bytes(p.records, True)
            w.tagged_fields(p.unknown_tags)
        w.tagged_fields(t.unknown_tags)
    w.tagged_fields(msg.unknown_tags)
    return bytes(w.buf)


def decode_request(buf: bytes | bytearray | memoryview, version: int) -> ProduceRequest:
    """Decode a ProduceRequest body; raises ``DecodeError`` on bad bytes."""
    check_version(_NAME, version, MIN_VERSION, MAX_VERSION)
    flex = version >= 9
    r = Reader(buf)
    msg = ProduceRequest(r.nullable_string("transactional_id", flex), r.int16("acks"), r.int32("timeout_ms"))
    for _ in range(r.array_len("topic_data", flex)):
        t = TopicProduceData()
        if version >= 13:
            t.topic_id = r.uuid("topic_id")
        else:
            t.name = r.string("name", flex)
        for _ in range(r.array_len("partition_data", flex)):
            p = PartitionProduceData(r.int32("index"), r.nullable_bytes("records", flex))
            if flex:
                p.unknown_tags = r.tagged_fields()
            t.partition_data.append(p)
        if flex:
            t.unknown_tags = r.tagged_fields()
        msg.topic_data.append(t)
    if flex:
        msg.unknown_tags = r.tagged_fields()
    r.finish()
    return msg


# response -----------------------------------------------------------------

def encode_response(msg: ProduceResponse, version: int) -> bytes:
    """Encode a ProduceResponse body at ``version`` (for tests and fake peers)."""
    check_version(_NAME, version, MIN_VERSION, MAX_VERSION)
    flex = version >= 9
    w = Writer()
    # Ignorable fields (topic name/id, log_start_offset, record_errors,
    # error_message) are dropped in versions that lack them.
    w.array_len(len(msg.responses), flex)
    for t in msg.responses:
        if version >= 13:
            w.uuid(t.topic_id)
        else:
            w.string(t.name, flex)
        w.array_len(len(t.partition_responses), flex)
        for p in t.partition_responses:
            w.int32(p.index)
            w.int16(p.error_code)
            w.int64(p.base_offset)
            w.int64(p.log_append_time_ms)
            if version >= 5:
                w.int64(p.log_start_offset)
            if version >= 8:
                w.array_len(len(p.record_errors), flex)
                for e in p.record_errors:
                    w.int32(e.batch_index)
                    w.nullable_string(e.batch_index_error_message, flex)
                    if flex:
                        w.tagged_fields(e.unknown_tags)
                    else:
                        no_tags(e.unknown_tags, "BatchIndexAndErrorMessage")
                w.nullable_string(p.error_message, flex)
            cl = p.current_leader
            leader_set = cl.leader_id != -1 or cl.leader_epoch != -1 or bool(cl.unknown_tags)
            if version < 10 and leader_set:
                raise absent(_NAME, "current_leader", version)
            if flex:
                known = None
                if leader_set:
                    sub = Writer()
                    sub.int32(cl.leader_id)
                    sub.int32(cl.leader_epoch)
                    sub.tagged_fields(cl.unknown_tags)
                    known = {0: bytes(sub.buf)}
                write_tags(w, known, p.unknown_tags, "PartitionProduceResponse")
            else:
                no_tags(p.unknown_tags, "PartitionProduceResponse")
        if flex:
            w.tagged_fields(t.unknown_tags)
        else:
            no_tags(t.unknown_tags, "TopicProduceResponse")
    w.int32(msg.throttle_time_ms)
    if version < 10 and msg.node_endpoints:
        raise absent(_NAME, "node_endpoints", version)
    if flex:
        known = None
        if msg.node_endpoints:
            sub = Writer()
            sub.array_len(len(msg.node_endpoints), True)
            for n in msg.node_endpoints:
                sub.int32(n.node_id)
                sub.string(n.host, True)
                sub.int32(n.port)
                sub.nullable_string(n.rack, True)
                sub.tagged_fields(n.unknown_tags)
            known = {0: bytes(sub.buf)}
        write_tags(w, known, msg.unknown_tags, "ProduceResponse")
    else:
        no_tags(msg.unknown_tags, "ProduceResponse")
    return bytes(w.buf)


def decode_response(buf: bytes | bytearray | memoryview, version: int) -> ProduceResponse:
    """Decode a ProduceResponse body; raises ``DecodeError`` on bad bytes."""
    check_version(_NAME, version, MIN_VERSION, MAX_VERSION)
    flex = version >= 9
    r = Reader(buf)
    msg = ProduceResponse()
    for _ in range(r.array_len("responses", flex)):
        t = TopicProduceResponse()
        if version >= 13:
            t.topic_id = r.uuid("topic_id")
        else:
            t.name = r.string("name", flex)
        for _ in range(r.array_len("partition_responses", flex)):
            p = PartitionProduceResponse(
                r.int32("index"), r.int16("error_code"), r.int64("base_offset"), r.int64("log_append_time_ms")
            )
            if version >= 5:
                p.log_start_offset = r.int64("log_start_offset")
            if version >= 8:
                for _ in range(r.array_len("record_errors", flex)):
                    e = BatchIndexAndErrorMessage(
                        r.int32("batch_index"), r.nullable_string("batch_index_error_message", flex)
                    )
                    if flex:
                        e.unknown_tags = r.tagged_fields()
                    p.record_errors.append(e)
                p.error_message = r.nullable_string("error_message", flex)
            if flex:
                for tag, data in r.tagged_fields().items():
                    if tag == 0 and version >= 10:
                        sub = Reader(data)
                        p.current_leader = LeaderIdAndEpoch(sub.int32("leader_id"), sub.int32("leader_epoch"))
                        p.current_leader.unknown_tags = sub.tagged_fields()
                        finish_tag(r, sub, "current_leader")
                    else:
                        p.unknown_tags[tag] = data
            t.partition_responses.append(p)
        if flex:
            t.unknown_tags = r.tagged_fields()
        msg.responses.append(t)
    msg.throttle_time_ms = r.int32("throttle_time_ms")
    if flex:
        for tag, data in r.tagged_fields().items():
            if tag == 0 and version >= 10:
                sub = Reader(data)
                for _ in range(sub.array_len("node_endpoints", True)):
                    n = NodeEndpoint(sub.int32("node_id"), sub.string("host", True), sub.int32("port"),
                                     sub.nullable_string("rack", True))
                    n.unknown_tags = sub.tagged_fields()
                    msg.node_endpoints.append(n)
                finish_tag(r, sub, "node_endpoints")
            else:
                msg.unknown_tags[tag] = data
    r.finish()
    return msg
