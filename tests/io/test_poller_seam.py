"""The readiness seam: SocketNetwork driven through a Poller of the test's own, by calling
``on_ready`` and ``collect`` directly, as an event-loop driver does."""
from __future__ import annotations

import select
import socket
import time
from typing import Any

from purekafka.core.cluster import Cluster
from purekafka.core.events import NetworkEvent, Response
from purekafka.io.network import SocketNetwork
from purekafka.io.poller import READ, WRITE
from purekafka.protocol import api_versions as av
from purekafka.protocol import metadata
from tests.io.test_socket_network import NODE, THEIR_VERSIONS, Peer


class RecordingPoller:
    """Keeps interest in a dict and answers ``select`` with ``select.select``; records calls."""

    def __init__(self) -> None:
        self.interest: dict[socket.socket, tuple[int, Any]] = {}
        self.calls: list[str] = []

    def register(self, sock: socket.socket, mask: int, data: Any) -> None:
        assert sock not in self.interest
        self.calls.append("register")
        self.interest[sock] = (mask, data)

    def modify(self, sock: socket.socket, mask: int, data: Any) -> None:
        assert sock in self.interest
        self.calls.append("modify")
        self.interest[sock] = (mask, data)

    def unregister(self, sock: socket.socket) -> None:
        self.calls.append("unregister")
        self.interest.pop(sock, None)

    def select(self, timeout_s: float | None) -> list[tuple[Any, int]]:
        raise AssertionError("the driver under test never calls select through the network")

    def close(self) -> None:
        self.calls.append("close")

    def ready(self, timeout_s: float) -> list[tuple[Any, int]]:
        """What an event loop would report: (data, mask) per ready socket."""
        rs = [s for s, (m, _) in self.interest.items() if m & READ]
        ws = [s for s, (m, _) in self.interest.items() if m & WRITE]
        r, w, _ = select.select(rs, ws, [], timeout_s)
        out: dict[socket.socket, int] = {}
        for s in r:
            out[s] = out.get(s, 0) | READ
        for s in w:
            out[s] = out.get(s, 0) | WRITE
        return [(self.interest[s][1], m) for s, m in out.items()]


def drive(net: SocketNetwork, poller: RecordingPoller, peer: Peer, until: Any) -> list[NetworkEvent]:
    events: list[NetworkEvent] = []
    deadline = time.monotonic() + 5
    while not until(events):
        assert time.monotonic() < deadline, f"timed out; events so far: {events}"
        now = time.monotonic() * 1000.0
        wait = min(0.01, net.next_timeout_ms(now) / 1000.0)
        for data, mask in poller.ready(wait):
            net.on_ready(data, mask, time.monotonic() * 1000.0)
        events += net.collect(time.monotonic() * 1000.0)
        peer.serve()
    return events


def test_a_foreign_poller_drives_negotiation_and_a_response() -> None:
    peer = Peer()
    poller = RecordingPoller()
    addr = [("127.0.0.1", peer.port)]
    net = SocketNetwork(addr, Cluster(addr), client_id="seam", poller=poller)
    try:
        net.maybe_connect(NODE, time.monotonic() * 1000.0)
        answered: list[int] = []

        def negotiated(_: list[NetworkEvent]) -> bool:
            if not answered and (req := peer.request()) is not None:
                answered.append(req[2])
                keys = [av.ApiVersion(k, lo, hi) for k, (lo, hi) in THEIR_VERSIONS.items()]
                peer.answer(req[0], req[1], req[2],
                            av.encode_response(av.ApiVersionsResponse(api_keys=keys), req[1]))
            return net.is_ready(NODE, time.monotonic() * 1000.0)

        assert drive(net, poller, peer, negotiated) == []
        version = net.api_version(NODE, metadata.API_KEY)
        assert version is not None
        req = net.send(NODE, metadata.API_KEY, version, b"q", time.monotonic() * 1000.0, True, None)

        def reply(events: list[NetworkEvent]) -> bool:
            if (r := peer.request()) is not None:
                peer.answer(r[0], r[1], r[2], b"A")
            return bool(events)

        (event,) = drive(net, poller, peer, reply)
        assert type(event) is Response and event.request == req and bytes(event.body) == b"A"
        net.wakeup()  # the wakeup pair goes through the poller too: data None drains it
        assert any(data is None for data, _ in poller.ready(1.0))
        net.on_ready(None, READ, time.monotonic() * 1000.0)
        assert not any(data is None for data, _ in poller.ready(0))
    finally:
        net.close()
        peer.close()
    assert poller.calls[0] == "register" and poller.calls[-1] == "close"
    assert poller.interest == {}  # every socket unregistered at close
