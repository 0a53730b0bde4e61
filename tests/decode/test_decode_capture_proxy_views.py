"""The live proxy takes --summary, --stats and --filter, and agrees with the same views of its own capture."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import confluent_kafka
import pytest
from tests.support.loopback_capture import decode

pytestmark = pytest.mark.broker

ROOT = Path(__file__).resolve().parents[2]


def test_proxy_summary_filter_and_stats(kafka, topic_factory, tmp_path):
    topic = topic_factory()
    host, port = kafka.addresses[0]
    cap = tmp_path / "views.pcap"
    views = ["--summary", "--stats", "--json", "--filter", "api=Produce,Metadata"]
    proc = subprocess.Popen([sys.executable, str(ROOT / "tools" / "decode.py"), "proxy", "--listen", "127.0.0.1:0",
                             "--upstream", f"{host}:{port}", "--pcap", str(cap), *views],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines: list[bytes] = []
    assert proc.stdout is not None and proc.stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, b"")), daemon=True)
    reader.start()
    try:
        listen = proc.stderr.readline().decode().split(",")[0].split()[-1]
        prod = confluent_kafka.Producer({"bootstrap.servers": listen, "linger.ms": 5, "client.id": "views"})
        for i in range(3):
            prod.produce(topic, value=b"v%d" % i)
            assert prod.flush(30) == 0
        del prod
        deadline = time.monotonic() + 15
        while sum(b'"Produce"' in x and b'"response"' in x for x in list(lines)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(20)
        reader.join(10)
        err = proc.stderr.read()
    assert proc.returncode == 0 and b"Traceback" not in err
    live = [json.loads(x) for x in lines]
    *frames, stats = live
    assert {f["type"] for f in frames} == {"summary"} and stats["type"] == "stats"
    assert {f["api_name"] for f in frames} == {"Produce", "Metadata"}
    produce = [f for f in frames if f["api_name"] == "Produce" and f["direction"] == "response"]
    assert len(produce) == 3 and all(f["latency_ms"] is not None and f["latency_ms"] >= 0 for f in produce)
    (ps,) = [a for a in stats["apis"] if a["api_name"] == "Produce"]
    assert ps["requests"] == ps["responses"] == ps["latency_count"] == 3
    assert ps["latency_p50_ms"] <= ps["latency_p95_ms"] <= ps["latency_p99_ms"] <= ps["latency_max_ms"]
    assert stats["frames"] == len(frames) and stats["undecoded"] == 0
    # The capture the proxy wrote, seen through the same options, holds the same frames.
    rc, out, _ = decode([*views, str(cap)])
    assert rc == 0
    *again, stats_again = [json.loads(x) for x in out.splitlines()]
    key = lambda f: (f["direction"], f["api_name"], f["api_version"], f["correlation_id"], f["size"])  # noqa: E731
    assert sorted(map(key, again)) == sorted(map(key, frames))
    assert [(a["api_name"], a["requests"], a["responses"]) for a in stats_again["apis"]] == \
        [(a["api_name"], a["requests"], a["responses"]) for a in stats["apis"]]
