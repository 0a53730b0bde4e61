"""``ClusterView``: what a kafka-python partitioner may ask of ``ClusterMetadata``.

kafka-python hands partitioners its live ``ClusterMetadata``; they call
``partitions_for_topic``, ``available_partitions_for_topic`` and ``topics()``, and may
call the other read-only questions below. The record's own topic is answered from the
partitions the producer partitions over, so the partitioner and the producer agree;
everything else comes from the producer's metadata (``purekafka.core.cluster.Cluster``)
when the view has it, and is "unknown" (None, or empty) when it has not.
"""
from __future__ import annotations

from typing import Any, Sequence

from purekafka.structs import TopicPartition

__all__ = ["ClusterView", "INTERNAL_TOPICS"]

# Kafka's internal topics, which kafka-python's topics() leaves out by default.
INTERNAL_TOPICS = frozenset({"__consumer_offsets", "__transaction_state", "__share_group_state"})


class ClusterView:
    """kafka-python's ``ClusterMetadata`` questions, answered for one partitioning call.

    ``cluster`` is duck-typed (``purekafka.core.cluster.Cluster``): the partitioner layer
    sits below the core and imports nothing of it.
    """

    __slots__ = ("topic", "_all", "_available", "_cluster")

    def __init__(self, topic: str, all_partitions: Sequence[int], available: Sequence[int],
                 cluster: Any = None) -> None:
        self.topic = topic
        self._all = all_partitions
        self._available = available
        self._cluster = cluster

    def topics(self, exclude_internal_topics: bool = True) -> set[str]:
        """Known topics (the record's topic always among them)."""
        names = set(self._cluster.topics) if self._cluster is not None else set()
        names.add(self.topic)
        return names - INTERNAL_TOPICS if exclude_internal_topics else names

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        """All partition ids of ``topic``, or None for a topic not known."""
        if topic == self.topic:
            return set(self._all)
        return self._cluster.partitions_for(topic) if self._cluster is not None else None

    def available_partitions_for_topic(self, topic: str) -> set[int] | None:
        """Partition ids of ``topic`` that have a leader, or None for a topic not known."""
        if topic == self.topic:
            return set(self._available)
        if self._cluster is None or self._cluster.partitions_for(topic) is None:
            return None
        return set(self._cluster.available_partitions(topic))

    def _partition_info(self, partition: Any) -> Any:
        info = self._cluster.topics.get(partition[0]) if self._cluster is not None else None
        if info is None:
            return None
        return next((p for p in info.partitions if p.partition == partition[1]), None)

    def leader_for_partition(self, partition: Any) -> int | None:
        """The leader's node id of a ``TopicPartition``: -1 for none, None if unknown."""
        if self._partition_info(partition) is None:
            return None
        return int(self._cluster.leader_for((partition[0], partition[1])))

    def leader_epoch_for_partition(self, partition: Any) -> int | None:
        """The leader epoch of a ``TopicPartition``, None if unknown."""
        info = self._partition_info(partition)
        return None if info is None else int(info.leader_epoch)

    def partitions_for_broker(self, broker_id: int) -> set[TopicPartition] | None:
        """The partitions ``broker_id`` leads, None if none (or the broker is unknown)."""
        if self._cluster is None:
            return None
        led = self._cluster.partitions_for_node(broker_id)
        return {TopicPartition(t, p) for t, p in led} or None

    def brokers(self) -> list[Any]:
        """The brokers metadata named (each with ``node_id``, ``host``, ``port``, ``rack``)."""
        return list(self._cluster.brokers.values()) if self._cluster is not None else []

    def broker_metadata(self, broker_id: int) -> Any:
        """One broker, None if unknown."""
        return self._cluster.broker(broker_id) if self._cluster is not None else None

    def topic_id(self, topic_name: str) -> Any:
        """The topic's id (a ``uuid.UUID``), None if unknown."""
        if self._cluster is None or topic_name not in self._cluster.topics:
            return None
        return self._cluster.topic_id(topic_name)

    @property
    def cluster_id(self) -> str | None:
        return self._cluster.cluster_id if self._cluster is not None else None

    @property
    def controller(self) -> Any:
        """The controller broker, None if unknown."""
        if self._cluster is None:
            return None
        return self._cluster.broker(self._cluster.controller_id)

    @property
    def need_update(self) -> bool:
        """Always False: the partitioner's view is read-only; the producer refreshes metadata."""
        return False
