"""Metadata (API key 3): brokers, topics, partitions and their leaders.

Version notes: v1 allows a null topic list (all topics; an empty list then
means none), v4 adds allow_auto_topic_creation, v7 leader epochs, v8 the
authorized-operations bitfields (the cluster one left again after v10), v9
goes flexible, v10 adds topic ids (and requests may name topics by id, with
a null name, from v10), v12 allows a null topic name in responses, v13 adds a
top-level error code.
"""
from __future__ import annotations

import uuid as _uuid
from dataclasses import dataclass, field

from purekafka.protocol._codec import absent, check_version, no_tags
from purekafka.protocol.primitives import ZERO_UUID, Reader, Writer

API_KEY = 3
MIN_VERSION = 0
MAX_VERSION = 13
FLEXIBLE_VERSION = 9

_NAME = "Metadata"
_AUTH_UNKNOWN = -(1 << 31)


@dataclass
class MetadataRequestTopic:
    topic_id: _uuid.UUID = ZERO_UUID  # v10+
    name: str | None = ""  # nullable v10+
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class MetadataRequest:
    topics: list[MetadataRequestTopic] | None = field(default_factory=list)  # None = all topics (v1+)
    allow_auto_topic_creation: bool = True  # v4+
    include_cluster_authorized_operations: bool = False  # v8-10
    include_topic_authorized_operations: bool = False  # v8+
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class MetadataResponseBroker:
    node_id: int = 0
    host: str = ""
    port: int = 0
    rack: str | None = None  # v1+
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class MetadataResponsePartition:
    error_code: int = 0
    partition_index: int = 0
    leader_id: int = 0
    leader_epoch: int = -1  # v7+
    replica_nodes: list[int] = field(default_factory=list)
    isr_nodes: list[int] = field(default_factory=list)
    offline_replicas: list[int] = field(default_factory=list)  # v5+
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class MetadataResponseTopic:
    error_code: int = 0
    name: str | None = ""  # nullable v12+
    topic_id: _uuid.UUID = ZERO_UUID  # v10+
    is_internal: bool = False  # v1+
    partitions: list[MetadataResponsePartition] = field(default_factory=list)
    topic_authorized_operations: int = _AUTH_UNKNOWN  # v8+
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class MetadataResponse:
    throttle_time_ms: int = 0  # v3+
    brokers: list[MetadataResponseBroker] = field(default_factory=list)
    cluster_id: str | None = None  # v2+
    controller_id: int = -1  # v1+
    topics: list[MetadataResponseTopic] = field(default_factory=list)
    cluster_authorized_operations: int = _AUTH_UNKNOWN  # v8-10
    error_code: int = 0  # v13+
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


def encode_request(msg: MetadataRequest, version: int) -> bytes:
    """Encode a Metadata request body at ``version``."""
    check_version(_NAME, version, MIN_VERSION, MAX_VERSION)
    flex = version >= 9
    w = Writer()
    topics = msg.topics
    if topics is None:
        if version < 1:
            raise absent(_NAME, "null topics (all topics)", version)
        w.array_len(None, flex)
    else:
        w.array_len(len(topics), flex)
        for t in topics:
            if version >= 10:
                w.uuid(t.topic_id)
                w.nullable_string(t.name, flex)
            else:
                # topic_id is ignorable: dropped silently before v10.
                w.string(t.name, flex)
            if flex:
                w.tagged_fields(t.unknown_tags)
            else:
                no_tags(t.unknown_tags, "MetadataRequestTopic")
    if version >= 4:
        w.bool(msg.allow_auto_topic_creation)
    elif not msg.allow_auto_topic_creation:
        raise absent(_NAME, "allow_auto_topic_creation", version)
    if 8 <= version <= 10:
        w.bool(msg.include_cluster_authorized_operations)
    elif msg.include_cluster_authorized_operations:
        raise absent(_NAME, "include_cluster_authorized_operations", version)
    if version >= 8:
        w.bool(msg.include_topic_authorized_operations)
    elif msg.include_topic_authorized_operations:
        raise absent(_NAME, "include_topic_authorized_operations", version)
    if flex:
        w.tagged_fields(msg.unknown_tags)
    else:
        no_tags(msg.unknown_tags, "MetadataRequest")
    return bytes(w.buf)


def decode_request(buf: bytes | bytearray | memoryview, version: int) -> MetadataRequest:
    """Decode a Metadata request body; raises ``DecodeError`` on bad bytes."""
    check_version(_NAME, version, MIN_VERSION, MAX_VERSION)
    flex = version >= 9
    r = Reader(buf)
    msg = MetadataRequest()
    n = r.array_len("topics", flex, nullable=version >= 1)
    if n < 0:
        msg.topics = None
    else:
        topics = msg.topics = []
        for _ in range(n):
            t = MetadataRequestTopic()
            if version >= 10:
                t.topic_id = r.uuid("topic_id")
                t.name = r.nullable_string("name", flex)
            else:
                t.name = r.string("name", flex)
            if flex:
                t.unknown_tags = r.tagged_fields()
            topics.append(t)
    if version >= 4:
        msg.allow_auto_topic_creation = r.bool("allow_auto_topic_creation")
    if 8 <= version <= 10:
        msg.include_cluster_authorized_operations = r.bool("include_cluster_authorized_operations")
    if version >= 8:
        msg.include_topic_authorized_operations = r.bool("include_topic_authorized_operations")
    if flex:
        msg.unknown_tags = r.tagged_fields()
    r.finish()
    return msg


def _int32_array(w: Writer, values: list[int], flex: bool) -> None:
    w.array_len(len(values), flex)
    for v in values:
        w.int32(v)


def _read_int32_array(r: Reader, name: str, flex: bool) -> list[int]:
    return [r.int32(name) for _ in range(r.array_len(name, flex))]


def encode_response(msg: MetadataResponse, version: int) -> bytes:
    """Encode a Metadata response body at ``version``."""
    check_version(_NAME, version, MIN_VERSION, MAX_VERSION)
    flex = version >= 9
    w = Writer()
    # throttle_time_ms, rack, cluster_id, controller_id, topic_id, is_internal,
    # leader_epoch, offline_replicas and error_code are ignorable: dropped
    # silently in versions that lack them.
    if version >= 3:
        w.int32(msg.throttle_time_ms)
    w.array_len(len(msg.brokers), flex)
    for b in msg.brokers:
        w.int32(b.node_id)
        w.string(b.host, flex)
        w.int32(b.port)
        if version >= 1:
            w.nullable_string(b.rack, flex)
        if flex:
            w.tagged_fields(b.unknown_tags)
        else:
            no_tags(b.unknown_tags, "MetadataResponseBroker")
    if version >= 2:
        w.nullable_string(msg.cluster_id, flex)
    if version >= 1:
        w.int32(msg.controller_id)
    w.array_len(len(msg.topics), flex)
    for t in msg.topics:
        w.int16(t.error_code)
        if version >= 12:
            w.nullable_string(t.name, flex)
        else:
            w.string(t.name, flex)
        if version >= 10:
            w.uuid(t.topic_id)
        if version >= 1:
            w.bool(t.is_internal)
        w.array_len(len(t.partitions), flex)
        for p in t.partitions:
            w.int16(p.error_code)
            w.int32(p.partition_index)
            w.int32(p.leader_id)
            if version >= 7:
                w.int32(p.leader_epoch)
            _int32_array(w, p.replica_nodes, flex)
            _int32_array(w, p.isr_nodes, flex)
            if version >= 5:
                _int32_array(w, p.offline_replicas, flex)
            if flex:
                w.tagged_fields(p.unknown_tags)
            else:
                no_tags(p.unknown_tags, "MetadataResponsePartition")
        if version >= 8:
            w.int32(t.topic_authorized_operations)
        elif t.topic_authorized_operations != _AUTH_UNKNOWN:
            raise absent(_NAME, "topic_authorized_operations", version)
        if flex:
            w.tagged_fields(t.unknown_tags)
        else:
            no_tags(t.unknown_tags, "MetadataResponseTopic")
    if 8 <= version <= 10:
        w.int32(msg.cluster_authorized_operations)
    elif msg.cluster_authorized_operations != _AUTH_UNKNOWN:
        raise absent(_NAME, "cluster_authorized_operations", version)
    if version >= 13:
        w.int16(msg.error_code)
    if flex:
        w.tagged_fields(msg.unknown_tags)
    else:
        no_tags(msg.unknown_tags, "MetadataResponse")
    return bytes(w.buf)


def decode_response(buf: bytes | bytearray | memoryview, version: int) -> MetadataResponse:
    """Decode a Metadata response body; raises ``DecodeError`` on bad bytes."""
    check_version(_NAME, version, MIN_VERSION, MAX_VERSION)
    flex = version >= 9
    r = Reader(buf)
    msg = MetadataResponse()
    if version >= 3:
        msg.throttle_time_ms = r.int32("throttle_time_ms")
    brokers = msg.brokers
    for _ in range(r.array_len("brokers", flex)):
        b = MetadataResponseBroker(r.int32("node_id"), r.string("host", flex), r.int32("port"))
        if version >= 1:
            b.rack = r.nullable_string("rack", flex)
        if flex:
            b.unknown_tags = r.tagged_fields()
        brokers.append(b)
    if version >= 2:
        msg.cluster_id = r.nullable_string("cluster_id", flex)
    if version >= 1:
        msg.controller_id = r.int32("controller_id")
    topics = msg.topics
    for _ in range(r.array_len("topics", flex)):
        t = MetadataResponseTopic(error_code=r.int16("error_code"))
        t.name = r.nullable_string("name", flex) if version >= 12 else r.string("name", flex)
        if version >= 10:
            t.topic_id = r.uuid("topic_id")
        if version >= 1:
            t.is_internal = r.bool("is_internal")
        parts = t.partitions
        for _ in range(r.array_len("partitions", flex)):
            p = MetadataResponsePartition(r.int16("error_code"), r.int32("partition_index"), r.int32("leader_id"))
            if version >= 7:
                p.leader_epoch = r.int32("leader_epoch")
            p.replica_nodes = _read_int32_array(r, "replica_nodes", flex)
            p.isr_nodes = _read_int32_array(r, "isr_nodes", flex)
            if version >= 5:
                p.offline_replicas = _read_int32_array(r, "offline_replicas", flex)
            if flex:
                p.unknown_tags = r.tagged_fields()
            parts.append(p)
        if version >= 8:
            t.topic_authorized_operations = r.int32("topic_authorized_operations")
        if flex:
            t.unknown_tags = r.tagged_fields()
        topics.append(t)
    if 8 <= version <= 10:
        msg.cluster_authorized_operations = r.int32("cluster_authorized_operations")
    if version >= 13:
        msg.error_code = r.int16("error_code")
    if flex:
        msg.unknown_tags = r.tagged_fields()
    r.finish()
    return msg
