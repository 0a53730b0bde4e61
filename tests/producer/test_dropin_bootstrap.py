"""Drop-in: the constructor bootstraps as kafka-python 3's does, and every resolved address
of a name is tried (client_dns_lookup)."""
from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import purekafka.io.network as network_module
from purekafka import KafkaProducer
from purekafka import errors as Errors
from purekafka.core.cluster import Cluster
from purekafka.io.network import SocketNetwork, canonical_bootstrap


def _dead_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()
    return port


_real_getaddrinfo = socket.getaddrinfo


def _fake_dns(monkeypatch: pytest.MonkeyPatch, name: str, addresses: list[tuple[str, int]],
              canonical: list[str] | None = None) -> list[str]:
    """Make ``name`` resolve to ``addresses`` (in that order); other names resolve for real.
    Returns the list the lookups of ``name`` are recorded in."""
    looked_up: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host != name:
            return _real_getaddrinfo(host, port, *args, **kwargs)
        looked_up.append(host)
        canon = canonical or [""] * len(addresses)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, canon[i], addr)
                for i, addr in enumerate(addresses)]

    monkeypatch.setattr(network_module.socket, "getaddrinfo", getaddrinfo)
    return looked_up


# -- no broker ---------------------------------------------------------------------------

def test_no_reachable_broker_fails_the_constructor_after_bootstrap_timeout_ms() -> None:
    before = threading.active_count()
    address = f"127.0.0.1:{_dead_port()}"
    t0 = time.monotonic()
    with pytest.raises(Errors.KafkaTimeoutError, match=f"^KafkaTimeoutError: Unable to bootstrap from {address}$"):
        KafkaProducer(bootstrap_servers=address, bootstrap_timeout_ms=600,
                      reconnect_backoff_ms=20, reconnect_backoff_max_ms=50)
    elapsed = time.monotonic() - t0
    assert 0.55 <= elapsed < 5, elapsed
    assert threading.active_count() == before  # its I/O thread is gone


def test_an_unresolvable_name_fails_the_same_way() -> None:
    with pytest.raises(Errors.KafkaTimeoutError, match="Unable to bootstrap"):
        KafkaProducer(bootstrap_servers="nosuchhost.invalid:9092", bootstrap_timeout_ms=300)


def test_bootstrap_timeout_zero_fails_at_once() -> None:
    t0 = time.monotonic()
    with pytest.raises(Errors.KafkaTimeoutError):
        KafkaProducer(bootstrap_servers=f"127.0.0.1:{_dead_port()}", bootstrap_timeout_ms=0)
    assert time.monotonic() - t0 < 2


def test_with_api_version_the_constructor_does_not_bootstrap() -> None:
    t0 = time.monotonic()
    p = KafkaProducer(bootstrap_servers=f"127.0.0.1:{_dead_port()}", api_version=(4, 0),
                      bootstrap_timeout_ms=5000)
    try:
        assert time.monotonic() - t0 < 2 and not p.bootstrap_connected()
    finally:
        p.close(0)


def test_every_resolved_address_is_tried_in_order(monkeypatch) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    live = listener.getsockname()[1]
    looked_up = _fake_dns(monkeypatch, "multi.test",
                          [("127.0.0.1", _dead_port()), ("127.0.0.1", _dead_port()), ("127.0.0.1", live)])
    net = SocketNetwork([("multi.test", 9092)], Cluster([("multi.test", 9092)]), client_id=None)
    try:
        net.maybe_connect(-1, time.monotonic() * 1000.0)
        listener.setblocking(False)
        accepted = None
        deadline = time.monotonic() + 5
        while accepted is None and time.monotonic() < deadline:
            assert not net.poll(20), "no Disconnect while addresses remain"
            try:
                accepted, _ = listener.accept()
            except BlockingIOError:
                pass
        assert accepted is not None, "the third address was never tried"
        accepted.close()
        assert looked_up == ["multi.test"]
        assert net.nodes[-1].failures == 0
    finally:
        net.close()
        listener.close()


def test_when_every_address_fails_the_node_backs_off_once(monkeypatch) -> None:
    _fake_dns(monkeypatch, "dead.test", [("127.0.0.1", _dead_port()), ("127.0.0.1", _dead_port())])
    net = SocketNetwork([("dead.test", 9092)], Cluster([("dead.test", 9092)]), client_id=None)
    try:
        net.maybe_connect(-1, time.monotonic() * 1000.0)
        events: list[Any] = []
        deadline = time.monotonic() + 5
        while not events and time.monotonic() < deadline:
            events = net.poll(50)
        assert [type(e).__name__ for e in events] == ["Disconnect"]
        assert net.nodes[-1].failures == 1 and not net.nodes[-1].addrs
    finally:
        net.close()


def test_canonical_bootstrap_expands_to_each_canonical_name(monkeypatch) -> None:
    _fake_dns(monkeypatch, "round-robin.test", [("10.0.0.1", 9092), ("10.0.0.2", 9092), ("10.0.0.3", 9092)],
              canonical=["b1.test", "b2.test", "b1.test"])
    assert canonical_bootstrap([("round-robin.test", 9093), ("nosuchhost.invalid", 9094)]) == [
        ("b1.test", 9093), ("b2.test", 9093), ("nosuchhost.invalid", 9094)]


# -- against the broker ------------------------------------------------------------------

@pytest.mark.broker
def test_the_constructor_returns_bootstrapped(kafka) -> None:
    with KafkaProducer(bootstrap_servers=kafka.bootstrap) as p:
        assert p.bootstrap_connected() and p._cluster.brokers


@pytest.mark.broker
def test_a_name_whose_first_address_is_dead_still_bootstraps(kafka, topic_factory, monkeypatch) -> None:
    topic = topic_factory()
    host, port = kafka.bootstrap.split(",")[0].rsplit(":", 1)
    _fake_dns(monkeypatch, "kafka.test", [("127.0.0.1", _dead_port()), (socket.gethostbyname(host), int(port))])
    with KafkaProducer(bootstrap_servers=f"kafka.test:{port}", bootstrap_timeout_ms=10_000,
                       client_dns_lookup="use_all_dns_ips") as p:
        assert p.send(topic, b"v").get(30).offset == 0


@pytest.mark.broker
def test_resolve_canonical_bootstrap_servers_only_bootstraps(kafka, monkeypatch) -> None:
    host, port = kafka.bootstrap.split(",")[0].rsplit(":", 1)
    _fake_dns(monkeypatch, "alias.test", [(socket.gethostbyname(host), int(port))], canonical=[host])
    with KafkaProducer(bootstrap_servers=f"alias.test:{port}",
                       client_dns_lookup="resolve_canonical_bootstrap_servers_only") as p:
        assert p._network.bootstrap == [(host, int(port))] and p.bootstrap_connected()


@settings(max_examples=12, deadline=None)
@given(dead_before=st.integers(0, 3), live=st.booleans())
def test_addresses_are_tried_until_one_answers_and_only_then_does_the_node_back_off(
        dead_before: int, live: bool) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    addresses = [("127.0.0.1", _dead_port()) for _ in range(dead_before)]
    if live:
        addresses.append(listener.getsockname())
    with pytest.MonkeyPatch.context() as mp:
        _fake_dns(mp, "p.test", addresses)
        net = SocketNetwork([("p.test", 9092)], Cluster([("p.test", 9092)]), client_id=None)
        try:
            net.maybe_connect(-1, time.monotonic() * 1000.0)
            events: list[Any] = []
            accepted = None
            deadline = time.monotonic() + 5
            while accepted is None and not events and time.monotonic() < deadline:
                events = net.poll(20)
                try:
                    accepted, _ = listener.accept()
                except BlockingIOError:
                    pass
            if live:
                assert accepted is not None and events == [] and net.nodes[-1].failures == 0
                accepted.close()
            else:
                assert [type(e).__name__ for e in events] == ["Disconnect"]
                assert net.nodes[-1].failures == 1
        finally:
            net.close()
            listener.close()
