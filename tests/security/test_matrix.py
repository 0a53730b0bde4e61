"""purekafka over every secure listener x mechanism of the session's secure broker, read back by confluent-kafka.

One broker carries them all (``secure_kafka``): SSL, mutual TLS, and SASL_PLAINTEXT / SASL_SSL
with PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER (Kafka's unsecured validator, and
real RS256 validation against the harness's JWKS endpoint). The producer is built from the
harness's kafka-python settings (client.json's form); librdkafka reads the records back
configured the same way, so both clients had to authenticate for the test to pass.
"""
from __future__ import annotations

import json

import pytest

from tests.support.kafka import SecureKafka, unique_name
from tests.support.readback import consume
from tests.support.secure_runs import produce, records

pytestmark = pytest.mark.broker

SASL = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER")
CASES = [("SSL", None), ("MTLS", None)] + [
    (listener, mech) for listener in ("SASL_PLAINTEXT", "SASL_SSL") for mech in SASL
] + [("SASL_PLAINTEXT_JWKS", "OAUTHBEARER"), ("SASL_SSL_JWKS", "OAUTHBEARER")]


def _id(listener: str, mechanism: str | None) -> str:
    return f"{listener}-{mechanism}" if mechanism else listener


@pytest.mark.parametrize(("listener", "mechanism"), CASES, ids=[_id(*c) for c in CASES])
def test_send_and_read_back(secure_kafka: SecureKafka, listener: str, mechanism: str | None) -> None:
    topic = secure_kafka.create_topic(unique_name("secure"), partitions=2)
    settings = secure_kafka.kafka_python(listener, mechanism)
    rows = records(_id(listener, mechanism), 30)
    metas = produce(settings, topic, rows, linger_ms=5)
    assert all(m.topic == topic for m in metas)
    got = consume(secure_kafka.bootstrap_of(listener), topic, len(rows),
                  extra=secure_kafka.confluent(listener, mechanism))
    assert sorted((r.key, r.value, r.headers) for r in got) == sorted((k, v, h) for k, v, h in rows)


def test_client_json_works_as_is(secure_kafka: SecureKafka) -> None:
    # The documented use: KafkaProducer(**json.load(open("DIR/client.json"))).
    settings = json.loads(secure_kafka.path("client.json").read_text())
    topic = secure_kafka.create_topic(unique_name("client-json"))
    rows = records("client-json", 5)
    produce(settings, topic, rows)
    got = consume(secure_kafka.bootstrap, topic, len(rows), extra=secure_kafka.confluent("SASL_SSL"))
    assert [r.value for r in got] == [v for _, v, _ in rows]


def test_mutual_tls_with_an_encrypted_key(secure_kafka: SecureKafka) -> None:
    settings = secure_kafka.kafka_python("MTLS", ssl_keyfile=str(secure_kafka.path("client.enc.key")),
                                         ssl_password=secure_kafka.client_key_password)
    topic = secure_kafka.create_topic(unique_name("mtls-enc"))
    rows = records("mtls-enc", 5)
    produce(settings, topic, rows)
    got = consume(secure_kafka.bootstrap_of("MTLS"), topic, len(rows), extra=secure_kafka.confluent("MTLS"))
    assert [r.value for r in got] == [v for _, v, _ in rows]
