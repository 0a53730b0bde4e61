"""aiokafka's asynchronous ``sasl_oauth_token_provider`` (``async def token()``) for the
synchronous OAUTHBEARER mechanism of the core.

The core asks for a token while the driver runs a step on the loop, so it cannot await.
``AsyncTokenBridge`` awaits the provider on the loop instead: once in ``start()``, before
any connection, then again after each use (so the next connection or KIP-368
re-authentication gets a token fetched after the previous one was handed out; a use before
that fetch ends gets the token in hand again), and at least every ``REFRESH_S`` while nothing uses it (so a token held across an idle spell has
not expired when a connection is finally opened). The core is handed the token last
fetched; if the last fetch raised, it is handed that exception instead, and reports it
exactly as it reports a synchronous provider that raised, so a token is never used after
the provider last failed without the failure being seen.
"""
from __future__ import annotations

import asyncio
import inspect
from typing import Any

__all__ = ["AsyncTokenBridge", "REFRESH_S", "is_async_provider"]

# A held token ages until used: re-authentication comes at 85..95 % of a session, a new
# connection at any time. aiokafka's providers must return an unexpired token per call
# (refreshing it themselves), so asking this often keeps the one held at most this much older
# than the provider's own answer would be.
REFRESH_S = 30.0


def is_async_provider(provider: Any) -> bool:
    """Whether ``provider``'s ``token()`` (or the provider itself, if it has none) is a coroutine function."""
    target = getattr(provider, "token", None)
    if target is None:
        target = provider
    return inspect.iscoroutinefunction(target)


class AsyncTokenBridge:
    """A synchronous provider (``token()``, ``extensions()``) fed by an asynchronous one."""

    def __init__(self, provider: Any) -> None:
        self._provider = provider
        self._token: Any = None
        self._failure: Exception | None = None
        self._used = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"AsyncTokenBridge({type(self._provider).__name__})"  # never the token

    async def start(self) -> None:
        """Fetch the first token (a failure is kept, to be reported by the first connection)
        and start refreshing it on the running loop."""
        if self._task is not None:
            return
        await self._fetch()
        self._task = asyncio.get_running_loop().create_task(
            self._refresh(), name=f"purekafka-oauth-refresh-{type(self._provider).__name__}")

    def cancel(self) -> asyncio.Task[None] | None:
        """Cancel the refresh task (it ends at the loop's next turn); drop the token."""
        task, self._task = self._task, None
        self._token = None
        if task is not None:
            task.cancel()
        return task

    async def stop(self) -> None:
        """Cancel the refresh task and wait for it to end."""
        task = self.cancel()
        if task is not None:
            await asyncio.wait([task])  # never raises the task's CancelledError; ours propagates

    def token(self) -> Any:
        """The token last fetched, or raise what the last fetch raised; asks for a new one."""
        self._used.set()
        failure = self._failure
        if failure is not None:
            raise failure.with_traceback(None)
        return self._token

    def extensions(self) -> Any:
        """The provider's ``extensions()`` (synchronous in aiokafka too), or none."""
        extensions = getattr(self._provider, "extensions", None)
        return extensions() if callable(extensions) else {}

    async def _fetch(self) -> None:
        target = getattr(self._provider, "token", None)
        try:
            token = await (target() if target is not None else self._provider())
        except Exception as exc:  # noqa: BLE001 - reported by the core at the next use
            # Its traceback's frames may hold the provider's secrets: not kept.
            self._token, self._failure = None, exc.with_traceback(None)
        else:
            self._token, self._failure = token, None

    async def _refresh(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            # A timer rather than wait_for, which can swallow a cancellation arriving as the
            # event is set (Python 3.11), and stop() would then wait REFRESH_S.
            timer = loop.call_later(REFRESH_S, self._used.set)
            try:
                await self._used.wait()
            finally:
                timer.cancel()
            self._used.clear()  # a use during the fetch below asks for one more
            await self._fetch()
