"""Child process of test_memory_bound.py: N sends to BOOTSTRAP (the test's slowing proxy).

    python tests/perf/memory_bound_run.py BOOTSTRAP TOPIC N BUFFER_MEMORY [--compression CODEC]

Only the producer lives here, so the RSS is the producer's. Prints one JSON line: RSS
before the first timed send and the peak from then to the last send (kB, VmHWM reset at
the start), the longest single send() (s), the producer's buffer-pool wait time (s) and
the records sent, and the batches the compressor thread compressed. With --trace, samples to stderr every 10k sends.
"""
from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from purekafka import KafkaProducer  # noqa: E402


def _rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024


def _reset_peak() -> None:
    """Start the peak RSS (VmHWM) afresh: imports and warm-up must not count (Linux >= 4.0)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _peak_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> int:
    bootstrap, topic, n, memory = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    value = b"v" * 100
    compression = sys.argv[sys.argv.index("--compression") + 1] if "--compression" in sys.argv else None
    p = KafkaProducer(bootstrap_servers=bootstrap, buffer_memory=memory, acks=1, linger_ms=5,
                      batch_size=64 * 1024, enable_idempotence=False, max_block_ms=60_000,
                      compression_type=compression)
    p.partitions_for(topic)
    for _ in range(2000):  # warm the code paths and the allocator before the baseline
        p.send(topic, value)
    p.flush()
    base = _rss_kb()
    _reset_peak()
    longest = 0.0
    send = p.send
    trace = "--trace" in sys.argv
    for i in range(n):
        t0 = time.perf_counter()
        send(topic, value)
        dt = time.perf_counter() - t0
        if dt > longest:
            longest = dt
        if trace and i % 10_000 == 0:
            import collections
            import gc
            top = collections.Counter(type(o).__name__ for o in gc.get_objects()).most_common(4)
            print(i, (_rss_kb() - base) // 1024, "MB; used", p._acc.used_memory >> 20, "MB;",
                  len(p._acc.incomplete), "batches;", top, file=sys.stderr)
    peak = _peak_kb()
    p.flush()
    waited = p.metrics()["producer-metrics"]["bufferpool-wait-time-total"] / 1e9
    compressor = p._compressor
    p.close()
    print(json.dumps({"base_kb": base, "peak_kb": peak, "longest_send_s": longest,
                      "pool_wait_s": waited, "sent": n + 2000,
                      "compressor_batches": compressor.compressed if compressor is not None else 0}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
