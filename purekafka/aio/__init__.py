"""``purekafka.aio``: an asyncio producer, a drop-in for aiokafka's ``AIOKafkaProducer``.

``from purekafka.aio import AIOKafkaProducer`` in place of ``from aiokafka import
AIOKafkaProducer``; aiokafka's error names are in ``purekafka.aio.errors``.
"""
from purekafka.aio import errors
from purekafka.aio.batch import BatchBuilder
from purekafka.aio.producer import AIOKafkaProducer
from purekafka.aio.structs import RecordMetadata, TopicPartition

__all__ = ["AIOKafkaProducer", "BatchBuilder", "RecordMetadata", "TopicPartition", "errors"]
