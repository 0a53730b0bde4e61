"""The readiness seam between ``SocketNetwork`` and whatever waits on its sockets.

``SocketNetwork`` never calls ``selectors`` itself: it registers each socket with a
``Poller`` (interest ``READ`` and/or ``WRITE``, and an opaque ``data`` value it gets
back), and is told about readiness through ``SocketNetwork.on_ready(data, mask,
now_ms)``. ``SelectorPoller`` is the selector-based one the I/O thread uses through
``SocketNetwork.poll``; an event-loop driver supplies its own (e.g. one built on
``loop.add_reader``/``add_writer``) and calls ``on_ready`` and ``collect`` itself.
"""
from __future__ import annotations

import selectors
import socket
from typing import Any, Protocol

__all__ = ["READ", "WRITE", "Poller", "SelectorPoller"]

READ = selectors.EVENT_READ
WRITE = selectors.EVENT_WRITE


class Poller(Protocol):
    """Where a socket's read/write interest is kept."""

    def register(self, sock: socket.socket, mask: int, data: Any) -> None:
        """Start watching ``sock`` for ``mask`` (``READ | WRITE``); ``data`` comes back with it."""

    def modify(self, sock: socket.socket, mask: int, data: Any) -> None:
        """Change what ``sock`` is watched for."""

    def unregister(self, sock: socket.socket) -> None:
        """Stop watching ``sock`` (a socket not watched is no error)."""

    def select(self, timeout_s: float | None) -> list[tuple[Any, int]]:
        """Wait up to ``timeout_s`` (None: forever); the ``(data, mask)`` of each ready socket."""

    def close(self) -> None:
        """Release the poller's own resources."""


class SelectorPoller:
    """A ``Poller`` over ``selectors.DefaultSelector``."""

    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()

    def register(self, sock: socket.socket, mask: int, data: Any) -> None:
        self.selector.register(sock, mask, data)

    def modify(self, sock: socket.socket, mask: int, data: Any) -> None:
        self.selector.modify(sock, mask, data)

    def unregister(self, sock: socket.socket) -> None:
        try:
            self.selector.unregister(sock)
        except (KeyError, ValueError):
            pass

    def select(self, timeout_s: float | None) -> list[tuple[Any, int]]:
        try:
            ready = self.selector.select(timeout_s)
        except InterruptedError:
            return []
        return [(key.data, mask) for key, mask in ready]

    def close(self) -> None:
        self.selector.close()
