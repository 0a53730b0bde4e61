"""Producer throughput: purekafka against kafka-python, alternating, on one local broker.

100-byte values, acks=1, linger_ms=5, batch_size=64 KiB, a 3-partition topic,
500k records per run (``--records``). Rounds alternate the two clients so drift
in the machine's state hits both alike; each run uses a fresh topic. A run is
timed from the first send() to the end of flush(), i.e. until the broker
acknowledged every record. Prints each run, the median rates and their ratio,
the per-round ratios, and records per CPU second of the process (both threads),
which a busy machine disturbs less than wall-clock rates.

    python bench/bench_producer.py                 # starts a broker with tools/kafka_local.py
    python bench/bench_producer.py --bootstrap 127.0.0.1:9092
    python bench/bench_producer.py --profile       # cProfile one purekafka run instead
"""
from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VALUE = b"x" * 100
COMMON = dict(acks=1, linger_ms=5, batch_size=64 * 1024)


def _kafka_local():
    spec = importlib.util.spec_from_file_location("kafka_local", ROOT / "tools" / "kafka_local.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["kafka_local"] = mod
    spec.loader.exec_module(mod)
    return mod


def make_topic(bootstrap: str) -> str:
    kl = _kafka_local()
    host, port = bootstrap.split(",")[0].rsplit(":", 1)
    name = f"bench-{uuid.uuid4().hex[:10]}"
    kl.create_topic((host, int(port)), name, 3, 1, None)
    return name


def _timed(p, topic: str, n: int) -> tuple[float, float]:
    """(records per wall second, records per CPU second of this process) for n sends + flush."""
    send = p.send
    t0 = time.perf_counter()
    c0 = time.process_time()
    for _ in range(n):
        send(topic, VALUE)
    p.flush()
    dt = time.perf_counter() - t0
    dc = time.process_time() - c0
    p.close()
    return n / dt, n / dc


def run_purekafka(bootstrap: str, topic: str, n: int) -> tuple[float, float]:
    from purekafka import KafkaProducer

    p = KafkaProducer(bootstrap_servers=bootstrap, **COMMON)
    p.partitions_for(topic)  # metadata outside the timed part, for both clients
    return _timed(p, topic, n)


def run_kafka_python(bootstrap: str, topic: str, n: int) -> tuple[float, float]:
    from kafka import KafkaProducer

    p = KafkaProducer(bootstrap_servers=bootstrap, **COMMON)
    p.partitions_for(topic)
    return _timed(p, topic, n)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bootstrap", help="use this broker instead of starting one")
    ap.add_argument("--records", type=int, default=500_000)
    ap.add_argument("--rounds", type=int, default=2, help="runs per client (alternating)")
    ap.add_argument("--profile", action="store_true", help="cProfile one purekafka run")
    args = ap.parse_args()

    tmp = None
    bootstrap = args.bootstrap
    if not bootstrap:
        tmp = tempfile.mkdtemp(prefix="purekafka-bench-")
        out = subprocess.run([sys.executable, str(ROOT / "tools" / "kafka_local.py"), "start", "--dir", tmp],
                             check=True, capture_output=True, text=True).stdout
        bootstrap = out.strip().splitlines()[-1].split("=", 1)[1]
    try:
        if args.profile:
            import cProfile
            import pstats

            topic = make_topic(bootstrap)
            prof = cProfile.Profile()
            prof.enable()
            rate, _ = run_purekafka(bootstrap, topic, args.records)
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
            print(f"purekafka (profiled): {rate:,.0f} records/s")
            return 0
        rates: dict[str, list[float]] = {"purekafka": [], "kafka-python": []}
        cpu: dict[str, list[float]] = {"purekafka": [], "kafka-python": []}
        for r in range(args.rounds):
            for name, fn in (("purekafka", run_purekafka), ("kafka-python", run_kafka_python)):
                topic = make_topic(bootstrap)
                gc.collect()
                rate, per_cpu = fn(bootstrap, topic, args.records)
                rates[name].append(rate)
                cpu[name].append(per_cpu)
                print(f"round {r + 1}: {name:13s} {rate:12,.0f} records/s  "
                      f"({per_cpu:,.0f} records per CPU second)", flush=True)
            print(f"round {r + 1}: ratio {rates['purekafka'][-1] / rates['kafka-python'][-1]:.2f}x", flush=True)
        pk = statistics.median(rates["purekafka"])
        kp = statistics.median(rates["kafka-python"])
        round_ratios = [a / b for a, b in zip(rates["purekafka"], rates["kafka-python"])]
        cpu_ratio = statistics.median(cpu["purekafka"]) / statistics.median(cpu["kafka-python"])
        print(f"purekafka     {pk:12,.0f} records/s (median of {args.rounds})")
        print(f"kafka-python  {kp:12,.0f} records/s (median of {args.rounds})")
        print(f"ratio         {pk / kp:12.2f}x (medians); per round: "
              + ", ".join(f"{x:.2f}x" for x in round_ratios))
        print(f"CPU ratio     {cpu_ratio:12.2f}x (records per CPU second, less sensitive to a busy machine)")
        return 0
    finally:
        if tmp:
            subprocess.run([sys.executable, str(ROOT / "tools" / "kafka_local.py"), "stop", "--dir", tmp],
                           capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
