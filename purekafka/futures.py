"""Futures of ``send()``: kafka-python's ``FutureRecordMetadata`` and ``RecordMetadata``.

The I/O thread completes them from the core's ``BatchResult`` events with
``deliver``; user threads wait on them or register callbacks, which run on the
I/O thread.
"""
from __future__ import annotations

import functools
import logging
import threading
from collections import namedtuple
from typing import TYPE_CHECKING, Any, Callable

from purekafka import errors as Errors
from purekafka.core.sender import BatchResult
from purekafka.structs import TopicPartition

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["Future", "FutureRecordMetadata", "RecordMetadata", "TopicPartition", "deliver"]

log = logging.getLogger("purekafka.producer")

class RecordMetadata(namedtuple("RecordMetadata", [
        "topic", "partition", "topic_partition", "offset", "timestamp", "checksum",
        "serialized_key_size", "serialized_value_size", "serialized_header_size"])):
    """Where a record landed: kafka-python 3's nine fields, in its order (``checksum`` is
    always None).

    ``log_start_offset`` (the partition's first offset, from the Produce response) is an
    attribute outside the tuple: kafka-python 2 had it as a tenth field, 3.x dropped it,
    so unpacking, indexing and ``_asdict()`` see the nine fields only.
    """

    log_start_offset: int = -1  # an instance's own value shadows this default


class Future:
    """kafka-python's ``kafka.future.Future``: a result that arrives later.

    ``success(value)`` or ``failure(exception)`` completes it, once: a later completion
    is ignored. Callbacks get the value, errbacks the exception. A callback that raises
    is logged; with ``error_on_callbacks`` set (on the class or the instance's class) the
    error is raised, on the thread that completed the future or added the callback, as
    kafka-python does, except on the producer's I/O thread, which logs it and carries on.
    """

    __slots__ = ("is_done", "exception", "_value", "_callbacks", "_errbacks", "_event")

    error_on_callbacks = False
    _lock = threading.Lock()  # one lock for all futures: held per batch, not per record

    def __init__(self) -> None:
        self.is_done = False
        self.exception: BaseException | None = None
        self._value: Any = None
        self._callbacks: list[Callable[[Any], Any]] | None = None
        self._errbacks: list[Callable[[Any], Any]] | None = None
        self._event: threading.Event | None = None

    @property
    def value(self) -> Any:
        """The result once succeeded, else None."""
        return self._value

    def succeeded(self) -> bool:
        return self.is_done and self.exception is None

    def failed(self) -> bool:
        return self.is_done and self.exception is not None

    def retriable(self) -> bool:
        return self.is_done and bool(getattr(self.exception, "retriable", False))

    def success(self, value: Any) -> Self:
        """Complete with ``value`` and run the callbacks (nothing, if already done)."""
        with self._lock:
            if self.is_done:
                return self
            self._value = value
            self.is_done = True
        self._notify(self.error_on_callbacks)
        return self

    def failure(self, e: BaseException | type[BaseException]) -> Self:
        """Fail with ``e`` (an exception, or a class to instantiate) and run the errbacks."""
        exception = e() if isinstance(e, type) else e
        if not isinstance(exception, BaseException):
            raise TypeError("future failed without an exception")
        with self._lock:
            if self.is_done:
                return self
            self.exception = exception
            self.is_done = True
        self._notify(self.error_on_callbacks)
        return self

    def add_callback(self, f: Callable[..., Any], *args: Any, **kwargs: Any) -> Self:
        """Call ``f(*args, value, **kwargs)`` on success (now, if already done)."""
        if args or kwargs:
            f = functools.partial(f, *args, **kwargs)
        with self._lock:
            if not self.is_done:
                if self._callbacks is None:
                    self._callbacks = []
                self._callbacks.append(f)
                return self
        if self.exception is None:
            _run(f, self.value, self.error_on_callbacks)
        return self

    def add_errback(self, f: Callable[..., Any], *args: Any, **kwargs: Any) -> Self:
        """Call ``f(*args, exception, **kwargs)`` on failure (now, if already failed)."""
        if args or kwargs:
            f = functools.partial(f, *args, **kwargs)
        with self._lock:
            if not self.is_done:
                if self._errbacks is None:
                    self._errbacks = []
                self._errbacks.append(f)
                return self
        if self.exception is not None:
            _run(f, self.exception, self.error_on_callbacks)
        return self

    def add_both(self, f: Callable[..., Any], *args: Any, **kwargs: Any) -> Self:
        """``f`` as both callback and errback."""
        self.add_callback(f, *args, **kwargs)
        self.add_errback(f, *args, **kwargs)
        return self

    def chain(self, future: Any) -> Self:
        """Complete ``future`` (``success``/``failure``) with this one's outcome."""
        self.add_callback(future.success)
        self.add_errback(future.failure)
        return self

    def _notify(self, raise_errors: bool = False) -> None:
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
                _run(f, arg, raise_errors)


class FutureRecordMetadata(Future):
    """The result of one ``send()``: kafka-python's ``FutureRecordMetadata``.

    ``value`` is the ``RecordMetadata`` once acknowledged (built on first use);
    ``exception`` the error once failed. ``get(timeout)`` blocks (seconds) and
    raises the error.
    """

    __slots__ = ("topic", "partition", "_info", "_where")

    def __init__(self, topic: str, partition: int, timestamp_ms: int, key_size: int,
                 value_size: int, header_size: int) -> None:
        # Future.__init__'s fields set here: one frame less per send().
        self.is_done = False
        self.exception = None
        self._value = None
        self._callbacks = None
        self._errbacks = None
        self._event = None
        self.topic = topic
        self.partition = partition
        self._info = (timestamp_ms, key_size, value_size, header_size)
        self._where: tuple[int, int, int] | None = None  # offset, log append time, log start

    @property
    def value(self) -> RecordMetadata | None:
        """The ``RecordMetadata`` of an acknowledged record, else None."""
        meta = self._value
        if meta is None and self._where is not None:
            offset, log_time, lso = self._where
            ts, ksize, vsize, hsize = self._info
            meta = self._value = RecordMetadata(
                self.topic, self.partition, TopicPartition(self.topic, self.partition), offset,
                log_time if log_time >= 0 else ts, None, ksize, vsize, hsize)
            meta.log_start_offset = lso
        return meta  # type: ignore[no-any-return]

    @property
    def timestamp_ms(self) -> int:
        return self._info[0]

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

    def __repr__(self) -> str:
        state = "pending" if not self.is_done else ("failed" if self.exception else "done")
        return f"<FutureRecordMetadata {self.topic}-{self.partition} {state}>"


def _run(f: Callable[[Any], Any], arg: Any, raise_errors: bool = False) -> None:
    try:
        f(arg)
    except Exception:  # noqa: BLE001 - a user callback must not kill the I/O thread
        log.exception("Error processing callback")  # kafka-python's words
        if raise_errors:
            raise


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
