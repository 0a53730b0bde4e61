"""The waits both fronts share: ``send()``'s for a topic's partitions (``MetadataWait``) and a
transactional call's for its coordinator round trip (``TxnWait``).

``producer.kafka.KafkaProducer`` blocks on its condition and ``aio.producer.AIOKafkaProducer``
awaits its driver; what they share is here, without the clock or the waiting: the deadline,
which errors end the wait and their messages, kafka-python's. The caller passes the time and
its driver's state in and waits for as long as it is told::

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
from purekafka.core.txn_requests import TxnResult
from purekafka.partitioner import BuiltInPartitioner, StickyPartitionState

__all__ = ["MetadataWait", "TopicSendInfo", "TxnWait"]

# The longest single pause for metadata: the update is asked for again after each, so a topic
# created meanwhile, or a lost answer, costs at most this long.
_METADATA_PAUSE_S = 0.1
# For a transaction result: the driver completes it and wakes the waiter; this only bounds how
# late a stopped driver is noticed.
_TXN_PAUSE_S = 0.5


@dataclass(frozen=True, slots=True)
class TopicSendInfo:
    """What ``send()`` caches per topic, valid while the cluster's metadata ``version`` holds."""

    version: int
    partitions: list[int]
    available: list[int]
    sticky: StickyPartitionState


class _Wait:
    """A wait of up to ``wait_s`` seconds from ``now_s`` by a front whose I/O ``driver``
    ("thread", "task") is named in its error."""

    __slots__ = ("wait_s", "deadline_s", "driver")

    def __init__(self, wait_s: float, now_s: float, driver: str) -> None:
        self.wait_s = wait_s
        self.deadline_s = now_s + wait_s
        self.driver = driver

    def _left(self, now_s: float, running: bool, expired: str) -> float:
        """Seconds left; raises if the driver stopped, or KafkaTimeoutError(``expired``)."""
        if not running:
            raise Errors.KafkaError(f"producer I/O {self.driver} is not running")
        remaining = self.deadline_s - now_s
        if remaining <= 0:
            raise Errors.KafkaTimeoutError(expired)
        return remaining


class MetadataWait(_Wait):
    """One wait for ``topic``'s partitions (see the module doc)."""

    __slots__ = ("cluster", "topic")

    def __init__(self, cluster: Cluster, topic: str, wait_s: float, now_s: float,
                 driver: str) -> None:
        super().__init__(wait_s, now_s, driver)
        self.cluster = cluster
        self.topic = topic

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
        remaining = self._left(now_s, running,
                               f"Failed to update metadata after {self.wait_s:g} secs.")
        cluster.request_update()
        return min(remaining, _METADATA_PAUSE_S)

    def info(self, builtin: BuiltInPartitioner) -> TopicSendInfo:
        """The topic's partitions, as ``send()`` caches them (once ``next_pause`` gave None)."""
        cluster, topic = self.cluster, self.topic
        return TopicSendInfo(cluster.version, list(range(cluster.partition_count(topic) or 0)),
                             cluster.available_partitions(topic), builtin.state(topic))


class TxnWait(_Wait):
    """One wait for a transactional call's ``TxnResult``, the deadline counted from before the
    call started it."""

    __slots__ = ()

    def next_pause(self, result: TxnResult, now_s: float, running: bool) -> float | None:
        """None once ``result`` is done (then ``consume`` it); else how long to wait, in seconds.
        Raises why waiting is over (driver gone, timeout)."""
        if result.done:
            return None
        return min(self._left(now_s, running, f"Timeout expired after {self.wait_s * 1000:.0f} ms "
                                              f"while awaiting {result.operation}"), _TXN_PAUSE_S)
