"""``create_batch()``'s ``BatchBuilder``: aiokafka's way to hand over many records at once.

Records are encoded at ``append``, into one record batch built as the producer builds
its own (codec, level, ``max_batch_size``); ``append`` returns None once that batch is
full (the first record is always taken), as aiokafka's does. ``send_batch`` queues the
batch whole for one partition, as aiokafka's: closed (``close()``, or ``append`` found it
full), it is one RecordBatch of exactly these records, in order, sent without lingering;
left open, ``send()`` records for that partition may join it while it lingers.
"""
from __future__ import annotations

import time
from typing import Any, Callable, NamedTuple, Sequence

from purekafka.record import RecordBatchBuilder

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

    def __init__(self, new_builder: Callable[[], RecordBatchBuilder],
                 key_serializer: Callable[[Any], Any] | None,
                 value_serializer: Callable[[Any], Any] | None) -> None:
        self._builder: RecordBatchBuilder | None = new_builder()
        self._key_ser = key_serializer
        self._value_ser = value_serializer
        self._count = 0
        self._size = 0
        self.max_record_size = 0
        self.first_timestamp = -1
        self._closed = False

    def append(self, *, timestamp: int | None, key: Any, value: Any,
               headers: Sequence[tuple[str, bytes | None]] | None = None) -> BatchRecordMetadata | None:
        """Add a record (``timestamp`` in epoch ms, None: now); None if the batch is full or closed."""
        builder = self._builder
        if self._closed or builder is None:
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
        ts = int(time.time() * 1000) if timestamp is None else int(timestamp)
        size = builder.append(ts, kb, vb, hs)
        if size is None:
            self.close()
            return None
        if not self._count:
            self.first_timestamp = ts
        self._count += 1
        self.max_record_size = max(self.max_record_size, size)
        return BatchRecordMetadata(self._count - 1, None, size, ts)

    def close(self) -> None:
        """Take no more records (the batch can still be sent)."""
        self._closed = True

    def closed(self) -> bool:
        """Whether the batch takes no more records."""
        return self._closed

    def size(self) -> int:
        """The size of the batch in bytes, records uncompressed."""
        return self._size if self._builder is None else self._builder.estimated_size()

    def record_count(self) -> int:
        return self._count

    def take(self) -> RecordBatchBuilder:
        """The filled record batch, once: for ``send_batch``, which queues it whole
        (this builder takes no more records)."""
        builder = self._builder
        if builder is None:
            raise ValueError("this batch was sent already")
        if not self._count:
            raise ValueError("the batch is empty")
        self.close()
        self._size = builder.estimated_size()
        self._builder = None
        return builder
