"""Small value types shared across purekafka, with kafka-python's ``kafka.structs`` names.

Nothing here imports anything of purekafka's: every layer, the sans-I/O core included,
may use these names. Field names, order and defaults are kafka-python 3's, so code that
builds or unpacks them positionally keeps working.
"""
from __future__ import annotations

from typing import NamedTuple

__all__ = ["TopicPartition", "TopicPartitionReplica", "OffsetAndMetadata", "OffsetAndTimestamp",
           "MemberState", "ConsumerGroupMetadata"]


class TopicPartition(NamedTuple):
    """A partition of a topic.

    The value users see. The core keys its maps by plain ``tuple[str, int]`` pairs, which
    hash and compare equal to these, so the send path builds none per record; a
    ``TopicPartition`` passes wherever the core asks for the pair.
    """

    topic: str
    partition: int


class TopicPartitionReplica(NamedTuple):
    """A partition's replica on one broker."""

    topic: str
    partition: int
    broker_id: int


class OffsetAndMetadata(NamedTuple):
    """An offset to commit (``send_offsets_to_transaction``), with its metadata string and
    the leader epoch it was read under (-1: unknown)."""

    offset: int | None = None  # kafka-python's default, though a commit needs one
    metadata: str = ""
    leader_epoch: int = -1


class OffsetAndTimestamp(NamedTuple):
    """An offset found for a timestamp, with the leader epoch it was read under."""

    offset: int
    timestamp: int
    leader_epoch: int


class MemberState:
    """The group membership states ``ConsumerGroupMetadata.state`` takes."""

    UNJOINED = "<unjoined>"
    REBALANCING = "<rebalancing>"
    STABLE = "<stable>"


class ConsumerGroupMetadata(NamedTuple):
    """A consumer's group membership, for ``send_offsets_to_transaction`` (KIP-447 fencing).

    The first four fields identify the member to the coordinator; ``state`` is informational.
    """

    group_id: str | None = None
    generation_id: int = -1
    member_id: str = ""
    group_instance_id: str | None = None
    state: str = MemberState.UNJOINED
