"""The network's results handed to the sender: the step both drivers share.

``io.thread.IOThread`` calls ``feed`` with the producer's lock held, ``io.aio_driver.AioDriver``
on the loop's thread. Nothing a broker sends may stop the driver: a response the sender
cannot handle closes its connection instead of raising.
"""
from __future__ import annotations

import logging
from typing import Protocol

from purekafka.core.events import Disconnect, InFlight, NetworkEvent, Response, Sent
from purekafka.core.sender import Sender
from purekafka.errors import KafkaError
from purekafka.io.network import SocketNetwork

__all__ = ["BrokenCloser", "dispatch", "feed"]

log = logging.getLogger("purekafka.io")


class BrokenCloser(Protocol):
    """What ``dispatch`` needs of the network: ``SocketNetwork.close_broken``."""

    def close_broken(self, node_id: int, reason: str, lost: list[InFlight]) -> None: ...


def feed(sender: Sender, network: SocketNetwork, results: list[NetworkEvent], now: float) -> None:
    """``dispatch`` each of ``results``; then, if authentication failed and no connection is
    up, fail the records waiting for one with that error (flush() returns, futures fail)
    instead of at delivery_timeout_ms. Retrying is the node's reconnect backoff's business."""
    for event in results:
        dispatch(sender, network, event, now)
    exc = network.auth_error
    if exc is not None and not any(network.is_connected(n) for n in list(network.nodes)):
        sender.abort_queued(exc, now)


def dispatch(sender: Sender, network: BrokenCloser, event: NetworkEvent, now: float) -> None:
    """Feed one ``event`` to ``sender``; a response it cannot handle closes its connection."""
    # Response first: it is nearly every event.
    if isinstance(event, Response):
        try:
            sender.on_response(event.node, event.request, event.body, now)
        except Exception as e:  # noqa: BLE001 - nothing a broker sends may stop the driver
            # A body that does not parse (DecodeError), or one that does but that a handler
            # chokes on: either way this stream cannot be trusted. The request is then lost
            # with its connection (outcome unknown, retried as after a disconnect), reported
            # by the network's next poll.
            if not isinstance(e, KafkaError):
                log.warning("node %s: handling a response failed", event.node, exc_info=True)
            network.close_broken(event.node, f"{type(e).__name__}: {e}", [event.request])
    elif isinstance(event, Sent):
        sender.on_sent(event.node, event.request, now)
    elif isinstance(event, Disconnect):
        sender.on_disconnect(event.node, event.requests, now)
    else:
        raise TypeError(f"not a network event: {event!r}")
