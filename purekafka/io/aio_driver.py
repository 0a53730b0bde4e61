"""The asyncio driver: the sans-I/O core run by an event loop task, no thread.

Theory of operation. ``SocketNetwork`` keeps its sockets' read/write interest in a
``Poller``; here that is ``LoopPoller``, which hands the interest to the running
loop (``loop.add_reader`` / ``add_writer``) and, when the loop reports a socket
ready, only records it and wakes the driver task. The task (``AioDriver._run``)
is the loop of ``io.thread.IOThread`` with ``await`` where the thread blocks:

    run_once(now) -> events to ``deliver``
    sleep until a socket is ready, ``wakeup()``, or the sender's / network's timer
    on_ready(data, mask, now) for each ready socket; collect(now) -> network events
    network events -> Sender.on_response / on_sent / on_disconnect -> ``deliver``

Everything runs on the loop's thread, so there is no lock: ``send()`` appends to
the accumulator between two steps of the task. Producer-side waits (metadata,
buffer memory, flush, transactions) ``await changed()``, which every turn of the
task that did something completes.

The task ends when the producer has closed and nothing is incomplete, after
``force_close`` (everything still queued or in flight fails), or when it is
cancelled, e.g. by ``asyncio.run`` ending with the producer open: then too every
pending record's future fails, so no send is left waiting forever.
"""
from __future__ import annotations

import asyncio
import logging
import socket
import time
from typing import Any, Callable

from purekafka.core.accumulator import Accumulator
from purekafka.core.sender import BatchResult, Sender
from purekafka.errors import KafkaError
from purekafka.io.dispatch import feed
from purekafka.io.network import SocketNetwork
from purekafka.io.poller import READ, WRITE

__all__ = ["AioDriver", "LoopPoller"]

log = logging.getLogger("purekafka.io")

_INF = float("inf")


class LoopPoller:
    """A ``Poller`` on an asyncio loop: readiness is recorded, then taken by the driver."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        # fd -> [socket, data, watched mask]
        self._watched: dict[int, list[Any]] = {}
        # fd -> ready mask, in the order the loop reported them
        self._ready: dict[int, int] = {}
        self._waiter: asyncio.Future[None] | None = None
        self._woken = False

    # -- the Poller protocol ---------------------------------------------------------
    def register(self, sock: socket.socket, mask: int, data: Any) -> None:
        fd = sock.fileno()
        self._watched[fd] = [sock, data, 0]
        self._watch(fd, mask)

    def modify(self, sock: socket.socket, mask: int, data: Any) -> None:
        entry = self._watched.get(sock.fileno())
        if entry is None:
            self.register(sock, mask, data)
            return
        entry[1] = data
        self._watch(sock.fileno(), mask)

    def unregister(self, sock: socket.socket) -> None:
        fd = sock.fileno()
        if fd < 0:
            # Already closed: find it by the socket object.
            fd = next((f for f, e in self._watched.items() if e[0] is sock), -1)
        if fd in self._watched:
            self._watch(fd, 0)
            del self._watched[fd]
        self._ready.pop(fd, None)

    def select(self, timeout_s: float | None) -> list[tuple[Any, int]]:
        """What the loop reported since the last call (never blocks: the driver awaits)."""
        return self.take()

    def close(self) -> None:
        for fd in list(self._watched):
            self._watch(fd, 0)
        self._watched.clear()
        self._ready.clear()

    # -- the driver's side -------------------------------------------------------------
    def _watch(self, fd: int, mask: int) -> None:
        entry = self._watched[fd]
        old = entry[2]
        loop = self.loop
        if loop.is_closed():
            entry[2] = mask
            return
        if (mask ^ old) & READ:
            if mask & READ:
                loop.add_reader(fd, self._on_event, fd, READ)
            else:
                loop.remove_reader(fd)
        if (mask ^ old) & WRITE:
            if mask & WRITE:
                loop.add_writer(fd, self._on_event, fd, WRITE)
            else:
                loop.remove_writer(fd)
        entry[2] = mask

    def _on_event(self, fd: int, bit: int) -> None:
        self._ready[fd] = self._ready.get(fd, 0) | bit
        self.wake()

    def wake(self) -> None:
        """End the driver's current (or next) wait."""
        self._woken = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def has_news(self) -> bool:
        return bool(self._ready) or self._woken

    def take(self) -> list[tuple[Any, int]]:
        """The ``(data, mask)`` of every socket reported ready since the last take."""
        self._woken = False
        if not self._ready:
            return []
        ready, self._ready = self._ready, {}
        watched = self._watched
        out = []
        for fd, mask in ready.items():
            entry = watched.get(fd)
            if entry is not None:
                out.append((entry[1], mask & entry[2]))
        return out

    async def wait(self, timeout_s: float | None) -> None:
        """Sleep until a socket is ready, ``wake()``, or ``timeout_s`` passes; at least
        one turn of the loop, so other tasks run even when the core is busy."""
        if self.has_news() or timeout_s == 0:
            await asyncio.sleep(0)
            return
        waiter = self._waiter = self.loop.create_future()
        timer = None if timeout_s is None else self.loop.call_later(timeout_s, _resolve, waiter)
        try:
            await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


def _clock_ms() -> float:
    return time.monotonic() * 1000.0


class AioDriver:
    """Runs the sender loop as a task on ``loop`` until the producer closes."""

    def __init__(
        self,
        sender: Sender,
        network: SocketNetwork,
        poller: LoopPoller,
        accumulator: Accumulator,
        deliver: Callable[[list[BatchResult]], None],
        name: str = "purekafka-producer-io",
    ) -> None:
        self.sender = sender
        self.network = network
        self.poller = poller
        self.acc = accumulator
        self.deliver = deliver
        self.name = name
        self.running = False
        self.forced: BaseException | None = None
        self.crashed: BaseException | None = None
        self.task: asyncio.Task[None] | None = None
        # monotonic ms when the current wait ends at the latest (send() skips needless wakeups)
        self.poll_deadline = 0.0
        self._watchers: list[asyncio.Future[None]] = []

    def start(self) -> None:
        self.running = True
        self.task = self.poller.loop.create_task(self._run(), name=self.name)

    def wakeup(self) -> None:
        self.poller.wake()

    def begin_close(self) -> None:
        self.acc.closing = True
        self.poller.wake()

    def force_close(self, exc: BaseException) -> None:
        self.forced = exc
        self.acc.closing = True
        self.poller.wake()

    async def changed(self, timeout_s: float | None) -> None:
        """Wait until the driver next did something (or the timeout passed, or it stopped)."""
        if not self.running:
            return
        fut: asyncio.Future[None] = self.poller.loop.create_future()
        self._watchers.append(fut)
        timer = None if timeout_s is None else self.poller.loop.call_later(
            max(0.0, timeout_s), _resolve, fut)
        try:
            await fut
        finally:
            if timer is not None:
                timer.cancel()
            if not fut.done():  # cancelled while waiting: the list no longer needs it
                try:
                    self._watchers.remove(fut)
                except ValueError:
                    pass

    def _notify(self) -> None:
        watchers = self._watchers
        if watchers:
            self._watchers = []
            for fut in watchers:
                if not fut.done():
                    fut.set_result(None)

    def _finished(self) -> bool:
        acc = self.acc
        return acc.closing and not acc.has_incomplete() and not self.network.pending_writes()

    async def _run(self) -> None:
        sender = self.sender
        network = self.network
        poller = self.poller
        deliver = self.deliver
        try:
            while True:
                now = _clock_ms()
                if self.forced is not None:
                    sender.fail_all(self.forced, now)
                    deliver(sender.pop_events())
                    break
                if self._finished():
                    break
                timeout = sender.run_once(now)
                events = sender.pop_events()
                if events:
                    deliver(events)
                if self._finished():
                    timeout = 0.0
                now = _clock_ms()
                timeout = min(timeout, network.next_timeout_ms(now))
                self.poll_deadline = now + timeout
                self._notify()
                await poller.wait(None if timeout == _INF else max(0.0, timeout) / 1000.0)
                now = _clock_ms()
                self.poll_deadline = now  # awake: no wakeup needed until the next wait
                for data, mask in poller.take():
                    network.on_ready(data, mask, now)
                results = network.collect(now)
                if results:
                    feed(sender, network, results, now)
                    events = sender.pop_events()
                    if events:
                        deliver(events)
        except asyncio.CancelledError:
            # The loop is going away with the producer open (asyncio.run ending, or the
            # task cancelled): whatever is pending fails now rather than never.
            self._fail_everything(KafkaError(
                "the producer's event-loop task was cancelled (the loop stopped or closed "
                "before stop()); records not yet delivered are failed"))
            raise
        except BaseException as e:  # noqa: BLE001 - the task must report, not vanish
            log.exception("purekafka asyncio driver crashed")
            self.crashed = e
            self._fail_everything(KafkaError(f"producer I/O task crashed: {e!r}"))
        finally:
            self.running = False
            network.close()
            self._notify()

    def _fail_everything(self, exc: BaseException) -> None:
        try:
            self.sender.fail_all(exc, _clock_ms())
            self.deliver(self.sender.pop_events())
        except Exception:  # noqa: BLE001 - already failing; log, keep closing
            log.exception("failing pending records failed")
