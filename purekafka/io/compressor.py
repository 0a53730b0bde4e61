"""A thread that compresses full batches, so that the sending thread need not.

Why a thread, and why only for zstd: the codecs release the GIL while they compress, but
a thread coming back from such a call waits for the GIL, and a sending thread busy in
``send()`` gives it up only every switch interval (5 ms). One batch per call would cost a
compressing thread ~5 ms a batch, far slower than compressing inline. zstd can compress
a whole backlog in one GIL-free call (``codecs.compress_many``): the thread pays the wait
once per backlog, and the backlog grows until compressing keeps pace. The sending thread
then spends no time compressing, and the compression runs on the second core.

The snapshots waiting here are copies outside ``buffer_memory``, so their total is capped
(the producer gives an eighth of ``buffer_memory``): past it, ``submit`` refuses and the
sending thread compresses that batch itself, as without this thread.

The batches are sealed (``Accumulator.begin_seal``) while they wait here: neither ready nor
drained until ``finish`` ends the seal. The seal is a lease, so a thread that falls behind
or dies only sends the batch later, compressed by ``build()`` as without sealing; an error
compressing does the same. The thread starts on the first batch and ends after
``IDLE_S`` without work, so a producer that stops sending keeps no thread for it.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any, Callable

from purekafka.record.codecs import compress_many

__all__ = ["BatchCompressor", "IDLE_S"]

log = logging.getLogger("purekafka.io")

IDLE_S = 1.0

# (batch, its records' snapshot (count, bytes)); finish gets (batch, count, payload or None).
Snapshot = tuple[int, bytes]
Finish = Callable[[list[tuple[Any, int, "bytes | None"]]], None]


class BatchCompressor:
    """Compresses submitted batch snapshots on its own thread, a backlog at a time."""

    def __init__(self, compression_type: int, level: int | None, finish: Finish,
                 max_backlog_bytes: int, name: str = "purekafka-compressor") -> None:
        self._type = compression_type
        self._level = level
        self._finish = finish
        self._name = name
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[tuple[Any, Snapshot]] = deque()
        # The snapshots are copies outside buffer_memory: their total (queued or being
        # compressed) is capped, and a sender finding the cap reached compresses its batch
        # itself, so both cores compress and the copies never outgrow the cap.
        self._max_backlog = max_backlog_bytes
        self._backlog = 0
        self._running = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.compressed = 0  # batches compressed here (read by tests and benchmarks)

    def submit(self, batch: Any, snapshot: Snapshot) -> bool:
        """Queue ``batch`` (sealed by the caller) for compressing; never blocks on the work.
        False, queuing nothing, when the backlog is at its cap: the caller compresses it."""
        with self._cond:
            size = len(snapshot[1])
            if self._backlog and self._backlog + size > self._max_backlog:
                return False
            self._queue.append((batch, snapshot))
            self._backlog += size
            if self._running:
                self._cond.notify()
                return True
            thread = None
            if not self._stopping:
                self._running = True
                thread = self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        if thread is not None:
            try:
                thread.start()
                return True
            except RuntimeError:  # the interpreter is shutting down: no new threads
                with self._cond:
                    self._running = False
        self._drain_inline()  # stopped: the caller compresses
        return True

    def stop(self, timeout: float = IDLE_S) -> None:
        """End the thread once what is queued is compressed (the producer closes); later
        submissions compress in the submitting thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _take(self) -> list[tuple[Any, Snapshot]]:
        """Everything queued; empty once idle for ``IDLE_S`` (the thread then ends)."""
        with self._cond:
            if not self._queue and not self._stopping:
                self._cond.wait(IDLE_S)
            if not self._queue:
                self._running = False
                return []
            return self._take_all()

    def _take_all(self) -> list[tuple[Any, Snapshot]]:
        items = list(self._queue)
        self._queue.clear()
        return items

    def _run(self) -> None:
        while True:
            items = self._take()
            if not items:
                return
            self._compress(items)

    def _drain_inline(self) -> None:
        with self._cond:
            items = self._take_all()
        if items:
            self._compress(items)

    def _compress(self, items: list[tuple[Any, Snapshot]]) -> None:
        payloads: list[bytes] | list[None]
        datas = [snap[1] for _, snap in items]
        try:
            payloads = compress_many(self._type, datas, self._level)
            self.compressed += len(items)
        except Exception:  # noqa: BLE001 - build() compresses again and fails the batch
            log.debug("compressing full batches ahead of the I/O thread failed", exc_info=True)
            payloads = [None] * len(items)
        with self._cond:
            self._backlog -= sum(len(d) for d in datas)
        try:
            self._finish([(batch, snap[0], payload) for (batch, snap), payload in zip(items, payloads)])
        except Exception:  # noqa: BLE001 - the leases still end; the thread must not die
            log.exception("purekafka compressor: ending the seals failed")
