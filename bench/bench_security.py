"""What TLS and SASL cost: records/s over PLAINTEXT and over SASL_SSL (SCRAM-SHA-512), same run, same broker.

One broker (tools/kafka_local.py ``--security SASL_SSL --sasl-mechanisms SCRAM-SHA-512``)
carries both listeners. 100-byte values, acks=1, linger_ms=5, batch_size=64 KiB, a
3-partition topic, 200k records per run (``--records``), a fresh topic each run. Rounds
alternate PLAINTEXT and SASL_SSL so drift in the machine's state hits both alike; a run is
timed from the first send() to the end of flush() (every record acknowledged), with the
connection and authentication done before (metadata fetched first). Prints each run and the
median SASL_SSL / PLAINTEXT ratio for purekafka (the target is above 0.7), and
confluent-kafka's two figures beside it for context.

    python bench/bench_security.py                      # starts its own broker
    python bench/bench_security.py --records 500000 --rounds 3
"""
from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VALUE = b"x" * 100
COMMON: dict[str, Any] = dict(acks=1, linger_ms=5, batch_size=64 * 1024)
MECH = "SCRAM-SHA-512"


def _kafka_local() -> Any:
    if "kafka_local" in sys.modules:
        return sys.modules["kafka_local"]
    spec = importlib.util.spec_from_file_location("kafka_local", ROOT / "tools" / "kafka_local.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["kafka_local"] = mod
    spec.loader.exec_module(mod)
    return mod


def _topic(plain: str) -> str:
    host, port = plain.split(",")[0].rsplit(":", 1)
    name = f"bench-sec-{uuid.uuid4().hex[:10]}"
    _kafka_local().create_topic((host, int(port)), name, 3, 1, None)
    return name


def run_purekafka(settings: dict[str, Any], topic: str, n: int) -> float:
    from purekafka import KafkaProducer

    p = KafkaProducer(**settings, **COMMON)
    p.partitions_for(topic)  # connect, authenticate and fetch metadata outside the timed part
    send = p.send
    t0 = time.perf_counter()
    for _ in range(n):
        send(topic, VALUE)
    p.flush()
    dt = time.perf_counter() - t0
    p.close()
    return n / dt


def run_confluent(conf: dict[str, Any], topic: str, n: int) -> float:
    from confluent_kafka import Producer

    p = Producer({**conf, "acks": 1, "linger.ms": 5, "batch.size": 64 * 1024,
                  "queue.buffering.max.messages": max(n, 100000)})
    p.list_topics(topic, timeout=10)
    produce, poll = p.produce, p.poll
    t0 = time.perf_counter()
    for i in range(n):
        try:
            produce(topic, VALUE)
        except BufferError:
            poll(0.01)
            produce(topic, VALUE)
        if i % 10000 == 0:
            poll(0)
    p.flush(120)
    return n / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3, help="runs per client and protocol (alternating)")
    ap.add_argument("--no-confluent", action="store_true", help="purekafka only")
    args = ap.parse_args()
    # acks=1 makes purekafka say, as kafka-python does, that idempotence is off: once per run.
    logging.getLogger("purekafka").setLevel(logging.ERROR)

    kafka_local = ROOT / "tools" / "kafka_local.py"
    tmp = Path(tempfile.mkdtemp(prefix="purekafka-bench-sec-"))
    out = subprocess.run([sys.executable, str(kafka_local), "start", "--dir", str(tmp), "--security", "SASL_SSL",
                          "--sasl-mechanisms", MECH], check=True, capture_output=True, text=True).stdout
    secure = out.strip().splitlines()[-1].split("=", 1)[1]
    try:
        state = json.loads((tmp / "cluster.json").read_text())
        plain = ",".join(f"127.0.0.1:{n['port']}" for n in state["nodes"])
        sec = _kafka_local().sec
        info = state["listeners"]["SASL_SSL"]
        pk = {"PLAINTEXT": {"bootstrap_servers": plain}, "SASL_SSL": sec.client_settings(tmp, info, secure, MECH)}
        ck = {"PLAINTEXT": {"bootstrap.servers": plain}, "SASL_SSL": sec.confluent_settings(tmp, info, secure, MECH)}
        clients: list[tuple[str, Callable[[dict[str, Any], str, int], float], dict[str, dict[str, Any]]]] = [
            ("purekafka", run_purekafka, pk)]
        if not args.no_confluent:
            clients.append(("confluent-kafka", run_confluent, ck))
        rates: dict[tuple[str, str], list[float]] = {}
        for r in range(args.rounds):
            for name, fn, settings in clients:
                for proto in ("PLAINTEXT", "SASL_SSL") if r % 2 == 0 else ("SASL_SSL", "PLAINTEXT"):
                    gc.collect()
                    rate = fn(settings[proto], _topic(plain), args.records)
                    rates.setdefault((name, proto), []).append(rate)
                    print(f"round {r + 1}: {name:15s} {proto:10s} {rate:12,.0f} records/s", flush=True)
        print()
        for name, _, _ in clients:
            p_med = statistics.median(rates[(name, "PLAINTEXT")])
            s_med = statistics.median(rates[(name, "SASL_SSL")])
            per_round = [s / p for s, p in zip(rates[(name, "SASL_SSL")], rates[(name, "PLAINTEXT")])]
            print(f"{name:15s} PLAINTEXT {p_med:12,.0f}  SASL_SSL ({MECH}) {s_med:12,.0f} records/s  "
                  f"ratio {s_med / p_med:.2f} (medians of {args.rounds}; per round "
                  + ", ".join(f"{x:.2f}" for x in per_round) + ")")
        ratio = statistics.median(rates[("purekafka", "SASL_SSL")]) / statistics.median(rates[("purekafka", "PLAINTEXT")])
        print(f"purekafka SASL_SSL / PLAINTEXT: {ratio:.2f} (target > 0.7)")
        return 0
    finally:
        subprocess.run([sys.executable, str(kafka_local), "stop", "--dir", str(tmp)], capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
