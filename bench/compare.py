"""Every producer on one broker, one run, alternating: records/s, MB/s, CPU, RSS, latency.

Clients: purekafka ``send()`` and ``send_batch()`` (chunks of 1000), kafka-python,
aiokafka, confluent-kafka (a ``produce()`` loop), Java's ProducerPerformance, and
purekafka.aio (an ``await send()`` loop, as aiokafka's). Modes (bench/compare_clients.py ``MODES``):

- a1: 100 B values, acks=1, no idempotence, linger 5 ms, 64 KiB batches, 3 partitions;
- all: a1 with acks=all and idempotence;
- lz4, zstd: 1 KiB JSON-like values, compressed;
- 1k: 1 KiB JSON-like values, uncompressed;
- sasl_ssl: a1 over SASL_SSL (SCRAM-SHA-512, TLS without client certificates);
- latency: p50/p99 send-to-ack latency at 10k records/s, linger 0 (a1 otherwise).

Each run is its own process on a fresh topic; its CPU seconds (user + system, every
thread) and peak RSS come from wait4(). Rounds alternate the clients (the start rotates)
and the table shows medians. Before round 1 every Python client runs once per mode,
uncounted (``--warmup-records``): the broker's JIT is then warm for whichever client
goes first, and every client's bytecode is compiled into one cache (installed packages
ship compiled; this tree would otherwise be compiled again inside each measured run).
Every client gets the same values and settings. Java runs
``--java-records`` (2M by default, so that its JIT is warm for most of the run) with
its payloads from the same values file; its rate is its own final line.

    python bench/compare.py                       # starts a broker with tools/kafka_local.py
    python bench/compare.py --cluster-dir DIR --rounds 3 --out bench/results
    python bench/compare.py --bootstrap HOST:PORT # PLAINTEXT only: no sasl_ssl mode
    python bench/compare.py --quick               # a smoke run in seconds (make test)
"""
from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from compare_clients import CLIENTS, MODES, SECURE_ENV  # noqa: E402

JAVA = "Java ProducerPerformance"
ORDER = ["purekafka send()", "purekafka send_batch()", "purekafka.aio", "kafka-python", "aiokafka",
         "confluent-kafka", JAVA]
FINAL = re.compile(r"^(\d+) records sent, ([0-9.]+) records/sec \(([0-9.]+) MB/sec\), ([0-9.]+) ms avg "
                   r"latency, ([0-9.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th")


def _kafka_local() -> Any:
    if "kafka_local" in sys.modules:
        return sys.modules["kafka_local"]
    spec = importlib.util.spec_from_file_location("kafka_local", ROOT / "tools" / "kafka_local.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["kafka_local"] = mod
    spec.loader.exec_module(mod)
    return mod


def make_values(kind: str, count: int = 1000, seed: int = 7) -> list[bytes]:
    """100 B of random capitals (as Java's --record-size draws), or ~1 KiB JSON-like records."""
    rng = random.Random(seed)
    if kind == "100":
        return [bytes(rng.randrange(65, 91) for _ in range(100)) for _ in range(count)]
    words = ["alpha", "beta", "gamma", "delta", "order", "user", "event", "click", "view", "cart"]
    out = []
    for i in range(count):
        doc: dict[str, Any] = {"id": i, "ts": 1_700_000_000_000 + rng.randrange(10**6),
                               "type": rng.choice(words), "user": f"u{rng.randrange(10**5)}"}
        j = 0
        while len(json.dumps(doc)) < 1000:
            doc[f"{rng.choice(words)}_{j}"] = rng.choice([rng.randrange(10**6), rng.choice(words),
                                                         round(rng.random() * 1000, 3)])
            j += 1
        out.append(json.dumps(doc)[:1024].encode())
    return out


def _spawn(cmd: list[str], timeout: float, env: dict[str, str] | None = None) -> tuple[str, float, int]:
    """Run ``cmd``; its stdout, CPU seconds (user + sys) and peak RSS in kB, from wait4()."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise RuntimeError(f"{cmd[:3]} timed out after {timeout}s")
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text = out.read().decode(errors="replace")
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:4])} exited {proc.returncode}: "
                               f"{err.read().decode(errors='replace')[-2000:]}")
        return text, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


SECURE_MECHANISM = "SCRAM-SHA-512"


def secure_spec(cluster_dir: Path | None, work: Path) -> dict[str, Any] | None:
    """Every client's settings for the cluster's SASL_SSL (SCRAM-SHA-512, server-only TLS)
    listener, written to ``work`` for the workers; None when the cluster has no such listener."""
    if cluster_dir is None or not (cluster_dir / "cluster.json").exists():
        return None
    state = json.loads((cluster_dir / "cluster.json").read_text())
    # The listener named SASL_SSL first (--test-listeners has others, e.g. one re-authenticating).
    listeners = sorted(state.get("listeners", {}).items(), key=lambda kv: kv[0] != "SASL_SSL")
    listener = next((info for _, info in listeners
                     if info["protocol"] == "SASL_SSL" and SECURE_MECHANISM in info["mechanisms"]
                     and not info["client_auth"] and not info.get("reauth_ms")), None)
    if listener is None:
        return None
    sec = _kafka_local().sec
    ca = str(cluster_dir / "ca.pem")
    spec = {
        "bootstrap": listener["bootstrap"],
        "kafka-python": {k: v for k, v in sec.client_settings(cluster_dir, listener, listener["bootstrap"],
                                                              SECURE_MECHANISM).items()
                         if k != "bootstrap_servers"},
        "confluent": {k: v for k, v in sec.confluent_settings(cluster_dir, listener, listener["bootstrap"],
                                                              SECURE_MECHANISM).items()
                      if k != "bootstrap.servers"},
        "asyncio": {"cafile": ca, "mechanism": SECURE_MECHANISM, "username": sec.USER, "password": sec.PASSWORD},
        # A file, not --command-property: the JAAS line has spaces and '=' of its own.
        "java_config": str(work / "secure.properties"),
    }
    (work / "secure.properties").write_text(
        "security.protocol=SASL_SSL\n"
        f"sasl.mechanism={SECURE_MECHANISM}\n"
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{sec.USER}" password="{sec.PASSWORD}";\n'
        f"ssl.truststore.type=PEM\nssl.truststore.location={ca}\n")
    (work / "secure.json").write_text(json.dumps(spec))
    return spec


def worker_env(work: Path) -> dict[str, str]:
    """The environment of every Python run: bytecode cached under ``work`` for every client.

    Installed packages come with their bytecode compiled; this tree does not, and with
    PYTHONDONTWRITEBYTECODE set each run would compile it afresh inside the measured CPU.
    One cache for all clients, filled by the warm-up, keeps the comparison even.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    env[SECURE_ENV] = str(work / "secure.json")
    return env


def run_python(client: str, mode: str, bootstrap: str, topic: str, n: int, values_file: Path,
               rate: float | None, env: dict[str, str] | None = None) -> dict[str, Any]:
    cmd = [sys.executable, str(ROOT / "bench" / "compare_clients.py"), client, mode, bootstrap, topic,
           str(n), str(values_file)]
    if rate is not None:
        cmd += ["--rate", str(rate)]
    text, cpu, rss = _spawn(cmd, 900, env)
    res: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    res.update(cpu=cpu, rss_kb=rss)
    return res


def run_java(mode: str, bootstrap: str, topic: str, n: int, values_file: Path,
             rate: float | None, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    m = MODES[mode]
    if m.get("secure"):
        assert spec is not None
        bootstrap = spec["bootstrap"]
    props = [f"bootstrap.servers={bootstrap}", f"acks={m['acks']}", f"linger.ms={m['linger']}",
             "batch.size=65536", f"enable.idempotence={str(m['idempotence']).lower()}",
             f"compression.type={m['compression'] or 'none'}"]
    cp = _kafka_local().classpath(_kafka_local().DEFAULT_VERSION)
    cmd = ["java", "-Xmx1g", "-cp", cp, "org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
           "--num-records", str(n), "--payload-file", str(values_file),
           "--throughput", str(rate if rate is not None else -1), "--command-property", *props]
    if m.get("secure"):
        assert spec is not None
        cmd += ["--command-config", spec["java_config"]]
    text, cpu, rss = _spawn(cmd, 1800)
    lines = [m for m in (FINAL.match(x) for x in text.splitlines()) if m]
    if not lines:
        raise RuntimeError(f"no final line from ProducerPerformance:\n{text[-1000:]}")
    f = lines[-1]
    count, per_s = int(f[1]), float(f[2])
    return {"records": count, "seconds": count / per_s, "cpu": cpu, "rss_kb": rss,
            "p50_ms": float(f[6]), "p99_ms": float(f[8])}


def available_clients(want: list[str] | None) -> list[str]:
    names = [c for c in ORDER if want is None or c in want]
    if JAVA in names and subprocess.run(["java", "-version"], capture_output=True).returncode != 0:
        names.remove(JAVA)
    return names


def measure(args: argparse.Namespace, bootstrap: str, work: Path,
            cluster_dir: Path | None = None) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Every (mode, client) run ``args.rounds`` times, clients alternating, the start rotating."""
    spec = secure_spec(cluster_dir, work)
    if spec is None and any(MODES[m].get("secure") for m in args.modes):
        print(f"no SASL_SSL listener with {SECURE_MECHANISM} (start the broker with --security SASL_SSL "
              f"--sasl-mechanisms {SECURE_MECHANISM} and pass --cluster-dir): the secure modes are left out",
              flush=True)
        args.modes = [m for m in args.modes if not MODES[m].get("secure")]
    kl = _kafka_local()
    host, port = bootstrap.split(",")[0].rsplit(":", 1)
    files = {}
    for kind in ("100", "json"):
        files[kind] = work / f"values-{kind}.txt"
        files[kind].write_bytes(b"".join(v + b"\n" for v in make_values(kind)))
    clients = available_clients(args.clients)
    env = worker_env(work)
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    if args.warmup_records:
        # Not counted: fills the bytecode cache and warms the broker's JIT for each mode, so
        # that the first client of round 1 does not pay for either.
        for mode in args.modes:
            for client in clients:
                if client == JAVA or (mode == "latency" and "send_batch" in client):
                    continue
                topic = f"warm-{mode}-{uuid.uuid4().hex[:8]}"
                kl.create_topic((host, int(port)), topic, 3, 1, None)
                try:
                    run_python(client, mode, bootstrap, topic, min(args.warmup_records, args.records),
                               files[MODES[mode]["values"]], 10_000.0 if mode == "latency" else None, env)
                except RuntimeError as e:
                    print(f"warm-up {mode:7s} {client:24s} FAILED: {e}", flush=True)
        print(f"warm-up done: every Python client once per mode, {args.warmup_records:,} records, "
              "not counted", flush=True)
    for r in range(args.rounds):
        for mode in args.modes:
            rate = 10_000.0 if mode == "latency" else None
            order = [c for c in clients if not (mode == "latency" and "send_batch" in c)]
            k = r % len(order)
            for client in order[k:] + order[:k]:
                topic = f"cmp-{mode}-{uuid.uuid4().hex[:8]}"
                kl.create_topic((host, int(port)), topic, 3, 1, None)
                n = args.latency_records if rate else args.records
                values = files[MODES[mode]["values"]]
                try:
                    if client == JAVA:
                        res = run_java(mode, bootstrap, topic, n if rate else max(n, args.java_records),
                                       values, rate, spec)
                    else:
                        res = run_python(client, mode, bootstrap, topic, n, values, rate, env)
                except RuntimeError as e:
                    print(f"round {r + 1} {mode:7s} {client:24s} FAILED: {e}", flush=True)
                    continue
                res["mb"] = res["records"] * _mean_size(values) / 1048576
                res["round"] = r
                results.setdefault((mode, client), []).append(res)
                print(f"round {r + 1} {mode:7s} {client:24s} {res['records'] / res['seconds']:>11,.0f} rec/s "
                      f"cpu {res['cpu'] / res['records'] * 1e6:5.2f} s/M  rss {res['rss_kb'] / 1024:6.1f} MB"
                      + (f"  p50 {res['p50_ms']:.1f} p99 {res['p99_ms']:.1f} ms" if rate else ""), flush=True)
    return results


_sizes: dict[Path, float] = {}


def _mean_size(path: Path) -> float:
    if path not in _sizes:
        values = path.read_bytes().split(b"\n")[:-1]
        _sizes[path] = sum(map(len, values)) / len(values)
    return _sizes[path]


def summarize(results: dict[tuple[str, str], list[dict[str, Any]]]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for key, runs in results.items():
        med = statistics.median
        out[key] = {
            "rate": med(r["records"] / r["seconds"] for r in runs),
            "mbs": med(r["mb"] / r["seconds"] for r in runs),
            "cpu": med(r["cpu"] / r["records"] * 1e6 for r in runs),
            "rss": max(r["rss_kb"] for r in runs) / 1024,
            "p50": med(r.get("p50_ms", float("nan")) for r in runs),
            "p99": med(r.get("p99_ms", float("nan")) for r in runs),
            "records": runs[0]["records"], "runs": len(runs),
            "by_round": {r["round"]: r["records"] / r["seconds"] for r in runs},
        }
    return out


def paired_ratios(a: dict[str, Any], b: dict[str, Any]) -> list[float]:
    """``a``'s rate over ``b``'s, round by round (the rounds both ran): runs of the same
    round are minutes apart, so their ratio varies less than the machine's speed does."""
    return [a["by_round"][r] / b["by_round"][r] for r in sorted(a["by_round"]) if r in b["by_round"]]


def _paired_line(rows: dict[str, dict[str, Any]], peer: str) -> str | None:
    """One line: each purekafka client's per-round ratios to ``peer``, and their median."""
    if peer not in rows:
        return None
    parts = []
    for c, s in rows.items():
        ratios = paired_ratios(s, rows[peer]) if c.startswith("purekafka") else []
        if ratios:
            each = ", ".join(f"{x:.2f}" for x in ratios)
            parts.append(f"{c} {each} (median {statistics.median(ratios):.2f}×)")
    return f"Per round, × {peer}: " + "; ".join(parts) + "." if parts else None


def _ratio(a: dict[str, float] | None, b: dict[str, float] | None) -> str:
    if not a or not b or not b["rate"]:
        return "–"
    return f"{a['rate'] / b['rate']:.2f}×"


def markdown(summary: dict[tuple[str, str], dict[str, float]], args: argparse.Namespace, started: str) -> str:
    lines = [f"Run {started} on {platform.node()} ({platform.machine()}, {os.cpu_count()} CPUs, "
             f"{platform.python_implementation()} {platform.python_version()}, load average "
             f"{os.getloadavg()[0]:.2f} at the end); one broker (Kafka {_kafka_local().DEFAULT_VERSION}), "
             f"{args.rounds} round(s) after {'a' if args.warmup_records else 'no'} warm-up, medians; "
             f"{args.records:,} records per Python run"
             + (f", Java {max(args.records, args.java_records):,} (so that its JIT is warm)"
                if any(c == JAVA for _, c in summary) else "")
             + f"; latency runs {args.latency_records:,} records.", ""]
    for mode in args.modes:
        rows = {c: summary[(mode, c)] for c in ORDER if (mode, c) in summary}
        if not rows:
            continue
        lines.append(f"**{mode}**" + (" (10k records/s offered, linger 0)" if mode == "latency" else ""))
        lines.append("")
        if mode == "latency":
            lines += ["| client | p50 ms | p99 ms | CPU s / M records | peak RSS MB |", "|---|---|---|---|---|"]
            for c, s in rows.items():
                lines.append(f"| {c} | {s['p50']:.1f} | {s['p99']:.1f} | {s['cpu']:.2f} | {s['rss']:.0f} |")
        else:
            lines += ["| client | records/s | MB/s | CPU s / M records | peak RSS MB | × aiokafka | "
                      "× confluent-kafka |", "|---|---|---|---|---|---|---|"]
            for c, s in rows.items():
                lines.append(f"| {c} | {s['rate']:,.0f} | {s['mbs']:.1f} | {s['cpu']:.2f} | {s['rss']:.0f} | "
                             f"{_ratio(s, rows.get('aiokafka'))} | {_ratio(s, rows.get('confluent-kafka'))} |")
            paired = [line for peer in ("aiokafka", "confluent-kafka")
                      if (line := _paired_line(rows, peer)) is not None]
            if paired:
                lines += [""] + paired
        lines.append("")
    return "\n".join(lines)


def chart(summary: dict[tuple[str, str], dict[str, float]], modes: list[str], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing (pip install '.[bench]'): no chart", file=sys.stderr)
        return False
    modes = [m for m in modes if m != "latency"]
    clients = [c for c in ORDER if any((m, c) in summary for m in modes)]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / max(1, len(clients))
    for j, c in enumerate(clients):
        xs = [i + j * width for i in range(len(modes))]
        ys = [summary.get((m, c), {}).get("rate", 0) / 1000 for m in modes]
        ax.bar(xs, ys, width, label=c)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(modes))], modes)
    ax.set_ylabel("thousand records / s")
    ax.set_title("Producers on one local broker (median per mode)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bootstrap", help="use this broker (its PLAINTEXT listener) instead of starting one")
    ap.add_argument("--cluster-dir", type=Path,
                    help="use this tools/kafka_local.py cluster (its PLAINTEXT listener, and for the sasl_ssl "
                         f"mode its SASL_SSL {SECURE_MECHANISM} listener) instead of starting one")
    ap.add_argument("--records", type=int, default=200_000, help="records per Python run")
    ap.add_argument("--java-records", type=int, default=2_000_000, help="records per Java run (JIT warm-up)")
    ap.add_argument("--latency-records", type=int, default=30_000, help="records per latency run (3 s)")
    ap.add_argument("--warmup-records", type=int, default=20_000,
                    help="records per uncounted warm-up run (every Python client, every mode; 0: none)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--modes", nargs="+", help="default: all; a1, lz4 and latency with --quick",
                    choices=list(MODES))
    # A metavar: argparse's usage line drops the parentheses of "send()" from a choices list.
    ap.add_argument("--clients", nargs="+", choices=ORDER, metavar="CLIENT",
                    help="any of: " + ", ".join(f"'{c}'" for c in ORDER) + " (default: all available)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="directory for the table and chart")
    ap.add_argument("--quick", action="store_true", help="a smoke run: few records, 1 round, no Java")
    args = ap.parse_args(argv)
    if args.quick:
        args.records, args.java_records, args.latency_records, args.rounds = 3000, 0, 300, 1
        args.warmup_records = 0
        if args.clients is None:
            args.clients = [c for c in ORDER if c != JAVA]
        if args.modes is None:
            args.modes = ["a1", "lz4", "latency"]
    if args.modes is None:
        args.modes = list(MODES)
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    tmp = None
    bootstrap = args.bootstrap
    cluster_dir: Path | None = args.cluster_dir
    if not bootstrap and cluster_dir is None:
        tmp = tempfile.mkdtemp(prefix="purekafka-compare-")
        subprocess.run([sys.executable, str(ROOT / "tools" / "kafka_local.py"), "start", "--dir", tmp,
                        "--owner-pid", str(os.getpid()), "--security", "SASL_SSL", "--sasl-mechanisms",
                        SECURE_MECHANISM], check=True, capture_output=True, text=True)
        cluster_dir = Path(tmp)
    if not bootstrap:
        assert cluster_dir is not None
        state = json.loads((cluster_dir / "cluster.json").read_text())
        bootstrap = ",".join(f"127.0.0.1:{node['port']}" for node in state["nodes"])
    try:
        with tempfile.TemporaryDirectory(prefix="purekafka-values-") as work:
            summary = summarize(measure(args, bootstrap, Path(work), cluster_dir))
    finally:
        if tmp:
            subprocess.run([sys.executable, str(ROOT / "tools" / "kafka_local.py"), "stop", "--dir", tmp],
                           capture_output=True)
    table = markdown(summary, args, started)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "compare.md").write_text(table + "\n")
    drew = chart(summary, args.modes, args.out / "compare.png")
    print()
    print(table)
    print(f"wrote {args.out / 'compare.md'}" + (f" and {args.out / 'compare.png'}" if drew else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
