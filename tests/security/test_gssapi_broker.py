"""purekafka over SASL GSSAPI (Kerberos) against a real broker and a real MIT KDC.

The broker is this module's own: kafka_local's secure listeners with GSSAPI added
(``start_secure_cluster`` + ``--sasl-mechanisms GSSAPI``), so SASL_SSL offers GSSAPI alone and
SASL_PLAINTEXT offers it beside PLAIN, SCRAM and OAUTHBEARER. kafka_local starts the KDC of
``tools/kdc_local.py`` with the broker's principal (``kafka/<host>``: ``broker_host`` reads the
host from the client settings kafka_local gives) and the client ``alice`` (keytab).
GSSAPI sessions on SASL_PLAINTEXT last ``REAUTH_MS`` (KIP-368), on SASL_SSL for ever.

Read back: confluent-kafka's wheel is built without GSSAPI (librdkafka says "cyrus-sasl/libsasl2
not available at build time"), so it reads over the same broker's PLAINTEXT listener;
kafka-python (with the gssapi package) reads the same records over GSSAPI, a second reader
on the mechanism itself. The broker's log shows whom it authenticated.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from purekafka import KafkaProducer
from purekafka import errors as Errors
from purekafka.config import ProducerConfig
from purekafka.core.sasl import SaslAuthenticator
from purekafka.core.sasl.gssapi import GssapiMechanism
from purekafka.protocol import metadata, sasl_authenticate
from tests.support.kafka import SecureKafka, start_secure_cluster, unique_name
from tests.support.kerberos import environment, gssapi_or_skip, harness_env, kdc_local
from tests.support.readback import consume, consume_all
from tests.support.wire_client import WireClient

pytestmark = pytest.mark.broker

REAUTH_MS = 10000


@pytest.fixture(scope="module")
def gss_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureKafka]:
    gssapi_or_skip()
    try:
        kdc_local.check()
    except kdc_local.KdcUnavailable as exc:
        pytest.skip(f"no Kerberos KDC here: {exc.reason}")
    cluster = start_secure_cluster(tmp_path_factory.mktemp("kafka-gssapi") / "cluster",
                                   extra=["--sasl-mechanisms", "GSSAPI", "--broker-config",
                                          f"listener.name.sasl_plaintext.gssapi.connections.max.reauth.ms={REAUTH_MS}"])
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def state(gss_kafka: SecureKafka) -> dict[str, Any]:
    assert gss_kafka.dir is not None
    loaded: dict[str, Any] = json.loads((gss_kafka.dir / "cluster.json").read_text())
    return loaded


@pytest.fixture(scope="module")
def kerberos(state: dict[str, Any]) -> dict[str, str]:
    facts: dict[str, str] = state["kerberos"]
    return facts


@pytest.fixture
def alice(kerberos: dict[str, str], tmp_path: Path) -> Iterator[None]:
    with environment(harness_env(kerberos, tmp_path / "ccache")):
        yield


def broker_host(kafka: SecureKafka) -> str:
    """The host part of the broker's principal, as kafka_local's client settings name it."""
    settings = kafka.kafka_python("SASL_SSL", "GSSAPI")
    return str(settings.get("sasl_kerberos_domain_name") or settings["bootstrap_servers"].rsplit(":", 1)[0])


def _plaintext(state: dict[str, Any]) -> str:
    return ",".join(f"127.0.0.1:{n['port']}" for n in state["nodes"])


def _produce(kafka: SecureKafka, listener: str, records: list[tuple[bytes, bytes]], **overrides: Any) -> str:
    topic = kafka.create_topic(unique_name("gssapi"), partitions=2)
    producer = KafkaProducer(**kafka.kafka_python(listener, "GSSAPI", **overrides))
    try:
        futures = [producer.send(topic, key=k, value=v, headers=[("h", k)]) for k, v in records]
        producer.flush(60)
        for f in futures:
            f.get(0)
    finally:
        producer.close(10)
    return topic


def _kafka_python_read(kafka: SecureKafka, listener: str, topic: str, count: int) -> list[tuple[bytes, bytes]]:
    from kafka import KafkaConsumer, TopicPartition

    settings = kafka.kafka_python(listener, "GSSAPI")
    consumer = KafkaConsumer(group_id=None, auto_offset_reset="earliest", enable_auto_commit=False,
                             consumer_timeout_ms=1000, **settings)
    try:
        consumer.assign([TopicPartition(topic, p) for p in (0, 1)])
        out: list[tuple[bytes, bytes]] = []
        deadline = time.monotonic() + 30
        while len(out) < count and time.monotonic() < deadline:
            out += [(m.key, m.value) for m in consumer]
        return out
    finally:
        consumer.close()


@pytest.mark.parametrize("listener", ["SASL_PLAINTEXT", "SASL_SSL"])
def test_records_arrive_over_gssapi(gss_kafka: SecureKafka, state: dict[str, Any], alice: None,
                                    listener: str) -> None:
    records = [(f"k{i}".encode(), f"{listener}-{i}".encode() * (1 + i % 7)) for i in range(200)]
    topic = _produce(gss_kafka, listener, records, linger_ms=5)
    got = consume(_plaintext(state), topic, len(records))
    assert sorted((r.key, r.value) for r in got) == sorted(records)
    assert all(r.headers == [("h", r.key)] for r in got)
    assert sorted(_kafka_python_read(gss_kafka, listener, topic, len(records))) == sorted(records)


def test_the_broker_authenticated_alice_with_the_authorization_id_java_sends(
        gss_kafka: SecureKafka, kerberos: dict[str, str], alice: None) -> None:
    _produce(gss_kafka, "SASL_SSL", [(b"k", b"v")])
    assert gss_kafka.dir is not None
    log = (gss_kafka.dir / "node-1" / "server.log").read_text(errors="replace")
    principal = kerberos["principal"]
    # Kafka's SaslServerCallbackHandler logs both ids; Java's client sends its principal.
    assert f"authenticationID={principal}; authorizationID={principal}." in log


@pytest.mark.parametrize("version", [0, 1, 2])
def test_the_sans_io_exchange_at_every_sasl_authenticate_version(
        gss_kafka: SecureKafka, alice: None, version: int) -> None:
    host, port = gss_kafka.bootstrap_of("SASL_PLAINTEXT").split(",")[0].rsplit(":", 1)
    config = ProducerConfig.from_kwargs(security_protocol="SASL_PLAINTEXT", sasl_mechanism="GSSAPI",
                                        sasl_kerberos_domain_name=broker_host(gss_kafka))
    with WireClient((host, int(port))) as conn:
        conn.negotiate(3)
        auth = SaslAuthenticator(GssapiMechanism(config, host), handshake_version=1,
                                 authenticate_version=version)
        request: tuple[int, int, bytes] | None = auth.first_request(time.time())
        steps = 0
        while request is not None:
            api_key, api_version, body = request
            request = auth.on_response(api_key, conn.call_raw(api_key, api_version, body), time.time())
            steps += 1
        assert auth.done and auth.mechanism.complete
        # Only v1+ carries the session lifetime (KIP-368).
        assert (0 < auth.session_lifetime_ms <= REAUTH_MS) if version >= 1 else auth.session_lifetime_ms == 0
        # SaslHandshake, the AP-REQ, the empty answer to the AP-REP, the wrapped layer choice.
        assert steps == 4
        md = conn.call(metadata, metadata.MetadataRequest(topics=[]), conn.version(metadata))
        assert len(md.brokers) == 1
        assert sasl_authenticate.API_KEY in conn.versions


def _fails_fast(kafka: SecureKafka, listener: str, error: type[BaseException], **overrides: Any) -> str:
    t0 = time.monotonic()
    with pytest.raises(error) as info:
        KafkaProducer(**kafka.kafka_python(listener, "GSSAPI", **overrides))
    assert time.monotonic() - t0 < 10, "an authentication failure must not wait out max_block_ms"
    return str(info.value)


def test_no_kerberos_credentials_fail_fast_and_say_what_to_check(
        gss_kafka: SecureKafka, kerberos: dict[str, str], tmp_path: Path) -> None:
    env = harness_env(kerberos, tmp_path / "ccache", KRB5_CLIENT_KTNAME=f"FILE:{tmp_path / 'missing.keytab'}")
    with environment(env):
        text = _fails_fast(gss_kafka, "SASL_PLAINTEXT", Errors.SaslAuthenticationFailedError)
    assert f"kafka@{broker_host(gss_kafka)}" in text and "kinit" in text


def test_an_unknown_service_principal_fails_fast_naming_it(gss_kafka: SecureKafka, alice: None) -> None:
    text = _fails_fast(gss_kafka, "SASL_SSL", Errors.SaslAuthenticationFailedError,
                       sasl_kerberos_service_name="nosuch")
    assert f"nosuch@{broker_host(gss_kafka)}" in text and "not found in Kerberos database" in text


def test_a_ticket_for_another_principal_is_refused_by_the_broker(
        gss_kafka: SecureKafka, kerberos: dict[str, str], alice: None) -> None:
    # kafka/wrong.example is in the realm, but it is not the broker's principal.
    kdc_local.add_principals(Path(kerberos["kdc_dir"]), ["kafka/wrong.example"], kerberos["realm"])
    text = _fails_fast(gss_kafka, "SASL_PLAINTEXT", Errors.SaslAuthenticationFailedError,
                       sasl_kerberos_domain_name="wrong.example")
    assert "invalid credentials with SASL mechanism GSSAPI" in text  # the broker's reason
    assert "sasl_kerberos_service_name" in text  # and what to check


def test_a_stale_keytab_fails_fast(gss_kafka: SecureKafka, kerberos: dict[str, str], tmp_path: Path) -> None:
    kdc_dir = Path(kerberos["kdc_dir"])
    keytab = kdc_local.add_principals(kdc_dir, ["bob"], kerberos["realm"])["bob"]
    kdc_local.rekey(kdc_dir, "bob", kerberos["realm"])
    with environment(harness_env(kerberos, tmp_path / "ccache", KRB5_CLIENT_KTNAME=f"FILE:{keytab}")):
        text = _fails_fast(gss_kafka, "SASL_SSL", Errors.SaslAuthenticationFailedError)
    assert "Decrypt integrity check failed" in text


def test_gssapi_on_a_listener_without_it_names_the_enabled_mechanisms(gss_kafka: SecureKafka, alice: None) -> None:
    _fails_fast(gss_kafka, "SASL_PLAINTEXT_JWKS", Errors.UnsupportedSaslMechanismError)


def test_reauthentication_over_gssapi_keeps_records_flowing(
        gss_kafka: SecureKafka, state: dict[str, Any], alice: None, caplog: pytest.LogCaptureFixture) -> None:
    """12 s of steady acks=all sends over 10 s GSSAPI sessions: every record acknowledged and
    stored in order, and the producer re-authenticated (a fresh Kerberos context) on the way."""
    caplog.set_level(logging.DEBUG, logger="purekafka.io")
    topic = gss_kafka.create_topic(unique_name("gssapi-reauth"))
    producer = KafkaProducer(**gss_kafka.kafka_python("SASL_PLAINTEXT", "GSSAPI", acks="all", linger_ms=2))
    values: list[bytes] = []
    failures: list[BaseException] = []
    try:
        futures = []
        end = time.monotonic() + 12.0
        while time.monotonic() < end:
            values.append(f"r-{len(values)}".encode())
            futures.append(producer.send(topic, values[-1]))
            time.sleep(0.004)
        producer.flush(30)
        for f in futures:
            try:
                f.get(0)
            except Exception as exc:  # noqa: BLE001 - collected and asserted on below
                failures.append(exc)
    finally:
        producer.close(10)
    assert failures == [], failures[:3]
    assert [r.value for r in consume(_plaintext(state), topic, len(values))] == values
    assert any("re-authenticated" in r.getMessage() for r in caplog.records)


def test_a_transaction_over_gssapi(gss_kafka: SecureKafka, state: dict[str, Any], alice: None) -> None:
    """The coordinator's connections authenticate too: one committed, one aborted transaction."""
    topic = gss_kafka.create_topic(unique_name("gssapi-txn"), partitions=2)
    producer = KafkaProducer(**gss_kafka.kafka_python("SASL_SSL", "GSSAPI"),
                             transactional_id=unique_name("gssapi-txn-id"))
    try:
        producer.init_transactions()
        producer.begin_transaction()
        for i in range(30):
            producer.send(topic, key=b"c", value=f"committed-{i}".encode())
        producer.commit_transaction()
        producer.begin_transaction()
        for i in range(5):
            producer.send(topic, key=b"a", value=f"aborted-{i}".encode())
        producer.flush(timeout=30)
        producer.abort_transaction()
    finally:
        producer.close(timeout=10)
    committed = consume_all(_plaintext(state), topic)
    assert sorted(r.value for r in committed) == sorted(f"committed-{i}".encode() for i in range(30))
    assert len(consume_all(_plaintext(state), topic, isolation_level="read_uncommitted")) == 35
