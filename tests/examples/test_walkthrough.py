"""`make demo`'s walkthrough: runs every example and prints what an independent consumer read."""
from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid

import pytest

from tests.support.example_support import EXAMPLES, ROOT
from tests.support.readback import consume_all

pytestmark = pytest.mark.broker


def table_rows(output: str, prefix: str) -> set[tuple[str, int, int, str, str]]:
    rows = set()
    for line in output.splitlines():
        m = re.match(r"^(\S+)\s+(\d+)\s+(\d+)  (.{14}) (.{46})", line)
        if m:
            rows.add((prefix + m.group(1), int(m.group(2)), int(m.group(3)), m.group(4).rstrip(),
                      m.group(5).rstrip()))
    return rows


def test_walkthrough_runs_every_example_and_shows_what_landed(kafka):
    prefix = f"wt-{uuid.uuid4().hex[:8]}-"
    started = time.monotonic()
    proc = subprocess.run([sys.executable, str(EXAMPLES / "walkthrough.py"), kafka.bootstrap, prefix],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    summary = re.search(r"^(\d+) of (\d+) examples ran cleanly", proc.stdout, re.M)
    assert summary and summary.group(1) == summary.group(2) and int(summary.group(2)) == 17
    assert elapsed < 60, f"walkthrough took {elapsed:.0f}s"

    rows = table_rows(proc.stdout, prefix)
    for topic in ["explicit-partition.events", "key-partitioning.user-events", "custom-partitioner.users",
                  "dead-letter-queue.orders", "synchronous-send.user-events"]:
        records = consume_all(kafka.bootstrap, prefix + topic, settle=1.0)
        assert records, topic
        for r in records:
            value = r.value.decode()
            shown = value if len(value) <= 46 else value[:43] + "..."
            key = "null" if r.key is None else r.key.decode()
            assert (r.topic, r.partition, r.offset, key, shown) in rows, (topic, r)
    # The 1000-record topic is summarised with its per-partition counts.
    batch = consume_all(kafka.bootstrap, prefix + "batch-production.events", settle=1.0)
    counts = ", ".join(f"p{p}: {sum(1 for r in batch if r.partition == p)}" for p in range(3))
    assert f"(1000 in all; {counts})" in proc.stdout
