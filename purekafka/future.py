"""``Future``: kafka-python's general future (``kafka.future.Future``).

A value or an exception arrives once (``success``/``failure``); callbacks and errbacks
added before run then, those added after run at once. A callback that raises is logged
and the others still run. ``send()``'s ``FutureRecordMetadata`` offers the same API and
counts as a ``Future`` for ``isinstance``.
"""
from __future__ import annotations

import functools
import logging
import threading
from abc import ABCMeta
from typing import Any, Callable

from purekafka.errors import RetriableError
from purekafka.futures import FutureRecordMetadata

__all__ = ["Future"]

log = logging.getLogger("purekafka.future")


class Future(metaclass=ABCMeta):
    """A result that arrives later: ``value`` on success, ``exception`` on failure."""

    error_on_callbacks = False  # kafka-python's switch: re-raise a failing callback

    def __init__(self) -> None:
        self.is_done = False
        self.value: Any = None
        self.exception: BaseException | None = None
        self._callbacks: list[Callable[[Any], Any]] = []
        self._errbacks: list[Callable[[Any], Any]] = []
        self._lock = threading.Lock()

    def succeeded(self) -> bool:
        return self.is_done and self.exception is None

    def failed(self) -> bool:
        return self.is_done and self.exception is not None

    def retriable(self) -> bool:
        return self.is_done and isinstance(self.exception, RetriableError)

    def success(self, value: Any) -> Future:
        """Complete with ``value`` and run the callbacks."""
        with self._lock:
            self.value, self.is_done = value, True
            todo, self._callbacks, self._errbacks = self._callbacks, [], []
        for f in todo:
            self._run(f, value, "callback")
        return self

    def failure(self, e: BaseException | type[BaseException]) -> Future:
        """Fail with ``e`` (an exception, or a class to instantiate) and run the errbacks."""
        exc = e() if isinstance(e, type) else e
        if not isinstance(exc, BaseException):
            raise TypeError("future failed without an exception")
        with self._lock:
            self.exception, self.is_done = exc, True
            todo, self._callbacks, self._errbacks = self._errbacks, [], []
        for f in todo:
            self._run(f, exc, "errback")
        return self

    def add_callback(self, f: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        """Call ``f(*args, value, **kwargs)`` on success."""
        return self._add(self._callbacks, False, f, args, kwargs)

    def add_errback(self, f: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        """Call ``f(*args, exception, **kwargs)`` on failure."""
        return self._add(self._errbacks, True, f, args, kwargs)

    def add_both(self, f: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        self.add_callback(f, *args, **kwargs)
        return self.add_errback(f, *args, **kwargs)

    def chain(self, future: Future) -> Future:
        """Complete ``future`` the way this one completes."""
        self.add_callback(future.success)
        return self.add_errback(future.failure)

    def _add(self, queue: list[Callable[[Any], Any]], on_failure: bool, f: Callable[..., Any],
             args: tuple[Any, ...], kwargs: dict[str, Any]) -> Future:
        fn = functools.partial(f, *args, **kwargs) if args or kwargs else f
        with self._lock:
            if not self.is_done:
                queue.append(fn)
                return self
        if (self.exception is not None) == on_failure:
            self._run(fn, self.exception if on_failure else self.value,
                      "errback" if on_failure else "callback")
        return self

    def _run(self, f: Callable[[Any], Any], arg: Any, kind: str) -> None:
        try:
            f(arg)
        except Exception:
            log.exception("Error processing %s", kind)
            if self.error_on_callbacks:
                raise


# Same API, its own slots-based implementation on the send path.
Future.register(FutureRecordMetadata)
