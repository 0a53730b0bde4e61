"""The producer's background I/O thread.

One daemon thread per producer runs the loop that joins the sans-I/O core to the
sockets: ``sender.run_once`` (under the producer's lock, since ``send()`` appends
to the same accumulator), then ``network.poll`` (without the lock, so ``send()``
never waits on the network), then the network's results fed back to the sender
(under the lock again). The events the sender emits are handed to ``deliver``
*outside* the lock: that is where futures complete and user callbacks run, so
a slow callback delays the I/O thread but never blocks ``send()``.

``send()`` wakes the thread (``SocketNetwork.wakeup``) when it opens a new batch, as
kafka-python and Java do; between wakeups the thread sleeps for exactly as long
as the sender asked (linger, backoff, metadata age, request timeouts).

Shutdown: ``begin_close()`` marks the accumulator as closing (every batch is
ready at once); the loop ends when nothing is left incomplete, or at once
after ``force_close``, which fails whatever is still queued or in flight.

Interpreter exit: the thread is a daemon, so a thread that cannot finish never
holds the process. Instead, as kafka-python 3 does, an exit hook closes every
producer still open (``close_at_exit``) with a one-second timeout, and gives the
threads of collected producers (``close_in_background``) one second to finish.
The hook holds both weakly: it never keeps a producer from being collected.
"""
from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from typing import Any, Callable, Protocol

from purekafka.core.accumulator import Accumulator
from purekafka.core.cluster import Cluster
from purekafka.core.sender import BatchResult, Sender
from purekafka.errors import KafkaError, KafkaTimeoutError
from purekafka.io.dispatch import feed
from purekafka.io.network import SocketNetwork

__all__ = ["EXIT_CLOSE_TIMEOUT_S", "IOThread", "close_at_exit", "forget_at_exit"]

log = logging.getLogger("purekafka.io")


class IOThread(threading.Thread):
    """Runs the sender loop until the producer closes."""

    def __init__(
        self,
        sender: Sender,
        network: SocketNetwork,
        accumulator: Accumulator,
        lock: threading.Condition,
        deliver: Callable[[list[BatchResult]], None],
        name: str = "purekafka-producer-io",
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.sender = sender
        self.network = network
        self.acc = accumulator
        self.cond = lock
        self.deliver = deliver
        self.running = True
        self.forced: BaseException | None = None
        self.crashed: BaseException | None = None
        # monotonic ms when the current poll ends at the latest (inf: until woken)
        self.poll_deadline = 0.0

    def wakeup(self) -> None:
        self.network.wakeup()

    @property
    def auth_error(self) -> KafkaError | None:
        """The last authentication failure (SASL or TLS verification), until a connection
        authenticates again."""
        return self.network.auth_error

    def begin_close(self) -> None:
        with self.cond:
            self.acc.closing = True
            self.cond.notify_all()
        self.network.wakeup()

    def bootstrap(self, cluster: Cluster, timeout_s: float, servers: object) -> None:
        """Wait until a broker answered Metadata naming the cluster's brokers (kafka-python
        3's bootstrap). If ``timeout_s`` passes first (or the thread stopped), stop the
        thread and raise kafka-python's ``KafkaTimeoutError``."""
        deadline = time.monotonic() + timeout_s
        with self.cond:
            while cluster.last_success_ms is None or not cluster.brokers:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.running or self.network.auth_error is not None:
                    break
                self.network.wakeup()
                self.cond.wait(min(remaining, 0.1))
            else:
                return
        # Wrong credentials or an untrusted broker fail now, not after the bootstrap timeout.
        error: KafkaError = self.network.auth_error or KafkaTimeoutError(f"Unable to bootstrap from {servers}")
        self.force_close(error)
        self.join()
        raise error

    def close_in_background(self) -> None:
        """``begin_close`` without waiting; interpreter exit still waits (briefly) for it."""
        self.begin_close()
        _draining.add(self)

    def force_close(self, exc: BaseException) -> None:
        with self.cond:
            self.forced = exc
            self.acc.closing = True
        self.network.wakeup()

    def _finished(self) -> bool:
        acc = self.acc
        # acks=0 batches complete only once written, so has_incomplete covers them;
        # waiting for the write buffers as well means closing never cuts a request.
        return acc.closing and not acc.has_incomplete() and not self.network.pending_writes()

    def run(self) -> None:
        sender = self.sender
        network = self.network
        cond = self.cond
        try:
            while True:
                with cond:
                    now = time.monotonic() * 1000.0
                    if self.forced is not None:
                        self._fail_everything(self.forced, now)
                        events = sender.pop_events()
                        cond.notify_all()
                        break
                    if self._finished():
                        events = []
                        break
                    timeout = sender.run_once(now)
                    events = sender.pop_events()
                    if events:
                        cond.notify_all()
                    if self._finished():
                        timeout = 0.0  # done: nothing left to wait for
                    # send() reads this (under the lock) to skip needless wakeups.
                    self.poll_deadline = now + timeout
                if events:
                    self.deliver(events)
                results = network.poll(timeout)
                if not results:
                    continue
                with cond:
                    now = time.monotonic() * 1000.0
                    self.poll_deadline = now  # awake: no wakeup needed until the next poll
                    feed(sender, network, results, now)
                    events = sender.pop_events()
                    cond.notify_all()
                if events:
                    self.deliver(events)
            if events:
                self.deliver(events)
        except BaseException as e:  # noqa: BLE001 - the thread must report, not vanish
            log.exception("purekafka I/O thread crashed")
            self.crashed = e
            with cond:
                self._fail_everything(KafkaError(f"producer I/O thread crashed: {e!r}"),
                                      time.monotonic() * 1000.0)
                events = sender.pop_events()
                cond.notify_all()
            self.deliver(events)
        finally:
            self.running = False
            network.close()
            with cond:
                cond.notify_all()

    def _fail_everything(self, exc: BaseException, now: float) -> None:
        """Fail queued and in-flight batches (forced close or crash)."""
        self.sender.fail_all(exc, now)


class _Closable(Protocol):
    def close(self, timeout: float | None = None) -> Any: ...


EXIT_CLOSE_TIMEOUT_S = 1.0  # kafka-python 3's close(timeout=1) at exit
_open: weakref.WeakSet[Any] = weakref.WeakSet()
_draining: weakref.WeakSet[IOThread] = weakref.WeakSet()


def close_at_exit(owner: _Closable) -> None:
    """Have ``owner.close(1.0)`` run at interpreter exit unless it was closed before."""
    _open.add(owner)


def forget_at_exit(owner: _Closable) -> None:
    _open.discard(owner)


def _close_at_exit() -> None:
    for owner in list(_open):
        try:
            owner.close(EXIT_CLOSE_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - one producer's failure must not stop the others
            log.exception("closing a producer at interpreter exit failed")
    deadline = time.monotonic() + EXIT_CLOSE_TIMEOUT_S
    for io in list(_draining):
        io.join(max(0.0, deadline - time.monotonic()))


# Registered once, at import: atexit runs handlers last-in first-out, so those the
# application registers later (which may still send) run before producers close.
atexit.register(_close_at_exit)
