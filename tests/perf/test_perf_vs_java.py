"""``purekafka perf`` and Java's ProducerPerformance on one broker: one parser reads both.

Both run the same options (warmup, a short reporting interval so that progress lines
appear, a throttled rate); every line of either output must match the shared regexes,
the line kinds and each float field's decimals must agree, and the counts must add up.
The records both wrote are read back with confluent-kafka.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.perf_output import parse
from tests.support.kafka import ROOT, kafka_local
from tests.support.readback import end_offsets

pytestmark = [pytest.mark.broker, pytest.mark.java]

N, WARMUP, SIZE = 6000, 1000, 100


def _options(topic: str, bootstrap: str) -> list[str]:
    return ["--topic", topic, "--num-records", str(N), "--record-size", str(SIZE),
            "--throughput", "4000", "--reporting-interval", "400", "--warmup-records", str(WARMUP),
            "--producer-props", f"bootstrap.servers={bootstrap}", "acks=1", "linger.ms=5"]


def _java(args: list[str]) -> str:
    cp = kafka_local.classpath(kafka_local.DEFAULT_VERSION)
    proc = subprocess.run(["java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", cp,
                           "org.apache.kafka.tools.ProducerPerformance", *args],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _ours(args: list[str]) -> str:
    proc = subprocess.run([sys.executable, "-m", "purekafka.cli", "perf", *args], capture_output=True,
                          text=True, timeout=180, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_both_outputs_parse_into_the_same_fields(kafka, topic_factory) -> None:
    topic = topic_factory(partitions=3)
    java, ours = parse(_java(_options(topic, kafka.bootstrap))), parse(_ours(_options(topic, kafka.bootstrap)))
    # Java 4.x warns once about --producer-props (its deprecated spelling); nothing else is free text.
    assert all("deprecated" in line for line in java.other), java.other
    assert ours.other == []
    for p in (java, ours):
        assert p.warmup == WARMUP
        assert p.steady_marks == 1
        assert [(t[0], t[1]) for t in p.totals] == [(N, False), (N - WARMUP, True)]
        assert p.windows, "a 400 ms reporting interval over ~1.5 s gives progress lines"
        assert sum(w[0] for w in p.windows) <= N
        for t in p.totals:
            assert t[6] <= t[7] <= t[8] <= t[9] <= float(t[5])  # percentiles ordered, under the max
    assert java.decimals() == ours.decimals()
    assert sum(end_offsets(kafka.bootstrap, topic).values()) == 2 * N


@pytest.mark.broker
def test_transactions_and_metrics(kafka, topic_factory) -> None:
    from tests.support.readback import consume

    topic = topic_factory()
    out = _ours(["--topic", topic, "--num-records", "500", "--payload-monotonic", "--throughput", "2000",
                 "--transaction-duration-ms", "100", "--print-metrics",
                 "--producer-props", f"bootstrap.servers={kafka.bootstrap}"])
    parsed = parse(out)
    assert [t[0] for t in parsed.totals] == [500]
    # ToolsUtils.printMetrics: a header, then group:name:{tags} : value, sorted.
    rows = [line for line in parsed.other if " : " in line]
    assert parsed.other[0].startswith("Metric Name") and rows == sorted(rows)
    assert any(r.startswith("producer-metrics:record-send-total:{client-id=perf-producer-client}") for r in rows)
    got = consume(kafka.bootstrap, topic, 500, isolation_level="read_committed")
    assert sorted(int(c.value) for c in got) == list(range(500))
