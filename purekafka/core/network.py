"""What the sans-I/O core needs from the I/O layer: the ``Network`` protocol.

The sender (``core.sender``) and its transactional request path
(``core.txn_sender``) reach the brokers only through these methods. The socket
implementation is ``purekafka.io.network.SocketNetwork``; unit tests use
``tests/support/fake_network.py``. A second driver (asyncio) must provide exactly
this, so every method the core calls is listed here and nothing else.

Requests go out with ``send``; what happened to them comes back to the sender
through ``Sender.on_response`` / ``on_sent`` / ``on_disconnect``, called by the
I/O layer with the ``InFlight`` that ``send`` returned.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from purekafka.core.events import InFlight

__all__ = ["Network"]


class Network(Protocol):
    """What the sender needs from the I/O layer."""

    def is_ready(self, node_id: int, now_ms: float) -> bool:
        """Connected, versions negotiated, and below the in-flight limit."""

    def maybe_connect(self, node_id: int, now_ms: float) -> None:
        """Start connecting to ``node_id`` unless connected or backing off."""

    def connection_delay_ms(self, node_id: int, now_ms: float) -> float:
        """How long until something can happen on ``node_id`` (reconnect backoff)."""

    def api_version(self, node_id: int, api_key: int) -> int | None:
        """The negotiated version of ``api_key`` on ``node_id`` (None: unsupported/unknown)."""

    def least_loaded_node(self, now_ms: float) -> int | None:
        """A node for cluster-wide requests: a ready one, else one worth connecting to."""

    def add_address(self, node_id: int, host: str, port: int) -> None:
        """Remember a broker's address learnt outside Metadata (a coordinator)."""

    @property
    def finalized_features(self) -> Mapping[str, int]:
        """Finalized feature levels from the last ApiVersions (e.g. ``transaction.version``)."""

    def send(
        self, node_id: int, api_key: int, version: int, body: bytes, now_ms: float,
        expect_response: bool, context: Any,
    ) -> InFlight:
        """Queue a request for writing. One with ``expect_response=False`` must be
        reported back through ``on_sent`` once written in full, or through
        ``on_disconnect`` if its connection goes first."""
