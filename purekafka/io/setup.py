"""Setting a connection up, the part of ``SocketNetwork`` between the TCP connect and
READY: the TLS handshake, ApiVersions negotiation and SASL authentication (see the state
diagram in ``io.network``), and what an authentication failure does.

``ConnectionSetup`` is a mixin: it uses the network's queueing and closing methods,
declared below for the type checker.
"""
from __future__ import annotations

import logging
import random
import ssl
import time

from purekafka.core.events import InFlight
from purekafka.core.versions import negotiate
from purekafka.errors import KafkaConnectionError, KafkaError, SslAuthenticationError
from purekafka.io.auth import AuthenticatorFactory
from purekafka.io.node import SOFTWARE_VERSION, ConnectionState, Node
from purekafka.protocol import api_versions as _av
from purekafka.protocol.apis import API_BY_KEY

__all__ = ["API_VERSIONS", "SASL", "ConnectionSetup"]

log = logging.getLogger("purekafka.io")

# Contexts of the requests the network sends for itself (never reported to the caller).
API_VERSIONS = object()
SASL = object()
_HANDSHAKING = ConnectionState.HANDSHAKING
_NEGOTIATING = ConnectionState.NEGOTIATING
_AUTHENTICATING = ConnectionState.AUTHENTICATING
_READY = ConnectionState.READY


class ConnectionSetup:
    """TLS handshake, ApiVersions and SASL steps of ``SocketNetwork``."""

    max_versions: dict[int, int]
    finalized_features: dict[str, int]
    ever_connected: bool
    ssl_context: ssl.SSLContext | None
    sasl: AuthenticatorFactory | None
    auth_error: KafkaError | None
    _rand: random.Random

    # Provided by SocketNetwork.
    def _queue(self, n: Node, frame: bytes, request: InFlight | None) -> None:
        raise NotImplementedError

    def _queue_tls_output(self, n: Node) -> None:
        raise NotImplementedError

    def _want_write(self, n: Node, on: bool) -> None:
        raise NotImplementedError

    def _close(self, n: Node, now_ms: float, reason: str | None, failed_connect: bool = False,
               lost: list[InFlight] | None = None, logged: bool = False) -> None:
        raise NotImplementedError

    # -- ApiVersions -----------------------------------------------------------------
    def _send_api_versions(self, n: Node, now_ms: float) -> None:
        req = _av.ApiVersionsRequest(client_software_name="purekafka",
                                     client_software_version=SOFTWARE_VERSION)
        body = _av.encode_request(req, n.av_version)
        assert n.conn is not None
        _, frame = n.conn.send_request(_av.API_KEY, n.av_version, body, now_ms, True, API_VERSIONS)
        self._queue(n, frame, None)
        # Written on writability, not here: this may run inside _on_readable, which
        # must not see its socket closed under it by a failed write.
        self._want_write(n, True)

    def _on_api_versions(self, n: Node, req: InFlight, body: memoryview, now_ms: float) -> bool:
        try:
            out = negotiate(bytes(body), req.api_version, API_BY_KEY, self.max_versions)
        except KafkaError as e:
            self._close(n, now_ms, f"bad ApiVersions response: {e}")
            return False
        if out.retry_version is not None:
            n.av_version = out.retry_version
            self._send_api_versions(n, now_ms)
            return True
        if out.error_code:
            self._close(n, now_ms, f"ApiVersions failed with error code {out.error_code}")
            return False
        n.versions = out.versions
        if out.finalized_features:
            self.finalized_features = out.finalized_features
        if self.sasl is not None:
            return self._start_auth(n, now_ms, reauth=False)
        self._ready(n)
        return True

    def _ready(self, n: Node) -> None:
        n.state = _READY
        n.failures = 0
        self.ever_connected = True
        self.auth_error = None
        log.debug("node %s ready (%s:%s), versions %s", n.node_id, n.host, n.port, n.versions)

    # -- TLS and SASL ----------------------------------------------------------------
    def _advance_tls(self, n: Node, now_ms: float) -> bool:
        """Step the TLS handshake; True once done (then ApiVersions is queued), False if
        it needs more bytes or failed (``n`` closed)."""
        assert n.tls is not None
        try:
            done = n.tls.handshake()
        except KafkaConnectionError as e:
            self._tls_failed(n, now_ms, e)
            return False
        self._queue_tls_output(n)
        if done:
            log.debug("node %s (%s:%s): TLS handshake done (%s)", n.node_id, n.host, n.port, n.tls.version)
            n.state = _NEGOTIATING
            self._send_api_versions(n, now_ms)
        return done

    def _tls_failed(self, n: Node, now_ms: float, e: KafkaConnectionError) -> None:
        if isinstance(e, SslAuthenticationError):
            self._auth_failed(n, now_ms, e)
        else:
            self._close(n, now_ms, str(e), failed_connect=n.state is _HANDSHAKING)

    def _start_auth(self, n: Node, now_ms: float, reauth: bool) -> bool:
        """Send the first SASL request; False if that failed (``n`` closed)."""
        assert self.sasl is not None and n.conn is not None
        try:
            key, version, body = n.auth.start(self.sasl, n.host, n.versions, time.time(), reauth)
        except KafkaError as e:
            self._auth_failed(n, now_ms, e)
            return False
        if not reauth:
            n.state = _AUTHENTICATING
        self._send_sasl(n, key, version, body, now_ms)
        return True

    def _send_sasl(self, n: Node, key: int, version: int, body: bytes, now_ms: float) -> None:
        assert n.conn is not None
        _, frame = n.conn.send_request(key, version, body, now_ms, True, SASL)
        self._queue(n, frame, None)
        self._want_write(n, True)  # written on writability, as ApiVersions

    def _on_auth(self, n: Node, req: InFlight, body: memoryview, now_ms: float) -> bool:
        try:
            nxt = n.auth.on_response(n.host, req.api_key, bytes(body), time.time(), now_ms,
                                     self._rand.random())
        except KafkaError as e:
            self._auth_failed(n, now_ms, e)
            return False
        if nxt is not None:
            self._send_sasl(n, *nxt, now_ms)
        elif n.state is _AUTHENTICATING:
            log.debug("node %s (%s:%s): SASL authentication done", n.node_id, n.host, n.port)
            self._ready(n)
        else:
            log.debug("node %s (%s:%s): re-authenticated", n.node_id, n.host, n.port)
        return True

    def _auth_failed(self, n: Node, now_ms: float, e: KafkaError) -> None:
        """Authentication (or TLS verification) failed: keep the error for the producer and
        close with the node's growing backoff. Messages come from the authenticator and
        io.tls, which keep secrets out of them."""
        self.auth_error = e
        log.error("node %s (%s:%s): authentication failed: %s", n.node_id, n.host, n.port, e)
        self._close(n, now_ms, f"authentication failed: {e}", failed_connect=True, logged=True)
