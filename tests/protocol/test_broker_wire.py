"""purekafka.protocol against the real Apache Kafka broker, over a plain socket.

Only purekafka.protocol is used to build and read the messages (through the shared
``tests.support.wire_client``); the broker is started by tools/kafka_local.py (the
``kafka`` fixture).
"""
from __future__ import annotations

import time
import uuid
from typing import Any, Callable, Iterator

import pytest

from purekafka.errors import UnsupportedVersionError
from purekafka.protocol import api_versions, find_coordinator, metadata
from purekafka.protocol.apis import API_BY_KEY

from tests.support.kafka import LocalKafka
from tests.support.wire_client import WireClient

Versions = dict[int, tuple[int, int]]  # api key -> the broker's (min, max)
TopicFactory = Callable[..., str]

pytestmark = pytest.mark.broker

UNSUPPORTED_VERSION = 35
COORDINATOR_NOT_AVAILABLE = 15
NOT_COORDINATOR = 16
COORDINATOR_LOAD_IN_PROGRESS = 14
UNKNOWN_TOPIC_OR_PARTITION = 3
NONE = 0


@pytest.fixture(scope="module")
def conn(kafka: LocalKafka) -> Iterator[WireClient]:
    with WireClient(kafka.addresses[0], client_id="purekafka-wire-test") as c:
        yield c


@pytest.fixture(scope="module")
def broker_versions(conn: WireClient) -> Versions:
    resp = conn.call(api_versions, api_versions.ApiVersionsRequest("purekafka", "0.1.0"), api_versions.MAX_VERSION)
    assert resp.error_code == NONE
    versions: Versions = resp.versions()
    return versions


def test_api_versions_answer(conn: WireClient, broker_versions: Versions) -> None:
    # The producer's APIs are all there, and ApiVersions itself spans our versions.
    for key in (0, 3, 10, 18, 22, 24, 25, 26, 28, 17, 36):
        assert key in broker_versions, key
    lo, hi = broker_versions[18]
    assert lo == 0 and hi >= api_versions.MAX_VERSION
    for version in range(api_versions.MIN_VERSION, api_versions.MAX_VERSION + 1):
        resp = conn.call(api_versions, api_versions.ApiVersionsRequest("purekafka", "0.1.0"), version)
        assert resp.error_code == NONE
        assert resp.versions() == broker_versions
        if version >= 3:
            # A KRaft broker finalizes metadata.version, and says so in the tagged fields.
            assert resp.finalized_features_epoch >= 0
            assert "metadata.version" in {f.name for f in resp.finalized_features}
            assert "metadata.version" in {f.name for f in resp.supported_features}


def test_version_negotiation_picks_max_common(broker_versions: Versions) -> None:
    for key, mod in API_BY_KEY.items():
        theirs = broker_versions.get(key)
        picked = api_versions.pick_version((mod.MIN_VERSION, mod.MAX_VERSION), theirs)
        assert theirs is not None
        assert picked == min(mod.MAX_VERSION, theirs[1])
        assert picked >= max(mod.MIN_VERSION, theirs[0])
    assert api_versions.pick_version((3, 5), (6, 9)) is None
    assert api_versions.pick_version((3, 5), None) is None


def test_api_versions_too_new_gets_v0_error_body(kafka: LocalKafka) -> None:
    # A version the broker does not know: it answers in a v0 body with response header v0,
    # error UNSUPPORTED_VERSION and its ApiVersions range, so a client can retry lower.
    with WireClient(kafka.addresses[0], client_id="purekafka-wire-test") as c:
        body = api_versions.encode_request(api_versions.ApiVersionsRequest("purekafka", "0.1.0"), 4)
        out = c.call_raw(18, 42, body, response_header_version=0)
    resp = api_versions.decode_response(out, 0)
    assert resp.error_code == UNSUPPORTED_VERSION
    assert 18 in resp.versions()
    # What a client that asked for v4 of an older broker gets: the same v0 body.
    again = api_versions.decode_response_with_fallback(out, 4)
    assert again == resp


def test_metadata_every_version(conn: WireClient, broker_versions: Versions, topic_factory: TopicFactory,
                                kafka: LocalKafka) -> None:
    topic = topic_factory(partitions=3)
    lo, hi = broker_versions[3]
    lo = max(lo, metadata.MIN_VERSION)
    hi = min(hi, metadata.MAX_VERSION)
    assert hi == metadata.MAX_VERSION
    host, port = kafka.addresses[0]
    topic_ids = set()
    for version in range(lo, hi + 1):
        req = metadata.MetadataRequest(topics=[metadata.MetadataRequestTopic(name=topic)],
                                       allow_auto_topic_creation=False if version >= 4 else True)
        resp = conn.call(metadata, req, version)
        assert any(b.host == host and b.port == port for b in resp.brokers), resp.brokers
        node_ids = {b.node_id for b in resp.brokers}
        assert [t.name for t in resp.topics] == [topic]
        t = resp.topics[0]
        assert t.error_code == NONE
        assert sorted(p.partition_index for p in t.partitions) == [0, 1, 2]
        for p in t.partitions:
            assert p.error_code == NONE
            assert p.leader_id in node_ids
            assert p.replica_nodes == [p.leader_id]
            assert p.isr_nodes == [p.leader_id]
            if version >= 7:
                assert p.leader_epoch >= 0
        if version >= 1:
            assert resp.controller_id >= -1
        if version >= 2:
            assert resp.cluster_id
        if version >= 10:
            assert t.topic_id != uuid.UUID(int=0)
            topic_ids.add(t.topic_id)
    assert len(topic_ids) == 1


def test_metadata_by_topic_id_and_unknown_topic(conn: WireClient, broker_versions: Versions,
                                                topic_factory: TopicFactory) -> None:
    topic = topic_factory()
    by_name = conn.call(metadata, metadata.MetadataRequest([metadata.MetadataRequestTopic(name=topic)], False), 12)
    tid = by_name.topics[0].topic_id
    by_id = conn.call(metadata, metadata.MetadataRequest([metadata.MetadataRequestTopic(topic_id=tid, name=None)],
                                                         False), 12)
    assert [(t.name, t.topic_id) for t in by_id.topics] == [(topic, tid)]
    missing = conn.call(metadata, metadata.MetadataRequest(
        [metadata.MetadataRequestTopic(name="purekafka-no-such-topic-" + uuid.uuid4().hex)], False), 12)
    assert missing.topics[0].error_code == UNKNOWN_TOPIC_OR_PARTITION


def test_metadata_all_topics(conn: WireClient, topic_factory: TopicFactory) -> None:
    topic = topic_factory()
    resp = conn.call(metadata, metadata.MetadataRequest(topics=None), 12)
    assert topic in {t.name for t in resp.topics}
    empty = conn.call(metadata, metadata.MetadataRequest(topics=[]), 12)
    assert empty.topics == []


def _find(conn: WireClient, key: str, key_type: int, version: int,
          timeout: float = 60.0) -> tuple[int, int, str, int]:
    """FindCoordinator, retried while the coordinator's internal topic comes up."""
    deadline = time.monotonic() + timeout
    while True:
        if version >= 4:
            req = find_coordinator.FindCoordinatorRequest(key_type=key_type, coordinator_keys=[key])
        else:
            req = find_coordinator.FindCoordinatorRequest(key=key, key_type=key_type)
        resp = conn.call(find_coordinator, req, version)
        if version >= 4:
            (c,) = resp.coordinators
            assert c.key == key
            answer = (c.error_code, c.node_id, c.host, c.port)
        else:
            answer = (resp.error_code, resp.node_id, resp.host, resp.port)
        retriable = (COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR)
        if answer[0] not in retriable or time.monotonic() > deadline:
            return answer
        time.sleep(0.5)


@pytest.mark.parametrize("key_type", [find_coordinator.KEY_TYPE_GROUP, find_coordinator.KEY_TYPE_TRANSACTION])
def test_find_coordinator_every_version(conn: WireClient, broker_versions: Versions, kafka: LocalKafka,
                                       key_type: int) -> None:
    lo, hi = broker_versions[10]
    lo = max(lo, find_coordinator.MIN_VERSION, 1 if key_type else 0)
    hi = min(hi, find_coordinator.MAX_VERSION)
    assert hi == find_coordinator.MAX_VERSION
    host, port = kafka.addresses[0]
    meta = conn.call(metadata, metadata.MetadataRequest(topics=[]), 12)
    brokers = {(b.node_id, b.host, b.port) for b in meta.brokers}
    seen = set()
    for version in range(lo, hi + 1):
        err, node, h, p = _find(conn, f"purekafka-wire-{key_type}", key_type, version)
        assert err == NONE, (version, err)
        assert (node, h, p) in brokers
        seen.add((node, h, p))
    assert len(seen) == 1


def test_find_coordinator_batched_keys(conn: WireClient) -> None:
    _find(conn, "purekafka-warmup", 0, 4)
    keys = [f"purekafka-batch-{i}" for i in range(5)]
    resp = conn.call(find_coordinator, find_coordinator.FindCoordinatorRequest(key_type=0, coordinator_keys=keys), 6)
    assert sorted(c.key for c in resp.coordinators) == sorted(keys)
    assert all(c.error_code == NONE for c in resp.coordinators)


def test_unsupported_module_version_is_refused_locally() -> None:
    with pytest.raises(UnsupportedVersionError):
        metadata.encode_request(metadata.MetadataRequest(), metadata.MAX_VERSION + 1)


# Answers after which the broker has stored nothing of that partition's batch, so sending
# it again cannot write it twice: the partition is not (yet) led by the broker asked.
NOT_STORED = {3, 5, 6, 100}  # UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_ID


def _produce_until_stored(conn: WireClient, version: int, topic: str, topic_id: uuid.UUID,
                          ref: str | uuid.UUID, batches: dict[int, bytes],
                          timeout: float = 15.0) -> tuple[Any, dict[int, Any]]:
    """Produce ``batches`` (partition -> batch) and resend only the partitions whose answer says
    nothing was stored, until each has a final answer; returns the last topic response and
    partition -> final partition response.

    Right after creation a broker can list itself as leader in metadata a moment before its
    replica manager takes the partition, and the partitions of one request can be answered
    differently. Resending the whole request would append the already-stored batches twice."""
    from purekafka.protocol import produce

    pending = dict(batches)
    answers = {}
    deadline = time.monotonic() + timeout
    while True:
        parts = sorted(pending.items())
        # Alternate the fast tuple path and the dataclass path.
        if version % 2:
            body = produce.build_request(version, None, -1, 30_000, [(ref, parts)])
        else:
            body = produce.encode_request(produce.ProduceRequest(None, -1, 30_000, [produce.TopicProduceData(
                name=topic, topic_id=topic_id,
                partition_data=[produce.PartitionProduceData(p, r) for p, r in parts])]), version)
        resp = produce.decode_response(conn.call_raw(0, version, body), version)
        (t,) = resp.responses
        for p in t.partition_responses:
            assert p.index in pending, (version, p)
            if p.error_code not in NOT_STORED:
                answers[p.index] = p
                del pending[p.index]
        if not pending:
            return t, answers
        if time.monotonic() > deadline:
            raise AssertionError(f"Produce v{version}: partitions {sorted(pending)} still not led after {timeout}s: "
                                 f"{t.partition_responses}")
        time.sleep(0.2)


def test_produce_every_version_read_back(conn: WireClient, broker_versions: Versions, topic_factory: TopicFactory,
                                        kafka: LocalKafka) -> None:
    """One batch per Produce version (names up to v12, topic id at v13), via both encoders,
    answered at that version and read back by confluent-kafka."""
    from purekafka.protocol import produce
    from purekafka.record.batch import RecordBatchBuilder
    from tests.support.readback import consume

    topic = topic_factory(partitions=2)
    meta = conn.call(metadata, metadata.MetadataRequest([metadata.MetadataRequestTopic(name=topic)], False), 12)
    topic_id = meta.topics[0].topic_id
    lo = max(broker_versions[0][0], produce.MIN_VERSION)
    hi = min(broker_versions[0][1], produce.MAX_VERSION)
    assert (lo, hi) == (produce.MIN_VERSION, produce.MAX_VERSION)
    expected = []
    offsets: dict[int, int] = {}
    for version in range(lo, hi + 1):
        ref = topic_id if version >= 13 else topic
        batches = {}
        for partition in (0, 1):
            b = RecordBatchBuilder()
            value = f"v{version}-p{partition}".encode()
            b.append(1_700_000_000_000 + version, b"k", value, [("version", str(version).encode())])
            batches[partition] = b.build()
            expected.append((partition, value))
        t, answers = _produce_until_stored(conn, version, topic, topic_id, ref, batches)
        if version >= 13:
            assert t.topic_id == topic_id
        else:
            assert t.name == topic
        assert sorted(answers) == [0, 1], (version, answers)
        for p in answers.values():
            assert p.error_code == NONE, (version, p)
            assert p.base_offset == offsets.get(p.index, 0)
            offsets[p.index] = p.base_offset + 1
            if version >= 5:
                assert p.log_start_offset == 0
    got = consume(kafka.bootstrap, topic, len(expected))
    assert sorted((r.partition, r.value) for r in got) == sorted(expected)
    assert all(r.key == b"k" for r in got)
    assert {int(dict(r.headers)["version"] or b"") for r in got} == set(range(lo, hi + 1))
