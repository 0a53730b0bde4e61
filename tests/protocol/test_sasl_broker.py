"""SaslHandshake and SaslAuthenticate against a real broker with a SASL_PLAINTEXT listener (PLAIN).

The module's own single-node cluster: ``kafka_local.py start --security SASL_PLAINTEXT
--sasl-mechanisms PLAIN``, so that PLAIN is the only mechanism enabled, and with a session
lifetime. Only ``purekafka.protocol`` speaks to the broker; errors are asserted by Kafka's
error name.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from purekafka import errors
from purekafka.protocol import api_versions, metadata, sasl_authenticate, sasl_handshake
from purekafka.protocol.sasl_authenticate import SaslAuthenticateRequest
from purekafka.protocol.sasl_handshake import SaslHandshakeRequest
from tests.support.kafka import start_cluster
from tests.support.txn_broker_client import Conn

pytestmark = pytest.mark.broker

REAUTH_MS = 60000


@pytest.fixture(scope="module")
def sasl_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    # Makes the broker state a session lifetime in SaslAuthenticate v1+ responses (KIP-368).
    cluster = start_cluster(tmp_path_factory.mktemp("kafka-sasl") / "cluster", extra=[
        "--security", "SASL_PLAINTEXT", "--sasl-mechanisms", "PLAIN",
        "--broker-config", f"connections.max.reauth.ms={REAUTH_MS}"])
    try:
        host, port = cluster.bootstrap.rsplit(":", 1)
        assert host == "127.0.0.1"
        yield int(port)
    finally:
        cluster.stop()


def _handshake(conn: Conn, mechanism: str, version: int = 1) -> sasl_handshake.SaslHandshakeResponse:
    return conn.call(sasl_handshake, SaslHandshakeRequest(mechanism), version)


def test_handshake_lists_enabled_mechanisms(sasl_port: int) -> None:
    for version in (0, 1):
        conn = Conn("127.0.0.1", sasl_port)
        try:
            resp = _handshake(conn, "PLAIN", version)
            assert (errors.error_name(resp.error_code), resp.mechanisms) == ("NONE", ["PLAIN"])
        finally:
            conn.close()


def test_handshake_with_a_disabled_mechanism(sasl_port: int) -> None:
    conn = Conn("127.0.0.1", sasl_port)
    try:
        resp = _handshake(conn, "SCRAM-SHA-256")
        assert (errors.error_name(resp.error_code), resp.mechanisms) == ("UNSUPPORTED_SASL_MECHANISM", ["PLAIN"])
    finally:
        conn.close()


@pytest.mark.parametrize("version", [0, 1, 2])
def test_plain_authentication_every_version(sasl_port: int, version: int) -> None:
    conn = Conn("127.0.0.1", sasl_port)
    try:
        assert errors.error_name(_handshake(conn, "PLAIN").error_code) == "NONE"
        resp = conn.call(sasl_authenticate, SaslAuthenticateRequest(b"\x00alice\x00alice-secret"), version)
        assert errors.error_name(resp.error_code) == "NONE", resp
        assert resp.error_message == ""  # the broker leaves Kafka's default, not null
        assert resp.auth_bytes == b""  # PLAIN has no server challenge
        if version >= 1:
            assert 0 < resp.session_lifetime_ms <= REAUTH_MS
        else:
            assert resp.session_lifetime_ms == 0  # not on the wire before v1
        # Authenticated: ordinary requests are now served on this connection.
        md = conn.call(metadata, metadata.MetadataRequest(topics=[]), conn.version(metadata))
        assert len(md.brokers) == 1
    finally:
        conn.close()


def test_wrong_password_is_refused(sasl_port: int) -> None:
    conn = Conn("127.0.0.1", sasl_port)
    try:
        assert errors.error_name(_handshake(conn, "PLAIN").error_code) == "NONE"
        v = conn.version(sasl_authenticate)
        resp = conn.call(sasl_authenticate, SaslAuthenticateRequest(b"\x00alice\x00wrong"), v)
        assert errors.error_name(resp.error_code) == "SASL_AUTHENTICATION_FAILED"
        assert resp.error_message  # the broker explains, e.g. "Invalid username or password"
    finally:
        conn.close()


def test_api_versions_is_allowed_before_authentication(sasl_port: int) -> None:
    # Conn sends ApiVersions first; on a SASL listener the broker must answer it unauthenticated.
    conn = Conn("127.0.0.1", sasl_port)
    try:
        assert conn.versions[sasl_handshake.API_KEY] == (0, 1)
        assert api_versions.API_KEY in conn.versions
    finally:
        conn.close()
