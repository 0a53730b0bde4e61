"""Partitioners (kafka-python's ``kafka.partitioner`` paths): ``default`` holds them."""
from __future__ import annotations

from purekafka.partitioner.default import (
    AppendedBatch,
    BuiltInPartitioner,
    ClusterView,
    DefaultPartitioner,
    NewBatchHook,
    PartitionFn,
    QueueSizes,
    RoundRobinPartitioner,
    StickyPartitionState,
    default_partition,
    make_partitioner,
    murmur2,
    new_batch_hook,
    to_positive,
)

__all__ = [
    "murmur2", "to_positive", "default_partition", "AppendedBatch", "QueueSizes",
    "NewBatchHook", "StickyPartitionState", "BuiltInPartitioner", "RoundRobinPartitioner",
    "DefaultPartitioner", "ClusterView", "PartitionFn", "make_partitioner", "new_batch_hook",
]
