"""Record batch build/decode speed: purekafka against kafka-python, same run, same data.

Builds uncompressed 16 KiB batches of records with 10-byte keys and 100-byte values
with both libraries, then decodes each library's batches with its own reader
(touching key, value, headers and timestamp of every record), and prints records/s
and the ratio. Best of ``--repeat`` runs.

    .venv/bin/python bench/bench_records.py [--records 200000] [--repeat 5] [--profile build|decode]
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from typing import Callable

from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from purekafka.record import RecordBatchBuilder, read_batches  # noqa: E402

BATCH_SIZE = 16384
BASE_TS = 1_700_000_000_000


def make_records(n: int) -> list[tuple[int, bytes, bytes]]:
    value = os.urandom(100)
    return [(BASE_TS + i // 10, b"key-%06d" % (i % 1_000_000) + b"x", value) for i in range(n)]


def build_purekafka(records: list[tuple[int, bytes, bytes]]) -> list[bytes]:
    batches = []
    builder = RecordBatchBuilder(batch_size=BATCH_SIZE)
    for ts, key, value in records:
        if builder.append(ts, key, value) is None:
            batches.append(builder.build())
            builder = RecordBatchBuilder(batch_size=BATCH_SIZE)
            builder.append(ts, key, value)
    batches.append(builder.build())
    return batches


def build_kafka_python(records: list[tuple[int, bytes, bytes]]) -> list[bytes]:
    def new() -> DefaultRecordBatchBuilder:
        return DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False,
                                         producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                         batch_size=BATCH_SIZE)
    batches = []
    builder = new()
    offset = 0
    for ts, key, value in records:
        if builder.append(offset, ts, key, value, []) is None:
            batches.append(bytes(builder.build()))
            builder = new()
            offset = 0
            builder.append(offset, ts, key, value, [])
        offset += 1
    batches.append(bytes(builder.build()))
    return batches


def decode_purekafka(batches: list[bytes]) -> int:
    n = 0
    for data in batches:
        for batch in read_batches(data):
            for r in batch.records:
                r.key, r.value, r.headers, r.timestamp  # noqa: B018 - touch what a consumer reads
                n += 1
    return n


def decode_kafka_python(batches: list[bytes]) -> int:
    n = 0
    for data in batches:
        for r in DefaultRecordBatch(data):
            r.key, r.value, r.headers, r.timestamp  # noqa: B018
            n += 1
    return n


def best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", choices=["build", "decode"])
    args = parser.parse_args()
    records = make_records(args.records)

    if args.profile:
        target = (lambda: build_purekafka(records)) if args.profile == "build" \
            else (lambda b=build_purekafka(records): decode_purekafka(b))
        prof = cProfile.Profile()
        prof.runcall(target)
        pstats.Stats(prof).sort_stats("tottime").print_stats(12)
        return

    # Same input must give the same records either way, or the comparison is void.
    ours = build_purekafka(records)
    theirs = build_kafka_python(records)
    assert decode_purekafka(theirs) == decode_kafka_python(ours) == len(records)

    t_build_pk, _ = best(lambda: build_purekafka(records), args.repeat)
    t_build_kp, _ = best(lambda: build_kafka_python(records), args.repeat)
    t_dec_pk, _ = best(lambda: decode_purekafka(ours), args.repeat)
    t_dec_kp, _ = best(lambda: decode_kafka_python(theirs), args.repeat)

    n = len(records)
    print(f"{n} records, 10-byte keys, 100-byte values, {BATCH_SIZE}-byte uncompressed batches "
          f"({len(ours)} purekafka / {len(theirs)} kafka-python batches), best of {args.repeat}, "
          f"Python {sys.version.split()[0]}")
    print(f"{'':8} {'purekafka':>14} {'kafka-python':>14} {'ratio':>7}")
    for name, a, b in (("build", t_build_pk, t_build_kp), ("decode", t_dec_pk, t_dec_kp)):
        print(f"{name:8} {n / a:>12,.0f}/s {n / b:>12,.0f}/s {b / a:>6.2f}x")


if __name__ == "__main__":
    main()
