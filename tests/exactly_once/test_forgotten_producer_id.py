"""The broker forgets the producer (producer id expiration) between sends.

Older brokers answered the next batch UNKNOWN_PRODUCER_ID. Kafka 4.4's ProducerAppendInfo
no longer raises it: a producer it has no state for may continue at any sequence. So
the producer must simply carry on: no error, no lost or doubled record, sequences
contiguous within its (producer id, epoch).

A broker of its own, with producer ids expiring after 1.5 s of silence. kafka-python's
DescribeProducers shows that the broker really forgot us; Kafka's DumpLogSegments (not
our reader) shows what reached the log: producer id, epoch and base sequence of every batch.
"""
from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.kafka import start_cluster
from tests.support.eo_failure import Ledger, idempotent_figures
from purekafka import KafkaProducer
from tests.support.readback import consume_all

from kafka import KafkaAdminClient
from kafka.structs import TopicPartition

pytestmark = [pytest.mark.broker, pytest.mark.java, pytest.mark.timeout(300)]

EXPIRATION_MS = 1500


@pytest.fixture(scope="module")
def forgetful_kafka(tmp_path_factory):
    cluster = start_cluster(tmp_path_factory.mktemp("kafka-forgetful") / "cluster", nodes=1, extra=[
        "--broker-config", f"producer.id.expiration.ms={EXPIRATION_MS}",
        "--broker-config", "producer.id.expiration.check.interval.ms=200",
    ])
    try:
        yield cluster
    finally:
        cluster.stop()


_BATCH = re.compile(r"baseOffset: (\d+) lastOffset: (\d+) count: (\d+) baseSequence: (-?\d+) "
                    r"lastSequence: (-?\d+) producerId: (-?\d+) producerEpoch: (-?\d+)")


def _batches(java, directory: Path, topic: str) -> list[tuple[int, int, int, int, int]]:
    """(base offset, count, base sequence, producer id, epoch) of every batch, per DumpLogSegments."""
    out = []
    for seg in sorted(directory.glob(f"node-*/data/{topic}-0/*.log")):
        proc = subprocess.run(["java", "-XX:TieredStopAtLevel=1", "-cp", java.classpath,
                               "org.apache.kafka.tools.DumpLogSegments", "--files", str(seg)],
                              capture_output=True, timeout=120)
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")
        for m in _BATCH.finditer(proc.stdout.decode()):
            base, _, count, seq, _, pid, epoch = map(int, m.groups())
            out.append((base, count, seq, pid, epoch))
    return sorted(out)


def test_idempotent_producer_recovers_when_the_broker_forgets_it(forgetful_kafka, java) -> None:
    kafka = forgetful_kafka
    topic = kafka.create_topic(f"forget-{time.monotonic_ns()}", partitions=1)
    ledger = Ledger(keys=10)
    rounds = 3
    tp = TopicPartition(topic, 0)
    admin = KafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    known_after_send, known_after_pause = [], []
    try:
        with KafkaProducer(bootstrap_servers=kafka.bootstrap, linger_ms=5, request_timeout_ms=5000,
                           retry_backoff_ms=50) as p:
            for r in range(rounds):
                for _ in range(200):
                    _, k, v = ledger.next_record()
                    ledger.sent(p.send(topic, key=k, value=v))
                p.flush(60)
                known_after_send.append(admin.describe_producers([tp])[tp].active_producers)
                if r < rounds - 1:
                    deadline = time.monotonic() + 20
                    while admin.describe_producers([tp])[tp].active_producers and time.monotonic() < deadline:
                        time.sleep(0.2)
                    known_after_pause.append(admin.describe_producers([tp])[tp].active_producers)
    finally:
        admin.close()
    print(f"\nbroker's producers after each round: {known_after_send}; after each pause: {known_after_pause}")
    assert all(len(a) == 1 for a in known_after_send), known_after_send
    assert known_after_pause == [[]] * (rounds - 1), "the broker did not forget the producer id"
    fig = idempotent_figures(ledger, consume_all(kafka.bootstrap, topic, settle=3.0))
    batches = _batches(java, Path(kafka.dir), topic)
    print(f"\n{fig.line()}\nbatches (offset, count, base sequence, producer id, epoch): {batches}")
    assert fig.acknowledged == 600 and not fig.bad(), f"{fig.line()} {fig.examples}"
    assert sum(b[1] for b in batches) == 600 and fig.failed == 0, batches
    # Within one (producer id, epoch) the sequences are contiguous. (Should a future broker
    # answer UNKNOWN_PRODUCER_ID again, Java bumps the epoch and restarts at 0, which this allows.)
    expected: dict[tuple[int, int], int] = {}
    for _, count, seq, pid, epoch in batches:
        assert seq == expected.get((pid, epoch), 0), batches
        expected[(pid, epoch)] = seq + count
