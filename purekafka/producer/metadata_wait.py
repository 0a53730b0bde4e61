"""``send()``'s wait for a topic's partitions: the decisions both fronts share.

``producer.kafka.KafkaProducer`` blocks on its condition and ``aio.producer.AIOKafkaProducer``
awaits its driver; what they share is here, without the clock or the waiting: the deadline
(``max_block_ms``), which errors end the wait and their messages, kafka-python's. The
caller passes the time and its driver's state in and waits for as long as it is told::

    wait = MetadataWait(cluster, topic, max_block_s, now_s, "thread")
    if wait.begin(): wake the driver
    while (pause := wait.next_pause(now_s, auth_error, running)) is not None:
        wake the driver; wait up to ``pause`` seconds for it to change something
    info = wait.info(builtin)
"""
from __future__ import annotations

from dataclasses import dataclass

from purekafka import errors as Errors
from purekafka.core.cluster import Cluster
from purekafka.partitioner import BuiltInPartitioner, StickyPartitionState

__all__ = ["MetadataWait", "TopicSendInfo"]

# The longest single pause: the update is asked for again after each, so a topic created
# meanwhile, or a lost answer, costs at most this long.
_PAUSE_S = 0.1


@dataclass(frozen=True, slots=True)
class TopicSendInfo:
    """What ``send()`` caches per topic, valid while the cluster's metadata ``version`` holds."""

    version: int
    partitions: list[int]
    available: list[int]
    sticky: StickyPartitionState


class MetadataWait:
    """One wait of up to ``wait_s`` seconds from ``now_s`` for ``topic``'s partitions, by a
    front whose I/O ``driver`` ("thread", "task") is named in its error (see the module doc)."""

    __slots__ = ("cluster", "topic", "wait_s", "deadline_s", "driver")

    def __init__(self, cluster: Cluster, topic: str, wait_s: float, now_s: float,
                 driver: str) -> None:
        self.cluster = cluster
        self.topic = topic
        self.wait_s = wait_s
        self.deadline_s = now_s + wait_s
        self.driver = driver

    def begin(self) -> bool:
        """Have the cluster ask for the topic's metadata; True if the driver must be woken."""
        return self.cluster.add_topic(self.topic)

    def next_pause(self, now_s: float, auth_error: Errors.KafkaError | None,
                   running: bool) -> float | None:
        """None once the partitions are known (then ``info``); else asks for a metadata update
        and returns how long to wait, in seconds, after waking the driver. Raises the topic's
        error, the authentication error, or why waiting is over (driver gone, timeout)."""
        cluster, topic = self.cluster, self.topic
        if cluster.partition_count(topic):
            return None
        code = cluster.topic_errors.get(topic)
        if code is not None:
            raise Errors.for_code(code)(f"topic {topic!r}")
        if auth_error is not None:
            raise auth_error  # no broker lets us in: waiting will not help
        if not running:
            raise Errors.KafkaError(f"producer I/O {self.driver} is not running")
        remaining = self.deadline_s - now_s
        if remaining <= 0:
            raise Errors.KafkaTimeoutError(f"Failed to update metadata after {self.wait_s:g} secs.")
        cluster.request_update()
        return min(remaining, _PAUSE_S)

    def info(self, builtin: BuiltInPartitioner) -> TopicSendInfo:
        """The topic's partitions, as ``send()`` caches them (once ``next_pause`` gave None)."""
        cluster, topic = self.cluster, self.topic
        return TopicSendInfo(cluster.version, list(range(cluster.partition_count(topic) or 0)),
                             cluster.available_partitions(topic), builtin.state(topic))
