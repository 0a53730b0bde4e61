"""core.cluster: the metadata view and when to refresh it (responses built with protocol.metadata)."""
from __future__ import annotations

import uuid

import pytest

from purekafka.core.cluster import Cluster
from purekafka.errors import ErrorCode
from purekafka.protocol import metadata as md


def _response(topics, brokers=((1, 9001), (2, 9002))):
    resp = md.MetadataResponse()
    resp.brokers = [md.MetadataResponseBroker(node_id=n, host="127.0.0.1", port=p) for n, p in brokers]
    for name, error, parts in topics:
        t = md.MetadataResponseTopic(error_code=error, name=name, topic_id=uuid.uuid5(uuid.NAMESPACE_DNS, name))
        t.partitions = [md.MetadataResponsePartition(partition_index=i, leader_id=leader)
                        for i, leader in parts]
        resp.topics.append(t)
    return resp


def test_update_builds_leaders_and_partitions_per_node() -> None:
    c = Cluster([("localhost", 9092)])
    c.add_topic("a")
    c.update(_response([("a", 0, [(1, 2), (0, 1), (2, 1)])]), now_ms=0)
    assert c.partitions_for("a") == {0, 1, 2}
    assert c.leader_for(("a", 1)) == 2 and c.leader_for(("a", 9)) == -1
    assert c.partitions_for_node(1) == [("a", 0), ("a", 2)]
    assert c.topic_id("a") == uuid.uuid5(uuid.NAMESPACE_DNS, "a")
    assert c.available_partitions("a") == [0, 1, 2]


def test_leader_missing_from_brokers_counts_as_unknown() -> None:
    c = Cluster([("localhost", 9092)])
    c.update_started(0)
    c.update(_response([("a", 0, [(0, 3), (1, -1)])]), now_ms=0)
    assert c.leader_for(("a", 0)) == -1 and c.available_partitions("a") == []
    assert c.ttl_ms(0) == 100  # a partition without leader asks again after the backoff


def test_refresh_schedule() -> None:
    c = Cluster([("localhost", 9092)], metadata_max_age_ms=10_000, retry_backoff_ms=100)
    assert c.ttl_ms(0) == 0  # nothing known yet
    topics = c.update_started(0)
    assert topics == [] and c.ttl_ms(0) == float("inf")  # one request at a time
    c.update(_response([]), now_ms=50)
    assert c.ttl_ms(60) == 10_000 - 10
    c.add_topic("new")
    assert c.ttl_ms(60) == 90  # wanted at once, but not before the retry backoff
    assert c.ttl_ms(200) == 0
    c.update_started(200)
    c.update_failed(250)
    assert c.ttl_ms(300) == 50


def test_topic_errors() -> None:
    c = Cluster([("localhost", 9092)])
    c.add_topic("gone")
    c.add_topic("secret")
    c.update(_response([("gone", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []),
                        ("secret", ErrorCode.TOPIC_AUTHORIZATION_FAILED, [])]), now_ms=0)
    assert c.partition_count("gone") is None
    assert "gone" not in c.topic_errors and c.ttl_ms(1000) == 0  # retriable: ask again
    assert c.topic_errors == {"secret": ErrorCode.TOPIC_AUTHORIZATION_FAILED}


@pytest.mark.parametrize("code, retried", [
    (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, True), (ErrorCode.LEADER_NOT_AVAILABLE, True),
    (ErrorCode.REQUEST_TIMED_OUT, True), (ErrorCode.REPLICA_NOT_AVAILABLE, True),
    (ErrorCode.KAFKA_STORAGE_ERROR, True), (ErrorCode.INVALID_TOPIC_EXCEPTION, False),
    (ErrorCode.TOPIC_AUTHORIZATION_FAILED, False), (ErrorCode.UNKNOWN_SERVER_ERROR, False),
])
def test_which_topic_errors_are_asked_again(code: ErrorCode, retried: bool) -> None:
    c = Cluster([("localhost", 9092)], metadata_max_age_ms=10_000)
    c.add_topic("t")
    c.update_started(0)
    c.update(_response([("t", code, [])]), now_ms=0)
    assert ("t" in c.topic_errors) is not retried
    assert (c.ttl_ms(1000) == 0) is retried  # asked for again, not only at the max age
