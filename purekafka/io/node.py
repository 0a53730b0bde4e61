"""One broker connection's bookkeeping in ``SocketNetwork``: its state, socket, TLS
session, SASL sub-state and write queue; and the helpers that need no network object."""
from __future__ import annotations

import logging
import socket
from collections import deque
from enum import Enum
from typing import Any

from purekafka.core.connection import Connection
from purekafka.core.events import InFlight
from purekafka.errors import DecodeError
from purekafka.io.auth import NodeAuth
from purekafka.io.tls import TlsTransport
from purekafka.protocol import api_versions as _av
from purekafka.protocol.headers import response_header_version

__all__ = ["ConnectionState", "Node", "Out", "body_offset", "canonical_bootstrap", "SOFTWARE_VERSION"]

log = logging.getLogger("purekafka.io")


def canonical_bootstrap(addresses: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """``client_dns_lookup=resolve_canonical_bootstrap_servers_only``: each bootstrap host
    becomes one entry per canonical name the resolver reports for it (as kafka-python
    does; Kerberos setups need each broker's own name). A host that does not resolve is
    kept as it is, so bootstrap still tries it."""
    out: list[tuple[str, int]] = []
    for host, port in addresses:
        try:
            infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM, 0, socket.AI_CANONNAME)
        except (OSError, ValueError) as e:
            log.warning("canonical resolution of %s:%s failed (%s); keeping it as given", host, port, e)
            out.append((host, port))
            continue
        names = dict.fromkeys(info[3] or host for info in infos)
        out.extend((name, port) for name in names)
    return out


class ConnectionState(Enum):
    """Where a node's connection is (the diagram in ``io.network``)."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    HANDSHAKING = "tls-handshake"
    NEGOTIATING = "negotiating"
    AUTHENTICATING = "authenticating"
    READY = "ready"


DISCONNECTED = ConnectionState.DISCONNECTED


def _software_version() -> str:
    # Read from the installed distribution: importing the package root from here
    # would point the imports upwards.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("purekafka")
    except PackageNotFoundError:
        return "0.0.0"


SOFTWARE_VERSION = _software_version()


def body_offset(api_key: int, version: int, frame: memoryview) -> int:
    if response_header_version(api_key, version) == 0:
        return 4
    # Flexible response header: correlation id, then tagged fields (almost always none).
    if len(frame) <= 4:
        raise DecodeError("response ends before its header's tagged fields",
                          offset=len(frame), field="_tagged_fields")
    if frame[4] == 0:
        return 5
    from purekafka.protocol.headers import decode_response_header

    return decode_response_header(bytes(frame), 1)[1]


class Out:
    """Bytes still to write (a request's frame; on a TLS connection its ciphertext, or TLS's
    own records); ``request`` is set when no response will come."""

    __slots__ = ("data", "request")

    def __init__(self, data: memoryview, request: InFlight | None) -> None:
        self.data = data
        self.request = request


class Node:
    """One broker's connection as ``SocketNetwork`` keeps it."""

    __slots__ = (
        "node_id", "host", "port", "sock", "state", "conn", "out", "versions",
        "failures", "next_attempt_ms", "last_activity_ms", "av_version", "registered", "addrs",
        "tls", "auth",
    )

    def __init__(self, node_id: int) -> None:
        self.node_id = node_id
        self.host = ""
        self.port = 0
        self.sock: socket.socket | None = None
        self.state: ConnectionState = DISCONNECTED
        self.conn: Connection | None = None
        self.out: deque[Out] = deque()
        self.versions: dict[int, int] = {}
        self.failures = 0
        self.next_attempt_ms = 0.0
        self.last_activity_ms = 0.0
        self.av_version = _av.MAX_VERSION
        self.registered = 0
        # Resolved addresses not tried yet in the current connection attempt.
        self.addrs: list[Any] = []
        self.tls: TlsTransport | None = None
        self.auth = NodeAuth()
