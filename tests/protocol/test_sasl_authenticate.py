"""SaslAuthenticate (36): round trips, Kafka's Java encoder, wire facts."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import strategies
from tests.support import txn_java
from purekafka.errors import DecodeError, LocalProtocolError
from purekafka.protocol import sasl_authenticate as m
from purekafka.protocol.sasl_authenticate import SaslAuthenticateRequest, SaslAuthenticateResponse

VERSIONS = range(m.MIN_VERSION, m.MAX_VERSION + 1)

REQUESTS = [
    SaslAuthenticateRequest(b"\x00alice\x00secret"),  # a PLAIN token
    SaslAuthenticateRequest(b""),
    SaslAuthenticateRequest(bytes(range(256)) * 3),
]
RESPONSES = [
    SaslAuthenticateResponse(0, None, b"", session_lifetime_ms=0),
    SaslAuthenticateResponse(0, None, b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=", session_lifetime_ms=3600000),
    SaslAuthenticateResponse(58, "Authentication failed: Invalid username or password", b""),
]


@pytest.mark.java
def test_requests_match_java_every_version(java) -> None:
    assert txn_java.check_against_java(java, m, "request", REQUESTS) == len(REQUESTS) * len(VERSIONS)


@pytest.mark.java
def test_responses_match_java_every_version(java) -> None:
    # session_lifetime_ms is ignorable, so v0 drops it instead of refusing.
    assert txn_java.check_against_java(java, m, "response", RESPONSES) == len(RESPONSES) * len(VERSIONS)


@pytest.mark.parametrize("version", VERSIONS)
@given(data=st.data())
def test_round_trip(version: int, data: st.DataObject) -> None:
    req = strategies.to_dataclass(SaslAuthenticateRequest, data.draw(strategies.message(m.API_KEY, "request", version)))
    assert m.decode_request(m.encode_request(req, version), version) == req
    resp = strategies.to_dataclass(SaslAuthenticateResponse,
                                   data.draw(strategies.message(m.API_KEY, "response", version)))
    assert m.decode_response(m.encode_response(resp, version), version) == resp


def test_bytes_framing() -> None:
    assert m.encode_request(SaslAuthenticateRequest(b"ab"), 1) == b"\x00\x00\x00\x02ab"
    assert m.encode_request(SaslAuthenticateRequest(b"ab"), 2) == b"\x03ab\x00"
    assert m.decode_response(m.encode_response(SaslAuthenticateResponse(session_lifetime_ms=9), 0), 0) \
        .session_lifetime_ms == 0


def test_refusals() -> None:
    with pytest.raises(LocalProtocolError):
        m.encode_request(SaslAuthenticateRequest(None), 0)  # type: ignore[arg-type]
    with pytest.raises(DecodeError) as e:
        m.decode_request(b"\x00\x00\x00\x05ab", 1)
    assert e.value.field == "auth_bytes"
