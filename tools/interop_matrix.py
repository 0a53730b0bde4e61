#!/usr/bin/env python3
"""`make test-interop`: the producer's broker suites on every Kafka line, one line (one
broker) at a time, then the matrix: tests passed per line and the versions negotiated.

Each line is its own pytest process with PUREKAFKA_KAFKA_VERSION, PUREKAFKA_KAFKA_FEATURES
and PUREKAFKA_INTEROP_LINE set, so the session ``kafka`` fixture starts that line's broker
and every selected suite runs against it. Exit status 1 when any line failed.

    tools/interop_matrix.py [--line NAME ...] [pytest args...]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.interop_lines import LINES, Line  # noqa: E402

Result = tuple[Line, int, dict[str, int], dict[str, Any]]  # line, pytest's status, counts, versions report

# What runs on every line: the send properties (keys, values, headers, codecs, acks,
# batching), idempotence (the facade and IdempotenceState over a raw socket), transactions
# under read_committed, send_offsets_to_transaction, every Produce version the line
# serves, and --dump-log against the line's DumpLogSegments.
SUITES = [
    "tests/interop/test_lines.py",
    "tests/interop/matrix_dumplog.py",
    "tests/interop/matrix_produce_versions.py",
    "tests/producer/test_send_property.py",
    "tests/producer/test_transactional_producer.py",
    "tests/producer/test_acks_zero.py",
    "tests/exactly_once/test_txn_api.py",
    "tests/exactly_once/test_idempotence_broker.py",
]
# Not here: the wire-level codec suites (tests/protocol/test_broker_wire.py,
# test_txn_broker.py, tests/record/test_broker_produce.py) pin the 4.4 broker's ranges
# (ApiVersions v4, Metadata v12, Produce v13, transaction.version 2) and run in `make test`.
# Negotiated versions shown in the matrix (the full table is in each line's report).
SHOWN = ["Produce", "Metadata", "ApiVersions", "FindCoordinator", "InitProducerId", "AddPartitionsToTxn",
         "AddOffsetsToTxn", "EndTxn", "TxnOffsetCommit"]


def _counts(junit: Path) -> dict[str, int]:
    if not junit.exists():
        return {"passed": 0, "failed": 0, "skipped": 0, "error": 1}
    root = ET.parse(junit).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    assert suite is not None
    total, failed, errors, skipped = (int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
    return {"passed": total - failed - errors - skipped, "failed": failed, "skipped": skipped, "error": errors}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--line", action="append", help="run only these lines (by name, e.g. 4.4-tv1)")
    args, pytest_args = ap.parse_known_args(argv)
    lines = [ln for ln in LINES if not args.line or ln.name in args.line]
    if not lines:
        ap.error(f"no such line; lines are {[ln.name for ln in LINES]}")
    work = Path(tempfile.mkdtemp(prefix="purekafka-interop-"))
    results: list[Result] = []
    for line in lines:
        env = dict(os.environ, PUREKAFKA_KAFKA_VERSION=line.version, PUREKAFKA_INTEROP_LINE=line.name,
                   PUREKAFKA_KAFKA_FEATURES=",".join(f"{k}={v}" for k, v in line.features.items()),
                   PUREKAFKA_INTEROP_REPORT=str(work / "versions"))
        junit = work / f"{line.name}.xml"
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--timeout=900",
               "-m", "broker and not cluster", f"--junitxml={junit}", *SUITES, *pytest_args]
        print(f"=== {line.name}: Kafka {line.version} {line.features or ''}", flush=True)
        start = time.monotonic()
        rc = subprocess.run(cmd, cwd=ROOT, env=env).returncode
        counts = _counts(junit)
        counts["seconds"] = round(time.monotonic() - start)
        report = work / "versions" / f"{line.name}.json"
        versions = json.loads(report.read_text()) if report.exists() else {}
        results.append((line, rc, counts, versions))
    print(_matrix(results))
    (work / "matrix.txt").write_text(_matrix(results))
    print(f"(reports in {work})")
    return 0 if all(rc == 0 for _, rc, _, _ in results) else 1


def _matrix(results: list[Result]) -> str:
    head = ["line", "Kafka", "TV", "passed", "failed", "skipped", "s", *SHOWN]
    rows = [head]
    for line, rc, c, v in results:
        neg = v.get("negotiated", {})
        tv = v.get("features", {}).get("transaction.version", 0) if v else "?"
        rows.append([line.name, line.version, str(tv), str(c["passed"]), str(c["failed"] + c["error"]),
                     str(c["skipped"]), str(c["seconds"]), *(str(neg.get(name, "-")) for name in SHOWN)])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join(" | ".join(cell.ljust(w) for cell, w in zip(r, widths)) for r in rows)


if __name__ == "__main__":
    sys.exit(main())
