"""ApiVersions (API key 18): which versions of each API the broker supports.

The first request on every connection. Versions 3+ are flexible and carry the
client's software name and version; the response to 3+ may carry supported
and finalized feature levels as tagged fields. Whatever version was sent, a
broker that does not support it answers with error UNSUPPORTED_VERSION (35)
in a v0 body, listing its ApiVersions range, and with response header v0.
Kafka defines v5 (cluster/node id checks); we stop at v4.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from purekafka.errors import DecodeError
from purekafka.protocol._codec import check_version, finish_tag, no_tags, write_tags
from purekafka.protocol.primitives import Reader, Writer

API_KEY = 18
MIN_VERSION = 0
MAX_VERSION = 4
FLEXIBLE_VERSION = 3

_NAME = "ApiVersions"


@dataclass
class ApiVersionsRequest:
    client_software_name: str = ""  # v3+
    client_software_version: str = ""  # v3+
    cluster_id: str | None = None  # v5+, never sent by this module
    node_id: int = -1  # v5+, never sent by this module
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class ApiVersion:
    api_key: int = 0
    min_version: int = 0
    max_version: int = 0
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class SupportedFeatureKey:
    name: str = ""
    min_version: int = 0
    max_version: int = 0
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class FinalizedFeatureKey:
    name: str = ""
    max_version_level: int = 0
    min_version_level: int = 0
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class ApiVersionsResponse:
    error_code: int = 0
    api_keys: list[ApiVersion] = field(default_factory=list)
    throttle_time_ms: int = 0  # v1+
    supported_features: list[SupportedFeatureKey] = field(default_factory=list)  # v3+, tag 0
    finalized_features_epoch: int = -1  # v3+, tag 1
    finalized_features: list[FinalizedFeatureKey] = field(default_factory=list)  # v3+, tag 2
    zk_migration_ready: bool = False  # v3+, tag 3
    unknown_tags: dict[int, bytes] = field(default_factory=dict)

    def versions(self) -> dict[int, tuple[int, int]]:
        """``{api_key: (min_version, max_version)}``."""
        return {a.api_key: (a.min_version, a.max_version) for a in self.api_keys}


def pick_version(ours: tuple[int, int], theirs: tuple[int, int] | None) -> int | None:
    """Highest version both sides support, or ``None`` if the ranges do not meet."""
    if theirs is None:
        return None
    lo = max(ours[0], theirs[0])
    hi = min(ours[1], theirs[1])
    return hi if lo <= hi else None


def decode_response_with_fallback(buf: bytes | bytearray | memoryview, version: int) -> ApiVersionsResponse:
    """Decode an ApiVersions response to a ``version`` request, falling back to v0.

    A broker that does not support ``version`` answers with a v0 body
    (UNSUPPORTED_VERSION plus its ApiVersions range), so a body that does
    not parse at ``version`` is read again as v0, as Kafka's Java client does.
    """
    try:
        return decode_response(buf, version)
    except DecodeError:
        if version == 0:
            raise
        return decode_response(buf, 0)


def encode_request(msg: ApiVersionsRequest, version: int) -> bytes:
    """Encode an ApiVersions request body at ``version``."""
    check_version(_NAME, version, MIN_VERSION, MAX_VERSION)
    w = Writer()
    if version >= 3:
        # Both are ignorable in Kafka's definition: dropped silently before v3.
        w.string(msg.client_software_name, True)
        w.string(msg.client_software_version, True)
        write_tags(w, None, msg.unknown_tags, "ApiVersionsRequest")
    else:
        no_tags(msg.unknown_tags, "ApiVersionsRequest")
    return bytes(w.buf)


def decode_request(buf: bytes | bytearray | memoryview, version: int) -> ApiVersionsRequest:
    """Decode an ApiVersions request body; raises ``DecodeError`` on bad bytes."""
    check_version(_NAME, version, MIN_VERSION, MAX_VERSION)
    r = Reader(buf)
    msg = ApiVersionsRequest()
    if version >= 3:
        msg.client_software_name = r.string("client_software_name", True)
        msg.client_software_version = r.string("client_software_version", True)
        msg.unknown_tags = r.tagged_fields()
    r.finish()
    return msg


def encode_response(msg: ApiVersionsResponse, version: int) -> bytes:
    """Encode an ApiVersions response body at ``version``."""
    check_version(_NAME, version, MIN_VERSION, MAX_VERSION)
    flex = version >= 3
    w = Writer()
    w.int16(msg.error_code)
    w.array_len(len(msg.api_keys), flex)
    for a in msg.api_keys:
        w.int16(a.api_key)
        w.int16(a.min_version)
        w.int16(a.max_version)
        if flex:
            w.tagged_fields(a.unknown_tags)
        else:
            no_tags(a.unknown_tags, "ApiVersion")
    if version >= 1:
        w.int32(msg.throttle_time_ms)
    if not flex:
        # The tagged fields are all ignorable: dropped before v3.
        no_tags(msg.unknown_tags, "ApiVersionsResponse")
        return bytes(w.buf)
    known: dict[int, bytes] = {}
    if msg.supported_features:
        t = Writer()
        t.array_len(len(msg.supported_features), True)
        for s in msg.supported_features:
            t.string(s.name, True)
            t.int16(s.min_version)
            t.int16(s.max_version)
            t.tagged_fields(s.unknown_tags)
        known[0] = bytes(t.buf)
    if msg.finalized_features_epoch != -1:
        t = Writer()
        t.int64(msg.finalized_features_epoch)
        known[1] = bytes(t.buf)
    if msg.finalized_features:
        t = Writer()
        t.array_len(len(msg.finalized_features), True)
        for f in msg.finalized_features:
            t.string(f.name, True)
            t.int16(f.max_version_level)
            t.int16(f.min_version_level)
            t.tagged_fields(f.unknown_tags)
        known[2] = bytes(t.buf)
    if msg.zk_migration_ready:
        known[3] = b"\x01"
    write_tags(w, known, msg.unknown_tags, "ApiVersionsResponse")
    return bytes(w.buf)


def decode_response(buf: bytes | bytearray | memoryview, version: int) -> ApiVersionsResponse:
    """Decode an ApiVersions response body; raises ``DecodeError`` on bad bytes."""
    check_version(_NAME, version, MIN_VERSION, MAX_VERSION)
    flex = version >= 3
    r = Reader(buf)
    msg = ApiVersionsResponse(error_code=r.int16("error_code"))
    n = r.array_len("api_keys", flex)
    keys = msg.api_keys
    for _ in range(n):
        a = ApiVersion(r.int16("api_key"), r.int16("min_version"), r.int16("max_version"))
        if flex:
            a.unknown_tags = r.tagged_fields()
        keys.append(a)
    if version >= 1:
        msg.throttle_time_ms = r.int32("throttle_time_ms")
    if flex:
        for tag, data in r.tagged_fields().items():
            sub = Reader(data)
            if tag == 0:
                for _ in range(sub.array_len("supported_features", True)):
                    s = SupportedFeatureKey(sub.string("name", True), sub.int16("min_version"), sub.int16("max_version"))
                    s.unknown_tags = sub.tagged_fields()
                    msg.supported_features.append(s)
                finish_tag(r, sub, "supported_features")
            elif tag == 1:
                msg.finalized_features_epoch = sub.int64("finalized_features_epoch")
                finish_tag(r, sub, "finalized_features_epoch")
            elif tag == 2:
                for _ in range(sub.array_len("finalized_features", True)):
                    f = FinalizedFeatureKey(
                        sub.string("name", True), sub.int16("max_version_level"), sub.int16("min_version_level")
                    )
                    f.unknown_tags = sub.tagged_fields()
                    msg.finalized_features.append(f)
                finish_tag(r, sub, "finalized_features")
            elif tag == 3:
                msg.zk_migration_ready = sub.bool("zk_migration_ready")
                finish_tag(r, sub, "zk_migration_ready")
            else:
                msg.unknown_tags[tag] = data
    r.finish()
    return msg

