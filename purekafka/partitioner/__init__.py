"""Partitioners, at kafka-python's ``kafka.partitioner`` paths.

``default``: murmur2, Java's built-in partitioning, round robin, kafka-python's
``DefaultPartitioner``; ``sticky``: the KIP-480 sticky partitioners; ``abc``: the
``Partitioner`` base class; ``cluster``: the view partitioners get of the metadata;
``adapters``: ``make_partitioner``, which turns any configured shape into one callable.
"""
from __future__ import annotations

from purekafka.partitioner.abc import Partitioner
from purekafka.partitioner.adapters import PartitionFn, make_partitioner, new_batch_hook
from purekafka.partitioner.cluster import ClusterView
from purekafka.partitioner.default import (
    AppendedBatch,
    BuiltInPartitioner,
    DefaultPartitioner,
    NewBatchHook,
    QueueSizes,
    RoundRobinPartitioner,
    StickyPartitionState,
    default_partition,
    murmur2,
    murmur2_java,
    to_positive,
)
from purekafka.partitioner.sticky import JavaDefaultPartitioner, StickyPartitioner, UniformStickyPartitioner

__all__ = [
    "Partitioner", "DefaultPartitioner", "StickyPartitioner", "murmur2", "murmur2_java",
    "to_positive", "default_partition", "AppendedBatch", "QueueSizes", "NewBatchHook",
    "StickyPartitionState", "BuiltInPartitioner", "RoundRobinPartitioner",
    "UniformStickyPartitioner", "JavaDefaultPartitioner", "ClusterView", "PartitionFn",
    "make_partitioner", "new_batch_hook",
]
