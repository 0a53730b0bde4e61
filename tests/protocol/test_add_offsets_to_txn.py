"""AddOffsetsToTxn (25): round trips, Kafka's Java encoder, wire facts."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import strategies
from tests.support import txn_java
from purekafka.errors import DecodeError, LocalProtocolError
from purekafka.protocol import add_offsets_to_txn as m
from purekafka.protocol.add_offsets_to_txn import AddOffsetsToTxnRequest, AddOffsetsToTxnResponse

VERSIONS = range(m.MIN_VERSION, m.MAX_VERSION + 1)

REQUESTS = [
    AddOffsetsToTxnRequest(transactional_id="txn-1", producer_id=1000, producer_epoch=2, group_id="consumers"),
    AddOffsetsToTxnRequest(transactional_id="", producer_id=-1, producer_epoch=-1, group_id=""),
]
RESPONSES = [
    AddOffsetsToTxnResponse(throttle_time_ms=0, error_code=0),
    AddOffsetsToTxnResponse(throttle_time_ms=100, error_code=30),  # GROUP_AUTHORIZATION_FAILED
]


@pytest.mark.java
def test_requests_match_java_every_version(java) -> None:
    assert txn_java.check_against_java(java, m, "request", REQUESTS) == len(REQUESTS) * len(VERSIONS)


@pytest.mark.java
def test_responses_match_java_every_version(java) -> None:
    assert txn_java.check_against_java(java, m, "response", RESPONSES) == len(RESPONSES) * len(VERSIONS)


@pytest.mark.parametrize("version", VERSIONS)
@given(data=st.data())
def test_round_trip(version: int, data: st.DataObject) -> None:
    req = strategies.to_dataclass(AddOffsetsToTxnRequest,
                                  data.draw(strategies.message(m.API_KEY, "request", version)))
    assert m.decode_request(m.encode_request(req, version), version) == req
    resp = strategies.to_dataclass(AddOffsetsToTxnResponse,
                                   data.draw(strategies.message(m.API_KEY, "response", version)))
    assert m.decode_response(m.encode_response(resp, version), version) == resp


def test_strings_switch_to_compact_at_v3() -> None:
    req = AddOffsetsToTxnRequest("t", 1, 0, "g")
    assert m.encode_request(req, 2) == b"\x00\x01t" + (1).to_bytes(8, "big") + b"\x00\x00" + b"\x00\x01g"
    assert m.encode_request(req, 3) == b"\x02t" + (1).to_bytes(8, "big") + b"\x00\x00" + b"\x02g" + b"\x00"


def test_non_nullable_group_id() -> None:
    with pytest.raises(LocalProtocolError):
        m.encode_request(AddOffsetsToTxnRequest("t", 1, 0, None), 0)  # type: ignore[arg-type]
    # A null string (length -1) where Kafka has a non-nullable one is refused.
    wire = b"\x00\x01t" + (1).to_bytes(8, "big") + b"\x00\x00" + b"\xff\xff"
    with pytest.raises(DecodeError) as e:
        m.decode_request(wire, 0)
    assert e.value.field == "group_id"
