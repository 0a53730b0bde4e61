"""Compression, every codec (guide: Producer Configuration, 3, and Performance, 2).

The producer compresses whole batches; the broker stores them as they came
(``compression.type=producer`` on the topic, Kafka's default) and consumers decompress.
One topic per codec, the same 200 JSON records each.

Usage: python examples/compression.py [BOOTSTRAP] [TOPIC_PREFIX]
"""
from __future__ import annotations

import json
import sys

from purekafka import KafkaProducer

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
TOPICS = {f"compressed-{codec}": 1 for codec in CODECS}


def main(bootstrap: str = "localhost:9092", prefix: str = "") -> None:
    records = [{"id": i, "event": "page_view", "page": f"/products/{i % 17}", "user": f"user{i % 23}"}
               for i in range(200)]
    for codec in CODECS:
        # The Java name and value work too: **{"compression.type": "snappy"}.
        with KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20,
                           compression_type=None if codec == "none" else codec,
                           value_serializer=lambda v: json.dumps(v).encode()) as producer:
            futures = [producer.send(prefix + f"compressed-{codec}", value=r) for r in records]
            producer.flush()
            offsets = [f.get(timeout=30).offset for f in futures]
            ratio = producer.metrics()["producer-metrics"]["compression-rate-avg"]
            print(f"{codec:<7} {len(records)} records at offsets {offsets[0]}..{offsets[-1]}, "
                  f"batches compressed to {ratio:.0%} of their size")


if __name__ == "__main__":
    main(*sys.argv[1:3])
