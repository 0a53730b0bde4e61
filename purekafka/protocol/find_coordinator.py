"""FindCoordinator (API key 10): which broker coordinates a group or transaction.

v1 adds key_type (0 = group, 1 = transaction) and an error message, v3 goes
flexible, and v4 batches: requests carry ``coordinator_keys`` instead of
``key`` and responses a ``coordinators`` list instead of the single answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from purekafka.protocol._codec import absent, check_version, no_tags
from purekafka.protocol.primitives import Reader, Writer

API_KEY = 10
MIN_VERSION = 0
MAX_VERSION = 6
FLEXIBLE_VERSION = 3

KEY_TYPE_GROUP = 0
KEY_TYPE_TRANSACTION = 1

_NAME = "FindCoordinator"


@dataclass
class FindCoordinatorRequest:
    key: str = ""  # v0-3
    key_type: int = 0  # v1+
    coordinator_keys: list[str] = field(default_factory=list)  # v4+
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class Coordinator:
    key: str = ""
    node_id: int = 0
    host: str = ""
    port: int = 0
    error_code: int = 0
    error_message: str | None = ""
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class FindCoordinatorResponse:
    throttle_time_ms: int = 0  # v1+
    error_code: int = 0  # v0-3
    error_message: str | None = ""  # v1-3
    node_id: int = 0  # v0-3
    host: str = ""  # v0-3
    port: int = 0  # v0-3
    coordinators: list[Coordinator] = field(default_factory=list)  # v4+
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


def encode_request(msg: FindCoordinatorRequest, version: int) -> bytes:
    """Encode a FindCoordinator request body at ``version``."""
    check_version(_NAME, version, MIN_VERSION, MAX_VERSION)
    flex = version >= 3
    w = Writer()
    if version <= 3:
        w.string(msg.key, flex)
    elif msg.key != "":
        raise absent(_NAME, "key", version)
    if version >= 1:
        w.int8(msg.key_type)
    elif msg.key_type != 0:
        raise absent(_NAME, "key_type", version)
    if version >= 4:
        w.array_len(len(msg.coordinator_keys), True)
        for k in msg.coordinator_keys:
            w.string(k, True)
    elif msg.coordinator_keys:
        raise absent(_NAME, "coordinator_keys", version)
    if flex:
        w.tagged_fields(msg.unknown_tags)
    else:
        no_tags(msg.unknown_tags, "FindCoordinatorRequest")
    return bytes(w.buf)


def decode_request(buf: bytes | bytearray | memoryview, version: int) -> FindCoordinatorRequest:
    """Decode a FindCoordinator request body; raises ``DecodeError`` on bad bytes."""
    check_version(_NAME, version, MIN_VERSION, MAX_VERSION)
    flex = version >= 3
    r = Reader(buf)
    msg = FindCoordinatorRequest()
    if version <= 3:
        msg.key = r.string("key", flex)
    if version >= 1:
        msg.key_type = r.int8("key_type")
    if version >= 4:
        msg.coordinator_keys = [r.string("coordinator_keys", True) for _ in range(r.array_len("coordinator_keys", True))]
    if flex:
        msg.unknown_tags = r.tagged_fields()
    r.finish()
    return msg


def encode_response(msg: FindCoordinatorResponse, version: int) -> bytes:
    """Encode a FindCoordinator response body at ``version``."""
    check_version(_NAME, version, MIN_VERSION, MAX_VERSION)
    flex = version >= 3
    w = Writer()
    if version >= 1:
        w.int32(msg.throttle_time_ms)  # ignorable before v1
    if version <= 3:
        w.int16(msg.error_code)
        if version >= 1:
            w.nullable_string(msg.error_message, flex)  # ignorable before v1
        w.int32(msg.node_id)
        w.string(msg.host, flex)
        w.int32(msg.port)
        if msg.coordinators:
            raise absent(_NAME, "coordinators", version)
    else:
        if msg.error_code != 0:
            raise absent(_NAME, "error_code", version)
        if msg.node_id != 0:
            raise absent(_NAME, "node_id", version)
        if msg.host != "":
            raise absent(_NAME, "host", version)
        if msg.port != 0:
            raise absent(_NAME, "port", version)
        w.array_len(len(msg.coordinators), True)
        for c in msg.coordinators:
            w.string(c.key, True)
            w.int32(c.node_id)
            w.string(c.host, True)
            w.int32(c.port)
            w.int16(c.error_code)
            w.nullable_string(c.error_message, True)
            w.tagged_fields(c.unknown_tags)
    if flex:
        w.tagged_fields(msg.unknown_tags)
    else:
        no_tags(msg.unknown_tags, "FindCoordinatorResponse")
    return bytes(w.buf)


def decode_response(buf: bytes | bytearray | memoryview, version: int) -> FindCoordinatorResponse:
    """Decode a FindCoordinator response body; raises ``DecodeError`` on bad bytes."""
    check_version(_NAME, version, MIN_VERSION, MAX_VERSION)
    flex = version >= 3
    r = Reader(buf)
    msg = FindCoordinatorResponse()
    if version >= 1:
        msg.throttle_time_ms = r.int32("throttle_time_ms")
    if version <= 3:
        msg.error_code = r.int16("error_code")
        if version >= 1:
            msg.error_message = r.nullable_string("error_message", flex)
        msg.node_id = r.int32("node_id")
        msg.host = r.string("host", flex)
        msg.port = r.int32("port")
    else:
        for _ in range(r.array_len("coordinators", True)):
            c = Coordinator(
                r.string("key", True), r.int32("node_id"), r.string("host", True), r.int32("port"),
                r.int16("error_code"), r.nullable_string("error_message", True),
            )
            c.unknown_tags = r.tagged_fields()
            msg.coordinators.append(c)
    if flex:
        msg.unknown_tags = r.tagged_fields()
    r.finish()
    return msg
