"""send() before and after: two purekafka checkouts, alternating, on one local broker.

Each run is a fresh subprocess that puts its checkout first on ``sys.path`` before
importing purekafka (an editable install would otherwise win; the child prints
``purekafka.__file__`` so this can be seen), makes a producer, fetches the topic's
metadata, then times ``n`` calls of ``producer.send()`` (records per second into the
accumulator, with the I/O thread running as it does for a user) and the ``flush()``
that follows. Both checkouts get the same values, settings, broker and a fresh
topic of the same shape per run; rounds alternate which checkout goes first so
drift in a shared machine hits both alike. Prints every run, the medians and the
after/before ratios (per round and of the medians).

    python bench/bench_send.py --base c1815fb              # base commit vs this tree
    python bench/bench_send.py --before /path/a --after /path/b
    python bench/bench_send.py --base c1815fb --profile    # cProfile send() once per checkout
    python bench/bench_send.py --bootstrap 127.0.0.1:9092  # an already running broker
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VALUE_SIZE = 100
SETTINGS: dict[str, Any] = dict(acks=1, linger_ms=5, batch_size=64 * 1024)


def _kafka_local() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kafka_local", ROOT / "tools" / "kafka_local.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["kafka_local"] = mod
    spec.loader.exec_module(mod)
    return mod


def _make_topic(bootstrap: str, partitions: int) -> str:
    host, port = bootstrap.split(",")[0].rsplit(":", 1)
    name = f"bench-send-{uuid.uuid4().hex[:10]}"
    _kafka_local().create_topic((host, int(port)), name, partitions, 1, None)
    return name


def _export(commit: str, into: str) -> Path:
    """The tree of ``commit`` as plain files (``git archive``), without touching worktrees."""
    dest = Path(into) / f"base-{commit}"
    dest.mkdir()
    data = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit, "purekafka"],
                          check=True, capture_output=True).stdout
    tar_path = Path(into) / "base.tar"
    tar_path.write_bytes(data)
    with tarfile.open(tar_path) as tar:
        tar.extractall(dest, filter="data")
    return dest


# -- the child: one timed run of one checkout ---------------------------------------------

def child(checkout: str, bootstrap: str, topic: str, n: int, keyed: bool, profile: bool) -> None:
    sys.path.insert(0, checkout)
    import purekafka
    from purekafka import KafkaProducer

    where = os.path.realpath(purekafka.__file__)
    if not where.startswith(os.path.realpath(checkout) + os.sep):
        raise SystemExit(f"imported {where}, not from {checkout}")
    value = b"x" * VALUE_SIZE
    keys = [b"k%d" % i for i in range(1000)] if keyed else None
    p = KafkaProducer(bootstrap_servers=bootstrap, **SETTINGS)
    p.partitions_for(topic)  # metadata outside the timed part
    send = p.send
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    c0 = time.thread_time()
    if keys is None:
        for _ in range(n):
            send(topic, value)
    else:
        for i in range(n):
            send(topic, value, keys[i % 1000])
    c1 = time.thread_time()
    t1 = time.perf_counter()
    if prof is not None:
        prof.disable()
    p.flush()
    t2 = time.perf_counter()
    p.close()
    if prof is not None:
        import pstats

        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(15)
    print(json.dumps({"file": where, "send_rate": n / (t1 - t0), "send_cpu_rate": n / max(1e-9, c1 - c0),
                      "total_rate": n / (t2 - t0)}))


def _run(checkout: Path, bootstrap: str, n: int, partitions: int, keyed: bool, profile: bool) -> dict[str, Any]:
    topic = _make_topic(bootstrap, partitions)
    cmd = [sys.executable, __file__, "--child", str(checkout), "--bootstrap", bootstrap,
           "--topic", topic, "--records", str(n)] + (["--keyed"] if keyed else []) + \
        (["--profile"] if profile else [])
    proc = subprocess.run(cmd, check=True, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": ""})
    if profile:
        print(proc.stderr)
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="main", help="commit for the before checkout (exported with git archive)")
    ap.add_argument("--before", help="path of the 'before' checkout (instead of --base)")
    ap.add_argument("--after", default=str(ROOT), help="path of the 'after' checkout (default: this tree)")
    ap.add_argument("--bootstrap", help="use this broker instead of starting one")
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--partitions", type=int, default=3)
    ap.add_argument("--keyed", action="store_true", help="1000 distinct keys instead of null keys")
    ap.add_argument("--profile", action="store_true", help="cProfile send() once per checkout")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--topic", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.bootstrap, args.topic, args.records, args.keyed, args.profile)
        return 0

    tmp = tempfile.mkdtemp(prefix="purekafka-bench-send-")
    before = Path(args.before) if args.before else _export(args.base, tmp)
    after = Path(args.after)
    checkouts = {"before": before, "after": after}
    bootstrap = args.bootstrap
    broker_dir = None
    if not bootstrap:
        broker_dir = os.path.join(tmp, "broker")
        out = subprocess.run([sys.executable, str(ROOT / "tools" / "kafka_local.py"), "start", "--dir", broker_dir],
                             check=True, capture_output=True, text=True).stdout
        bootstrap = out.strip().splitlines()[-1].split("=", 1)[1]
    try:
        print(f"before: {before}\nafter:  {after}\n{args.records:,} records of {VALUE_SIZE} B, "
              f"{'keyed' if args.keyed else 'null keys'}, {SETTINGS}, {args.partitions} partitions", flush=True)
        if args.profile:
            for name, path in checkouts.items():
                print(f"== {name}: cProfile of send() ==")
                r = _run(path, bootstrap, args.records, args.partitions, args.keyed, True)
                print(f"{name}: {r['send_rate']:,.0f} send()/s under cProfile ({r['file']})")
            return 0
        rates: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
        for rnd in range(args.rounds):
            order = ["before", "after"] if rnd % 2 == 0 else ["after", "before"]
            for name in order:
                r = _run(checkouts[name], bootstrap, args.records, args.partitions, args.keyed, False)
                rates[name].append(r)
                print(f"round {rnd + 1}: {name:6s} send() {r['send_rate']:10,.0f} rec/s  "
                      f"({r['send_cpu_rate']:,.0f} per CPU s of the sending thread)  "
                      f"send+flush {r['total_rate']:10,.0f} rec/s  [{r['file']}]", flush=True)
            b, a = rates["before"][-1], rates["after"][-1]
            print(f"round {rnd + 1}: after/before send() {a['send_rate'] / b['send_rate']:.3f}x  "
                  f"per CPU s {a['send_cpu_rate'] / b['send_cpu_rate']:.3f}x  "
                  f"send+flush {a['total_rate'] / b['total_rate']:.3f}x", flush=True)
        for metric in ("send_rate", "send_cpu_rate", "total_rate"):
            mb = statistics.median(r[metric] for r in rates["before"])
            ma = statistics.median(r[metric] for r in rates["after"])
            per_round = statistics.median(
                a[metric] / b[metric] for a, b in zip(rates["after"], rates["before"]))
            print(f"median {metric:14s} before {mb:10,.0f}  after {ma:10,.0f}  after/before "
                  f"{ma / mb:.3f}x (medians), {per_round:.3f}x (median of the rounds' ratios)")
        return 0
    finally:
        if broker_dir:
            subprocess.run([sys.executable, str(ROOT / "tools" / "kafka_local.py"), "stop", "--dir", broker_dir],
                           capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
