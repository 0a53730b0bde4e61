"""purekafka: a pure-Python Apache Kafka producer."""
from __future__ import annotations

__version__ = "0.1.0"

from purekafka import errors
from purekafka.producer import FutureRecordMetadata, KafkaProducer, RecordMetadata, TopicPartition

__all__ = [
    "__version__",
    "errors",
    "FutureRecordMetadata",
    "KafkaProducer",
    "RecordMetadata",
    "TopicPartition",
]
