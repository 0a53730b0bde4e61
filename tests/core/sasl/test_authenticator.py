"""SaslAuthenticator: the SaslHandshake/SaslAuthenticate state machine, against encoded
broker responses (the codecs' own encoders play the broker)."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from purekafka import errors
from purekafka.core.sasl import PlainMechanism, SaslAuthenticator, reauth_delay_ms
from purekafka.protocol import sasl_authenticate, sasl_handshake
from purekafka.protocol.sasl_authenticate import SaslAuthenticateResponse
from purekafka.protocol.sasl_handshake import SaslHandshakeResponse

NOW = 1_700_000_000.0


def _hs(error_code: int = 0, mechanisms: tuple[str, ...] = ("PLAIN",), version: int = 1) -> bytes:
    return sasl_handshake.encode_response(SaslHandshakeResponse(error_code, list(mechanisms)),
                                          version)


def _auth(version: int, error_code: int = 0, message: str | None = None, token: bytes = b"",
          lifetime: int = 0) -> bytes:
    return sasl_authenticate.encode_response(
        SaslAuthenticateResponse(error_code, message, token, lifetime), version)


def _plain(auth_version: int = 2, broker: str | None = "127.0.0.1:9093") -> SaslAuthenticator:
    return SaslAuthenticator(PlainMechanism("alice", "alice-secret"), handshake_version=1,
                             authenticate_version=auth_version, broker=broker)


@pytest.mark.parametrize("auth_version", [0, 1, 2])
def test_plain_exchange_end_to_end(auth_version: int) -> None:
    a = _plain(auth_version)
    key, version, body = a.first_request(NOW)
    assert (key, version) == (17, 1)
    assert sasl_handshake.decode_request(body, 1).mechanism == "PLAIN"
    key, version, body = a.on_response(17, _hs(), NOW) or (0, 0, b"")
    assert (key, version) == (36, auth_version)
    assert sasl_authenticate.decode_request(body, auth_version).auth_bytes == (
        b"\x00alice\x00alice-secret")
    assert not a.done
    assert a.on_response(36, _auth(auth_version, lifetime=60000), NOW) is None
    assert a.done and a.mechanism.complete
    assert a.session_lifetime_ms == (60000 if auth_version >= 1 else 0)


def test_unsupported_mechanism_names_what_the_broker_enables() -> None:
    a = SaslAuthenticator(PlainMechanism("u", "p"), handshake_version=1, authenticate_version=2,
                          broker="127.0.0.1:9093")
    a.mechanism.name = "SCRAM-SHA-512"  # type: ignore[misc]
    a.first_request(NOW)
    with pytest.raises(errors.UnsupportedSaslMechanismError) as info:
        a.on_response(17, _hs(33, ("PLAIN", "SCRAM-SHA-256")), NOW)
    assert str(info.value) == ("[Error 33] UnsupportedSaslMechanismError: SASL mechanism SCRAM-SHA-512 is not enabled on broker "
                               "127.0.0.1:9093; it enables PLAIN, SCRAM-SHA-256 "
                               "(set "
                               "sasl_mechanism to one of them)")


def test_wrong_password_raises_sasl_authentication_failed_with_the_broker_message() -> None:
    a = _plain()
    a.first_request(NOW)
    a.on_response(17, _hs(), NOW)
    with pytest.raises(errors.SaslAuthenticationFailedError) as info:
        a.on_response(36, _auth(2, 58, "Authentication failed: Invalid username or password"), NOW)
    text = str(info.value)
    assert "Invalid username or password" in text and "127.0.0.1:9093" in text
    assert "sasl_plain_password" in text  # says what to fix
    assert "alice-secret" not in text
    with pytest.raises(errors.IllegalSaslStateError):  # failed is final
        a.on_response(36, _auth(2), NOW)


def test_broker_message_echoing_the_password_is_redacted() -> None:
    a = _plain()
    a.first_request(NOW)
    a.on_response(17, _hs(), NOW)
    with pytest.raises(errors.SaslAuthenticationFailedError) as info:
        a.on_response(36, _auth(2, 58, "bad password alice-secret"), NOW)
    assert "alice-secret" not in str(info.value) and "********" in str(info.value)


def test_handshake_v0_only_broker_is_refused() -> None:
    with pytest.raises(errors.IncompatibleBrokerVersion, match="SaslHandshake v1"):
        SaslAuthenticator(PlainMechanism("u", "p"), handshake_version=0, authenticate_version=0)


@pytest.mark.parametrize("hv,av", [(2, 0), (1, 3), (1, -1)])
def test_versions_outside_the_codecs_are_refused(hv: int, av: int) -> None:
    with pytest.raises(ValueError):
        SaslAuthenticator(PlainMechanism("u", "p"), handshake_version=hv, authenticate_version=av)


def test_out_of_order_responses_are_illegal_sasl_state() -> None:
    a = _plain()
    with pytest.raises(errors.IllegalSaslStateError):
        a.on_response(17, _hs(), NOW)  # before first_request
    b = _plain()
    b.first_request(NOW)
    with pytest.raises(errors.IllegalSaslStateError):
        b.on_response(36, _auth(2), NOW)
    c = _plain()
    c.first_request(NOW)
    c.on_response(17, _hs(), NOW)
    c.on_response(36, _auth(2), NOW)
    with pytest.raises(errors.IllegalSaslStateError):
        c.on_response(36, _auth(2), NOW)
    with pytest.raises(errors.IllegalSaslStateError):
        c.first_request(NOW)


def test_plain_refuses_a_challenge() -> None:
    a = _plain()
    a.first_request(NOW)
    a.on_response(17, _hs(), NOW)
    with pytest.raises(errors.SaslAuthenticationFailedError, match="expects none"):
        a.on_response(36, _auth(2, token=b"challenge"), NOW)


def test_other_handshake_errors_map_to_their_class() -> None:
    a = _plain()
    a.first_request(NOW)
    with pytest.raises(errors.IllegalSaslStateError):
        a.on_response(17, _hs(34), NOW)


@given(st.binary(max_size=40))
def test_garbage_responses_raise_a_kafka_error_not_a_traceback(garbage: bytes) -> None:
    a = _plain()
    a.first_request(NOW)
    try:
        a.on_response(17, garbage, NOW)
    except errors.KafkaError:
        return
    # it parsed: then the next step must be a SaslAuthenticate or an error
    try:
        a.on_response(36, garbage, NOW)
    except errors.KafkaError:
        pass


@given(st.integers(1, 2**62), st.floats(0, 1, exclude_max=True))
def test_reauth_delay_is_85_to_95_percent(lifetime: int, rand: float) -> None:
    delay = reauth_delay_ms(lifetime, rand)
    assert delay is not None
    assert int(lifetime * 0.85) <= delay <= lifetime * 0.95
    assert delay == int(lifetime * (0.85 + rand * 0.10))


def test_reauth_delay_none_without_lifetime() -> None:
    assert reauth_delay_ms(0, 0.5) is None
    assert reauth_delay_ms(-5, 0.5) is None
    assert reauth_delay_ms(10000, 0.0) == 8500.0
    with pytest.raises(ValueError):
        reauth_delay_ms(1000, 1.0)


def test_repr_holds_no_password() -> None:
    a = _plain()
    assert "alice-secret" not in repr(a) and "alice-secret" not in repr(a.mechanism)
