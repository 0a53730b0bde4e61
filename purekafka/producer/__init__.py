"""The producer package: ``purekafka.producer.kafka`` holds ``KafkaProducer``, as kafka-python's ``kafka.producer.kafka`` does."""
from __future__ import annotations

from purekafka.producer.kafka import FutureRecordMetadata, KafkaProducer, RecordMetadata, TopicPartition

__all__ = ["FutureRecordMetadata", "KafkaProducer", "RecordMetadata", "TopicPartition"]
