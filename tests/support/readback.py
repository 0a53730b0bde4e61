"""Read back what purekafka wrote with an independent client: confluent-kafka (librdkafka)."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition

T = TypeVar("T")


@dataclass(frozen=True)
class ConsumedRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]
    timestamp: int
    timestamp_type: int  # librdkafka's numbering: 1 = CreateTime, 2 = LogAppendTime


def _known(value: T | None) -> T:
    # A consumed message (not an error) always carries its topic, partition and offset.
    assert value is not None
    return value


def _read(bootstrap: str, topic: str, count: int | None, timeout: float, isolation_level: str,
          extra: dict[str, Any] | None, settle: float = 0.0) -> list[ConsumedRecord]:
    """Read all partitions from the beginning until ``count`` arrived or ``timeout`` passed.

    With ``count`` None: until every partition has been read to its end (its high watermark,
    or last stable offset under read_committed) and ``settle`` seconds have passed, so that
    a slow start of the consumer cannot pass for an empty topic. AssertionError if the ends
    are not reached within ``timeout``."""
    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": f"readback-{uuid.uuid4().hex}",
        "enable.auto.commit": False,
        "isolation.level": isolation_level,
        "enable.partition.eof": count is None,
    }
    conf.update(extra or {})
    consumer = Consumer(conf)
    out: list[ConsumedRecord] = []
    try:
        md = consumer.list_topics(topic, timeout=10)
        partitions = sorted(md.topics[topic].partitions)
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        t0 = time.monotonic()
        deadline = t0 + timeout
        at_end: set[int] = set()

        def more() -> bool:
            if count is not None:
                return len(out) < count
            return len(at_end) < len(partitions) or time.monotonic() - t0 < settle

        while more() and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=10000, timeout=0.2):
                error = msg.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        at_end.add(_known(msg.partition()))
                        continue
                    raise KafkaException(error)
                ts_type, ts = msg.timestamp()
                hdrs: Any = msg.headers() or []  # librdkafka hands record headers back as a list
                out.append(ConsumedRecord(_known(msg.topic()), _known(msg.partition()), _known(msg.offset()),
                                          msg.key(), msg.value(), list(hdrs), ts, ts_type))
        if count is None and len(at_end) < len(partitions):
            raise AssertionError(f"partitions {sorted(set(partitions) - at_end)} of {topic} not read to their "
                                 f"end within {timeout}s ({len(out)} records read)")
    finally:
        consumer.close()
    out.sort(key=lambda r: (r.partition, r.offset))
    return out


def consume(bootstrap: str, topic: str, count: int, timeout: float = 30.0,
            isolation_level: str = "read_committed", extra: dict[str, Any] | None = None) -> list[ConsumedRecord]:
    """Read every partition of ``topic`` from the beginning until ``count`` records arrived.

    Returns them sorted by (partition, offset). Raises AssertionError on timeout, saying how
    many arrived, so a missing record is a failure, never a hang.
    """
    out = _read(bootstrap, topic, count, timeout, isolation_level, extra)
    if len(out) < count:
        raise AssertionError(f"read back {len(out)} of {count} records from {topic} within {timeout}s")
    return out


def consume_all(bootstrap: str, topic: str, settle: float = 3.0, isolation_level: str = "read_committed",
                extra: dict[str, Any] | None = None, timeout: float = 60.0) -> list[ConsumedRecord]:
    """Everything readable in ``topic``, to prove nothing extra is there: reads every partition
    to its end (waiting up to ``timeout`` for that), and for at least ``settle`` seconds."""
    return _read(bootstrap, topic, None, max(timeout, settle), isolation_level, extra, settle)


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    """Each partition's high watermark: with ``consume``, proves nothing beyond what was read exists."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"readback-{uuid.uuid4().hex}"})
    try:
        md = consumer.list_topics(topic, timeout=10)
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in sorted(md.topics[topic].partitions)}
    finally:
        consumer.close()


def wait_until_writable(bootstrap: str, topic: str, timeout: float = 30.0) -> None:
    """Wait until every partition's leader serves the partition (answers ListOffsets).

    Metadata names a new topic's leaders some tens of milliseconds before the
    leader has loaded the partitions. A Produce in that gap is refused; with acks=0
    the broker can only close the connection, and neither side can tell which
    records were lost. Tests that need every acks=0 record to arrive wait here first.
    """
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"readback-{uuid.uuid4().hex}"})
    deadline = time.monotonic() + timeout
    try:
        partitions = sorted(consumer.list_topics(topic, timeout=10).topics[topic].partitions)
        for p in partitions:
            while True:
                try:
                    consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=5)
                    break
                except KafkaException:
                    if time.monotonic() > deadline:
                        raise AssertionError(f"{topic}-{p} not served by its leader within {timeout}s") from None
                    time.sleep(0.05)
    finally:
        consumer.close()
