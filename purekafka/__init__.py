"""purekafka: a pure-Python Apache Kafka producer."""
from __future__ import annotations

from purekafka.version import __version__

from purekafka import errors
from purekafka.producer import FutureRecordMetadata, KafkaProducer, RecordMetadata
from purekafka.serializer import DefaultSerializer, Deserializer, JsonSerializer, Serializer
from purekafka.structs import (
    ConsumerGroupMetadata,
    OffsetAndMetadata,
    TopicPartition,
    TopicPartitionReplica,
)

__all__ = [
    "__version__",
    "errors",
    "ConsumerGroupMetadata",
    "DefaultSerializer",
    "Deserializer",
    "FutureRecordMetadata",
    "JsonSerializer",
    "KafkaProducer",
    "OffsetAndMetadata",
    "RecordMetadata",
    "Serializer",
    "TopicPartition",
    "TopicPartitionReplica",
]
