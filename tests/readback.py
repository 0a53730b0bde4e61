"""Read back what purekafka wrote with an independent client: confluent-kafka (librdkafka)."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition


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


def _read(bootstrap: str, topic: str, count: int | None, timeout: float, isolation_level: str,
          extra: dict | None) -> list[ConsumedRecord]:
    """Read all partitions from the beginning until ``count`` arrived, or for ``timeout`` if count is None."""
    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": f"readback-{uuid.uuid4().hex}",
        "enable.auto.commit": False,
        "isolation.level": isolation_level,
    }
    conf.update(extra or {})
    consumer = Consumer(conf)
    out: list[ConsumedRecord] = []
    try:
        md = consumer.list_topics(topic, timeout=10)
        partitions = sorted(md.topics[topic].partitions)
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        deadline = time.monotonic() + timeout
        while (count is None or len(out) < count) and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=10000, timeout=0.2):
                if msg.error():
                    raise KafkaException(msg.error())
                ts_type, ts = msg.timestamp()
                out.append(ConsumedRecord(msg.topic(), msg.partition(), msg.offset(), msg.key(), msg.value(),
                                          list(msg.headers() or []), ts, ts_type))
    finally:
        consumer.close()
    out.sort(key=lambda r: (r.partition, r.offset))
    return out


def consume(bootstrap: str, topic: str, count: int, timeout: float = 30.0,
            isolation_level: str = "read_committed", extra: dict | None = None) -> list[ConsumedRecord]:
    """Read every partition of ``topic`` from the beginning until ``count`` records arrived.

    Returns them sorted by (partition, offset). Raises AssertionError on timeout, saying how
    many arrived, so a missing record is a failure, never a hang.
    """
    out = _read(bootstrap, topic, count, timeout, isolation_level, extra)
    if len(out) < count:
        raise AssertionError(f"read back {len(out)} of {count} records from {topic} within {timeout}s")
    return out


def consume_all(bootstrap: str, topic: str, settle: float = 3.0, isolation_level: str = "read_committed",
                extra: dict | None = None) -> list[ConsumedRecord]:
    """Everything readable in ``topic``: reads for ``settle`` seconds, to prove nothing extra is there."""
    return _read(bootstrap, topic, None, settle, isolation_level, extra)


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
