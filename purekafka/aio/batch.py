"""``create_batch()``'s ``BatchBuilder``: aiokafka's way to hand over many records at once.

The records wait here until ``send_batch``, which queues them for one partition in
the producer's accumulator in order, behind one future. The builder refuses a record
(``append`` returns None) once ``max_batch_size`` bytes are estimated in it, as
aiokafka's does, except that the first record is always taken.
"""
from __future__ import annotations

import time
from typing import Any, Callable, NamedTuple, Sequence

__all__ = ["BatchBuilder", "BatchRecordMetadata"]

# Java's DefaultRecord.MAX_RECORD_OVERHEAD and RecordBatch header size.
RECORD_OVERHEAD = 21
BATCH_OVERHEAD = 61


class BatchRecordMetadata(NamedTuple):
    """What ``BatchBuilder.append`` returns for a record it took (aiokafka's fields)."""

    offset: int  # relative to the batch
    crc: int | None
    size: int
    timestamp: int


class BatchBuilder:
    """Records collected for one ``send_batch`` call."""

    def __init__(self, batch_size: int, key_serializer: Callable[[Any], Any] | None,
                 value_serializer: Callable[[Any], Any] | None) -> None:
        self._batch_size = batch_size
        self._key_ser = key_serializer
        self._value_ser = value_serializer
        self.records: list[tuple[int, bytes | None, bytes | None, list[tuple[str, bytes | None]], int]] = []
        self._size = BATCH_OVERHEAD
        self._closed = False

    def append(self, *, timestamp: int | None, key: Any, value: Any,
               headers: Sequence[tuple[str, bytes | None]] | None = None) -> BatchRecordMetadata | None:
        """Add a record (``timestamp`` in epoch ms, None: now); None if the batch is full or closed."""
        if self._closed:
            return None
        if key is None and value is None:
            raise ValueError("Need at least one: key or value")
        kb = self._key_ser(key) if self._key_ser is not None else key
        vb = self._value_ser(value) if self._value_ser is not None else value
        for what, b in (("key", kb), ("value", vb)):
            if b is not None and not isinstance(b, (bytes, bytearray, memoryview)):
                raise TypeError(f"{what} must be bytes (or set a {what}_serializer), not {type(b).__name__}")
        kb = bytes(kb) if kb is not None else None
        vb = bytes(vb) if vb is not None else None
        hs = [(str(k), None if v is None else bytes(v)) for k, v in (headers or [])]
        est = RECORD_OVERHEAD + len(kb or b"") + len(vb or b"") + sum(
            len(k.encode()) + len(v or b"") + 2 for k, v in hs)
        if self.records and self._size + est > self._batch_size:
            self.close()
            return None
        ts = int(time.time() * 1000) if timestamp is None else int(timestamp)
        self.records.append((ts, kb, vb, hs, est))
        self._size += est
        return BatchRecordMetadata(len(self.records) - 1, None, est, ts)

    def close(self) -> None:
        """Take no more records (the batch can still be sent)."""
        self._closed = True

    def size(self) -> int:
        """The estimated size of the batch in bytes."""
        return self._size

    def record_count(self) -> int:
        return len(self.records)
