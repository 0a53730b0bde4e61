"""Key-based partitioning, the default (guide: Partitioning Strategies, 1).

A record with a key goes to ``toPositive(murmur2(key)) % partitions``, exactly as in the
Java producer, so every record of one key lands in one partition, in order.

Usage: python examples/key_partitioning.py [BOOTSTRAP] [TOPIC_PREFIX]
"""
from __future__ import annotations

import sys

from purekafka import KafkaProducer
from purekafka.partitioner import default_partition

TOPICS = {"user-events": 3}


def main(bootstrap: str = "localhost:9092", prefix: str = "") -> None:
    topic = prefix + "user-events"
    with KafkaProducer(bootstrap_servers=bootstrap, key_serializer=str.encode,
                       value_serializer=str.encode) as producer:
        futures = [(key, action, producer.send(topic, key=key, value=action))
                   for key, action in [("user123", "login"), ("user123", "view_page"),
                                       ("user123", "logout"), ("user7", "login"),
                                       ("user42", "login")]]
        partitions = len(producer.partitions_for(topic))
        for key, action, future in futures:
            md = future.get(timeout=30)
            print(f"{key:<8} {action:<10} -> partition {md.partition} offset {md.offset} "
                  f"(murmur2 % {partitions} = {default_partition(key.encode(), partitions)})")


if __name__ == "__main__":
    main(*sys.argv[1:3])
