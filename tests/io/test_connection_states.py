"""SocketNetwork's TLS and SASL connection states against hand-driven peers.

The SASL exchange is a scripted authenticator (the real ones are tested in tests/core/sasl):
what is checked is the state machine: the order of requests on the wire, the versions used,
what ``is_ready`` says, that answers to earlier requests are delivered in order during a
re-authentication, and what a failure does (error kept, connection closed, backoff grown).
The TLS peer is an ``ssl`` server object over memory buffers behind the test's socket.
"""
from __future__ import annotations

import logging
import socket
import ssl
import time
import traceback
from typing import Iterator

import pytest

from purekafka.config import ProducerConfig
from purekafka.core.cluster import Cluster
from purekafka.core.events import Disconnect, NetworkEvent, Response
from purekafka.errors import IncompatibleBrokerVersion, SaslAuthenticationFailedError, SslAuthenticationError
from purekafka.io.auth import Authenticator, AuthenticatorFactory
from purekafka.io.network import SocketNetwork
from purekafka.io.tls import make_ssl_context
from purekafka.producer.security import security_options
from purekafka.protocol import api_versions as av
from purekafka.protocol import metadata, sasl_authenticate, sasl_handshake
from tests.io.test_socket_network import NODE, Peer
from tests.io.test_tls import server_context, settings_for
from tests.support.tls_certs import Pki

VERSIONS = {av.API_KEY: (0, 4), metadata.API_KEY: (0, 12), sasl_handshake.API_KEY: (0, 1),
            sasl_authenticate.API_KEY: (0, 2)}


class Scripted:
    """Handshake, one token, done; the peer's SaslAuthenticate answer is the session lifetime
    in ms (or FAIL)."""

    made: list[tuple[str, int, int]] = []

    def __init__(self, host: str, hv: int, av_: int) -> None:
        Scripted.made.append((host, hv, av_))
        self.done = False
        self.session_lifetime_ms = 0

    def first_request(self, wall_time_s: float) -> tuple[int, int, bytes]:
        return sasl_handshake.API_KEY, 1, b"HANDSHAKE"

    def on_response(self, api_key: int, body: bytes, wall_time_s: float) -> tuple[int, int, bytes] | None:
        if body == b"FAIL":
            raise SaslAuthenticationFailedError("scripted refusal")
        if api_key == sasl_handshake.API_KEY:
            return sasl_authenticate.API_KEY, 2, b"TOKEN"
        self.done = True
        self.session_lifetime_ms = int(body)
        return None


def factory(host: str, hv: int, av_: int) -> Authenticator:
    return Scripted(host, hv, av_)


def now() -> float:
    return time.monotonic() * 1000.0


def pump(net: SocketNetwork, peer: Peer, until: object, timeout_s: float = 5.0) -> list[NetworkEvent]:
    events: list[NetworkEvent] = []
    deadline = time.monotonic() + timeout_s
    while not until(events):  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out; events so far: {events}"
        events.extend(net.poll(5))
        peer.serve()
    return events


class Server:
    """Answers, strictly in request order as a broker does: ApiVersions with ``versions``
    and SASL requests with ``sasl_answers`` in turn; any other request, and everything after
    it, waits for the test (``held``, ``answer_held``). Records every request."""

    def __init__(self, peer: Peer, versions: dict[int, tuple[int, int]], sasl_answers: list[bytes]) -> None:
        self.peer = peer
        self.versions = versions
        self.sasl_answers = sasl_answers
        self.seen: list[tuple[int, int]] = []
        self.queue: list[tuple[int, int, int, bytes]] = []

    @property
    def held(self) -> list[tuple[int, int, int, bytes]]:
        return [r for r in self.queue if r[0] not in _SASL_KEYS]

    def __call__(self, _: list[NetworkEvent] | None = None) -> None:
        while (req := self.peer.request()) is not None:
            self.seen.append((req[0], req[1]))
            self.queue.append(req)
        while self.queue:
            key, version, cid, _body = self.queue[0]
            if key == av.API_KEY:
                keys = [av.ApiVersion(k, lo, hi) for k, (lo, hi) in self.versions.items()]
                self.peer.answer(key, version, cid, av.encode_response(av.ApiVersionsResponse(api_keys=keys), version))
            elif key in _SASL_KEYS and self.sasl_answers:
                self.peer.answer(key, version, cid, self.sasl_answers.pop(0))
            else:
                return
            self.queue.pop(0)

    def answer_held(self) -> None:
        """Answer the waiting non-SASL requests at the head, each with its body reversed."""
        while self.queue and self.queue[0][0] not in _SASL_KEYS:
            key, version, cid, body = self.queue.pop(0)
            self.peer.answer(key, version, cid, body[::-1])
        self()


_SASL_KEYS = (sasl_handshake.API_KEY, sasl_authenticate.API_KEY)


def sasl_pair(answers: list[bytes], versions: dict[int, tuple[int, int]] = VERSIONS,
              sasl: AuthenticatorFactory = factory) -> tuple[SocketNetwork, Peer, Server]:
    peer = Peer()
    addr = [("127.0.0.1", peer.port)]
    net = SocketNetwork(addr, Cluster(addr), client_id="states", sasl=sasl,
                        reconnect_backoff_ms=100, reconnect_backoff_max_ms=10_000)
    net.maybe_connect(NODE, now())
    return net, peer, Server(peer, versions, answers)


@pytest.fixture(autouse=True)
def _fresh_script() -> None:
    Scripted.made = []


def test_sasl_runs_after_api_versions_at_the_negotiated_versions() -> None:
    net, peer, server = sasl_pair([b"ok", b"0"])
    try:
        events = pump(net, peer, lambda e: (server(), net.is_ready(NODE, now()))[1])
        assert events == []
        assert server.seen == [(av.API_KEY, av.MAX_VERSION), (sasl_handshake.API_KEY, 1), (sasl_authenticate.API_KEY, 2)]
        assert Scripted.made == [("127.0.0.1", 1, 2)]
        assert net.auth_error is None and net.nodes[NODE].auth.reauth_at_ms is None  # lifetime 0
    finally:
        net.close()
        peer.close()


def test_a_broker_without_sasl_handshake_is_refused_clearly() -> None:
    net, peer, server = sasl_pair([], versions={k: v for k, v in VERSIONS.items() if k != sasl_handshake.API_KEY})
    try:
        events = pump(net, peer, lambda e: (server(), bool(e))[1])
        assert events == [Disconnect(NODE, [])]
        assert isinstance(net.auth_error, IncompatibleBrokerVersion)
        assert "security_protocol" in str(net.auth_error)
    finally:
        net.close()
        peer.close()


def test_authentication_failures_back_off_longer_each_time() -> None:
    delays = []
    net, peer, server = sasl_pair([b"ok", b"FAIL"])
    try:
        for attempt in range(3):
            events = pump(net, peer, lambda e: (server(), bool(e))[1])
            assert events == [Disconnect(NODE, [])]
            assert isinstance(net.auth_error, SaslAuthenticationFailedError)
            assert not net.is_connected(NODE)
            delays.append(net.connection_delay_ms(NODE, now()))
            net.maybe_connect(NODE, now())
            assert net.nodes[NODE].sock is None  # backing off: no new attempt yet
            time.sleep(delays[-1] / 1000.0 + 0.01)
            peer.sock = None
            peer.buf.clear()
            server.sasl_answers[:] = [b"ok", b"FAIL"]
            net.maybe_connect(NODE, now())
        # 100 ms doubling, +-20 % jitter: each wait is longer than the one before.
        assert delays[0] < delays[1] < delays[2] and delays[2] > 300
    finally:
        net.close()
        peer.close()


def test_a_token_provider_failure_is_kept_and_logged_without_its_message(
        caplog: pytest.LogCaptureFixture) -> None:
    def provider() -> str:
        raise RuntimeError("refresh failed for token=eyJhbGciOi.SECRET.sig")

    cfg = ProducerConfig.from_kwargs(security_protocol="SASL_PLAINTEXT", sasl_mechanism="OAUTHBEARER",
                                     sasl_oauth_token_provider=provider)
    handshake = sasl_handshake.encode_response(sasl_handshake.SaslHandshakeResponse(0, ["OAUTHBEARER"]), 1)
    net, peer, server = sasl_pair([handshake], sasl=security_options(cfg, "127.0.0.1")["sasl"])
    try:
        with caplog.at_level(logging.DEBUG):
            events = pump(net, peer, lambda e: (server(), bool(e))[1])
        assert events == [Disconnect(NODE, [])]
        error = net.auth_error
        assert isinstance(error, SaslAuthenticationFailedError)
        assert "sasl_oauth_token_provider raised RuntimeError" in str(error)
        shown = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        for text in (str(error), repr(error), shown, caplog.text):
            assert "SECRET" not in text and "refresh failed" not in text, text
        assert "authentication failed" in caplog.text  # the failure itself is logged
    finally:
        net.close()
        peer.close()


def _ready_with_lifetime(lifetime_ms: int) -> tuple[SocketNetwork, Peer, Server]:
    net, peer, server = sasl_pair([b"ok", str(lifetime_ms).encode()])
    pump(net, peer, lambda e: (server(), net.is_ready(NODE, now()))[1])
    return net, peer, server


def test_reauthentication_holds_new_requests_and_delivers_earlier_answers_in_order() -> None:
    net, peer, server = _ready_with_lifetime(60_000)
    try:
        n = net.nodes[NODE]
        assert n.auth.reauth_at_ms is not None
        assert 0.85 * 60_000 - 1000 <= n.auth.reauth_at_ms - now() <= 0.95 * 60_000
        reqs = [net.send(NODE, metadata.API_KEY, 1, b"%d" % i, now(), True, i) for i in range(3)]
        pump(net, peer, lambda e: (server(), len(server.held) == 3)[1])
        n.auth.reauth_at_ms = now()  # due now
        server.sasl_answers[:] = [b"ok"]  # the handshake; the token's answer waits
        events = pump(net, peer, lambda e: (server(), server.seen[-1][0] == sasl_handshake.API_KEY)[1])
        assert events == []
        assert not net.is_ready(NODE, now()) and net.is_connected(NODE)
        extra = pump(net, peer, lambda e: (server(), True)[1])
        assert len(server.seen) == 7 and extra == []  # the token waits for the handshake's answer
        server.answer_held()  # the earlier answers, then the handshake's
        events = pump(net, peer, lambda e: (server(), len(e) == 3 and server.seen[-1][0] == sasl_authenticate.API_KEY)[1])
        assert [(type(e), e.request, bytes(e.body)) for e in events] == [  # type: ignore[union-attr]
            (Response, r, b"%d" % i) for i, r in enumerate(reqs)]
        assert not net.is_ready(NODE, now())  # still re-authenticating
        server.sasl_answers[:] = [b"60000"]
        pump(net, peer, lambda e: (server(), net.is_ready(NODE, now()))[1])
        assert len(Scripted.made) == 2  # a fresh authenticator for the re-authentication
    finally:
        net.close()
        peer.close()


def test_a_failed_reauthentication_closes_and_returns_what_was_in_flight() -> None:
    net, peer, server = _ready_with_lifetime(60_000)
    try:
        req = net.send(NODE, metadata.API_KEY, 1, b"q", now(), True, None)
        pump(net, peer, lambda e: (server(), len(server.held) == 1)[1])
        net.nodes[NODE].auth.reauth_at_ms = now()
        server.sasl_answers[:] = [b"ok", b"FAIL"]
        pump(net, peer, lambda e: (server(), server.seen[-1][0] == sasl_handshake.API_KEY)[1])
        server.answer_held()
        events = pump(net, peer, lambda e: (server(), any(type(x) is Disconnect for x in e))[1])
        assert events[0].request is req and events[1:] == [Disconnect(NODE, [])]  # type: ignore[union-attr]
        assert isinstance(net.auth_error, SaslAuthenticationFailedError)
    finally:
        net.close()
        peer.close()


class TlsPeer(Peer):
    """A Peer speaking TLS: a server-side SSLObject between its socket and its buffer."""

    def __init__(self, ctx: ssl.SSLContext, chunk: int) -> None:
        super().__init__()
        self.obj = ctx.wrap_bio(inc := ssl.MemoryBIO(), out := ssl.MemoryBIO(), server_side=True)
        self.inc, self.out, self.chunk, self.done = inc, out, chunk, False

    def serve(self) -> None:
        if self.sock is None:
            try:
                self.sock, _ = self.listener.accept()
            except BlockingIOError:
                return
            self.sock.setblocking(False)
        try:
            while raw := self.sock.recv(self.chunk):  # small reads: partial TLS records
                self.inc.write(raw)
        except BlockingIOError:
            pass
        if not self.done:
            try:
                self.obj.do_handshake()
                self.done = True
            except ssl.SSLWantReadError:
                pass
        if self.done:
            try:
                while data := self.obj.read(65536):
                    self.buf += data
            except ssl.SSLWantReadError:
                pass
        self._flush()

    def _flush(self) -> None:
        assert self.sock is not None
        data = self.out.read()
        for i in range(0, len(data), self.chunk):
            self.sock.setblocking(True)
            self.sock.sendall(data[i:i + self.chunk])
            self.sock.setblocking(False)

    def answer(self, api_key: int, version: int, correlation_id: int, body: bytes) -> None:
        from purekafka.protocol.headers import encode_response_header, response_header_version

        frame = encode_response_header(correlation_id, response_header_version(api_key, version)) + body
        self.obj.write(len(frame).to_bytes(4, "big") + frame)
        self._flush()


@pytest.fixture
def tls_pair(pki: Pki) -> Iterator[tuple[SocketNetwork, TlsPeer, Server]]:
    peer = TlsPeer(server_context(pki), chunk=700)
    addr = [("127.0.0.1", peer.port)]
    net = SocketNetwork(addr, Cluster(addr), client_id="tls", sasl=factory,
                        ssl_context=make_ssl_context(settings_for(ssl_cafile=str(pki.ca))),
                        send_buffer_bytes=4096, receive_buffer_bytes=4096)
    net.maybe_connect(NODE, now())
    server = Server(peer, VERSIONS, [b"ok", b"0"])
    yield net, peer, server
    net.close()
    peer.close()


def test_tls_then_sasl_then_big_requests_and_answers_in_pieces(tls_pair: tuple[SocketNetwork, TlsPeer, Server]) -> None:
    net, peer, server = tls_pair
    assert net.nodes[NODE].state.value in ("connecting", "tls-handshake")
    pump(net, peer, lambda e: (server(), net.is_ready(NODE, now()))[1])
    assert [k for k, _ in server.seen] == [av.API_KEY, sasl_handshake.API_KEY, sasl_authenticate.API_KEY]
    big = bytes(range(256)) * 4000  # ~1 MB each way, through 4 KB socket buffers and 700-byte reads
    req = net.send(NODE, metadata.API_KEY, 1, big, now(), True, "big")
    pump(net, peer, lambda e: (server(), len(server.held) == 1)[1], timeout_s=30)
    assert server.held[0][3] == big
    server.answer_held()
    (event,) = pump(net, peer, bool, timeout_s=30)
    assert type(event) is Response and event.request == req and bytes(event.body) == big[::-1]


def test_an_untrusted_broker_certificate_is_an_authentication_error(pki: Pki) -> None:
    peer = TlsPeer(server_context(pki), chunk=4096)
    addr = [("127.0.0.1", peer.port)]
    net = SocketNetwork(addr, Cluster(addr), client_id="tls",
                        ssl_context=make_ssl_context(settings_for(ssl_cafile=str(pki.other_ca))))
    try:
        net.maybe_connect(NODE, now())
        events = pump(net, peer, bool)
        assert events == [Disconnect(NODE, [])]
        assert isinstance(net.auth_error, SslAuthenticationError)
        assert f"127.0.0.1:{peer.port}" in str(net.auth_error)
        assert net.connection_delay_ms(NODE, now()) > 0
    finally:
        net.close()
        peer.close()
