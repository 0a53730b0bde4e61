"""Small value types shared across purekafka (kafka-python keeps its own in ``kafka.structs``).

Nothing here imports anything of purekafka's: every layer, the sans-I/O core included,
may use these names.
"""
from __future__ import annotations

from typing import NamedTuple

__all__ = ["TopicPartition"]


class TopicPartition(NamedTuple):
    """A partition of a topic.

    The value users see. The core keys its maps by plain ``tuple[str, int]`` pairs, which
    hash and compare equal to these, so the send path builds none per record; a
    ``TopicPartition`` passes wherever the core asks for the pair.
    """

    topic: str
    partition: int
