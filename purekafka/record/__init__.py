"""RecordBatch v2: building, reading and compressing the records Kafka stores."""
from __future__ import annotations

from purekafka.record.batch import RecordBatchBuilder, increment_sequence, patch_producer_state
from purekafka.record.codecs import CompressionType
from purekafka.record.reader import (
    CONTROL_TYPES,
    ControlRecord,
    ReadResult,
    Record,
    RecordBatch,
    read_batches,
    read_batches_tolerant,
)

__all__ = [
    "CONTROL_TYPES",
    "CompressionType",
    "ControlRecord",
    "ReadResult",
    "Record",
    "RecordBatch",
    "RecordBatchBuilder",
    "increment_sequence",
    "patch_producer_state",
    "read_batches",
    "read_batches_tolerant",
]
