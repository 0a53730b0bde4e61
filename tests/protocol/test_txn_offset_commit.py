"""TxnOffsetCommit (28): round trips, Kafka's Java encoder, wire facts (v3 group metadata, v6 topic ids)."""
from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import strategies
from tests.support import txn_java
from purekafka.errors import DecodeError, LocalProtocolError
from purekafka.protocol import txn_offset_commit as m
from purekafka.protocol.primitives import ZERO_UUID
from purekafka.protocol.txn_offset_commit import (
    TxnOffsetCommitRequest as Request,
    TxnOffsetCommitRequestPartition as ReqPartition,
    TxnOffsetCommitRequestTopic as ReqTopic,
    TxnOffsetCommitResponse as Response,
    TxnOffsetCommitResponsePartition as RespPartition,
    TxnOffsetCommitResponseTopic as RespTopic,
)

VERSIONS = range(m.MIN_VERSION, m.MAX_VERSION + 1)
TOPIC_ID = uuid.UUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")

PLAIN = Request(
    transactional_id="txn-1", group_id="g", producer_id=1000, producer_epoch=2,
    topics=[ReqTopic(name="orders", topic_id=TOPIC_ID, partitions=[
        ReqPartition(0, 42, committed_leader_epoch=5, committed_metadata=None),
        ReqPartition(3, 0, committed_metadata="meta"),
    ])],
)
WITH_MEMBER = Request(
    transactional_id="txn-1", group_id="g", producer_id=1000, producer_epoch=2,
    generation_id_or_member_epoch=7, member_id="consumer-1-abc", group_instance_id="static-1",
    topics=[ReqTopic(name="orders", partitions=[ReqPartition(1, 9)])],
)
RESPONSES = [
    Response(throttle_time_ms=0, topics=[RespTopic("orders", TOPIC_ID, [RespPartition(0, 0), RespPartition(3, 22)])]),
    Response(throttle_time_ms=9, topics=[]),
]


@pytest.mark.java
def test_requests_match_java_every_version(java) -> None:
    encoded = txn_java.check_against_java(java, m, "request", [PLAIN, WITH_MEMBER])
    # PLAIN's extra fields are all ignorable: every version. WITH_MEMBER needs v3+.
    assert encoded == len(VERSIONS) + (m.MAX_VERSION - 3 + 1)


@pytest.mark.java
def test_responses_match_java_every_version(java) -> None:
    assert txn_java.check_against_java(java, m, "response", RESPONSES) == len(RESPONSES) * len(VERSIONS)


@pytest.mark.java
def test_version_caps_as_in_java(java) -> None:
    facts = txn_java.client_facts(java)
    assert facts["txnOffsetCommitNamesWithoutTv2Latest"] == m.MAX_VERSION_WITHOUT_TV2
    # With TV2 and topic names (no ids) Java stops just below the topic-id version.
    assert facts["txnOffsetCommitNamesWithTv2Latest"] == m.FIRST_TOPIC_ID_VERSION - 1


@pytest.mark.parametrize("version", VERSIONS)
@given(data=st.data())
def test_round_trip(version: int, data: st.DataObject) -> None:
    req = strategies.to_dataclass(Request, data.draw(strategies.message(m.API_KEY, "request", version)))
    assert m.decode_request(m.encode_request(req, version), version) == req
    resp = strategies.to_dataclass(Response, data.draw(strategies.message(m.API_KEY, "response", version)))
    assert m.decode_response(m.encode_response(resp, version), version) == resp


def test_topic_name_or_id_by_version() -> None:
    v5 = m.decode_request(m.encode_request(PLAIN, 5), 5)
    assert (v5.topics[0].name, v5.topics[0].topic_id) == ("orders", ZERO_UUID)
    v6 = m.decode_request(m.encode_request(PLAIN, 6), 6)
    assert (v6.topics[0].name, v6.topics[0].topic_id) == ("", TOPIC_ID)
    assert TOPIC_ID.bytes in m.encode_request(PLAIN, 6)
    assert b"orders" not in m.encode_request(PLAIN, 6)


def test_leader_epoch_dropped_below_v2() -> None:
    assert m.decode_request(m.encode_request(PLAIN, 1), 1).topics[0].partitions[0].committed_leader_epoch == -1
    assert m.decode_request(m.encode_request(PLAIN, 2), 2).topics[0].partitions[0].committed_leader_epoch == 5


@pytest.mark.parametrize("version", [0, 1, 2])
def test_group_metadata_needs_v3(version: int) -> None:
    with pytest.raises(LocalProtocolError):
        m.encode_request(WITH_MEMBER, version)


def test_truncated_topic_id() -> None:
    wire = m.encode_response(RESPONSES[0], 6)
    with pytest.raises(DecodeError) as e:
        m.decode_response(wire[:4 + 1 + 10], 6)
    assert e.value.field == "topic_id"
