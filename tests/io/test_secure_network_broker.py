"""The I/O layer's secure connection states against the session's secure broker.

The listeners come from ``kafka_local.py --test-listeners`` (tests/support/kafka.py
``secure_kafka``). What is checked here is the state machine, not the protocol x mechanism
matrix (tests/security has that): TLS then SASL then READY, re-authentication while records
flow, TLS with many partial reads and writes and 1 MB records, and how each authentication
failure surfaces (which error, how fast, how many connection attempts). Records are read
back with confluent-kafka configured for the same listener.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

from purekafka import KafkaProducer
from purekafka import errors as Errors
from tests.io.tls_certs import Pki
from tests.support.kafka import SecureKafka, unique_name
from tests.support.readback import consume

pytestmark = pytest.mark.broker

PASSWORD = "alice-secret"


def _produce(kafka: SecureKafka, listener: str, values: list[bytes], mechanism: str | None = None,
             **overrides: Any) -> str:
    topic = kafka.create_topic(unique_name("io-sec"))
    producer = KafkaProducer(**kafka.kafka_python(listener, mechanism, **overrides))
    try:
        futures = [producer.send(topic, v) for v in values]
        producer.flush(60)
        for f in futures:
            f.get(0)  # raises the record's error, if any
    finally:
        producer.close(10)
    return topic


@pytest.mark.parametrize(("listener", "mechanism"), [
    ("SSL", None), ("MTLS", None), ("SASL_PLAINTEXT", "PLAIN"), ("SASL_SSL", "SCRAM-SHA-256"),
])
def test_records_arrive_over_each_connection_kind(secure_kafka: SecureKafka, listener: str,
                                                   mechanism: str | None) -> None:
    values = [f"{listener}-{i}".encode() for i in range(20)]
    topic = _produce(secure_kafka, listener, values, mechanism)
    got = consume(secure_kafka.bootstrap_of(listener), topic, len(values),
                  extra=secure_kafka.confluent(listener, mechanism))
    assert [r.value for r in got] == values


@pytest.mark.parametrize("acks", [0, 1])
def test_one_megabyte_records_over_tls_with_tiny_socket_buffers(secure_kafka: SecureKafka, acks: int) -> None:
    """4 KB socket buffers: every TLS record is written and read in many pieces."""
    values = [bytes([i]) * 1_000_000 for i in range(4)]
    topic = _produce(secure_kafka, "SASL_SSL", values, "SCRAM-SHA-512", acks=acks,
                     send_buffer_bytes=4096, receive_buffer_bytes=4096, max_request_size=1_048_576,
                     batch_size=1_048_576)
    got = consume(secure_kafka.bootstrap_of("SASL_SSL"), topic, len(values),
                  extra=secure_kafka.confluent("SASL_SSL", "SCRAM-SHA-512"))
    assert [r.value for r in got] == values


def test_reauthentication_keeps_records_flowing(secure_kafka: SecureKafka,
                                                caplog: pytest.LogCaptureFixture) -> None:
    """The REAUTH listener's sessions last 10 s: over 12 s of steady acks=all sends (with
    requests in flight when re-authentication starts) every record is acknowledged, in
    order, and each producer re-authenticated at least once; OAUTHBEARER with a fresh token."""
    caplog.set_level(logging.DEBUG, logger="purekafka.io")
    provider = secure_kafka.token_provider("REAUTH", lifetime_s=3600)
    tokens = {"n": 0}
    fresh = provider.token

    def counted() -> str:
        tokens["n"] += 1
        return str(fresh())

    provider.token = counted
    runs: dict[str, tuple[str, list[bytes], list[BaseException]]] = {}

    def run(mechanism: str, **extra: Any) -> None:
        topic = secure_kafka.create_topic(unique_name("reauth"))
        values: list[bytes] = []
        failures: list[BaseException] = []
        runs[mechanism] = (topic, values, failures)
        producer = KafkaProducer(**secure_kafka.kafka_python("REAUTH", mechanism, acks="all",
                                                             linger_ms=2, **extra))
        try:
            futures = []
            end = time.monotonic() + 12.0
            i = 0
            while time.monotonic() < end:
                v = f"{mechanism}-{i}".encode()
                values.append(v)
                futures.append(producer.send(topic, v))
                i += 1
                time.sleep(0.004)
            producer.flush(30)
            for f in futures:
                try:
                    f.get(0)
                except Exception as e:  # noqa: BLE001 - collected and asserted on below
                    failures.append(e)
        finally:
            producer.close(10)

    threads = [threading.Thread(target=run, args=("SCRAM-SHA-512",)),
               threading.Thread(target=run, args=("OAUTHBEARER",), kwargs={"sasl_oauth_token_provider": provider})]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for mechanism, (topic, values, failures) in runs.items():
        assert failures == [], f"{mechanism}: {failures[:3]}"
        got = consume(secure_kafka.bootstrap_of("REAUTH"), topic, len(values),
                      extra=secure_kafka.confluent("REAUTH", "PLAIN"))
        assert [r.value for r in got] == values
    reauths = [r for r in caplog.records if "re-authenticated" in r.getMessage()]
    assert len(reauths) >= 2, "both producers re-authenticate within 12 s of 10 s sessions"
    # One token per authentication: the first, then one per re-authentication (plus the
    # constructor's settings check, which fetches none).
    assert tokens["n"] >= 2


def _attempts(caplog: pytest.LogCaptureFixture) -> int:
    return sum(1 for r in caplog.records if "authentication failed" in r.getMessage()
               and r.levelno == logging.ERROR)


def test_a_wrong_password_fails_the_constructor_fast(secure_kafka: SecureKafka,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = secure_kafka.kafka_python("SASL_SSL", "SCRAM-SHA-256", sasl_plain_password="wrong-" + PASSWORD,
                                         max_block_ms=60_000, bootstrap_timeout_ms=60_000)
    t0 = time.monotonic()
    with pytest.raises(Errors.SaslAuthenticationFailedError) as info:
        KafkaProducer(**settings)
    assert time.monotonic() - t0 < 10
    assert PASSWORD not in str(info.value) and PASSWORD not in caplog.text


def test_a_wrong_password_fails_send_and_flush_fast_without_a_retry_storm(
        secure_kafka: SecureKafka, caplog: pytest.LogCaptureFixture) -> None:
    """With bootstrap skipped (api_version given): send()'s future fails with the broker's
    error, flush() returns, nothing waits out max_block_ms; the connection attempts back
    off exponentially (50 ms doubling to 1 s: about 6 in 3 s, not hundreds)."""
    caplog.set_level(logging.ERROR, logger="purekafka.io")
    settings = secure_kafka.kafka_python("SASL_PLAINTEXT", "PLAIN", sasl_plain_password="wrong-" + PASSWORD,
                                         api_version=(3, 9), max_block_ms=60_000,
                                         reconnect_backoff_ms=50, reconnect_backoff_max_ms=1000)
    producer = KafkaProducer(**settings)
    try:
        t0 = time.monotonic()
        queued = producer.send("anything", b"v")
        with pytest.raises(Errors.SaslAuthenticationFailedError):
            queued.get(10)
        producer.flush(10)
        assert time.monotonic() - t0 < 10
        later = producer.send("anything", b"v2")  # while it stands, new records fail at once
        with pytest.raises(Errors.SaslAuthenticationFailedError):
            later.get(5)
        start = _attempts(caplog)
        time.sleep(3.0)
        made = _attempts(caplog) - start
        assert 1 <= made <= 10, f"{made} connection attempts in 3 s"
    finally:
        producer.close(5)


def test_an_unsupported_mechanism_names_the_enabled_ones(secure_kafka: SecureKafka) -> None:
    settings = secure_kafka.kafka_python("SASL_PLAINTEXT_JWKS", "PLAIN", sasl_plain_username="alice",
                                         sasl_plain_password=PASSWORD)
    t0 = time.monotonic()
    with pytest.raises(Errors.UnsupportedSaslMechanismError, match="OAUTHBEARER"):
        KafkaProducer(**settings)
    assert time.monotonic() - t0 < 10


def test_an_untrusted_ca_fails_fast_and_says_what_to_fix(secure_kafka: SecureKafka, pki: Pki) -> None:
    other = pki.other_ca  # a CA that did not sign the broker's certificate
    t0 = time.monotonic()
    with pytest.raises(Errors.SslAuthenticationError) as info:
        KafkaProducer(**secure_kafka.kafka_python("SSL", ssl_cafile=str(other)))
    assert time.monotonic() - t0 < 10
    host, _, port = secure_kafka.bootstrap_of("SSL").partition(":")
    assert f"{host}:{port}" in str(info.value) and "ssl_cafile" in str(info.value)


def test_a_hostname_mismatch_fails_fast_and_says_what_to_fix(secure_kafka: SecureKafka) -> None:
    t0 = time.monotonic()
    with pytest.raises(Errors.SslAuthenticationError) as info:
        KafkaProducer(**secure_kafka.kafka_python("WRONGHOST"))
    assert time.monotonic() - t0 < 10
    assert "127.0.0.2" in str(info.value) and "ssl_check_hostname" in str(info.value)


def test_debug_logs_and_reprs_hold_no_secrets_or_sasl_payloads(secure_kafka: SecureKafka,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = secure_kafka.kafka_python("MTLS", ssl_keyfile=str(secure_kafka.path("client.enc.key")),
                                         ssl_password="client-key-secret")
    sasl = secure_kafka.kafka_python("SASL_SSL", "SCRAM-SHA-256")
    for s in (settings, sasl):
        topic = secure_kafka.create_topic(unique_name("quiet"))
        producer = KafkaProducer(**s)
        try:
            producer.send(topic, b"x").get(30)
            text = caplog.text + repr(producer) + repr(producer.config)
        finally:
            producer.close(5)
        for secret in (PASSWORD, "client-key-secret", "n=alice,r=", "c=biws"):
            assert secret not in text, secret


@pytest.mark.parametrize(("protocol", "listener", "hint"), [
    ("PLAINTEXT", "SSL", "speaks TLS: set security_protocol"),
    ("SSL", "SASL_PLAINTEXT", "does the listener at"),
])
def test_a_protocol_mismatch_says_so(secure_kafka: SecureKafka, caplog: pytest.LogCaptureFixture,
                                     protocol: str, listener: str, hint: str) -> None:
    """Not an authentication failure (the bootstrap times out, as kafka-python's does), but
    the log says which setting is likely wrong."""
    caplog.set_level(logging.INFO, logger="purekafka.io")
    with pytest.raises(Errors.KafkaTimeoutError):
        KafkaProducer(bootstrap_servers=secure_kafka.bootstrap_of(listener), security_protocol=protocol,
                      ssl_cafile=str(secure_kafka.path("ca.pem")), bootstrap_timeout_ms=2000)
    assert hint in caplog.text


def test_init_transactions_with_a_wrong_password_fails_fast(secure_kafka: SecureKafka) -> None:
    settings = secure_kafka.kafka_python("SASL_SSL", "SCRAM-SHA-512", sasl_plain_password="wrong-" + PASSWORD,
                                         api_version=(3, 9), transactional_id=unique_name("txn"),
                                         max_block_ms=60_000)
    producer = KafkaProducer(**settings)
    try:
        t0 = time.monotonic()
        with pytest.raises(Errors.SaslAuthenticationFailedError):
            producer.init_transactions()
        assert time.monotonic() - t0 < 10
    finally:
        producer.close(5)
