"""bench/compare.py --quick on the test broker: every client it runs gets a row, the ratios
are computed, the table and the chart are written."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.support.kafka import ROOT

pytestmark = pytest.mark.broker


def test_quick_comparison_writes_a_table_with_ratios_and_a_chart(kafka, tmp_path) -> None:
    clients = ["purekafka send()", "purekafka send_batch()", "purekafka.aio", "confluent-kafka"]
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "compare.py"), "--quick", "--bootstrap",
                           kafka.bootstrap, "--out", str(tmp_path), "--modes", "a1", "latency",
                           "--clients", *clients], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    table = (tmp_path / "compare.md").read_text()
    assert "FAILED" not in proc.stdout, proc.stdout
    for client in clients:
        row = re.search(rf"^\| {re.escape(client)} \| ([0-9,]+) \| [0-9.]+ \| [0-9.]+ \| \d+ \| – \| "
                        rf"([0-9.]+)× \|$", table, re.M)
        assert row, (client, table)
        assert int(row[1].replace(",", "")) > 0
    assert re.search(r"^\| confluent-kafka \| [0-9,]+ \| .* \| 1\.00× \|$", table, re.M)
    assert re.search(r"^Per round, × confluent-kafka: purekafka send\(\) [0-9.]+ \(median [0-9.]+×\); "
                     r"purekafka send_batch\(\) [0-9.]+ ", table, re.M), table
    # send_batch has no latency row (it is not a paced loop); the others have figures.
    latency = table.split("**latency**")[1]
    for client in ("purekafka send()", "purekafka.aio", "confluent-kafka"):
        assert re.search(rf"^\| {re.escape(client)} \| [0-9.]+ \| [0-9.]+ \|", latency, re.M), (client, latency)
    assert "send_batch" not in latency
    assert (tmp_path / "compare.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_quick_comparison_over_sasl_ssl_runs_every_python_client(secure_kafka, tmp_path) -> None:
    """The sasl_ssl mode: every Python client on the cluster's SASL_SSL SCRAM-SHA-512 listener
    (a failed authentication would be a FAILED line and a missing row)."""
    clients = ["purekafka send()", "purekafka.aio", "kafka-python", "aiokafka", "confluent-kafka"]
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "compare.py"), "--quick", "--cluster-dir",
                           str(secure_kafka.dir), "--out", str(tmp_path), "--modes", "sasl_ssl",
                           "--clients", *clients], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "FAILED" not in proc.stdout and "left out" not in proc.stdout, proc.stdout
    table = (tmp_path / "compare.md").read_text()
    assert "**sasl_ssl**" in table, table
    for client in clients:
        assert re.search(rf"^\| {re.escape(client)} \| [0-9,]+ \| .* \| [0-9.]+× \| [0-9.]+× \|$", table, re.M), \
            (client, table)
