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
    """An asyncio send future as a kafka-python one: ``is_done``, ``exception``,
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
    def timestamp_ms(self) -> int:
        return self._fut.timestamp_ms  # type: ignore[attr-defined,no-any-return]

    def add_errback(self, fn: Callable[..., Any], *args: Any) -> None:
        def done(f: asyncio.Future[Any]) -> None:
            if not f.cancelled() and f.exception() is not None:
                fn(*args, f.exception())

        self._fut.add_done_callback(done)
