"""No secret in purekafka's DEBUG log, in repr() of the producer, or in the errors of refused exchanges, over a real SASL_SSL broker.

The unit-level scans are tests/core/sasl's; this one runs whole exchanges (PLAIN, SCRAM-SHA-256,
SCRAM-SHA-512, OAUTHBEARER with signed tokens, a client key with a password), a wrong password
and a re-used producer, with every purekafka logger at DEBUG, and looks for each secret raw,
base64-encoded and as a SCRAM proof.
"""
from __future__ import annotations

import base64
import re

import pytest

from purekafka import KafkaProducer
from tests.support.kafka import SecureKafka, unique_name
from tests.support.secure_runs import debug_log, first_failure

pytestmark = pytest.mark.broker

WRONG = "scan-wrong-password"
SCRAM_PROOF = re.compile(r",p=[A-Za-z0-9+/]{20,}")


def _forms(secret: str) -> list[str]:
    raw = secret.encode()
    return [secret, base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("=")]


def test_no_secret_in_debug_logs_reprs_or_errors(secure_kafka: SecureKafka) -> None:
    topic = secure_kafka.create_topic(unique_name("scan"))
    provider = secure_kafka.token_provider("SASL_SSL_JWKS")
    seen: list[str] = []
    with debug_log() as lines:
        for listener, mech, extra in [
            ("SASL_SSL", "PLAIN", {}),
            ("SASL_SSL", "SCRAM-SHA-256", {}),
            ("SASL_SSL", "SCRAM-SHA-512", {"ssl_certfile": str(secure_kafka.path("client.pem")),
                                            "ssl_keyfile": str(secure_kafka.path("client.enc.key")),
                                            "ssl_password": secure_kafka.client_key_password}),
            ("SASL_SSL_JWKS", "OAUTHBEARER", {"sasl_oauth_token_provider": provider}),
        ]:
            producer = KafkaProducer(**secure_kafka.kafka_python(listener, mech, **extra), max_block_ms=30000)
            try:
                producer.send(topic, value=f"scan-{mech}".encode()).get(timeout=30)
                seen += [repr(producer), str(producer)]
                config = getattr(producer, "config", None)
                seen += [repr(config), str(config)]
            finally:
                producer.close(timeout=10)
        exc, _ = first_failure(secure_kafka.kafka_python("SASL_SSL", "SCRAM-SHA-512", sasl_plain_password=WRONG),
                               unique_name("scan-refused"))
        seen += [str(exc), repr(exc), repr(exc.args)]
    assert lines, "no DEBUG log at all: the scan would prove nothing"
    text = "\n".join(lines + seen)
    secrets = [secure_kafka.password, WRONG, secure_kafka.client_key_password]
    secrets += [t for t in provider.tokens] + [t.split(".")[2] for t in provider.tokens]
    assert provider.tokens, "the OAUTHBEARER exchange never asked for a token"
    for secret in secrets:
        for form in _forms(secret):
            assert form not in text, f"a secret ({len(secret)} chars) appears in the log, a repr or an error"
    assert not SCRAM_PROOF.search(text), "a SCRAM client proof appears in the log"
