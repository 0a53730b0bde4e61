"""SaslHandshake (17): round trips, Kafka's Java encoder, wire facts (never flexible)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import strategies
from tests.support import txn_java
from purekafka.errors import DecodeError, LocalProtocolError
from purekafka.protocol import sasl_handshake as m
from purekafka.protocol.sasl_handshake import SaslHandshakeRequest, SaslHandshakeResponse

VERSIONS = range(m.MIN_VERSION, m.MAX_VERSION + 1)

REQUESTS = [SaslHandshakeRequest("PLAIN"), SaslHandshakeRequest("SCRAM-SHA-512"), SaslHandshakeRequest("")]
RESPONSES = [
    SaslHandshakeResponse(0, ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]),
    SaslHandshakeResponse(33, []),  # UNSUPPORTED_SASL_MECHANISM
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
    req = strategies.to_dataclass(SaslHandshakeRequest, data.draw(strategies.message(m.API_KEY, "request", version)))
    assert m.decode_request(m.encode_request(req, version), version) == req
    resp = strategies.to_dataclass(SaslHandshakeResponse, data.draw(strategies.message(m.API_KEY, "response", version)))
    assert m.decode_response(m.encode_response(resp, version), version) == resp


def test_layout_and_no_tags() -> None:
    assert m.encode_request(SaslHandshakeRequest("PLAIN"), 1) == b"\x00\x05PLAIN"
    assert m.encode_response(SaslHandshakeResponse(0, ["A"]), 1) == b"\x00\x00" + b"\x00\x00\x00\x01" + b"\x00\x01A"
    with pytest.raises(LocalProtocolError):
        m.encode_request(SaslHandshakeRequest("PLAIN", unknown_tags={1: b""}), 1)


def test_hostile_array_length() -> None:
    with pytest.raises(DecodeError) as e:
        m.decode_response(b"\x00\x00\x7f\xff\xff\xff", 1)
    assert e.value.field == "mechanisms"
