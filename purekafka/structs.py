"""Small value types shared across purekafka (kafka-python keeps its own in ``kafka.structs``).

Nothing here imports anything of purekafka's: every layer, the sans-I/O core included,
may use these names.
"""
from __future__ import annotations

from typing import NamedTuple

__all__ = ["TopicPartition"]


class TopicPartition(NamedTuple):
    """A partition of a topic.

    A tuple: a plain ``(topic, partition)`` pair hashes and compares equal, so the core
    can key its maps by either without building one of these per record.
    """

    topic: str
    partition: int
