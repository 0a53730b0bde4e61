"""Each way a secure connection is refused fails fast, with kafka-python's error class and a message that says what to fix.

"Fast" is ``FAST_S`` against a producer allowed ``max_block_ms=60000``: the error must come
from the refusal itself, not from a timeout. No message may carry the secret it refused.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from purekafka import errors
from tests.support import oauth_tokens
from tests.support.kafka import SecureKafka, kafka_local, unique_name
from tests.support.secure_runs import FAST_S, first_failure

pytestmark = pytest.mark.broker

WRONG = "not-alices-password"


def _text(exc: BaseException) -> str:
    return f"{exc} {exc!r}"


def _fast(exc: BaseException, elapsed: float) -> None:
    assert elapsed < FAST_S, f"refused after {elapsed:.1f}s (max_block_ms=60000), with {exc!r}"


@pytest.mark.parametrize("listener", ["SASL_PLAINTEXT", "SASL_SSL"])
@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_wrong_password(secure_kafka: SecureKafka, listener: str, mechanism: str) -> None:
    settings = secure_kafka.kafka_python(listener, mechanism, sasl_plain_password=WRONG)
    exc, elapsed = first_failure(settings, unique_name("wrong-pw"))
    assert isinstance(exc, errors.SaslAuthenticationFailedError), repr(exc)
    _fast(exc, elapsed)
    text = _text(exc)
    assert re.search(r"password|credentials", text, re.I), text
    assert WRONG not in text and secure_kafka.password not in text


@pytest.mark.parametrize("listener", ["SASL_SSL", "SASL_SSL_JWKS"])
def test_expired_token(secure_kafka: SecureKafka, listener: str) -> None:
    # Issued 10 min ago for 1 min: past Kafka's 30 s clock-skew allowance.
    provider = secure_kafka.token_provider(listener, lifetime_s=60, age_s=600)
    settings = secure_kafka.kafka_python(listener, "OAUTHBEARER", sasl_oauth_token_provider=provider)
    exc, elapsed = first_failure(settings, unique_name("expired"))
    assert isinstance(exc, errors.SaslAuthenticationFailedError), repr(exc)
    _fast(exc, elapsed)
    text = _text(exc)
    assert re.search(r"token", text, re.I), text
    assert provider.tokens and all(t not in text and t.split(".")[1] not in text for t in provider.tokens)


def test_badly_signed_token(secure_kafka: SecureKafka) -> None:
    provider = secure_kafka.token_provider("SASL_SSL_JWKS", key=oauth_tokens.new_key())
    settings = secure_kafka.kafka_python("SASL_SSL_JWKS", "OAUTHBEARER", sasl_oauth_token_provider=provider)
    exc, elapsed = first_failure(settings, unique_name("bad-sig"))
    assert isinstance(exc, errors.SaslAuthenticationFailedError), repr(exc)
    _fast(exc, elapsed)
    text = _text(exc)
    assert re.search(r"token", text, re.I), text
    assert all(t.split(".")[2] not in text for t in provider.tokens)


def test_unsupported_mechanism_names_the_enabled_ones(secure_kafka: SecureKafka) -> None:
    # The JWKS listeners enable OAUTHBEARER only.
    settings = secure_kafka.kafka_python("SASL_SSL_JWKS", "SCRAM-SHA-512")
    exc, elapsed = first_failure(settings, unique_name("unsupported"))
    assert isinstance(exc, errors.UnsupportedSaslMechanismError), repr(exc)
    _fast(exc, elapsed)
    assert "OAUTHBEARER" in str(exc) and "SCRAM-SHA-512" in str(exc), str(exc)


def test_untrusted_ca(secure_kafka: SecureKafka, tmp_path: Path) -> None:
    other_ca, _ = kafka_local.sec.make_ca(tmp_path, "other", "another CA")
    for listener, mech in (("SSL", None), ("SASL_SSL", "SCRAM-SHA-256")):
        settings = secure_kafka.kafka_python(listener, mech, ssl_cafile=str(other_ca))
        exc, elapsed = first_failure(settings, unique_name("untrusted"))
        assert isinstance(exc, errors.SslAuthenticationError), repr(exc)
        _fast(exc, elapsed)
        text = _text(exc)
        assert re.search(r"certificate verify failed|not trusted|untrusted", text, re.I), text
        assert "ssl_cafile" in text, text  # what to fix


def test_wrong_hostname(secure_kafka: SecureKafka) -> None:
    # WRONGHOST listens on 127.0.0.2 with the broker certificate, made for 127.0.0.1 and localhost.
    settings = secure_kafka.kafka_python("WRONGHOST")
    exc, elapsed = first_failure(settings, unique_name("wrong-host"))
    assert isinstance(exc, errors.SslAuthenticationError), repr(exc)
    _fast(exc, elapsed)
    text = _text(exc)
    assert "127.0.0.2" in text and re.search(r"hostname|mismatch", text, re.I), text


def test_hostname_check_can_be_turned_off(secure_kafka: SecureKafka) -> None:
    # The control for the test above: the same listener, certificate trusted, check off.
    from tests.support.secure_runs import produce, records
    topic = secure_kafka.create_topic(unique_name("no-hostname-check"))
    metas = produce(secure_kafka.kafka_python("WRONGHOST", ssl_check_hostname=False), topic, records("nhc", 3))
    assert [m.offset for m in metas] == [0, 1, 2]


def test_mutual_tls_refuses_a_client_without_certificate(secure_kafka: SecureKafka) -> None:
    settings = secure_kafka.kafka_python("MTLS")
    del settings["ssl_certfile"], settings["ssl_keyfile"]
    exc, elapsed = first_failure(settings, unique_name("no-cert"))
    assert isinstance(exc, (errors.SslAuthenticationError, errors.KafkaConnectionError,
                            errors.NoBrokersAvailable)), repr(exc)
    _fast(exc, elapsed)
    assert re.search(r"certificate", _text(exc), re.I), _text(exc)
