"""``FutureRecordMetadata`` and ``RecordMetadata`` at kafka-python's ``kafka.producer.future`` path."""
from __future__ import annotations

from purekafka.futures import FutureBatchMetadata, FutureRecordMetadata, RecordMetadata

__all__ = ["FutureBatchMetadata", "FutureRecordMetadata", "RecordMetadata"]
