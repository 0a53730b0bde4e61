"""OAUTHBEARER: the RFC 7628 client message, extensions, providers and the error challenge."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from purekafka import errors
from purekafka.core.sasl import SaslAuthenticator
from purekafka.core.sasl.oauth import OAuthBearerMechanism, client_initial_response
from purekafka.protocol import sasl_authenticate, sasl_handshake
from purekafka.protocol.sasl_authenticate import SaslAuthenticateResponse
from purekafka.protocol.sasl_handshake import SaslHandshakeResponse

TOKEN = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9."


class Provider:
    """kafka-python's AbstractTokenProvider shape."""

    def __init__(self, token: str = TOKEN, ext: dict[str, str] | None = None) -> None:
        self.calls = 0
        self._token = token
        self._ext = ext or {}

    def token(self) -> str:
        self.calls += 1
        return self._token

    def extensions(self) -> dict[str, str]:
        return self._ext


def test_message_without_extensions() -> None:
    m = OAuthBearerMechanism(Provider())
    assert m.start(0) == f"n,,\x01auth=Bearer {TOKEN}\x01\x01".encode()


def test_message_with_extensions_in_order() -> None:
    m = OAuthBearerMechanism(Provider(ext={"traceId": "123", "logicalCluster": "lkc-1"}))
    assert m.start(0) == (f"n,,\x01auth=Bearer {TOKEN}\x01traceId=123\x01logicalCluster=lkc-1"
                          "\x01\x01").encode()


def test_kafka_python_abstract_token_provider_works() -> None:
    from kafka.net.sasl.oauth import AbstractTokenProvider

    class P(AbstractTokenProvider):
        def token(self) -> str:
            return TOKEN

    assert OAuthBearerMechanism(P()).start(0) == f"n,,\x01auth=Bearer {TOKEN}\x01\x01".encode()


def test_a_plain_callable_is_a_provider() -> None:
    assert OAuthBearerMechanism(lambda: TOKEN).start(0).startswith(b"n,,\x01auth=Bearer eyJ")


def test_success_is_an_empty_server_token() -> None:
    m = OAuthBearerMechanism(Provider())
    m.start(0)
    assert m.step(b"", 0) is None and m.complete


def test_error_challenge_is_answered_with_0x01_and_reported() -> None:
    a = SaslAuthenticator(OAuthBearerMechanism(Provider()), handshake_version=1,
                          authenticate_version=2, broker="localhost:9094")
    a.first_request(0)
    a.on_response(17, sasl_handshake.encode_response(SaslHandshakeResponse(0, ["OAUTHBEARER"]), 1), 0)
    challenge = json.dumps({"status": "invalid_token", "scope": "kafka",
                            "echo": TOKEN}).encode()
    reply = a.on_response(36, sasl_authenticate.encode_response(
        SaslAuthenticateResponse(0, None, challenge), 2), 0)
    assert reply is not None
    assert sasl_authenticate.decode_request(reply[2], 2).auth_bytes == b"\x01"
    with pytest.raises(errors.SaslAuthenticationFailedError) as info:
        a.on_response(36, sasl_authenticate.encode_response(SaslAuthenticateResponse(
            58, f"Authentication failed: token {TOKEN} expired", b""), 2), 0)
    text = str(info.value)
    assert "invalid_token" in text and "localhost:9094" in text and "expired" in text
    assert TOKEN not in text


def test_non_json_error_challenge_is_redacted_too() -> None:
    m = OAuthBearerMechanism(Provider())
    m.start(0)
    assert m.step(f"nope {TOKEN}".encode(), 0) == b"\x01"
    assert m.server_error is not None and TOKEN not in m.server_error
    with pytest.raises(errors.SaslAuthenticationFailedError):
        m.step(b"", 0)


@pytest.mark.parametrize("ext", [{"auth": "x"}, {"bad key": "x"}, {"k1": "x"}, {"k": "\x00"},
                                 {"k": ""}])
def test_bad_extensions_are_refused(ext: dict[str, str]) -> None:
    with pytest.raises(errors.SaslAuthenticationFailedError, match="extension"):
        OAuthBearerMechanism(Provider(ext=ext)).start(0)


@pytest.mark.parametrize("token", ["", "has space", "a\x01b", "tok€n"])
def test_bad_tokens_are_refused_without_showing_them(token: str) -> None:
    with pytest.raises(errors.SaslAuthenticationFailedError, match="bearer token") as info:
        OAuthBearerMechanism(Provider(token=token)).start(0)
    assert not token or token not in str(info.value)


def test_provider_failures_are_clear() -> None:
    def broken() -> str:
        raise RuntimeError("idp down")

    # Its type and where to look, not its message (which may hold a secret).
    with pytest.raises(errors.SaslAuthenticationFailedError,
                       match="provider raised RuntimeError .*outside the producer") as info:
        OAuthBearerMechanism(broken).start(0)
    assert "idp down" not in str(info.value)
    with pytest.raises(errors.SaslAuthenticationFailedError, match="not the token string"):
        OAuthBearerMechanism(lambda: 42).start(0)
    with pytest.raises(errors.SaslAuthenticationFailedError, match="no token"):
        OAuthBearerMechanism(object()).start(0)


def test_each_mechanism_fetches_a_fresh_token() -> None:
    p = Provider()
    for _ in range(3):
        OAuthBearerMechanism(p).start(0)
    assert p.calls == 3


_tokens = st.from_regex(r"[-_~+/.a-zA-Z0-9]{1,40}={0,2}", fullmatch=True)
_ext = st.dictionaries(st.from_regex(r"[A-Za-z]{1,8}", fullmatch=True).filter(lambda k: k != "auth"),
                       st.from_regex(r"[\x21-\x7E \t]{1,12}", fullmatch=True), max_size=4)


@given(_tokens, _ext)
def test_message_parses_back_as_java_reads_it(token: str, ext: dict[str, str]) -> None:
    msg = client_initial_response(token, ext).decode()
    assert msg.startswith("n,,\x01") and msg.endswith("\x01\x01")
    pairs = msg[4:-2].split("\x01")
    assert pairs[0] == f"auth=Bearer {token}"
    assert dict(p.split("=", 1) for p in pairs[1:]) == ext
