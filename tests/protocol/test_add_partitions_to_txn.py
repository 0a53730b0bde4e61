"""AddPartitionsToTxn (24): the client form (v0-3) and the broker form (v4-5).

Java's ``AddPartitionsToTxnRequest.Builder.forClient`` caps the version at 3
and ``forBroker`` starts at 4; the two field sets are not ignorable, so a
message of one form is refused by the other form's versions (checked here
against Java's own refusals).
"""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import strategies
from tests.support import txn_java
from purekafka.errors import DecodeError, LocalProtocolError
from purekafka.protocol import add_partitions_to_txn as m
from purekafka.protocol.add_partitions_to_txn import (
    AddPartitionsToTxnPartitionResult as PartitionResult,
    AddPartitionsToTxnRequest as Request,
    AddPartitionsToTxnResponse as Response,
    AddPartitionsToTxnResult as TxnResult,
    AddPartitionsToTxnTopic as Topic,
    AddPartitionsToTxnTopicResult as TopicResult,
    AddPartitionsToTxnTransaction as Transaction,
)

VERSIONS = range(m.MIN_VERSION, m.MAX_VERSION + 1)
CLIENT_VERSIONS = range(0, 4)
BROKER_VERSIONS = range(4, 6)

CLIENT_REQUEST = Request(
    v3_and_below_transactional_id="txn-1",
    v3_and_below_producer_id=1000,
    v3_and_below_producer_epoch=2,
    v3_and_below_topics=[Topic("orders", [0, 1, 2]), Topic("audit", [7])],
)
BROKER_REQUEST = Request(transactions=[
    Transaction("txn-1", 1000, 2, verify_only=True, topics=[Topic("orders", [0])]),
    Transaction("txn-2", 1001, 0, verify_only=False, topics=[Topic("orders", [1, 2]), Topic("x", [])]),
])
CLIENT_RESPONSE = Response(
    throttle_time_ms=3,
    error_code=0,
    results_by_topic_v3_and_below=[
        TopicResult("orders", [PartitionResult(0, 0), PartitionResult(1, 0)]),
        TopicResult("audit", [PartitionResult(7, 3)]),  # UNKNOWN_TOPIC_OR_PARTITION
    ],
)
BROKER_RESPONSE = Response(
    throttle_time_ms=0,
    error_code=0,
    results_by_transaction=[TxnResult("txn-1", [TopicResult("orders", [PartitionResult(0, 48)])])],
)


@pytest.mark.java
def test_requests_match_java_every_version(java) -> None:
    encoded = txn_java.check_against_java(java, m, "request", [CLIENT_REQUEST, BROKER_REQUEST, Request()])
    # Each form is accepted exactly by its own versions; the empty request by all.
    assert encoded == len(CLIENT_VERSIONS) + len(BROKER_VERSIONS) + len(VERSIONS)


@pytest.mark.java
def test_responses_match_java_every_version(java) -> None:
    with_error = Response(error_code=51, results_by_transaction=[])  # top-level error_code is ignorable
    encoded = txn_java.check_against_java(java, m, "response", [CLIENT_RESPONSE, BROKER_RESPONSE, with_error])
    assert encoded == len(CLIENT_VERSIONS) + len(BROKER_VERSIONS) + len(VERSIONS)


@pytest.mark.java
def test_form_boundary_is_javas(java) -> None:
    facts = txn_java.client_facts(java)
    assert (facts["addPartitionsForClientOldest"], facts["addPartitionsForClientLatest"]) == (0, 3)
    assert (facts["addPartitionsForBrokerOldest"], facts["addPartitionsForBrokerLatest"]) == (4, 5)
    assert facts["addPartitionsForBrokerOldest"] == m.FIRST_BROKER_VERSION
    assert facts["addPartitionsForBrokerLatest"] == m.MAX_VERSION


@pytest.mark.parametrize("version", VERSIONS)
@given(data=st.data())
def test_round_trip(version: int, data: st.DataObject) -> None:
    req = strategies.to_dataclass(Request, data.draw(strategies.message(m.API_KEY, "request", version)))
    assert m.decode_request(m.encode_request(req, version), version) == req
    resp = strategies.to_dataclass(Response, data.draw(strategies.message(m.API_KEY, "response", version)))
    assert m.decode_response(m.encode_response(resp, version), version) == resp


@pytest.mark.parametrize("version", BROKER_VERSIONS)
def test_client_form_refused_at_broker_versions(version: int) -> None:
    with pytest.raises(LocalProtocolError):
        m.encode_request(CLIENT_REQUEST, version)
    with pytest.raises(LocalProtocolError):
        m.encode_response(CLIENT_RESPONSE, version)


@pytest.mark.parametrize("version", CLIENT_VERSIONS)
def test_broker_form_refused_at_client_versions(version: int) -> None:
    with pytest.raises(LocalProtocolError):
        m.encode_request(BROKER_REQUEST, version)
    with pytest.raises(LocalProtocolError):
        m.encode_response(BROKER_RESPONSE, version)


def test_client_v3_layout() -> None:
    req = Request(v3_and_below_transactional_id="t", v3_and_below_producer_id=5, v3_and_below_producer_epoch=1,
                  v3_and_below_topics=[Topic("a", [0, 1])])
    expected = (b"\x02t" + (5).to_bytes(8, "big") + b"\x00\x01"
                + b"\x02" + b"\x02a" + b"\x03" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x01" + b"\x00" + b"\x00")
    assert m.encode_request(req, 3) == expected


def test_nested_unknown_tags_survive() -> None:
    req = Request(transactions=[Transaction("t", 1, 0, topics=[Topic("a", [3], unknown_tags={99: b"q"})],
                                            unknown_tags={40: b""})], unknown_tags={41: b"zz"})
    assert m.decode_request(m.encode_request(req, 5), 5) == req


def test_short_partition_list() -> None:
    wire = m.encode_request(CLIENT_REQUEST, 2)
    with pytest.raises(DecodeError) as e:
        m.decode_request(wire[:-2], 2)
    assert e.value.field == "partitions"
