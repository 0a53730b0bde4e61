"""RecordBatch v2: building, reading and compressing the records Kafka stores."""
from __future__ import annotations

from purekafka.record.batch import RecordBatchBuilder, patch_producer_state
from purekafka.record.codecs import CompressionType
from purekafka.record.reader import ControlRecord, Record, RecordBatch, read_batches

__all__ = [
    "CompressionType",
    "ControlRecord",
    "Record",
    "RecordBatch",
    "RecordBatchBuilder",
    "patch_producer_state",
    "read_batches",
]
