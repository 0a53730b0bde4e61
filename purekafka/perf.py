"""``purekafka perf``: a drop-in for Kafka's ``kafka-producer-perf-test``.

Same options, same progress lines every ``--reporting-interval`` ms (5000 by default),
the same final line and, with ``--warmup-records``, the same steady-state line, format
for format as ``org.apache.kafka.tools.ProducerPerformance`` (Kafka 4.x) prints them, so
scripts that parse Java's output parse ours. Latency runs from just before ``send()`` to
the record's callback, in whole milliseconds of wall time, as Java measures it.

One difference: Java redraws every byte of a ``--record-size`` payload per record;
redrawing in Python would cost more than the send it measures, so payloads cycle through
a pool of 1024 drawn once (from ``--random-seed``, default 0). The payload file and
monotonic modes are Java's.
"""
from __future__ import annotations

import argparse
import math
import random
import sys
import threading
import time
import uuid
from array import array
from typing import Any, Callable, Sequence, TextIO

from purekafka.console import UsageError, read_properties

__all__ = ["Stats", "ThroughputThrottler", "build_parser", "main"]

PROG = "purekafka perf"
DEFAULT_TRANSACTION_ID_PREFIX = "performance-producer-"
DEFAULT_TRANSACTION_DURATION_MS = 3000
_POOL = 1024
# Java's producer-props are parsed by ProducerConfig; these two name Java classes and mean
# "bytes as they are", which is what a producer without serializers does.
_BYTE_SERIALIZERS = ("key.serializer", "value.serializer", "key_serializer", "value_serializer")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        raise UsageError(f"{message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    """Java's options (and their 4.x aliases ``--command-property``/``--command-config``)."""
    p = _Parser(prog=PROG, description="Measure producer throughput and latency "
                "(kafka-producer-perf-test's options and output).")
    p.add_argument("--bootstrap-server", dest="bootstrap", metavar="SERVERS",
                   help="overrides bootstrap.servers from the properties")
    p.add_argument("--topic", required=True, help="produce records to this topic")
    p.add_argument("--num-records", dest="num_records", type=int, required=True, metavar="NUM-RECORDS")
    payload = p.add_mutually_exclusive_group(required=True)
    payload.add_argument("--record-size", dest="record_size", type=int, metavar="RECORD-SIZE")
    payload.add_argument("--payload-file", dest="payload_file", metavar="PAYLOAD-FILE",
                         help="UTF-8 file of payloads, one drawn at random per record")
    payload.add_argument("--payload-monotonic", dest="payload_monotonic", action="store_true",
                         help="the payload is the record's index as decimal text")
    p.add_argument("--payload-delimiter", dest="payload_delimiter", default="\\n",
                   metavar="PAYLOAD-DELIMITER", help="separates payloads in --payload-file")
    p.add_argument("--throughput", type=float, required=True, metavar="THROUGHPUT",
                   help="approximate records/sec ceiling; -1 for none")
    p.add_argument("--producer-props", "--command-property", dest="producer_props", nargs="+",
                   metavar="PROP-NAME=PROP-VALUE", help="producer settings (Java or kafka-python names)")
    p.add_argument("--producer.config", "--command-config", dest="producer_config", metavar="CONFIG-FILE")
    p.add_argument("--print-metrics", dest="print_metrics", action="store_true")
    p.add_argument("--transactional-id", dest="transactional_id", metavar="TRANSACTIONAL-ID")
    p.add_argument("--transaction-duration-ms", dest="transaction_duration_ms", type=int,
                   metavar="TRANSACTION-DURATION")
    p.add_argument("--warmup-records", dest="warmup_records", type=int, default=0, metavar="WARMUP-RECORDS")
    p.add_argument("--reporting-interval", dest="reporting_interval", type=int, default=5000,
                   metavar="INTERVAL-MS")
    p.add_argument("--random-seed", dest="random_seed", type=int, default=0, metavar="SEED")
    return p


def _jfmt(x: float, digits: int) -> str:
    """``String.format("%.Nf", x)`` as Java prints it, NaN and infinities included."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return f"{x:.{digits}f}"


def _ratio(a: float, b: float) -> float:
    """Java's double division: x/0 is infinite, 0/0 NaN."""
    if b:
        return a / b
    return math.nan if a == 0 else math.copysign(math.inf, a)


class Stats:
    """Java's ``ProducerPerformance.Stats``: totals, a sampled latency array, windows."""

    def __init__(self, num_records: int, reporting_interval: int, steady_state: bool = False,
                 out: TextIO | None = None, clock: Callable[[], int] | None = None) -> None:
        self._clock = clock or _wall_ms
        self._out = out or sys.stdout
        self.start = self.window_start = self._clock()
        self.sampling = num_records // min(num_records, 500_000)
        self.latencies = array("i", bytes(4 * (num_records // self.sampling + 1)))
        self.reporting_interval = reporting_interval
        self.steady_state = steady_state
        self.suppress_print = False
        self.iteration = self.index = self.count = self.bytes = 0
        self.max_latency = self.total_latency = 0
        self.window_count = self.window_bytes = self.window_max = self.window_total = 0

    def record(self, latency: int, size: int, now: int) -> None:
        """One acknowledged record (called on the producer's I/O thread, as Java's callback)."""
        self.count += 1
        self.bytes += size
        self.total_latency += latency
        if latency > self.max_latency:
            self.max_latency = latency
        self.window_count += 1
        self.window_bytes += size
        self.window_total += latency
        if latency > self.window_max:
            self.window_max = latency
        if self.iteration % self.sampling == 0 and self.index < len(self.latencies):
            self.latencies[self.index] = latency
            self.index += 1
        if now - self.window_start >= self.reporting_interval:
            if self.steady_state and self.count == self.window_count:
                self._print("In steady state.")
            if not self.suppress_print:
                self.print_window()
            self.new_window()
        self.iteration += 1

    def print_window(self) -> None:
        elapsed = self._clock() - self.window_start
        n = self.window_count
        self._print(f"{n} records sent, {_jfmt(_ratio(1000.0 * n, elapsed), 1)} records/sec "
                    f"({_jfmt(_ratio(1000.0 * self.window_bytes, elapsed) / 1048576.0, 2)} MB/sec), "
                    f"{_jfmt(_ratio(self.window_total, n), 1)} ms avg latency, "
                    f"{_jfmt(float(self.window_max), 1)} ms max latency.")

    def new_window(self) -> None:
        self.window_start = self._clock()
        self.window_count = self.window_bytes = self.window_max = self.window_total = 0

    def percentiles(self, *ps: float) -> list[int]:
        size = min(self.index, len(self.latencies))
        ordered = sorted(self.latencies[:size])
        if not ordered:
            return [0 for _ in ps]  # Java reads the zeroed array
        return [ordered[min(int(p * size), size - 1)] for p in ps]

    def print_total(self) -> None:
        elapsed = self._clock() - self.start
        n = self.count
        p50, p95, p99, p999 = self.percentiles(0.5, 0.95, 0.99, 0.999)
        label = " steady state" if self.steady_state else ""
        self._print(f"{n}{label} records sent, {_jfmt(_ratio(1000.0 * n, elapsed), 6)} records/sec "
                    f"({_jfmt(_ratio(1000.0 * self.bytes, elapsed) / 1048576.0, 2)} MB/sec), "
                    f"{_jfmt(_ratio(self.total_latency, n), 2)} ms avg latency, "
                    f"{_jfmt(float(self.max_latency), 2)} ms max latency, {p50} ms 50th, "
                    f"{p95} ms 95th, {p99} ms 99th, {p999} ms 99.9th.")

    def _print(self, line: str) -> None:
        self._out.write(line + "\n")
        self._out.flush()


class ThroughputThrottler:
    """Kafka's ``ThroughputThrottler``: sleep, on average, 1/throughput s per record when ahead."""

    MIN_SLEEP_NS = 2_000_000

    def __init__(self, target: float, start_ms: int) -> None:
        self.target = target
        self.start_ms = start_ms
        self.sleep_ns = int(1e9 / target) if target > 0 else None
        self.deficit_ns = 0

    def should_throttle(self, so_far: int, send_start_ms: int) -> bool:
        if self.target < 0:
            return False
        elapsed_s = (send_start_ms - self.start_ms) / 1000.0
        return elapsed_s > 0 and so_far / elapsed_s > self.target

    def throttle(self) -> None:
        if self.sleep_ns is None:  # --throughput 0: send nothing more, ever (Java waits forever)
            threading.Event().wait()
            return
        self.deficit_ns += self.sleep_ns
        if self.deficit_ns >= self.MIN_SLEEP_NS:
            time.sleep(self.deficit_ns / 1e9)
            self.deficit_ns = 0


def _wall_ms() -> int:
    return int(time.time() * 1000)


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """Producer settings: the file, then --producer-props over it, then the flags."""
    props: dict[str, Any] = {}
    if args.producer_config:
        props.update(read_properties(args.producer_config))
    for prop in args.producer_props or ():
        pieces = prop.split("=")
        if len(pieces) != 2:
            raise UsageError(f"Invalid property: {prop}")
        props[pieces[0]] = pieces[1]
    if args.bootstrap:
        for name in ("bootstrap.servers", "bootstrap_servers"):
            props.pop(name, None)
        props["bootstrap.servers"] = args.bootstrap
    if not any(n in props for n in ("bootstrap.servers", "bootstrap_servers")):
        raise UsageError("At least one of --bootstrap-server, --command-property, --producer-props, "
                         "--producer.config or --command-config must name the brokers "
                         "(bootstrap.servers)")
    for name in _BYTE_SERIALIZERS:
        value = props.pop(name, None)
        if value is not None and not str(value).endswith("ByteArraySerializer"):
            raise UsageError(f"{name}={value}: perf sends bytes; only ByteArraySerializer applies")
    if "client.id" not in props and "client_id" not in props:
        props["client.id"] = "perf-producer-client"
    return props


def _payloads(args: argparse.Namespace, rng: random.Random) -> list[bytes]:
    if args.payload_file is None:
        if args.record_size is None:
            return []
        return [bytes(rng.randrange(65, 91) for _ in range(args.record_size))
                for _ in range(min(_POOL, args.num_records))]
    import os

    path = os.path.abspath(args.payload_file)
    print(f"Reading payloads from: {path}")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise UsageError("File does not exist or empty file provided.") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read --payload-file {path}: {e}") from None
    if not text:
        raise UsageError("File does not exist or empty file provided.")
    delimiter = "\n" if args.payload_delimiter == "\\n" else args.payload_delimiter
    # java.util.Scanner skips empty tokens between delimiters.
    out = [piece.encode("utf-8") for piece in text.split(delimiter) if piece]
    print(f"Number of records read: {len(out)}")
    if not out:
        raise UsageError("File does not exist or empty file provided.")
    return out


def _check(args: argparse.Namespace) -> None:
    if args.num_records <= 0:
        raise UsageError("--num-records should be greater than zero.")
    if args.warmup_records < 0 or (args.warmup_records and args.warmup_records >= args.num_records):
        raise UsageError("The value for --warmup-records must be strictly fewer than the number of "
                         "records in the test, --num-records.")
    if args.record_size is not None and args.record_size <= 0:
        raise UsageError("--record-size should be greater than zero.")
    if args.transaction_duration_ms is not None and args.transaction_duration_ms <= 0:
        raise UsageError("--transaction-duration-ms should be greater than zero.")
    if args.reporting_interval <= 0:
        raise UsageError("--reporting-interval should be greater than zero.")


def print_metrics(metrics: dict[Any, Any], out: TextIO) -> None:
    """Java's ``ToolsUtils.printMetrics``: ``group:name:{tags}`` padded, then the value."""
    if not metrics:
        return
    rows: dict[str, Any] = {}
    for mn, metric in metrics.items():
        tags = ", ".join(f"{k}={v}" for k, v in mn.tags.items())
        rows[f"{mn.group}:{mn.name}:{{{tags}}}"] = metric.value()
    width = max(len(k) for k in rows)
    out.write("\n" + f"{'Metric Name':<{width}}   Value" + "\n")
    for name in sorted(rows):
        value = rows[name]
        text = f"{value:.3f}" if isinstance(value, float) else str(value)
        out.write(f"{name:<{width}} : {text}\n")
    out.flush()


def main(argv: Sequence[str]) -> int:
    try:
        return _run(list(argv))
    except UsageError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2


def _run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    _check(args)
    settings = _settings(args)
    rng = random.Random(args.random_seed)
    payloads = _payloads(args, rng)
    transactional = (args.transaction_duration_ms is not None or args.transactional_id is not None
                     or "transactional.id" in settings or "transactional_id" in settings)
    duration_ms = args.transaction_duration_ms
    if transactional:
        tid = args.transactional_id or settings.pop("transactional_id", None) \
            or settings.get("transactional.id") or DEFAULT_TRANSACTION_ID_PREFIX + str(uuid.uuid4())
        settings["transactional.id"] = tid
        if duration_ms is None:
            duration_ms = DEFAULT_TRANSACTION_DURATION_MS

    from purekafka.errors import KafkaConfigurationError, KafkaError
    from purekafka.producer import KafkaProducer

    try:
        producer = KafkaProducer(**settings)
    except (KafkaConfigurationError, TypeError, ValueError) as e:
        raise UsageError(str(e)) from None
    except KafkaError as e:
        print(f"{PROG}: cannot start the producer: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    try:
        if transactional:
            producer.init_transactions()
        _loop(producer, args, payloads, rng, transactional, duration_ms or 0)
    except KeyboardInterrupt:
        producer.close(0)
        return 130
    except KafkaError as e:
        print(f"{PROG}: {type(e).__name__}: {e}", file=sys.stderr)
        producer.close(0)
        return 1
    return 0


class _Run:
    """Stats for the whole run and, past the warmup, for the steady state."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.stats = Stats(args.num_records, args.reporting_interval)
        self.steady: Stats | None = None
        self.failures = 0

    def callback(self, start: int, size: int, steady: Stats | None, result: Any) -> None:
        if isinstance(result, BaseException):
            self.failures += 1
            print(f"{type(result).__name__}: {result}", file=sys.stderr)
            return
        now = _wall_ms()
        latency = now - start
        self.stats.record(latency, size, now)
        if steady is not None:
            steady.record(latency, size, now)


def _loop(producer: Any, args: argparse.Namespace, payloads: list[bytes], rng: random.Random,
          transactional: bool, duration_ms: int) -> None:
    n = args.num_records
    warmup = args.warmup_records
    if warmup > 0:
        print(f"Warmup first {warmup} records. Steady state results will print after the complete "
              "test summary.")
    run = _Run(args)
    topic = args.topic
    throttler = ThroughputThrottler(args.throughput, _wall_ms())
    pool, from_file = len(payloads), args.payload_file is not None
    send, callback = producer.send, run.callback
    in_txn = 0
    txn_start = 0
    steady: Stats | None = None
    for i in range(n):
        if from_file:
            payload = payloads[rng.randrange(pool)]
        elif pool:
            payload = payloads[i % pool]
        else:
            payload = str(i).encode()
        if transactional and in_txn == 0:
            producer.begin_transaction()
            txn_start = _wall_ms()
        start = _wall_ms()
        if warmup > 0 and i == warmup:
            steady = run.steady = Stats(n - warmup, args.reporting_interval, True)
            run.stats.suppress_print = True
        send(topic, payload).add_both(callback, start, len(payload), steady)
        in_txn += 1
        if transactional and duration_ms <= start - txn_start:
            producer.commit_transaction()
            in_txn = 0
        if throttler.should_throttle(i, start):
            throttler.throttle()
    if transactional and in_txn:
        producer.commit_transaction()
    if not args.print_metrics:
        producer.close()
        run.stats.print_total()
        if run.steady is not None:
            run.steady.print_total()
    else:
        producer.flush()
        run.stats.print_total()
        if run.steady is not None:
            run.steady.print_total()
        print_metrics(producer.metrics(raw=True) or {}, sys.stdout)
        producer.close()
