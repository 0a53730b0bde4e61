"""EndTxn (26): round trips, Kafka's Java encoder, wire facts (v5 carries the new producer id/epoch)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import strategies
from tests.support import txn_java
from purekafka.errors import DecodeError, LocalProtocolError
from purekafka.protocol import end_txn as m
from purekafka.protocol.end_txn import EndTxnRequest, EndTxnResponse

VERSIONS = range(m.MIN_VERSION, m.MAX_VERSION + 1)

REQUESTS = [
    EndTxnRequest(transactional_id="txn-1", producer_id=1000, producer_epoch=0, committed=True),
    EndTxnRequest(transactional_id="txn-1", producer_id=1000, producer_epoch=3, committed=False),
    EndTxnRequest(transactional_id="ü" * 40, producer_id=2**63 - 1, producer_epoch=-1, committed=True),
]
RESPONSES = [
    EndTxnResponse(throttle_time_ms=0, error_code=0),
    EndTxnResponse(throttle_time_ms=5, error_code=0, producer_id=1000, producer_epoch=1),
    EndTxnResponse(throttle_time_ms=0, error_code=48, producer_id=-1, producer_epoch=-1),  # INVALID_TXN_STATE
]


@pytest.mark.java
def test_requests_match_java_every_version(java) -> None:
    assert txn_java.check_against_java(java, m, "request", REQUESTS) == len(REQUESTS) * len(VERSIONS)


@pytest.mark.java
def test_responses_match_java_every_version(java) -> None:
    # producer_id/producer_epoch are ignorable: Java drops them below v5 rather than refusing.
    assert txn_java.check_against_java(java, m, "response", RESPONSES) == len(RESPONSES) * len(VERSIONS)


@pytest.mark.java
def test_v5_only_with_transaction_v2_as_in_java(java) -> None:
    facts = txn_java.client_facts(java)
    assert facts["endTxnBuiltWithoutTv2"] == m.MAX_VERSION_WITHOUT_TV2
    assert facts["endTxnBuiltWithTv2"] == m.MAX_VERSION


@pytest.mark.parametrize("version", VERSIONS)
@given(data=st.data())
def test_round_trip(version: int, data: st.DataObject) -> None:
    req = strategies.to_dataclass(EndTxnRequest, data.draw(strategies.message(m.API_KEY, "request", version)))
    assert m.decode_request(m.encode_request(req, version), version) == req
    resp = strategies.to_dataclass(EndTxnResponse, data.draw(strategies.message(m.API_KEY, "response", version)))
    assert m.decode_response(m.encode_response(resp, version), version) == resp


def test_v5_response_carries_new_producer_id_and_epoch() -> None:
    resp = EndTxnResponse(producer_id=77, producer_epoch=4)
    assert m.decode_response(m.encode_response(resp, 5), 5) == resp
    # Below v5 the fields are dropped (ignorable) and read back as -1.
    old = m.decode_response(m.encode_response(resp, 4), 4)
    assert (old.producer_id, old.producer_epoch) == (-1, -1)
    assert len(m.encode_response(resp, 4)) == 4 + 2 + 1


def test_request_layout() -> None:
    wire = m.encode_request(EndTxnRequest("t", 1, 2, True), 0)
    assert wire == b"\x00\x01t" + (1).to_bytes(8, "big") + b"\x00\x02" + b"\x01"
    assert m.encode_request(EndTxnRequest("t", 1, 2, True), 3) == b"\x02t" + wire[3:] + b"\x00"


def test_tags_need_flexible_version() -> None:
    with pytest.raises(LocalProtocolError):
        m.encode_request(EndTxnRequest("t", unknown_tags={30: b""}), 2)
    req = EndTxnRequest("t", unknown_tags={30: b"", 31: b"\x01"})
    assert m.decode_request(m.encode_request(req, 3), 3) == req


def test_bad_bool_and_short_bytes() -> None:
    wire = m.encode_request(EndTxnRequest("t", 1, 2, True), 0)
    with pytest.raises(DecodeError) as e:
        m.decode_request(wire[:-1], 0)
    assert e.value.field == "committed"
