"""Asynchronous send with callbacks (guide pattern 3).

``send`` returns at once; callbacks run when the broker answers. They run on the
producer's I/O thread, so keep them short. ``add_both`` is the Java ``Callback`` shape:
one function for success and failure.

Usage: python examples/async_callbacks.py [BOOTSTRAP] [TOPIC_PREFIX]
"""
from __future__ import annotations

import sys

from purekafka import KafkaProducer

TOPICS = {"user-events": 3}


def main(bootstrap: str = "localhost:9092", prefix: str = "") -> None:
    topic = prefix + "user-events"
    producer = KafkaProducer(bootstrap_servers=bootstrap, key_serializer=str.encode,
                             value_serializer=str.encode)
    messages = [("user1", "Event 1"), ("user2", "Event 2"), ("user3", "Event 3")]

    def on_success(key: str):
        return lambda md: print(f"sent: {key} -> partition {md.partition}, offset {md.offset}")

    def on_error(key: str):
        return lambda exc: print(f"failed: {key} -> {exc}", file=sys.stderr)

    futures = []
    for key, value in messages:
        future = producer.send(topic, key=key, value=value)
        future.add_callback(on_success(key)).add_errback(on_error(key))
        futures.append(future)

    # Java's Callback.onCompletion(metadata, exception) in one function.
    def on_completion(result) -> None:
        if isinstance(result, Exception):
            print(f"Failed to send message: {result}", file=sys.stderr)
        else:
            print(f"Message sent successfully: partition={result.partition}, offset={result.offset}")

    futures.append(producer.send(topic, key="user4", value="Event 4").add_both(on_completion))

    # Promise.all: wait for every send; get() re-raises a failure.
    results = [f.get(timeout=30) for f in futures]
    print(f"{len(results)} messages acknowledged")
    producer.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
