"""InitProducerId (22): round trips, Kafka's Java encoder, wire facts."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import strategies
from tests.support import txn_java
from purekafka.errors import DecodeError, LocalProtocolError, UnsupportedVersionError
from purekafka.protocol import init_producer_id as m
from purekafka.protocol.init_producer_id import InitProducerIdRequest, InitProducerIdResponse

VERSIONS = range(m.MIN_VERSION, m.MAX_VERSION + 1)

REQUESTS = [
    InitProducerIdRequest(transactional_id=None, transaction_timeout_ms=2147483647),  # idempotent
    InitProducerIdRequest(transactional_id="txn-1", transaction_timeout_ms=60000),
    InitProducerIdRequest(transactional_id="txn-é", transaction_timeout_ms=1, producer_id=4000, producer_epoch=7),
    InitProducerIdRequest(transactional_id="", transaction_timeout_ms=0, enable_2pc=True, keep_prepared_txn=True),
]
RESPONSES = [
    InitProducerIdResponse(throttle_time_ms=0, error_code=0, producer_id=1000, producer_epoch=0),
    InitProducerIdResponse(throttle_time_ms=17, error_code=51, producer_id=-1, producer_epoch=-1),
    InitProducerIdResponse(producer_id=2**62, producer_epoch=32767, ongoing_txn_producer_id=5,
                           ongoing_txn_producer_epoch=3),
]


@pytest.mark.java
def test_requests_match_java_every_version(java) -> None:
    encoded = txn_java.check_against_java(java, m, "request", REQUESTS)
    # The first two messages use only v0 fields, so Java encodes them at every version.
    assert encoded >= 2 * len(VERSIONS)


@pytest.mark.java
def test_responses_match_java_every_version(java) -> None:
    assert txn_java.check_against_java(java, m, "response", RESPONSES) >= 2 * len(VERSIONS)


@pytest.mark.parametrize("version", VERSIONS)
@given(data=st.data())
def test_request_round_trip(version: int, data: st.DataObject) -> None:
    msg = strategies.to_dataclass(InitProducerIdRequest, data.draw(strategies.message(m.API_KEY, "request", version)))
    assert m.decode_request(m.encode_request(msg, version), version) == msg


@pytest.mark.parametrize("version", VERSIONS)
@given(data=st.data())
def test_response_round_trip(version: int, data: st.DataObject) -> None:
    msg = strategies.to_dataclass(InitProducerIdResponse, data.draw(strategies.message(m.API_KEY, "response", version)))
    assert m.decode_response(m.encode_response(msg, version), version) == msg


def test_null_transactional_id_on_the_wire() -> None:
    # Classic nullable string: int16 -1; compact (v2+): uvarint 0.
    assert m.encode_request(InitProducerIdRequest(None, 1000), 1) == b"\xff\xff" + (1000).to_bytes(4, "big")
    assert m.encode_request(InitProducerIdRequest(None, 1000), 2) == b"\x00" + (1000).to_bytes(4, "big") + b"\x00"


@pytest.mark.parametrize("version", [0, 1, 2])
def test_resume_fields_need_v3(version: int) -> None:
    with pytest.raises(LocalProtocolError):
        m.encode_request(InitProducerIdRequest("t", 1, producer_id=5, producer_epoch=1), version)
    # At their defaults they are simply absent.
    assert m.decode_request(m.encode_request(InitProducerIdRequest("t", 1), version), version).producer_id == -1


def test_two_phase_commit_needs_v6() -> None:
    with pytest.raises(LocalProtocolError):
        m.encode_request(InitProducerIdRequest("t", 1, enable_2pc=True), 5)
    with pytest.raises(LocalProtocolError):
        m.encode_response(InitProducerIdResponse(ongoing_txn_producer_id=9), 5)


def test_unknown_tags_survive() -> None:
    wire = m.encode_request(InitProducerIdRequest("t", 5, unknown_tags={42: b"xyz"}), 4)
    assert wire.endswith(b"\x01\x2a\x03xyz")
    assert m.decode_request(wire, 4).unknown_tags == {42: b"xyz"}
    with pytest.raises(LocalProtocolError):
        m.encode_request(InitProducerIdRequest("t", 5, unknown_tags={42: b"xyz"}), 1)


def test_short_response_names_the_field() -> None:
    # throttle_time_ms (4) + error_code (2), then producer_id (8): 10 bytes stop inside producer_id.
    wire = m.encode_response(InitProducerIdResponse(producer_id=1), 0)
    with pytest.raises(DecodeError) as e:
        m.decode_response(wire[:10], 0)
    assert e.value.field == "producer_id" and e.value.offset == 6


def test_versions_outside_range() -> None:
    with pytest.raises(UnsupportedVersionError):
        m.encode_request(InitProducerIdRequest(), 7)
    with pytest.raises(UnsupportedVersionError):
        m.decode_response(b"", -1)
