"""Futures of ``send()``: kafka-python's ``FutureRecordMetadata`` and ``RecordMetadata``.

The I/O thread completes them from the core's ``BatchResult`` events with
``deliver``; user threads wait on them or register callbacks, which run on the
I/O thread.
"""
from __future__ import annotations

import logging
import threading
from collections import namedtuple
from typing import Any, Callable

from purekafka import errors as Errors
from purekafka.core.sender import BatchResult
from purekafka.structs import TopicPartition

__all__ = ["FutureRecordMetadata", "RecordMetadata", "TopicPartition", "deliver"]

log = logging.getLogger("purekafka.producer")

RecordMetadata = namedtuple("RecordMetadata", [
    "topic", "partition", "topic_partition", "offset", "timestamp", "log_start_offset",
    "checksum", "serialized_key_size", "serialized_value_size", "serialized_header_size",
])
RecordMetadata.__doc__ = "Where a record landed (kafka-python's fields; checksum is always None)."


class FutureRecordMetadata:
    """The result of one ``send()``: kafka-python's Future API.

    ``value`` is the ``RecordMetadata`` once acknowledged (built on first use);
    ``exception`` the error once failed. ``get(timeout)`` blocks (seconds) and
    raises the error.
    """

    __slots__ = ("topic", "partition", "_info", "is_done", "exception", "_where",
                 "_meta", "_callbacks", "_errbacks", "_event")

    _lock = threading.Lock()  # one lock for all futures: held per batch, not per record

    def __init__(self, topic: str, partition: int, timestamp_ms: int, key_size: int,
                 value_size: int, header_size: int) -> None:
        self.topic = topic
        self.partition = partition
        self._info = (timestamp_ms, key_size, value_size, header_size)
        self.is_done = False
        self.exception: BaseException | None = None
        self._where: tuple[int, int, int] | None = None  # offset, log append time, log start
        self._meta: RecordMetadata | None = None
        self._callbacks: list[Callable[[Any], Any]] | None = None
        self._errbacks: list[Callable[[Any], Any]] | None = None
        self._event: threading.Event | None = None

    @property
    def value(self) -> RecordMetadata | None:
        """The ``RecordMetadata`` of an acknowledged record, else None."""
        meta = self._meta
        if meta is None and self._where is not None:
            offset, log_time, lso = self._where
            ts, ksize, vsize, hsize = self._info
            meta = self._meta = RecordMetadata(
                self.topic, self.partition, TopicPartition(self.topic, self.partition), offset,
                log_time if log_time >= 0 else ts, lso, None, ksize, vsize, hsize)
        return meta

    @property
    def timestamp_ms(self) -> int:
        return self._info[0]

    # -- kafka-python's Future API -------------------------------------------------
    def succeeded(self) -> bool:
        return self.is_done and self.exception is None

    def failed(self) -> bool:
        return self.is_done and self.exception is not None

    def retriable(self) -> bool:
        return self.is_done and bool(getattr(self.exception, "retriable", False))

    def add_callback(self, f: Callable[..., Any], *args: Any, **kwargs: Any) -> FutureRecordMetadata:
        """Call ``f(*args, record_metadata, **kwargs)`` on success (now, if already done)."""
        if args or kwargs:
            g = f
            f = lambda v: g(*args, v, **kwargs)  # noqa: E731
        with self._lock:
            if not self.is_done:
                if self._callbacks is None:
                    self._callbacks = []
                self._callbacks.append(f)
                return self
        if self.exception is None:
            _run(f, self.value)
        return self

    def add_errback(self, f: Callable[..., Any], *args: Any, **kwargs: Any) -> FutureRecordMetadata:
        """Call ``f(*args, exception, **kwargs)`` on failure (now, if already failed)."""
        if args or kwargs:
            g = f
            f = lambda e: g(*args, e, **kwargs)  # noqa: E731
        with self._lock:
            if not self.is_done:
                if self._errbacks is None:
                    self._errbacks = []
                self._errbacks.append(f)
                return self
        if self.exception is not None:
            _run(f, self.exception)
        return self

    def add_both(self, f: Callable[..., Any], *args: Any, **kwargs: Any) -> FutureRecordMetadata:
        """``f`` as both callback and errback."""
        self.add_callback(f, *args, **kwargs)
        self.add_errback(f, *args, **kwargs)
        return self

    def get(self, timeout: float | None = None) -> RecordMetadata:
        """Wait up to ``timeout`` seconds; return the metadata or raise the error."""
        if not self.is_done:
            with self._lock:
                if not self.is_done and self._event is None:
                    self._event = threading.Event()
                ev = self._event
            if ev is not None and not ev.wait(timeout) and not self.is_done:
                raise Errors.KafkaTimeoutError(
                    f"Timeout after waiting for {timeout} secs.")
        if self.exception is not None:
            raise self.exception
        value = self.value
        assert value is not None
        return value

    # -- completion (I/O thread) ------------------------------------------------------
    def _finish(self, where: tuple[int, int, int] | None, exc: BaseException | None) -> None:
        with self._lock:
            if self.is_done:
                return
            self._where = where
            self.exception = exc
            self.is_done = True
        self._notify()

    def _notify(self) -> None:
        """Wake waiters and run callbacks (after ``is_done`` was set under the lock)."""
        ev = self._event
        if ev is not None:
            ev.set()
        exc = self.exception
        cbs = self._callbacks if exc is None else self._errbacks
        self._callbacks = self._errbacks = None
        if cbs:
            arg = self.value if exc is None else exc
            for f in cbs:
                _run(f, arg)

    def __repr__(self) -> str:
        state = "pending" if not self.is_done else ("failed" if self.exception else "done")
        return f"<FutureRecordMetadata {self.topic}-{self.partition} {state}>"


def _run(f: Callable[[Any], Any], arg: Any) -> None:
    try:
        f(arg)
    except Exception:  # noqa: BLE001 - a user callback must not kill the I/O thread
        log.exception("Error in a purekafka callback")


def deliver(events: list[BatchResult]) -> None:
    """Complete the futures of finished batches (runs on the I/O thread).

    One lock acquisition per batch marks all its futures done; only futures
    someone waits on or registered callbacks for need more, after the lock.
    RecordMetadata is built lazily, on first access.
    """
    lock = FutureRecordMetadata._lock
    for ev in events:
        exc = ev.exception
        base = ev.base_offset
        log_time = ev.timestamp if ev.timestamp is not None else -1
        lso = ev.log_start_offset
        attention = []
        with lock:
            for i, fut in enumerate(ev.batch.tokens):
                if fut.is_done:
                    continue
                if exc is None:
                    fut._where = (base + i if base >= 0 else -1, log_time, lso)
                else:
                    fut.exception = exc
                fut.is_done = True
                if fut._event is not None or fut._callbacks is not None or fut._errbacks is not None:
                    attention.append(fut)
        for fut in attention:
            fut._notify()
