"""The two front ends behind one call, so one set of properties covers both.

``produce(front, bootstrap, sends, **conf)`` sends every record of ``sends`` (keyword
arguments of ``send``) with the threaded ``KafkaProducer`` (``"sync"``) or with
``purekafka.aio.AIOKafkaProducer`` on asyncio's loop (``"async"``) or on uvloop
(``"uvloop"``), flushes, closes, and returns what each future resolved to as
``Meta``. Settings are kafka-python's names (the async front end takes them too).

``AioFutureView`` shows an asyncio future as the kafka-python future the
exactly-once ledger (``eo_failure.Ledger``) reads.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, NamedTuple, TypeVar

from purekafka import KafkaProducer
from purekafka.aio import AIOKafkaProducer

FRONT_ENDS = ["sync", "async"]
# The failure runs (about a minute each, the chaos script's restarts) run on both front ends
# in `make test`: the guarantees hold for the asyncio producer too.
FAILURE_RUN_FRONTS = ["sync", "async"]
T = TypeVar("T")


def uvloop_available() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


def run(main: Awaitable[T] | Callable[[], Awaitable[T]], front: str = "async") -> T:
    """Run a coroutine on the loop ``front`` names (``uvloop`` or asyncio's)."""
    coro = main() if callable(main) else main
    if front == "uvloop":
        import uvloop

        return uvloop.run(coro)  # type: ignore[no-any-return]
    return asyncio.run(coro)  # type: ignore[arg-type]


class Meta(NamedTuple):
    """A record's metadata as both front ends report it (the sizes: sync only)."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    serialized_key_size: int | None
    serialized_value_size: int | None


@dataclass
class Produced:
    metas: list[Meta]
    retried: float  # record-retry-total


def produce(front: str, bootstrap: str, sends: list[dict[str, Any]], *, flush_timeout: float = 60,
            close_timeout: float = 10, **conf: Any) -> Produced:
    """Send ``sends`` with the front end ``front``; every future must succeed."""
    if front == "sync":
        p = KafkaProducer(bootstrap_servers=bootstrap, **conf)
        try:
            futures = [p.send(**s) for s in sends]
            p.flush(flush_timeout)
            got = [f.get(0) for f in futures]
            retried = p.metrics()["producer-metrics"]["record-retry-total"]  # type: ignore[index]
        finally:
            p.close(close_timeout)
        return Produced([Meta(m.topic, m.partition, m.offset, m.timestamp, m.serialized_key_size,
                              m.serialized_value_size) for m in got], retried)

    async def main() -> Produced:
        p = AIOKafkaProducer(bootstrap_servers=bootstrap, **conf)
        await p.start()
        try:
            futures = [await p.send(**s) for s in sends]
            await p.flush(flush_timeout)
            got = [f.result() for f in futures]
            retried = p.metrics()["producer-metrics"]["record-retry-total"]
        finally:
            await p.stop(close_timeout)
        assert all(hasattr(m, "timestamp_type") for m in got)  # aiokafka's RecordMetadata
        return Produced([Meta(m.topic, m.partition, m.offset, m.timestamp, None, None)
                         for m in got], retried)

    return run(main, front)


class AioFutureView:
    """An asyncio send future as a kafka-python one: ``is_done``, ``exception``, ``value``,
    ``add_errback``, ``timestamp_ms`` (read on the loop's thread)."""

    __slots__ = ("_fut",)

    def __init__(self, fut: asyncio.Future[Any]) -> None:
        self._fut = fut

    @property
    def is_done(self) -> bool:
        return self._fut.done() and not self._fut.cancelled()

    @property
    def exception(self) -> BaseException | None:
        return self._fut.exception() if self.is_done else None

    @property
    def value(self) -> Any:
        """The RecordMetadata once acknowledged, else None."""
        return self._fut.result() if self.is_done and self._fut.exception() is None else None

    @property
    def timestamp_ms(self) -> int:
        return self._fut.timestamp_ms  # type: ignore[attr-defined,no-any-return]

    def add_errback(self, fn: Callable[..., Any], *args: Any) -> None:
        def done(f: asyncio.Future[Any]) -> None:
            if not f.cancelled() and f.exception() is not None:
                fn(*args, f.exception())

        self._fut.add_done_callback(done)


async def send_during_async(producer: AIOKafkaProducer, topic: str, ledger: Any, total: int,
                            chaos: Any, rate: float, hold_back: float = 0.1) -> None:
    """``eo_failure.send_during`` with ``await producer.send()``: ``total`` keyed records at
    about ``rate`` per second, the last ``hold_back`` fraction after the chaos script."""
    import time

    chunk = 500
    t0 = time.monotonic()
    hold_at = int(total * (1 - hold_back))
    while len(ledger.futures) < total:
        if len(ledger.futures) >= hold_at and not chaos.done.is_set():
            await asyncio.sleep(0.05)
            continue
        for _ in range(min(chunk, total - len(ledger.futures))):
            _, k, v = ledger.next_record()
            ledger.sent(AioFutureView(await producer.send(topic, key=k, value=v)))
        ahead = len(ledger.futures) / rate - (time.monotonic() - t0)
        if ahead > 0 and not chaos.done.is_set():
            await asyncio.sleep(ahead)


async def join_thread(chaos: Any, timeout: float) -> None:
    """Wait for the chaos script's thread without blocking the loop."""
    import time

    deadline = time.monotonic() + timeout
    while chaos._thread.is_alive() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)


class ThreadedAio:
    """``purekafka.aio.AIOKafkaProducer`` behind ``KafkaProducer``'s blocking calls, for a
    test body written for the threaded API (the transactional failure run). The producer
    runs on an event loop of its own, in a thread of the test's.

    ``send`` does not wait for the loop (a thread hop per record would set the pace on a
    busy machine): it queues the call for one task that awaits ``producer.send()`` for
    each in order, and returns a ``PendingSend``. Every other call first waits until the
    queued sends ran, and raises the first error a ``send()`` raised meanwhile, as the
    threaded producer's ``send`` would have raised it (the refused records' futures fail
    with it)."""

    def __init__(self, **conf: Any) -> None:
        import threading

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="aio-under-test", daemon=True)
        self._thread.start()
        conf.setdefault("enable_idempotence", True)
        self._queue: asyncio.Queue[Any] | None = None
        self._refused: BaseException | None = None
        self.producer = self._call(self._make(conf))
        try:
            self._call(self.producer.start())
        except BaseException:
            self._finish()
            raise
        self._worker = asyncio.run_coroutine_threadsafe(self._sends(), self._loop)

    async def _make(self, conf: dict[str, Any]) -> AIOKafkaProducer:
        self._queue = asyncio.Queue()
        return AIOKafkaProducer(**conf)

    async def _sends(self) -> None:
        assert self._queue is not None
        while True:
            view, topic, kw = await self._queue.get()
            try:
                view.started(await self.producer.send(topic, **kw))
            except Exception as exc:  # noqa: BLE001 - reported by the next blocking call
                view.refused(exc)
                if self._refused is None:
                    self._refused = exc
            finally:
                self._queue.task_done()

    async def _drained(self, coro: Awaitable[T]) -> T:
        assert self._queue is not None
        await self._queue.join()
        refused, self._refused = self._refused, None
        if refused is not None:
            if hasattr(coro, "close"):
                coro.close()  # type: ignore[union-attr]
            raise refused
        return await coro

    def _call(self, coro: Awaitable[T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()  # type: ignore[arg-type]

    def _run(self, coro: Awaitable[T]) -> T:
        return self._call(self._drained(coro))

    @property
    def _txn(self) -> Any:
        assert self.producer._core is not None
        return self.producer._core.txn

    def init_transactions(self) -> None:
        """Done by ``start()`` for a transactional producer, as in aiokafka."""

    def partitions_for(self, topic: str) -> set[int]:
        return self._run(self.producer.partitions_for(topic))

    def send(self, topic: str, **kw: Any) -> PendingSend:
        view = PendingSend()
        assert self._queue is not None
        self._loop.call_soon_threadsafe(self._queue.put_nowait, (view, topic, kw))
        return view

    def begin_transaction(self) -> None:
        self._run(self.producer.begin_transaction())

    def commit_transaction(self) -> None:
        self._run(self.producer.commit_transaction())

    def abort_transaction(self) -> None:
        self._run(self.producer.abort_transaction())

    def flush(self, timeout: float | None = None) -> None:
        self._run(self.producer.flush(timeout))

    def close(self, timeout: float | None = None) -> None:
        try:
            try:
                self._run(asyncio.sleep(0))  # the queued sends run first
            except Exception:  # noqa: BLE001 - closing anyway; their futures tell
                pass
            self._worker.cancel()
            self._call(self.producer.stop(timeout))
        finally:
            self._finish()

    def _finish(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


class PendingSend:
    """What ``ThreadedAio.send`` returns: the record's future once its ``send()`` ran, or
    the error ``send()`` raised; read as a kafka-python future (``AioFutureView``'s
    fields). Errbacks run on the loop's thread."""

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()  # the test's thread adds errbacks, the loop's settles
        self._settled = False
        self._fut: asyncio.Future[Any] | None = None
        self._error: BaseException | None = None
        self._errbacks: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []

    def started(self, fut: asyncio.Future[Any]) -> None:
        with self._lock:
            self._fut, self._settled = fut, True
            waiting, self._errbacks = self._errbacks, []
        for fn, args in waiting:
            AioFutureView(fut).add_errback(fn, *args)

    def refused(self, exc: BaseException) -> None:
        with self._lock:
            self._error, self._settled = exc, True
            waiting, self._errbacks = self._errbacks, []
        for fn, args in waiting:
            fn(*args, exc)

    def add_errback(self, fn: Callable[..., Any], *args: Any) -> None:
        with self._lock:
            if not self._settled:
                self._errbacks.append((fn, args))
                return
        fut = self._fut
        if fut is not None:
            fut.get_loop().call_soon_threadsafe(AioFutureView(fut).add_errback, fn, *args)
        elif self._error is not None:
            fn(*args, self._error)

    @property
    def is_done(self) -> bool:
        return self._error is not None or (self._fut is not None and AioFutureView(self._fut).is_done)

    @property
    def exception(self) -> BaseException | None:
        if self._error is not None:
            return self._error
        return None if self._fut is None else AioFutureView(self._fut).exception

    @property
    def value(self) -> Any:
        return None if self._fut is None else AioFutureView(self._fut).value

    @property
    def timestamp_ms(self) -> int:
        return 0 if self._fut is None else AioFutureView(self._fut).timestamp_ms
