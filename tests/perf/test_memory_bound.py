"""buffer_memory bounds what a producer holds, futures included, against a slow broker.

A proxy stalls Produce so send() outruns the broker; with buffer_memory=8 MB the RSS
of the sending process must grow by less than 3x buffer_memory, send() must block
(the buffer-pool wait time grows) without raising, and every record must arrive.
1M sends in `make test-long`, 150k in `make test` (the bound is the same: the queue
is full after ~30k records either way).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from tests.support.kafka import ROOT
from tests.support.readback import end_offsets
from tests.support.tcp_proxy import PRODUCE, FaultProxy

pytestmark = pytest.mark.broker

MEMORY = 8 * 1024 * 1024
N = 1_000_000 if os.environ.get("PUREKAFKA_HYPOTHESIS") == "long" else 150_000


# zstd: full batches wait for the compressor thread as copies outside buffer_memory,
# capped at an eighth of it; the same bound must hold.
@pytest.mark.parametrize("compression", [None, "zstd"], ids=["uncompressed", "zstd"])
def test_rss_growth_stays_under_three_times_buffer_memory(kafka, topic_factory, compression) -> None:
    topic = topic_factory(partitions=3)
    stop = threading.Event()
    with FaultProxy(kafka.addresses, lifetime=1800) as proxy:
        def throttle() -> None:  # Produce stalls 1 s of every 1.02 s: send() outruns the broker
            while not stop.is_set():
                proxy.hold(PRODUCE)
                stop.wait(1.0)
                proxy.release()
                time.sleep(0.02)

        slow = threading.Thread(target=throttle, daemon=True)
        slow.start()
        try:
            proc = subprocess.run([sys.executable, str(ROOT / "tests" / "support" / "memory_bound_run.py"),
                                   proxy.bootstrap, topic, str(N), str(MEMORY),
                                   *(["--compression", compression] if compression else []),
                                   *(["--trace"] if os.environ.get("PUREKAFKA_TRACE") else [])],
                                  capture_output=True, text=True, timeout=1200, cwd=ROOT)
        finally:
            stop.set()
            slow.join()
            proxy.release()
    assert proc.returncode == 0, proc.stderr[-3000:]
    print(proc.stderr[-5000:])
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    growth = (r["peak_kb"] - r["base_kb"]) * 1024
    assert growth < 3 * MEMORY, (growth / 2**20, r)
    assert r["pool_wait_s"] > 0.05, r  # send() did wait for memory: the bound was reached
    assert sum(end_offsets(kafka.bootstrap, topic).values()) == r["sent"]
    if compression == "zstd":
        assert r["compressor_batches"] > 0, r  # the full batches did go through the thread
