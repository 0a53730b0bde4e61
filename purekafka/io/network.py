"""Sockets for the producer: one connection per broker, readiness through an ``io.poller.Poller``.

``SocketNetwork`` implements the core's ``purekafka.core.sender.Network`` protocol
on real sockets. Each broker gets one non-blocking TCP connection, whose framing and
in-flight queue live in a sans-I/O ``core.connection.Connection``. Life of a
connection::

    DISCONNECTED --connect()--> CONNECTING --writable--> [HANDSHAKING] --> NEGOTIATING
         ^                                   (TLS, io.tls)                     | ApiVersions
         |                                                                     v
         +--- error, timeout, idle, close() --- READY <-- SASL done -- [AUTHENTICATING]

* **TLS** (``ssl_context``): the handshake runs over ``io.tls.TlsTransport``; after it,
  every frame is encrypted as it is queued, so the write queue holds ciphertext in the
  order TLS made it. A failed certificate check is ``SslAuthenticationError``.
* **SASL** (``sasl``, a factory of ``core.sasl`` authenticators): after ApiVersions, at the
  SaslHandshake/SaslAuthenticate versions it negotiated. A session lifetime from the broker
  schedules re-authentication (KIP-368, ``io.auth``) on the READY connection: no new
  request goes out while it runs (``is_ready`` is false), answers to earlier ones are
  still delivered in order, and a failed re-authentication closes the connection.
* **Authentication failures** (SASL or TLS verification) close the connection with the
  node's growing backoff, never a tight retry, and are kept in ``auth_error`` (until a
  connection authenticates) for the producer to report.

* **Negotiation.** The first request is ApiVersions at our highest version. A
  broker that does not know that version answers UNSUPPORTED_VERSION with its own
  ApiVersions range (in a v0 body); we retry at the highest version both know,
  or v0, as Java does. For every API purekafka has a codec for, the connection
  then uses the highest version both sides support.
* **Pipelining.** ``is_ready`` is false once ``max_in_flight`` requests wait for
  an answer; responses are matched by the Connection's FIFO of correlation ids.
* **Backoff.** Failed connects back off exponentially from
  ``reconnect_backoff_ms`` to ``reconnect_backoff_max_ms`` with +-20% jitter.
* **Timeouts.** A request older than ``request_timeout_ms`` closes its
  connection (the broker may be gone); an idle connection is closed after
  ``connections_max_idle_ms``.
* **Damage.** A response that cannot be parsed (frame, header, or, found by the
  caller, body) closes its connection through ``close_broken``, with a warning:
  nothing after it on that stream can be trusted, and the requests still on it
  are reported lost, as after any disconnect (Java does the same).

Addresses: every address a name resolves to is tried in turn before the node backs
off (``client_dns_lookup=use_all_dns_ips``, the only behaviour for non-bootstrap names).

Node ids: brokers keep Kafka's node ids (>= 0); bootstrap addresses, whose
ids are unknown until Metadata arrives, are -1, -2, ... in configured order.

``poll(timeout_ms)`` waits for socket activity (or ``wakeup()``) through the
``io.poller.Poller`` and returns what happened as ``core.events`` values: ``Response(node, request, body)``,
``Sent(node, request)`` and ``Disconnect(node, requests)``; the caller hands them to
the sender. It is ``select`` + ``on_ready(data, mask, now_ms)`` per ready socket +
``collect(now_ms)`` (timeouts, then the events); an event-loop driver registers the
sockets through its own ``Poller``, calls those two itself, and asks
``next_timeout_ms`` when to call ``collect`` next.

* **Requests without a response** (Produce with acks=0) are done when their last
  byte is in the kernel: ``Sent`` says so. Until then they are pending:
  a lost connection returns them with its ``Disconnect`` (so they can be retried),
  and one stuck unwritten past ``request_timeout_ms`` closes the connection, as a
  request waiting for its answer would. Nothing else will ever wake the loop for
  them, so this event must never be skipped.
* **One request on the wire at a time.** ``is_ready`` is false while a request is
  partly written (as in Java), so the write queue holds at most what one turn of
  the sender produced and the accumulator's memory bound is not dodged by
  parking drained batches here.
"""
from __future__ import annotations

import errno
import logging
import random
import socket
import ssl
import time
from collections import deque
from typing import Any

from purekafka.core.cluster import Cluster
from purekafka.core.connection import DEFAULT_MAX_RESPONSE_SIZE, Connection, ConnectionProtocolError
from purekafka.core.events import Disconnect, InFlight, NetworkEvent, Response, Sent
from purekafka.core.metrics import ProducerMetrics
from purekafka.errors import KafkaConnectionError, KafkaError
from purekafka.io.auth import AuthenticatorFactory
from purekafka.io.node import ConnectionState, Node, Out, body_offset, canonical_bootstrap
from purekafka.io.poller import READ, WRITE, Poller, SelectorPoller
from purekafka.io.setup import API_VERSIONS, SASL, ConnectionSetup
from purekafka.io.tls import TlsTransport
from purekafka.protocol import api_versions as _av
from purekafka.protocol.headers import encode_request_frame

__all__ = ["SocketNetwork", "canonical_bootstrap"]

log = logging.getLogger("purekafka.io")

DISCONNECTED, CONNECTING, HANDSHAKING, NEGOTIATING, AUTHENTICATING, READY = ConnectionState
_SETTING_UP = (CONNECTING, HANDSHAKING, NEGOTIATING, AUTHENTICATING)
_RECV_SIZE = 256 * 1024


class SocketNetwork(ConnectionSetup):
    """Non-blocking connections to every broker the producer talks to: the core's
    ``Network`` protocol on sockets."""

    def __init__(
        self,
        bootstrap: list[tuple[str, int]],
        cluster: Cluster,
        *,
        client_id: str | None,
        request_timeout_ms: float = 30_000,
        max_in_flight: int = 5,
        reconnect_backoff_ms: float = 50,
        reconnect_backoff_max_ms: float = 30_000,
        connections_max_idle_ms: float = 540_000,
        send_buffer_bytes: int | None = None,
        receive_buffer_bytes: int | None = None,
        socket_options: list[tuple[int, int, int]] | None = None,
        max_versions: dict[int, int] | None = None,
        receive_message_max_bytes: int = DEFAULT_MAX_RESPONSE_SIZE,
        poller: Poller | None = None,
        ssl_context: ssl.SSLContext | None = None,
        sasl: AuthenticatorFactory | None = None,
    ) -> None:
        """``ssl_context``: speak TLS (``io.tls.make_ssl_context``); ``sasl``: authenticate
        each connection with an authenticator from this factory."""
        self.bootstrap = list(bootstrap)
        self.cluster = cluster
        self.client_id = client_id
        self.request_timeout_ms = request_timeout_ms
        self.max_in_flight = max_in_flight
        self.reconnect_backoff_ms = reconnect_backoff_ms
        self.reconnect_backoff_max_ms = max(reconnect_backoff_max_ms, reconnect_backoff_ms)
        self.connections_max_idle_ms = connections_max_idle_ms
        self.send_buffer_bytes = send_buffer_bytes
        self.receive_buffer_bytes = receive_buffer_bytes
        self.socket_options = list(socket_options or [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
        self.max_versions = dict(max_versions or {})
        self.receive_message_max_bytes = receive_message_max_bytes
        self.nodes: dict[int, Node] = {}
        self.poller: Poller = poller if poller is not None else SelectorPoller()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.poller.register(self._wake_r, READ, None)
        self._events: list[NetworkEvent] = []
        self._recv_buf = bytearray(_RECV_SIZE)
        self._rand = random.Random()
        self.closed = False
        self.ever_connected = False
        self.extra_addresses: dict[int, tuple[str, int]] = {}
        # Finalized feature levels (e.g. "transaction.version") from the last ApiVersions.
        self.finalized_features: dict[str, int] = {}
        self.metrics: ProducerMetrics | None = None  # connection counts, when metrics are on
        self.ssl_context = ssl_context
        self.sasl = sasl
        # The last authentication failure (SASL, TLS verification); None once one succeeds.
        self.auth_error: KafkaError | None = None

    # -- the core.sender.Network protocol ------------------------------------------
    def _node(self, node_id: int) -> Node:
        n = self.nodes.get(node_id)
        if n is None:
            n = self.nodes[node_id] = Node(node_id)
        return n

    def is_ready(self, node_id: int, now_ms: float) -> bool:
        n = self.nodes.get(node_id)
        return (n is not None and n.state is READY and n.conn is not None and not n.out
                and n.conn.in_flight_count < self.max_in_flight and not n.auth.reauthenticating)

    def in_flight_requests(self) -> int:
        """Requests sent on every connection and not yet answered (requests-in-flight)."""
        return sum(n.conn.in_flight_count for n in list(self.nodes.values()) if n.conn is not None)

    def is_connected(self, node_id: int) -> bool:
        n = self.nodes.get(node_id)
        return n is not None and n.state is READY

    def maybe_connect(self, node_id: int, now_ms: float) -> None:
        n = self._node(node_id)
        if n.state is not DISCONNECTED or now_ms < n.next_attempt_ms or self.closed:
            return
        addr = self._address(node_id)
        if addr is None:
            return
        n.host, n.port = addr
        try:
            # Resolution blocks; broker names are normally local or cached.
            n.addrs = socket.getaddrinfo(n.host, n.port, 0, socket.SOCK_STREAM)
        except (OSError, ValueError) as e:  # ValueError: a name idna cannot encode
            log.warning("cannot resolve %s:%s for node %s: %s", n.host, n.port, node_id, e)
            self._backoff(n, now_ms)
            self._events.append(Disconnect(node_id, []))
            return
        self._connect_next(n, now_ms)

    def _connect_next(self, n: Node, now_ms: float) -> None:
        """Start connecting to the next of ``n``'s resolved addresses; when every one has
        failed, back off and report the node disconnected (kafka-python and Java try them
        all, so an unreachable IPv6 address does not hide a reachable IPv4 one)."""
        while n.addrs:
            family, _, _, _, sockaddr = n.addrs.pop(0)
            try:
                sock = socket.socket(family, socket.SOCK_STREAM)
            except OSError as e:
                log.debug("node %s: no socket for %s: %s", n.node_id, sockaddr, e)
                continue
            sock.setblocking(False)
            for level, opt, val in self.socket_options:
                try:
                    sock.setsockopt(level, opt, val)
                except OSError:
                    pass
            # None or -1 (Java's "use the default"): leave the OS's buffer size alone.
            if self.send_buffer_bytes is not None and self.send_buffer_bytes >= 0:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.send_buffer_bytes)
            if self.receive_buffer_bytes is not None and self.receive_buffer_bytes >= 0:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer_bytes)
            try:
                rc = sock.connect_ex(sockaddr)
            except (OverflowError, ValueError) as e:  # a port out of range, from Metadata
                rc = errno.EINVAL
                log.warning("bad address %s:%s for node %s: %s", n.host, n.port, n.node_id, e)
            if rc not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN):
                sock.close()
                log.debug("connect to node %s (%s:%s at %s) failed: %s", n.node_id, n.host, n.port,
                          sockaddr, errno.errorcode.get(rc, rc))
                continue
            n.sock = sock
            n.state = CONNECTING
            n.conn = Connection(n.node_id, self.client_id, self.request_timeout_ms,
                                encode_request_frame, body_offset,
                                max_response_size=self.receive_message_max_bytes)
            n.out = deque()
            n.last_activity_ms = now_ms
            n.av_version = max(_av.MIN_VERSION, min(_av.MAX_VERSION,
                                                    self.max_versions.get(_av.API_KEY, _av.MAX_VERSION)))
            self.poller.register(sock, WRITE, n)
            n.registered = WRITE
            return
        self._backoff(n, now_ms)
        self._events.append(Disconnect(n.node_id, []))

    def _connect_failed(self, n: Node, now_ms: float, reason: str) -> None:
        """A connect in progress failed: try the node's next address, or close as failed."""
        if not n.addrs:
            self._close(n, now_ms, reason, failed_connect=True)
            return
        log.debug("node %s (%s:%s): %s; trying its next address", n.node_id, n.host, n.port, reason)
        self._drop_socket(n)
        n.state = DISCONNECTED
        n.conn = None
        self._connect_next(n, now_ms)

    def connection_delay_ms(self, node_id: int, now_ms: float) -> float:
        n = self.nodes.get(node_id)
        if n is None or n.state is not DISCONNECTED:
            return float("inf")  # socket activity will wake us
        return max(0.0, n.next_attempt_ms - now_ms)

    def api_version(self, node_id: int, api_key: int) -> int | None:
        n = self.nodes.get(node_id)
        if n is None:
            return None
        return n.versions.get(api_key)

    def least_loaded_node(self, now_ms: float) -> int | None:
        best: int | None = None
        best_load: float | None = None
        for n in self.nodes.values():
            if (n.state is READY and n.conn is not None and n.conn.in_flight_count < self.max_in_flight
                    and not n.auth.reauthenticating):
                load: float = n.conn.in_flight_count
                if n.node_id < 0:
                    load += 0.5  # prefer real brokers over bootstrap aliases
                if best_load is None or load < best_load:
                    best, best_load = n.node_id, load
        if best is not None:
            return best
        # Something already connecting: wait for it rather than open another.
        for n in self.nodes.values():
            if n.state in _SETTING_UP:
                return n.node_id
        candidates = [nid for nid in self._known_brokers()] + [-(i + 1) for i in range(len(self.bootstrap))]
        self._rand.shuffle(candidates)
        soonest: int | None = None
        for nid in candidates:
            node = self.nodes.get(nid)
            if node is None or node.next_attempt_ms <= now_ms:
                return nid
            if soonest is None or node.next_attempt_ms < self.nodes[soonest].next_attempt_ms:
                soonest = nid
        return soonest

    def _known_brokers(self) -> list[int]:
        return list(self.cluster.brokers)

    def send(self, node_id: int, api_key: int, version: int, body: bytes, now_ms: float,
             expect_response: bool, context: Any) -> InFlight:
        n = self.nodes[node_id]
        assert n.conn is not None and n.state in (READY, NEGOTIATING)
        req, frame = n.conn.send_request(api_key, version, body, now_ms, expect_response, context)
        n.last_activity_ms = now_ms
        self._queue(n, frame, None if expect_response else req)
        if len(n.out) == 1:
            # Write at once when nothing was queued: saves a selector round trip.
            self._write(n, now_ms)
        return req

    @staticmethod
    def _queue(n: Node, frame: bytes, request: InFlight | None) -> None:
        """Queue a frame, encrypted now on a TLS connection (ciphertext stays in TLS order)."""
        if n.tls is not None:
            n.tls.write(frame)
            frame = n.tls.outgoing()
        n.out.append(Out(memoryview(frame), request))

    def _queue_tls_output(self, n: Node) -> None:
        """Queue what TLS produced by itself (handshake records, alerts, key updates)."""
        assert n.tls is not None
        data = n.tls.outgoing()
        if data:
            n.out.append(Out(memoryview(data), None))
            self._want_write(n, True)

    # -- polling -----------------------------------------------------------------------
    def wakeup(self) -> None:
        """Interrupt a ``poll`` in progress (from any thread)."""
        try:
            self._wake_w.send(b"\x00")
        except (BlockingIOError, InterruptedError, OSError):
            pass

    def poll(self, timeout_ms: float) -> list[NetworkEvent]:
        """Wait up to ``timeout_ms`` for socket activity; return what happened
        (``select`` + ``on_ready`` for each ready socket + ``collect``)."""
        now_ms = time.monotonic() * 1000.0
        timeout_ms = min(timeout_ms, self.next_timeout_ms(now_ms))
        timeout = None if timeout_ms == float("inf") else max(0.0, timeout_ms / 1000.0)
        ready = self.poller.select(timeout)
        now_ms = time.monotonic() * 1000.0
        for data, mask in ready:
            self.on_ready(data, mask, now_ms)
        return self.collect(now_ms)

    def next_timeout_ms(self, now_ms: float) -> float:
        """How long an event loop may wait before calling ``collect`` (inf: until a socket
        is ready or ``wakeup``)."""
        if self._events:
            # Already news (a request written in full by send(), a failed connect, a
            # connection closed as broken between polls): a look at the sockets, but no
            # sleep, or the news waits for other traffic.
            return 0.0
        return self._housekeeping_delay(now_ms)

    def on_ready(self, data: Any, mask: int, now_ms: float) -> None:
        """Handle one registered socket's readiness: ``data`` as registered with the
        poller, ``mask`` the ``READ``/``WRITE`` bits that are ready."""
        if data is None:
            try:
                while self._wake_r.recv(4096):
                    pass
            except (BlockingIOError, InterruptedError, OSError):
                pass
            return
        n: Node = data
        if n.sock is None:
            return  # closed earlier in the same batch
        if mask & WRITE:
            self._on_writable(n, now_ms)
        if mask & READ and n.sock is not None:
            self._on_readable(n, now_ms)

    def collect(self, now_ms: float) -> list[NetworkEvent]:
        """Time-based housekeeping (timeouts, idle connections); every event since the
        last call."""
        self._housekeeping(now_ms)
        events, self._events = self._events, []
        return events

    def _housekeeping_delay(self, now_ms: float) -> float:
        delay = float("inf")
        for n in self.nodes.values():
            if n.conn is None or n.state is DISCONNECTED:
                continue
            t = n.conn.next_timeout_ms(now_ms)
            unwritten = self._oldest_unwritten_ms(n)
            if unwritten is not None:
                w = max(0.0, unwritten + self.request_timeout_ms - now_ms)
                t = w if t is None else min(t, w)
            if n.auth.reauth_at_ms is not None and n.auth.authenticator is None:
                r = max(0.0, n.auth.reauth_at_ms - now_ms)
                t = r if t is None else min(t, r)
            if t is not None:
                delay = min(delay, t)
            elif n.state is CONNECTING or n.state is HANDSHAKING:
                delay = min(delay, max(0.0, n.last_activity_ms + self.request_timeout_ms - now_ms))
            else:
                delay = min(delay, max(0.0, n.last_activity_ms + self.connections_max_idle_ms - now_ms))
        return delay

    def _housekeeping(self, now_ms: float) -> None:
        for n in list(self.nodes.values()):
            if n.conn is None or n.state is DISCONNECTED:
                continue
            unwritten = self._oldest_unwritten_ms(n)
            if n.conn.expired(now_ms):
                self._close(n, now_ms, f"request timed out after {self.request_timeout_ms:.0f} ms")
            elif unwritten is not None and now_ms - unwritten >= self.request_timeout_ms:
                self._close(n, now_ms, f"request not written within {self.request_timeout_ms:.0f} ms")
            elif n.state is CONNECTING and now_ms - n.last_activity_ms >= self.request_timeout_ms:
                self._connect_failed(n, now_ms, "connect timed out")
            elif n.state is HANDSHAKING and now_ms - n.last_activity_ms >= self.request_timeout_ms:
                self._close(n, now_ms, "TLS handshake timed out", failed_connect=True)
            elif n.state is READY and n.auth.reauth_due(now_ms):
                log.debug("node %s: re-authenticating (KIP-368)", n.node_id)
                self._start_auth(n, now_ms, reauth=True)
            elif (n.conn.in_flight_count == 0 and not n.out
                  and now_ms - n.last_activity_ms >= self.connections_max_idle_ms):
                log.debug("closing idle connection to node %s", n.node_id)
                self._close(n, now_ms, None)

    @staticmethod
    def _oldest_unwritten_ms(n: Node) -> float | None:
        """When the oldest no-response request still being written was queued."""
        for out in n.out:
            if out.request is not None:
                return out.request.sent_ms
        return None

    def _write(self, n: Node, now_ms: float) -> None:
        """Write queued requests until the socket is full; report no-response ones done."""
        sock = n.sock
        assert sock is not None
        out = n.out
        while out:
            head = out[0]
            try:
                sent = sock.send(head.data)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as e:
                self._close(n, now_ms, f"send failed: {e}")
                return
            if sent < len(head.data):
                head.data = head.data[sent:]
                break
            out.popleft()
            if head.request is not None:
                self._events.append(Sent(n.node_id, head.request))
        self._want_write(n, bool(out))

    def _want_write(self, n: Node, on: bool) -> None:
        mask = READ | (WRITE if on else 0)
        if n.sock is not None and n.registered != mask:
            self.poller.modify(n.sock, mask, n)
            n.registered = mask

    def _on_writable(self, n: Node, now_ms: float) -> None:
        sock = n.sock
        assert sock is not None
        if n.state is CONNECTING:
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self._connect_failed(n, now_ms, f"connect failed: {errno.errorcode.get(err, err)}")
                return
            n.last_activity_ms = now_ms
            if self.metrics is not None:
                self.metrics.on_connection_created(now_ms)
            self._want_write(n, False)
            if self.ssl_context is None:
                n.state = NEGOTIATING
                self._send_api_versions(n, now_ms)
                return
            n.state = HANDSHAKING
            n.tls = TlsTransport(self.ssl_context, n.host, n.port)
            self._advance_tls(n, now_ms)
            return
        self._write(n, now_ms)

    def _on_readable(self, n: Node, now_ms: float) -> None:
        sock = n.sock
        conn = n.conn
        assert sock is not None and conn is not None
        buf = self._recv_buf
        while True:
            try:
                got = sock.recv_into(buf)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as e:
                self._close(n, now_ms, f"recv failed: {e}")
                return
            if got == 0:
                self._close(n, now_ms, "connection closed by broker" + _protocol_hint(n, None))
                return
            n.last_activity_ms = now_ms
            data: bytes | memoryview = memoryview(buf)[:got]
            if n.tls is not None:
                try:
                    data = n.tls.feed(data)
                except KafkaConnectionError as e:
                    self._tls_failed(n, now_ms, e)
                    return
                if n.state is HANDSHAKING:
                    if not self._advance_tls(n, now_ms):
                        return
                    data = n.tls.feed(b"")  # anything that came with the handshake's end
                self._queue_tls_output(n)
                if n.tls.closed:
                    self._close(n, now_ms, "connection closed by broker (TLS close_notify)")
                    return
            try:
                responses = conn.receive_data(data)
            except ConnectionProtocolError as e:
                # The answers before the damage are good; the rest go with the connection.
                if self._deliver(n, e.responses, now_ms):
                    self._close_broken(n, now_ms, str(e) + _protocol_hint(n, data), [])
                return
            if not self._deliver(n, responses, now_ms):
                return
            if got < len(buf):
                break

    def _deliver(self, n: Node, responses: list[Response], now_ms: float) -> bool:
        """Queue responses for the caller (ApiVersions is ours); False if that closed ``n``."""
        events = self._events
        for resp in responses:
            if resp.request.context is API_VERSIONS:
                if not self._on_api_versions(n, resp.request, resp.body, now_ms):
                    return False
            elif resp.request.context is SASL:
                if not self._on_auth(n, resp.request, resp.body, now_ms):
                    return False
            else:
                events.append(resp)
        return True

    # -- teardown -----------------------------------------------------------------------
    def _address(self, node_id: int) -> tuple[str, int] | None:
        if node_id < 0:
            i = -node_id - 1
            return self.bootstrap[i] if i < len(self.bootstrap) else None
        b = self.cluster.brokers.get(node_id)
        if b is None:
            return self.extra_addresses.get(node_id)
        return (b.host, b.port)

    def add_address(self, node_id: int, host: str, port: int) -> None:
        """Remember a broker's address learnt outside Metadata (a coordinator)."""
        self.extra_addresses[node_id] = (host, port)

    def _backoff(self, n: Node, now_ms: float) -> None:
        n.failures += 1
        base = self.reconnect_backoff_ms * (2 ** min(n.failures - 1, 30))
        base = min(base, self.reconnect_backoff_max_ms)
        n.next_attempt_ms = now_ms + base * (0.8 + 0.4 * self._rand.random())

    def close_broken(self, node_id: int, reason: str, lost: list[InFlight]) -> None:
        """A response from ``node_id`` cannot be parsed (the caller found its body damaged):
        close the connection, and report ``lost`` (already taken off it) with its other
        requests in the next ``poll``."""
        n = self._node(node_id)
        self._close_broken(n, time.monotonic() * 1000.0, reason, lost)

    def _close_broken(self, n: Node, now_ms: float, reason: str, lost: list[InFlight]) -> None:
        # One place for "cannot parse this response" -> "this connection is broken". A
        # warning, not info: a broker or a network path that mangles bytes needs a human.
        log.warning("node %s (%s:%s): closing the connection, its responses cannot be parsed: %s",
                    n.node_id, n.host, n.port, reason)
        if n.state is DISCONNECTED:
            if lost:  # closed already (an earlier damaged answer): only these are news
                self._events.append(Disconnect(n.node_id, list(lost)))
            return
        self._close(n, now_ms, reason, lost=lost, logged=True)

    def _drop_socket(self, n: Node) -> None:
        """Unregister and close ``n``'s socket, if it has one."""
        if n.sock is not None:
            self.poller.unregister(n.sock)
            n.sock.close()
            n.sock = None
        n.registered = 0

    def _close(self, n: Node, now_ms: float, reason: str | None, failed_connect: bool = False,
               lost: list[InFlight] | None = None, logged: bool = False) -> None:
        self._drop_socket(n)
        was = n.state
        n.state = DISCONNECTED
        if self.metrics is not None and was is not CONNECTING and was is not DISCONNECTED:
            self.metrics.on_connection_closed(now_ms)
        # Requests not fully written whose answer nobody waits for go back to the
        # sender too: the broker never got them whole.
        unwritten = [o.request for o in n.out if o.request is not None]
        n.out = deque()
        n.versions = {}
        # ``lost`` were answered (damaged) before the rest, so they go first, in send order;
        # the unwritten ones (no answer expected) were sent after everything in flight.
        reqs = list(lost or []) + [r for r in (n.conn.drain_in_flight() if n.conn is not None else [])
                                   if r.context is not API_VERSIONS and r.context is not SASL]
        reqs.extend(unwritten)
        n.conn = None
        n.tls = None
        n.auth.reset()
        if reason is not None:
            if was is not READY or failed_connect:
                self._backoff(n, now_ms)
            else:
                n.next_attempt_ms = now_ms + self.reconnect_backoff_ms
            if not logged:
                log.info("node %s (%s:%s): %s", n.node_id, n.host, n.port, reason)
        if reason is not None or reqs:
            # An idle close is no news for the sender (a refresh would reconnect).
            self._events.append(Disconnect(n.node_id, reqs))

    def close(self) -> None:
        """Close every socket, the poller and the wakeup pair."""
        if self.closed:
            return
        self.closed = True
        now_ms = time.monotonic() * 1000.0
        for n in list(self.nodes.values()):
            if n.state is not DISCONNECTED:
                self._close(n, now_ms, None)
        self._events = []
        self.poller.unregister(self._wake_r)
        self.poller.close()
        self._wake_r.close()
        self._wake_w.close()

    def pending_writes(self) -> bool:
        return any(n.out for n in self.nodes.values())


_body_offset = body_offset  # the name tests/core/test_connection.py imports


def _protocol_hint(n: Node, data: bytes | memoryview | None) -> str:
    """Why a connection fails while being set up, when the likely cause is a
    security_protocol that does not match the listener."""
    if n.state is HANDSHAKING:
        return (f" during the TLS handshake: does the listener at {n.host}:{n.port} speak TLS? "
                "(security_protocol SSL/SASL_SSL need a TLS listener)")
    # A TLS record (handshake 0x16 or alert 0x15, version 3.x) where a Kafka frame belongs.
    if (n.tls is None and n.state is NEGOTIATING and data is not None and len(data) >= 2
            and data[0] in (0x15, 0x16) and data[1] == 0x03):
        return (f"; the listener at {n.host}:{n.port} speaks TLS: set security_protocol "
                "to SSL or SASL_SSL")
    return ""
