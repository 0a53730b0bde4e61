"""asyncio producer throughput: purekafka.aio against aiokafka, alternating, one broker.

Each run is ``await producer.send()`` in a loop for ``--records`` records, then
``await producer.flush()`` (every record acknowledged), timed from the first send,
on a fresh 3-partition topic; the two clients alternate so a drifting machine hits
both alike. The same values and settings for both:

    a1   100-byte values, acks=1, linger_ms=5, 64 KiB batches
    all  the same with acks='all' and idempotence
    lz4  1 KiB JSON-like values, acks=1, linger_ms=5, 64 KiB batches, lz4

Prints every run, the median rates, their ratio per mode, and records per CPU
second (steadier than wall-clock rates on a busy machine).

    python bench/bench_aio.py                     # starts a broker with tools/kafka_local.py
    python bench/bench_aio.py --bootstrap 127.0.0.1:9092 --modes a1,lz4 --records 200000
    python bench/bench_aio.py --uvloop            # both clients on uvloop
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_producer import make_topic  # noqa: E402 - after the path is set


def _json_value(i: int) -> bytes:
    """About 1 KiB of JSON that compresses as real events do (repeated field names)."""
    event = {"id": i, "user": f"user-{i % 977:04d}", "action": ["login", "view", "buy"][i % 3],
             "items": [{"sku": f"SKU-{(i * 7 + j) % 10007:05d}", "qty": j + 1, "price": 9.99 + j}
                       for j in range(12)], "tags": ["web", "eu", "beta"][: 1 + i % 3]}
    raw = json.dumps(event).encode()
    return (raw + b" " * 1024)[:1024]


MODES: dict[str, dict[str, Any]] = {
    "a1": dict(settings=dict(acks=1, linger_ms=5, max_batch_size=64 * 1024), value=lambda i: b"x" * 100),
    "all": dict(settings=dict(acks="all", enable_idempotence=True, linger_ms=5, max_batch_size=64 * 1024),
                value=lambda i: b"x" * 100),
    "lz4": dict(settings=dict(acks=1, linger_ms=5, max_batch_size=64 * 1024, compression_type="lz4"),
                value=_json_value),
}


async def _timed(cls: Any, bootstrap: str, topic: str, n: int, settings: dict[str, Any],
                 values: list[bytes]) -> tuple[float, float]:
    p = cls(bootstrap_servers=bootstrap, **settings)
    await p.start()
    try:
        await p.partitions_for(topic)  # metadata outside the timed part, for both clients
        send = p.send
        m = len(values)
        t0 = time.perf_counter()
        c0 = time.process_time()
        for i in range(n):
            await send(topic, values[i % m])
        await p.flush()
        dt = time.perf_counter() - t0
        dc = time.process_time() - c0
    finally:
        await p.stop()
    return n / dt, n / dc


def _client(name: str) -> Any:
    if name == "purekafka.aio":
        from purekafka.aio import AIOKafkaProducer
    else:
        from aiokafka import AIOKafkaProducer  # type: ignore[no-redef]
    return AIOKafkaProducer


def run_mode(bootstrap: str, mode: str, records: int, rounds: int,
             runner: Callable[[Any], Any]) -> dict[str, float]:
    spec = MODES[mode]
    values = [spec["value"](i) for i in range(1000)]
    rates: dict[str, list[float]] = {"purekafka.aio": [], "aiokafka": []}
    cpu: dict[str, list[float]] = {"purekafka.aio": [], "aiokafka": []}
    for r in range(rounds):
        for name in ("purekafka.aio", "aiokafka"):
            topic = make_topic(bootstrap)
            gc.collect()
            rate, per_cpu = runner(_timed(_client(name), bootstrap, topic, records, spec["settings"], values))
            rates[name].append(rate)
            cpu[name].append(per_cpu)
            print(f"{mode} round {r + 1}: {name:14s} {rate:12,.0f} records/s "
                  f"({per_cpu:,.0f} per CPU second)", flush=True)
    pk = statistics.median(rates["purekafka.aio"])
    ak = statistics.median(rates["aiokafka"])
    cpu_ratio = statistics.median(cpu["purekafka.aio"]) / statistics.median(cpu["aiokafka"])
    per_round = ", ".join(f"{a / b:.2f}x" for a, b in zip(rates["purekafka.aio"], rates["aiokafka"]))
    print(f"{mode}: purekafka.aio {pk:,.0f}/s, aiokafka {ak:,.0f}/s: ratio {pk / ak:.2f}x "
          f"(per round {per_round}); CPU ratio {cpu_ratio:.2f}x", flush=True)
    return {"purekafka.aio": pk, "aiokafka": ak, "ratio": pk / ak, "cpu_ratio": cpu_ratio}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bootstrap", help="use this broker instead of starting one")
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=2, help="runs per client and mode (alternating)")
    ap.add_argument("--modes", default="a1,all,lz4")
    ap.add_argument("--uvloop", action="store_true", help="run both clients on uvloop")
    args = ap.parse_args()
    if args.uvloop:
        import uvloop

        runner: Callable[[Any], Any] = uvloop.run
    else:
        runner = asyncio.run

    tmp = None
    bootstrap = args.bootstrap
    if not bootstrap:
        tmp = tempfile.mkdtemp(prefix="purekafka-bench-")
        out = subprocess.run([sys.executable, str(ROOT / "tools" / "kafka_local.py"), "start", "--dir", tmp],
                             check=True, capture_output=True, text=True).stdout
        bootstrap = out.strip().splitlines()[-1].split("=", 1)[1]
    try:
        results = {m: run_mode(bootstrap, m, args.records, args.rounds, runner)
                   for m in args.modes.split(",")}
        print("\nmode   purekafka.aio      aiokafka   ratio   CPU ratio")
        for m, r in results.items():
            print(f"{m:5s} {r['purekafka.aio']:14,.0f} {r['aiokafka']:13,.0f} {r['ratio']:6.2f}x "
                  f"{r['cpu_ratio']:8.2f}x")
        return 0
    finally:
        if tmp:
            subprocess.run([sys.executable, str(ROOT / "tools" / "kafka_local.py"), "stop", "--dir", tmp],
                           capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
