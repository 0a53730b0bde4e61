"""The harness's secure listeners, checked with confluent-kafka alone (no purekafka on the path).

Every listener x mechanism accepts alice and serves produce and fetch; the same listener
refuses a wrong password, a badly signed token, an expired token and an untrusted CA, so the
purekafka matrix in tests/security fails for purekafka's reasons, never the harness's.
"""
from __future__ import annotations

import json
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import KafkaException, Producer

from tests.support import oauth_tokens
from tests.support.kafka import KAFKA_LOCAL, SecureKafka, kafka_local, unique_name
from tests.support.readback import consume

pytestmark = pytest.mark.broker

CASES = [("SSL", None), ("MTLS", None)] + [
    (listener, mech)
    for listener in ("SASL_PLAINTEXT", "SASL_SSL")
    for mech in ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER")
] + [("SASL_PLAINTEXT_JWKS", "OAUTHBEARER"), ("SASL_SSL_JWKS", "OAUTHBEARER"),
     ("REAUTH", "SCRAM-SHA-512"), ("REAUTH", "OAUTHBEARER")]


def _produce(conf: dict[str, Any], topic: str, values: list[bytes], timeout: float = 20.0) -> list[str]:
    """Produce with librdkafka; the delivery errors (empty when all arrived)."""
    failures: list[str] = []
    producer = Producer({**conf, "message.timeout.ms": int(timeout * 1000), "error_cb": lambda e: failures.append(str(e))})

    def report(err: Any, _msg: Any) -> None:
        if err is not None:
            failures.append(str(err))

    for v in values:
        producer.produce(topic, v, on_delivery=report)
    left = producer.flush(timeout + 5)
    if left:
        failures.append(f"{left} not delivered")
    return failures


@pytest.mark.parametrize(("listener", "mechanism"), CASES, ids=[f"{a}-{b}" for a, b in CASES])
def test_listener_serves_alice(secure_kafka: SecureKafka, listener: str, mechanism: str | None) -> None:
    topic = secure_kafka.create_topic(unique_name("sec"))
    conf = secure_kafka.confluent(listener, mechanism)
    values = [f"{listener}-{mechanism}-{i}".encode() for i in range(5)]
    assert _produce(conf, topic, values) == []
    got = consume(secure_kafka.bootstrap_of(listener), topic, len(values), extra=conf)
    assert [r.value for r in got] == values


def _refused(conf: dict[str, Any]) -> list[str]:
    failures = _produce({**conf, "retries": 0}, unique_name("refused"), [b"x"], timeout=6.0)
    assert failures, "the broker accepted what it must refuse"
    return failures


@pytest.mark.parametrize("listener", ["SASL_PLAINTEXT", "SASL_SSL"])
@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_wrong_password_is_refused(secure_kafka: SecureKafka, listener: str, mechanism: str) -> None:
    failures = _refused({**secure_kafka.confluent(listener, mechanism), "sasl.password": "wrong"})
    assert any("Authentication failed" in f or "SASL" in f for f in failures), failures


def _jwks_conf(secure_kafka: SecureKafka, cb: Any) -> dict[str, Any]:
    return {**secure_kafka.confluent("SASL_SSL_JWKS", "OAUTHBEARER"), "oauth_cb": cb}


def test_badly_signed_and_expired_tokens_are_refused(secure_kafka: SecureKafka) -> None:
    stranger = oauth_tokens.new_key()
    bad_sig = _refused(_jwks_conf(secure_kafka, lambda _c: (oauth_tokens.signed_token(stranger), time.time() + 3600)))
    # Past Kafka's default 30 s clock skew allowance.
    key = secure_kafka.oauth_key()
    expired = _refused(_jwks_conf(secure_kafka, lambda _c: (
        oauth_tokens.signed_token(key, lifetime_s=60, now=time.time() - 600), time.time() + 3600)))
    assert all(any("uthentication" in f for f in fs) for fs in (bad_sig, expired)), (bad_sig, expired)


def test_untrusted_ca_and_missing_client_certificate(secure_kafka: SecureKafka, tmp_path: Path) -> None:
    other_ca, _ = kafka_local.sec.make_ca(tmp_path, "other", "some other CA")
    untrusted = _refused({**secure_kafka.confluent("SSL"), "ssl.ca.location": str(other_ca)})
    assert any("certificate verify failed" in f for f in untrusted), untrusted
    conf = secure_kafka.confluent("MTLS")
    no_cert = {k: v for k, v in conf.items() if k not in ("ssl.certificate.location", "ssl.key.location")}
    assert _refused(no_cert)


def test_certificates_name_loopback_only(secure_kafka: SecureKafka) -> None:
    ctx = ssl.create_default_context(cafile=str(secure_kafka.path("ca.pem")))
    host, port = secure_kafka.bootstrap_of("WRONGHOST").rsplit(":", 1)
    assert host == "127.0.0.2"
    import socket
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        with pytest.raises(ssl.SSLCertVerificationError, match="IP address mismatch"):
            ctx.wrap_socket(raw, server_hostname=host)
    for name in ("127.0.0.1", "localhost"):
        _, p = secure_kafka.bootstrap_of("SSL").rsplit(":", 1)
        with socket.create_connection(("127.0.0.1", int(p)), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname=name) as tls:
                assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_reauth_listener_states_a_short_session(secure_kafka: SecureKafka) -> None:
    assert secure_kafka.listeners["REAUTH"]["reauth_ms"] == kafka_local.sec.REAUTH_MS
    props = (secure_kafka.path("node-1") / "server.properties").read_text()
    assert "listener.name.reauth.scram-sha-512.connections.max.reauth.ms=10000" in props


def test_client_json_and_cli_errors(secure_kafka: SecureKafka) -> None:
    settings = json.loads(secure_kafka.path("client.json").read_text())
    assert settings["security_protocol"] == "SASL_SSL"
    assert settings["bootstrap_servers"] == secure_kafka.bootstrap == secure_kafka.bootstrap_of("SASL_SSL")
    assert (settings["sasl_plain_username"], settings["sasl_plain_password"]) == ("alice", "alice-secret")
    assert Path(settings["ssl_cafile"]).read_text().startswith("-----BEGIN CERTIFICATE-----")
    for args, said in [(["--security", "SSL", "--sasl-mechanisms", "PLAIN"], "needs --security SASL_PLAINTEXT"),
                       (["--sasl-mechanisms", "PLAIN"], "need --security"),
                       (["--security", "SASL_SSL", "--sasl-mechanisms", "PLAN"], "unknown SASL mechanism")]:
        proc = subprocess.run([sys.executable, str(KAFKA_LOCAL), "start", "--dir", "/nonexistent/x", *args],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1 and said in proc.stderr, proc.stderr
