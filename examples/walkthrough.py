"""The producer guide, end to end: run every example, then show what landed where.

Usage: python examples/walkthrough.py [BOOTSTRAP] [TOPIC_PREFIX]   (``make demo`` runs it
against a fresh local Kafka)

Each example gets its own topics, named ``<prefix><example>.<topic>``, created here with
the partition counts and settings the example declares (``TOPICS``, ``TOPIC_CONFIG``).
The examples run one after another as separate processes, exactly as a user would run
them. Then an independent consumer, confluent-kafka (librdkafka), reads every topic from
the beginning with ``isolation.level=read_committed`` and the records are printed as a
table: topic, partition, offset, key, value, headers.

Exit status 1 if any example failed.
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (script, what the guide calls it), in the guide's order.
EXAMPLES = [
    ("fire_and_forget", "Fire-and-forget (acks=0)"),
    ("synchronous_send", "Synchronous send"),
    ("async_callbacks", "Asynchronous with callbacks"),
    ("batch_production", "Batch production"),
    ("transactional", "Transactional production"),
    ("exactly_once_pipeline", "Consume-transform-produce, exactly once"),
    ("key_partitioning", "Key-based partitioning"),
    ("round_robin", "Round-robin partitioning (no key)"),
    ("custom_partitioner", "Custom partitioner"),
    ("explicit_partition", "Explicit partition"),
    ("retries_backoff", "Retries and backoff"),
    ("dead_letter_queue", "Dead letter queue"),
    ("compression", "Compression, every codec"),
    ("idempotent", "Idempotent producer"),
    ("delivery_guarantees", "Delivery guarantees: at-most-once, at-least-once, exactly-once"),
    ("java_style_config", "The guide's configuration block, verbatim"),
    ("producer_service", "The guide's KafkaProducerService class"),
]
SHOW_PER_TOPIC = 8  # topics with more records show their first SHOW_WHEN_MANY and counts
SHOW_WHEN_MANY = 3
EXAMPLE_TIMEOUT = 60
WIDTH = {"key": 14, "value": 46, "headers": 30}


def declared_topics(name: str) -> tuple[dict[str, int], dict[str, dict[str, str]]]:
    spec = importlib.util.spec_from_file_location(f"example_{name}", HERE / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.TOPICS), dict(getattr(module, "TOPIC_CONFIG", {}))


def create_topics(bootstrap: str, topics: dict[str, tuple[int, dict[str, str]]]) -> None:
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    new = [NewTopic(t, num_partitions=n, replication_factor=1, config=cfg) for t, (n, cfg) in topics.items()]
    for topic, future in admin.create_topics(new, operation_timeout=30).items():
        try:
            future.result(timeout=60)
        except KafkaException as e:
            if e.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise


def run_example(name: str, bootstrap: str, prefix: str) -> bool:
    started = time.monotonic()
    try:
        # One unbuffered stream, so the example's prints and errors stay in order.
        proc = subprocess.run([sys.executable, "-u", str(HERE / f"{name}.py"), bootstrap, prefix],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=EXAMPLE_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        output = (e.stdout or b"").decode(errors="replace")
        for line in output.rstrip().splitlines()[-10:]:
            print(f"    {line}")
        print(f"    -> FAILED: still running after {EXAMPLE_TIMEOUT}s, stopped\n", flush=True)
        return False
    lines = proc.stdout.rstrip().splitlines()
    shown = lines if len(lines) <= 12 else lines[:10] + [f"... ({len(lines) - 10} more lines)"]
    for line in shown:
        print(f"    {line}")
    verdict = "ok" if proc.returncode == 0 else f"FAILED (exit status {proc.returncode})"
    print(f"    -> {verdict} in {time.monotonic() - started:.1f}s\n", flush=True)
    return proc.returncode == 0


def read_back(bootstrap: str, topics: list[str], timeout: float = 30.0) -> list:
    """Every committed record of ``topics``, read until each partition's end is reached."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"walkthrough-{time.time_ns()}",
                         "enable.auto.commit": False, "isolation.level": "read_committed"})
    records = []
    try:
        metadata = consumer.list_topics(timeout=10).topics
        assigned = [TopicPartition(t, p, OFFSET_BEGINNING) for t in topics
                    for p in sorted(metadata[t].partitions) if t in metadata]
        ends = {(tp.topic, tp.partition): consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in assigned}
        consumer.assign(assigned)
        deadline = time.monotonic() + timeout
        idle_since = time.monotonic()
        while time.monotonic() < deadline:
            batch = [m for m in consumer.consume(num_messages=10000, timeout=0.3) if m.error() is None]
            records.extend(batch)
            now = time.monotonic()
            if batch:
                idle_since = now
            positions = consumer.position([TopicPartition(t, p) for t, p in ends])
            if all(tp.offset >= ends[(tp.topic, tp.partition)] or
                   (tp.offset < 0 and ends[(tp.topic, tp.partition)] == 0) for tp in positions):
                break
            # Transaction markers and aborted records sit below the end offset but are
            # never delivered: a quiet spell after that means everything was read.
            if now - idle_since > 2.0:
                break
    finally:
        consumer.close()
    return records


def show(data: bytes | None, width: int) -> str:
    if data is None:
        return "null"
    try:
        text = data.decode("utf-8")
        text = text if text.isprintable() else repr(text)[1:-1]
    except UnicodeDecodeError:
        text = repr(data)[2:-1]
    return text if len(text) <= width else text[:width - 3] + "..."


def print_table(records: list, topics: list[str], prefix: str) -> None:
    by_topic: dict[str, list] = {t: [] for t in topics}
    for msg in records:
        by_topic[msg.topic()].append(msg)
    header = (f"{'topic':<36} {'part':>4} {'offset':>6}  {'key':<{WIDTH['key']}} "
              f"{'value':<{WIDTH['value']}} headers")
    print(header)
    print("-" * len(header) + "-" * 10)
    for topic in topics:
        msgs = sorted(by_topic[topic], key=lambda m: (m.partition(), m.offset()))
        name = topic[len(prefix):]
        if not msgs:
            print(f"{name:<36} {'':>4} {'':>6}  (no records)")
        show_rows = msgs if len(msgs) <= SHOW_PER_TOPIC else msgs[:SHOW_WHEN_MANY]
        for msg in show_rows:
            headers = ",".join(f"{k}={show(v, 20)}" for k, v in (msg.headers() or []))
            print(f"{name:<36} {msg.partition():>4} {msg.offset():>6}  {show(msg.key(), WIDTH['key']):<{WIDTH['key']}} "
                  f"{show(msg.value(), WIDTH['value']):<{WIDTH['value']}} {show(headers.encode(), WIDTH['headers'])}")
        if len(show_rows) < len(msgs):
            counts: dict[int, int] = {}
            for m in msgs:
                counts[m.partition()] = counts.get(m.partition(), 0) + 1
            per = ", ".join(f"p{p}: {n}" for p, n in sorted(counts.items()))
            print(f"{name:<36} {'...':>4} {'':>6}  ... {len(msgs) - len(show_rows)} more "
                  f"({len(msgs)} in all; {per})")


def main(argv: list[str]) -> int:
    bootstrap = argv[0] if argv else "localhost:9092"
    prefix = argv[1] if len(argv) > 1 else ""
    examples = EXAMPLES
    wanted: dict[str, tuple[int, dict[str, str]]] = {}
    for name, _ in examples:
        declared, configs = declared_topics(name)
        for topic, partitions in declared.items():
            wanted[f"{prefix}{name.replace('_', '-')}.{topic}"] = (partitions, configs.get(topic, {}))
    print(f"Creating {len(wanted)} topics on {bootstrap} ...", flush=True)
    create_topics(bootstrap, wanted)

    failed: list[str] = []
    started = time.monotonic()
    for number, (name, title) in enumerate(examples, 1):
        print(f"== {number}. {title}  (examples/{name}.py)", flush=True)
        if not run_example(name, bootstrap, f"{prefix}{name.replace('_', '-')}."):
            failed.append(name)

    topics = list(wanted)
    records = read_back(bootstrap, topics)
    print(f"What landed where, as read back by confluent-kafka (read_committed): "
          f"{len(records)} records in {len(topics)} topics\n")
    print_table(records, topics, prefix)
    print(f"\n{len(examples) - len(failed)} of {len(examples)} examples ran cleanly "
          f"in {time.monotonic() - started:.1f}s" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
