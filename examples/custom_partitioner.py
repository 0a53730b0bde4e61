"""Custom partitioners (guide: Partitioning Strategies, 3).

Two shapes are accepted, as in kafka-python:

- an object with kafka-python 3's ``partition(topic, key, serialized_key, value,
  serialized_value, cluster)``: it sees the value, so it can route by priority;
- a plain callable ``(key_bytes, all_partitions, available_partitions) -> partition``:
  the guide's Java ``CustomPartitioner`` (VIP users to partition 0, others by murmur2).

Usage: python examples/custom_partitioner.py [BOOTSTRAP] [TOPIC_PREFIX]
"""
from __future__ import annotations

import json
import random
import sys

from purekafka import KafkaProducer
from purekafka.partitioner import murmur2_java

TOPICS = {"tasks": 3, "users": 3}


class PriorityPartitioner:
    """High priority -> partition 0, medium -> 1, anything else -> 2."""

    def partition(self, topic, key, serialized_key, value, serialized_value, cluster):
        priority = value.get("priority")
        if priority == "high":
            return 0
        if priority == "medium":
            return 1
        return 2


def vip_partitioner(key_bytes, all_partitions, available_partitions):
    """The guide's Java CustomPartitioner, line for line."""
    num_partitions = len(all_partitions)
    if key_bytes is None:
        return random.randrange(num_partitions)
    if key_bytes.startswith(b"vip-"):
        return 0
    # Math.abs(Utils.murmur2(keyBytes)) % numPartitions; murmur2_java is Java's signed int.
    # (Python's abs cannot overflow, so the one key hashing to Integer.MIN_VALUE gets a
    # valid partition here where Java's would be negative.)
    return abs(murmur2_java(key_bytes)) % num_partitions


def main(bootstrap: str = "localhost:9092", prefix: str = "") -> None:
    with KafkaProducer(bootstrap_servers=bootstrap, partitioner=PriorityPartitioner(),
                       value_serializer=lambda v: json.dumps(v).encode()) as producer:
        for task, priority in [("backup", "low"), ("page-oncall", "high"), ("report", "medium"),
                               ("cleanup", None), ("deploy", "high")]:
            md = producer.send(prefix + "tasks", value={"task": task, "priority": priority}).get(timeout=30)
            print(f"task {task:<12} priority {priority!s:<7} -> partition {md.partition}")

    with KafkaProducer(bootstrap_servers=bootstrap, partitioner=vip_partitioner,
                       key_serializer=str.encode, value_serializer=str.encode) as producer:
        for user in ["vip-alice", "bob", "vip-carol", "dave", "erin"]:
            md = producer.send(prefix + "users", key=user, value=f"{user} signed in").get(timeout=30)
            print(f"user {user:<10} -> partition {md.partition}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
