"""The checks and conversions of what users pass to ``KafkaProducer``: headers, serialized
bytes, consumer group metadata and partitions in kafka-python's shapes.

Kept out of ``producer.kafka`` so that the facade holds the producer's flow only; each
function raises the error kafka-python raises for the same input.
"""
from __future__ import annotations

from typing import Any

from purekafka.core.txn_requests import GroupMetadata

__all__ = ["as_bytes", "check_headers", "group_metadata", "header_sizes", "topic_partition"]


def check_headers(headers: Any) -> None:
    if not isinstance(headers, list) or not all(
            isinstance(h, tuple) and len(h) == 2 and isinstance(h[0], str)
            and (h[1] is None or isinstance(h[1], (bytes, bytearray))) for h in headers):
        raise TypeError("headers must be a list of (str, bytes) tuples")


def header_sizes(headers: list[tuple[str, bytes | None]]) -> tuple[int, int]:
    """(serialized size of the headers as kafka-python counts it, their share of the estimate)."""
    hsize = est = 0
    for hk, hv in headers:
        try:
            n = len(hk.encode("utf-8")) + (len(hv) if hv is not None else 0)
        except UnicodeEncodeError:
            raise ValueError(f"header name {hk!r} cannot be encoded as UTF-8") from None
        hsize += n
        est += n + 10
    return hsize, est


def as_bytes(data: Any, what: str) -> bytes:
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"Unsupported type for serialized {what}: {type(data).__name__} "
                    f"(configure a {what}_serializer or pass bytes)")


def group_metadata(group: Any) -> GroupMetadata | str:
    if isinstance(group, str):
        return group
    group_id = getattr(group, "group_id", None)
    if not isinstance(group_id, str):
        raise TypeError(f"group_metadata must be a group id str or carry a str group_id "
                        f"(and generation_id, member_id, group_instance_id), got {type(group).__name__}")
    generation = getattr(group, "generation_id", -1)
    member = getattr(group, "member_id", "") or ""
    if generation is not None and generation > 0 and not member:
        raise ValueError(f"group_metadata with generation_id={generation} (a joined group) needs a member_id")
    return GroupMetadata(group_id, -1 if generation is None else generation, member,
                         getattr(group, "group_instance_id", None))


def topic_partition(tp: Any) -> tuple[str, int]:
    if hasattr(tp, "topic") and hasattr(tp, "partition"):
        return (tp.topic, tp.partition)
    topic, partition = tp
    return (topic, partition)
