"""Futures of ``send()``: kafka-python's ``FutureRecordMetadata`` and ``RecordMetadata``;
of ``send_batch()``: ``FutureBatchMetadata``.

The I/O thread completes them from the core's ``BatchResult`` events with
``deliver``; user threads wait on them or register callbacks, which run on the
I/O thread. A record of ``send_batch()`` has no future of its own: its token in the
batch is ``(FutureBatchMetadata, input index)``.
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

__all__ = ["Future", "FutureBatchMetadata", "FutureRecordMetadata", "RecordMetadata", "TopicPartition", "deliver"]

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

    # Plain slots rather than tuples: a queued record holds its future until its batch
    # completes, and each tuple was another ~70 bytes per record (bench: fill.py).
    __slots__ = ("topic", "partition", "timestamp_ms", "_key_size", "_value_size", "_header_size",
                 "_offset", "_batch_info")

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
        self.timestamp_ms = timestamp_ms
        self._key_size = key_size
        self._value_size = value_size
        self._header_size = header_size
        self._offset = -1
        # (log append time, log start offset): set once acknowledged, one tuple per batch.
        self._batch_info: tuple[int, int] | None = None

    @property
    def value(self) -> RecordMetadata | None:
        """The ``RecordMetadata`` of an acknowledged record, else None."""
        meta = self._value
        if meta is None and self._batch_info is not None:
            log_time, lso = self._batch_info
            meta = self._value = RecordMetadata(
                self.topic, self.partition, TopicPartition(self.topic, self.partition), self._offset,
                log_time if log_time >= 0 else self.timestamp_ms, None, self._key_size,
                self._value_size, self._header_size)
            meta.log_start_offset = lso
        return meta  # type: ignore[no-any-return]

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
        """Complete with ``(offset, log append time, log start offset)`` or ``exc``."""
        with self._lock:
            if self.is_done:
                return
            if where is not None:
                self._offset = where[0]
                self._batch_info = (where[1], where[2])
            self.exception = exc
            self.is_done = True
        self._notify()

    def __repr__(self) -> str:
        state = "pending" if not self.is_done else ("failed" if self.exception else "done")
        return f"<FutureRecordMetadata {self.topic}-{self.partition} {state}>"


class FutureBatchMetadata(Future):
    """The result of one ``send_batch()``: every record's metadata, in input order.

    ``get(timeout)`` returns the list of ``RecordMetadata`` or raises the first error
    (in input order); ``results(timeout)`` gives each record's metadata or exception.
    Callbacks (the list) and errbacks (the first error) run once, when the last record
    completes. ``RecordMetadata`` objects are built on first use.
    """

    __slots__ = ("topic", "count", "partitions", "_timestamps", "_key_sizes", "_value_sizes",
                 "_header_sizes", "_offsets", "_batch_info", "_errors", "_pending", "_results")

    def __init__(self, topic: str, count: int) -> None:
        super().__init__()
        self.topic = topic
        self.count = count
        self.partitions: list[int] = [-1] * count
        self._timestamps: list[int] = [-1] * count
        self._key_sizes: list[int] = [-1] * count
        self._value_sizes: list[int] = [-1] * count
        self._header_sizes: list[int] = [-1] * count
        # Per record: the offset once acknowledged (None while pending); and the batch's
        # (log append time, log start offset), one tuple shared by the batch's records.
        self._offsets: list[int | None] = [None] * count
        self._batch_info: list[tuple[int, int] | None] = [None] * count
        self._errors: dict[int, BaseException] = {}
        self._pending = count
        self._results: list[Any] | None = None

    # -- completion (I/O thread, or the sending thread for records never queued) ----------
    def _fail_records(self, indices: range, exc: BaseException | None) -> None:
        """Fail records that never reached the accumulator (none: just settle)."""
        with self._lock:
            for i in indices:
                if exc is not None and self._offsets[i] is None and i not in self._errors:
                    self._errors[i] = exc
                    self._pending -= 1
            done = self._complete_locked()
        if done:
            self._notify()

    def _complete_locked(self) -> bool:
        """Mark the future done once no record is pending (the lock held); whether it did."""
        if self._pending or self.is_done:
            return False
        if self._errors:
            self.exception = self._errors[min(self._errors)]
        self.is_done = True
        return True

    @property
    def value(self) -> list[RecordMetadata] | None:
        """Every record's ``RecordMetadata`` once all succeeded, else None."""
        if not self.is_done or self.exception is not None:
            return None
        return self.results(0)  # type: ignore[return-value]

    def results(self, timeout: float | None = None) -> list[RecordMetadata | BaseException]:
        """Wait up to ``timeout`` seconds; each record's metadata or exception, in input order."""
        self._wait(timeout)
        out = self._results
        if out is None:
            topic = self.topic
            tps: dict[int, TopicPartition] = {}
            out = []
            for i in range(self.count):
                exc = self._errors.get(i)
                if exc is not None:
                    out.append(exc)
                    continue
                p = self.partitions[i]
                tp = tps.get(p)
                if tp is None:
                    tp = tps[p] = TopicPartition(topic, p)
                log_time, lso = self._batch_info[i] or (-1, -1)
                offset = self._offsets[i]
                meta = RecordMetadata(topic, p, tp, -1 if offset is None else offset,
                                      log_time if log_time >= 0 else self._timestamps[i], None,
                                      self._key_sizes[i], self._value_sizes[i], self._header_sizes[i])
                meta.log_start_offset = lso
                out.append(meta)
            self._results = out
        return list(out)

    def get(self, timeout: float | None = None) -> list[RecordMetadata]:
        """Wait up to ``timeout`` seconds; every record's metadata, or raise the first error."""
        self._wait(timeout)
        if self.exception is not None:
            raise self.exception
        return self.results(0)  # type: ignore[return-value]

    def _wait(self, timeout: float | None) -> None:
        if self.is_done:
            return
        with self._lock:
            if not self.is_done and self._event is None:
                self._event = threading.Event()
            ev = self._event
        if ev is not None and not ev.wait(timeout) and not self.is_done:
            raise Errors.KafkaTimeoutError(f"Timeout after waiting for {timeout} secs.")

    def __len__(self) -> int:
        return self.count

    def __repr__(self) -> str:
        state = "pending" if not self.is_done else ("failed" if self.exception else "done")
        return f"<FutureBatchMetadata {self.topic} records={self.count} {state}>"


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
        info = (ev.timestamp if ev.timestamp is not None else -1, ev.log_start_offset)
        attention: list[Future] = []
        batch = ev.batch
        runs = batch.runs
        with lock:
            if runs is None or not _complete_runs(runs, len(batch.tokens), exc, base, info, attention):
                _complete_tokens(batch.record_tokens(), exc, base, info, attention)
        for fut in attention:
            fut._notify()


def _complete_runs(runs: list[tuple[int, Any, int, int]], count: int, exc: BaseException | None,
                   base: int, info: tuple[int, int], attention: list[Future]) -> bool:
    """Complete a batch of ``count`` records made of send_batch() runs, a run (a slice of
    each result list) at a time, the lock held. False, doing nothing, unless the runs
    cover every record and none of their records is complete yet."""
    if sum(r[3] for r in runs) != count:
        return False
    for _pos, owner, first, n in runs:
        if owner._errors or owner._offsets[first:first + n].count(None) != n:
            return False
    for pos, owner, first, n in runs:
        end = first + n
        if exc is None:
            owner._offsets[first:end] = range(base + pos, base + pos + n) if base >= 0 else [-1] * n
            owner._batch_info[first:end] = [info] * n
        else:
            owner._errors.update(dict.fromkeys(range(first, end), exc))
        owner._pending -= n
        if not owner._pending and owner._complete_locked():
            attention.append(owner)
    return True


def _complete_tokens(tokens: list[Any], exc: BaseException | None, base: int,
                     info: tuple[int, int], attention: list[Future]) -> None:
    """Complete a batch's futures one token at a time (the lock held)."""
    for i, fut in enumerate(tokens):
        if type(fut) is tuple:  # a send_batch() record: (FutureBatchMetadata, index)
            owner, idx = fut
            if owner._offsets[idx] is not None or idx in owner._errors:
                continue
            if exc is None:
                owner._offsets[idx] = base + i if base >= 0 else -1
                owner._batch_info[idx] = info
            else:
                owner._errors[idx] = exc
            owner._pending -= 1
            if not owner._pending and owner._complete_locked():
                attention.append(owner)
            continue
        if fut.is_done:
            continue
        if exc is None:
            fut._offset = base + i if base >= 0 else -1
            fut._batch_info = info
        else:
            fut.exception = exc
        fut.is_done = True
        if fut._event is not None or fut._callbacks is not None or fut._errbacks is not None:
            attention.append(fut)
