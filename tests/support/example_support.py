"""Run an example from examples/ as a user would, and look at what it left in Kafka.

Independent views only: confluent-kafka (librdkafka) reads records back and computes
murmur2 partitions, and the broker's own log segment shows the batch attributes
(compression, producer id, sequences) that no consumer API exposes.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from confluent_kafka import Producer

from purekafka.record import RecordBatch, read_batches

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@dataclass
class ExampleRun:
    prefix: str
    stdout: str
    stderr: str

    def topic(self, name: str) -> str:
        return self.prefix + name


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def create_example_topics(kafka: Any, name: str, prefix: str) -> None:
    module = load_example(name)
    configs = getattr(module, "TOPIC_CONFIG", {})
    for topic, partitions in module.TOPICS.items():
        kafka.create_topic(prefix + topic, partitions, 1, configs.get(topic))


def run_example(kafka: Any, name: str, timeout: float = 60) -> ExampleRun:
    """Create the example's topics under a fresh prefix, run it, require exit status 0."""
    prefix = f"ex-{uuid.uuid4().hex[:10]}-"
    create_example_topics(kafka, name, prefix)
    proc = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), kafka.bootstrap, prefix],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert proc.returncode == 0, f"{name} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return ExampleRun(prefix, proc.stdout, proc.stderr)


def librdkafka_partitions(kafka: Any, keys: list[bytes], partitions: int) -> dict[bytes, int]:
    """Where librdkafka's Java-compatible ``murmur2_random`` partitioner puts each key.

    Produces the keys to a scratch topic with the same partition count and reads the
    partition from each delivery report.
    """
    scratch = kafka.create_topic(f"murmur2-{uuid.uuid4().hex[:10]}", partitions)
    producer = Producer({"bootstrap.servers": kafka.bootstrap, "partitioner": "murmur2_random"})
    out: dict[bytes, int] = {}

    def report(err: Any, msg: Any) -> None:
        assert err is None, err
        out[msg.key()] = msg.partition()

    for key in keys:
        producer.produce(scratch, key=key, value=b"", on_delivery=report)
        producer.poll(0)
    assert producer.flush(30) == 0
    assert set(out) == set(keys)
    return out


def segment_batches(kafka: Any, topic: str, partition: int = 0) -> list[RecordBatch] | None:
    """Every batch in the broker's log for one partition, or None when the broker's data
    directory is not ours to read (PUREKAFKA_BOOTSTRAP)."""
    if kafka.dir is None:
        return None
    logs = sorted(Path(kafka.dir).glob(f"node-*/data/{topic}-{partition}/*.log"))
    assert logs, f"no log segment for {topic}-{partition} under {kafka.dir}"
    batches: list[RecordBatch] = []
    for log in logs:
        batches.extend(read_batches(log.read_bytes(), verify_crc=True))
    return batches


def json_values(records: Any) -> list[Any]:
    return [json.loads(r.value) for r in records]
