"""What crosses the seam between the core and a network driver, as plain values.

A driver (``purekafka.io.network.SocketNetwork`` today, an asyncio one tomorrow) hands
the core an ``InFlight`` for every request it queues, and reports what became of it
with one of three events, each for the sender's method of the same meaning:

* ``Response(node, request, body)``: the broker answered; ``body`` follows the
  response header (``Sender.on_response``).
* ``Sent(node, request)``: a request that gets no answer (Produce with acks=0) is
  written in full (``Sender.on_sent``).
* ``Disconnect(node, requests)``: the connection is gone, with the requests it held,
  in send order; ``requests`` may be empty (a connect that failed) (``Sender.on_disconnect``).

Sans-I/O: nothing here knows about sockets, threads or clocks.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

__all__ = ["Disconnect", "InFlight", "NetworkEvent", "Response", "Sent"]


@dataclass(slots=True)
class InFlight:
    """A request written to the broker and waiting for its response."""

    correlation_id: int
    api_key: int
    api_version: int
    sent_ms: float
    expect_response: bool
    context: Any = None


@dataclass(frozen=True, slots=True)
class Response:
    """A response frame from ``node`` matched to the ``request`` it answers."""

    node: int
    request: InFlight
    body: memoryview


@dataclass(frozen=True, slots=True)
class Sent:
    """``request`` (one that gets no response) is written to ``node`` in full."""

    node: int
    request: InFlight


@dataclass(frozen=True, slots=True)
class Disconnect:
    """The connection to ``node`` is gone; ``requests`` went with it, oldest first."""

    node: int
    requests: list[InFlight]


NetworkEvent: TypeAlias = Response | Sent | Disconnect
