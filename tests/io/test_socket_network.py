"""SocketNetwork's events over a real loopback connection, answered by a hand-driven peer.

The peer is a listening socket served from the test's own thread between polls, so
every byte the network writes and every event it reports can be checked exactly: the
events are ``core.events`` values, a request that gets no answer is reported ``Sent``,
and a lost connection hands back what was in flight, oldest first.
"""
from __future__ import annotations

import socket
import time
from typing import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purekafka.core.cluster import Cluster
from purekafka.core.events import Disconnect, InFlight, NetworkEvent, Response, Sent
from purekafka.io.network import SocketNetwork
from purekafka.protocol import api_versions as av
from purekafka.protocol import metadata, produce
from purekafka.protocol.headers import decode_request_header, encode_response_header, response_header_version

NODE = -1  # the first bootstrap address
THEIR_VERSIONS = {av.API_KEY: (0, 4), produce.API_KEY: (3, 9), metadata.API_KEY: (0, 12)}


class Peer:
    """A broker stand-in: accepts one connection and answers requests when told to."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.setblocking(False)
        self.port: int = self.listener.getsockname()[1]
        self.sock: socket.socket | None = None
        self.buf = bytearray()

    def serve(self) -> None:
        """Accept, and read whatever has arrived; never blocks."""
        if self.sock is None:
            try:
                self.sock, _ = self.listener.accept()
            except BlockingIOError:
                return
            self.sock.setblocking(False)
        try:
            while chunk := self.sock.recv(65536):
                self.buf += chunk
        except BlockingIOError:
            pass

    def request(self) -> tuple[int, int, int, bytes] | None:
        """The next whole request frame: (api_key, version, correlation id, body)."""
        if len(self.buf) < 4:
            return None
        size = int.from_bytes(self.buf[:4], "big")
        if len(self.buf) < 4 + size:
            return None
        frame = bytes(self.buf[4:4 + size])
        del self.buf[:4 + size]
        header, at = decode_request_header(frame)
        return header.api_key, header.api_version, header.correlation_id, frame[at:]

    def answer(self, api_key: int, version: int, correlation_id: int, body: bytes) -> None:
        assert self.sock is not None
        frame = encode_response_header(correlation_id, response_header_version(api_key, version)) + body
        self.sock.sendall(len(frame).to_bytes(4, "big") + frame)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.listener.close()


def pump(net: SocketNetwork, peer: Peer, until: Callable[[list[NetworkEvent]], bool],
         timeout_s: float = 5.0) -> list[NetworkEvent]:
    """Poll the network and serve the peer until ``until(events so far)``."""
    events: list[NetworkEvent] = []
    deadline = time.monotonic() + timeout_s
    while not until(events):
        assert time.monotonic() < deadline, f"timed out; events so far: {events}"
        events.extend(net.poll(10))
        peer.serve()
    return events


def ready_pair() -> tuple[SocketNetwork, Peer]:
    """A network whose bootstrap connection to a fresh peer has negotiated versions."""
    peer = Peer()
    addr = [("127.0.0.1", peer.port)]
    net = SocketNetwork(addr, Cluster(addr), client_id="io-test")
    net.maybe_connect(NODE, time.monotonic() * 1000.0)
    got: list[tuple[int, int, int, bytes]] = []

    def negotiated(events: list[NetworkEvent]) -> bool:
        if not got and (req := peer.request()) is not None:
            got.append(req)
            key, version, cid, _ = req
            keys = [av.ApiVersion(k, lo, hi) for k, (lo, hi) in THEIR_VERSIONS.items()]
            peer.answer(key, version, cid, av.encode_response(av.ApiVersionsResponse(api_keys=keys), version))
        return net.is_ready(NODE, time.monotonic() * 1000.0)

    events = pump(net, peer, negotiated)
    assert events == []  # ApiVersions is the network's own business
    assert got[0][:2] == (av.API_KEY, av.MAX_VERSION)
    return net, peer


@pytest.fixture
def pair() -> Iterator[tuple[SocketNetwork, Peer]]:
    net, peer = ready_pair()
    yield net, peer
    net.close()
    peer.close()


def test_negotiates_the_versions_both_sides_know(pair: tuple[SocketNetwork, Peer]) -> None:
    net, _ = pair
    assert net.api_version(NODE, produce.API_KEY) == min(produce.MAX_VERSION, 9)
    assert net.api_version(NODE, metadata.API_KEY) == min(metadata.MAX_VERSION, 12)
    assert net.is_connected(NODE)


def test_an_answer_is_a_response_event_with_its_request_and_body(pair: tuple[SocketNetwork, Peer]) -> None:
    net, peer = pair
    version = net.api_version(NODE, metadata.API_KEY)
    assert version is not None
    req = net.send(NODE, metadata.API_KEY, version, b"ask", time.monotonic() * 1000.0, True, "ctx")
    assert isinstance(req, InFlight) and req.context == "ctx"
    served: list[tuple[int, int, int, bytes]] = []

    def answered(events: list[NetworkEvent]) -> bool:
        if not served and (r := peer.request()) is not None:
            served.append(r)
            peer.answer(r[0], r[1], r[2], b"ANSWER")
        return bool(events)

    (event,) = pump(net, peer, answered)
    assert served == [(metadata.API_KEY, version, req.correlation_id, b"ask")]
    assert type(event) is Response
    assert (event.node, event.request, bytes(event.body)) == (NODE, req, b"ANSWER")
    with pytest.raises(AttributeError):
        event.node = 5  # type: ignore[misc]  # frozen: a driver cannot alter what it reported


def test_a_request_without_an_answer_is_sent_once_written(pair: tuple[SocketNetwork, Peer]) -> None:
    net, peer = pair
    version = net.api_version(NODE, produce.API_KEY)
    assert version is not None
    req = net.send(NODE, produce.API_KEY, version, b"fire and forget", time.monotonic() * 1000.0, False, None)
    t0 = time.monotonic()
    events = net.poll(5_000)  # written in send(): the news must not wait out the timeout
    assert time.monotonic() - t0 < 1.0
    assert events == [Sent(NODE, req)] and type(events[0]) is Sent
    conn = net.nodes[NODE].conn
    assert conn is not None and conn.in_flight_count == 0  # nothing waits for an answer
    pump(net, peer, lambda _: bool(peer.buf))
    assert peer.request() == (produce.API_KEY, version, req.correlation_id, b"fire and forget")


def test_a_lost_connection_returns_its_in_flight_requests_oldest_first(pair: tuple[SocketNetwork, Peer]) -> None:
    net, peer = pair
    now = time.monotonic() * 1000.0
    reqs = [net.send(NODE, metadata.API_KEY, 1, b"%d" % i, now, True, i) for i in range(3)]
    pump(net, peer, lambda _: len(peer.buf) >= 3 * 4)
    assert peer.sock is not None
    peer.sock.close()
    peer.sock = None
    (event,) = pump(net, peer, bool)
    assert type(event) is Disconnect
    assert event == Disconnect(NODE, reqs)
    assert not net.is_connected(NODE)


def test_a_refused_connect_is_a_disconnect_with_no_requests() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    addr = [("127.0.0.1", port)]
    net = SocketNetwork(addr, Cluster(addr), client_id=None)
    try:
        net.maybe_connect(NODE, time.monotonic() * 1000.0)
        events: list[NetworkEvent] = []
        deadline = time.monotonic() + 5
        while not events and time.monotonic() < deadline:
            events = net.poll(50)
        assert events == [Disconnect(NODE, [])]
        assert net.connection_delay_ms(NODE, time.monotonic() * 1000.0) > 0  # backing off
    finally:
        net.close()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=3000)), min_size=1, max_size=12))
def test_every_request_is_reported_once_in_order(plan: list[tuple[bool, bytes]]) -> None:
    """Whatever mix of answered and unanswered requests: one Response per answered one, in
    send order, with its own body; one Sent per unanswered one; nothing else."""
    net, peer = ready_pair()
    try:
        reqs: dict[int, tuple[InFlight, bytes]] = {}
        events: list[NetworkEvent] = []

        def serve(_: list[NetworkEvent]) -> bool:
            # Answer every whole request that has arrived, with its body reversed.
            while (r := peer.request()) is not None:
                q, body = reqs[r[2]]
                assert r[3] == body
                if q.expect_response:
                    peer.answer(r[0], r[1], r[2], body[::-1])
            return net.is_ready(NODE, time.monotonic() * 1000.0)

        for expect, body in plan:
            # One request on the wire at a time, and at most max_in_flight waiting.
            events += pump(net, peer, serve)
            req = net.send(NODE, metadata.API_KEY, 1, body, time.monotonic() * 1000.0, expect, None)
            reqs[req.correlation_id] = (req, body)

        def all_reported(more: list[NetworkEvent]) -> bool:
            serve(more)
            return len(events) + len(more) >= len(reqs)

        events += pump(net, peer, all_reported)
        events += net.poll(0)  # and nothing more comes
        sent = [q for q, _ in reqs.values()]
        assert [e for e in events if type(e) is Sent] == [Sent(NODE, q) for q in sent if not q.expect_response]
        responses = [e for e in events if type(e) is Response]
        assert [(e.node, e.request, bytes(e.body)) for e in responses] == [
            (NODE, q, body[::-1]) for q, body in reqs.values() if q.expect_response]
        assert len(events) == len(plan)
    finally:
        net.close()
        peer.close()
