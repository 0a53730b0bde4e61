"""What ``purekafka.aio`` hands back: aiokafka's ``RecordMetadata`` and the send futures.

A ``send()`` future is a plain ``asyncio.Future`` (a subclass carrying the record's
timestamp), as aiokafka's is: ``await`` it, ``add_done_callback`` it, ``gather`` it.
The driver completes them from the core's ``BatchResult`` events with ``deliver``.
"""
from __future__ import annotations

import asyncio
from typing import Any, NamedTuple

from purekafka.core.sender import BatchResult
from purekafka.structs import TopicPartition

__all__ = ["BatchFuture", "RecordMetadata", "SendFuture", "TopicPartition", "deliver"]

_new = tuple.__new__
CREATE_TIME = 0
LOG_APPEND_TIME = 1


class RecordMetadata(NamedTuple):
    """Where a record landed (aiokafka's fields and order)."""

    topic: str
    partition: int
    topic_partition: TopicPartition
    offset: int
    timestamp: int
    timestamp_type: int
    log_start_offset: int | None


class SendFuture(asyncio.Future):  # type: ignore[type-arg]
    """The future of one record (``Future[RecordMetadata]``); ``timestamp_ms`` is set by
    ``send()`` (no ``__init__`` of ours: the C future's own is several times faster)."""

    __slots__ = ("timestamp_ms",)
    timestamp_ms: int


class BatchFuture:
    """The token of every record of one ``send_batch``: its future resolves to the
    metadata of the batch's first record once all of them are acknowledged, or fails
    with the first error."""

    __slots__ = ("future", "remaining", "first", "timestamp_ms")

    def __init__(self, future: asyncio.Future[Any], count: int, timestamp_ms: int) -> None:
        self.future = future
        self.remaining = count
        self.first: RecordMetadata | None = None
        self.timestamp_ms = timestamp_ms

    def record_done(self, meta: RecordMetadata | None, exc: BaseException | None) -> None:
        fut = self.future
        if fut.done():
            return
        if exc is not None:
            fut.set_exception(exc)
            return
        assert meta is not None
        if self.first is None or meta.offset < self.first.offset:
            self.first = meta
        self.remaining -= 1
        if self.remaining <= 0:
            fut.set_result(self.first)


def deliver(events: list[BatchResult]) -> None:
    """Complete the futures of finished batches (on the loop's thread).

    A future already done (cancelled by its owner) is skipped: cancelling the future
    of a queued record does not unqueue it, as in aiokafka.
    """
    for ev in events:
        exc = ev.exception
        tokens = ev.batch.tokens
        if exc is not None:
            for tok in tokens:
                if type(tok) is SendFuture:
                    if not tok.done():
                        tok.set_exception(exc)
                else:
                    tok.record_done(None, exc)
            continue
        topic, partition = ev.batch.tp
        tp = TopicPartition(topic, partition)
        base = ev.base_offset
        log_time = ev.timestamp if ev.timestamp is not None else -1
        lso = ev.log_start_offset
        append_time = log_time >= 0
        kind = LOG_APPEND_TIME if append_time else CREATE_TIME
        for i, tok in enumerate(tokens):
            if type(tok) is SendFuture:
                if tok.done():
                    continue
                # tuple.__new__ directly: the NamedTuple's generated __new__ costs a frame per record.
                tok.set_result(_new(RecordMetadata, (
                    topic, partition, tp, base + i if base >= 0 else -1,
                    log_time if append_time else tok.timestamp_ms, kind, lso)))
            else:
                tok.record_done(RecordMetadata(
                    topic, partition, tp, base + i if base >= 0 else -1,
                    log_time if log_time >= 0 else tok.timestamp_ms,
                    LOG_APPEND_TIME if log_time >= 0 else CREATE_TIME, lso), None)
