#!/usr/bin/env python3
"""`make demo`: start a local Kafka, run the guide walkthrough against it, show what landed, stop Kafka.

Until the walkthrough in examples/ exists, it shows the cluster's metadata.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import kafka_local  # noqa: E402


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="purekafka-demo-") as tmp:
        directory = Path(tmp) / "cluster"
        print("Starting Apache Kafka (KRaft, 1 node) on 127.0.0.1 ...", flush=True)
        cluster = kafka_local.Cluster(directory)
        try:
            bootstrap = cluster.start(1, kafka_local.DEFAULT_VERSION, {}, {}, 120.0, os.getpid())
        except kafka_local.HarnessError as e:
            print(f"demo: {e}", file=sys.stderr)
            return 1
        print(f"bootstrap.servers={bootstrap}\n", flush=True)
        try:
            walkthrough = ROOT / "examples" / "walkthrough.py"
            if walkthrough.exists():
                return subprocess.run([sys.executable, str(walkthrough), bootstrap]).returncode
            host, port = bootstrap.split(",")[0].rsplit(":", 1)
            md = kafka_local.metadata((host, int(port)))
            print("Cluster metadata:")
            for node, (h, p) in sorted(md.brokers.items()):
                print(f"  broker {node} at {h}:{p}{' (controller)' if node == md.controller else ''}")
            for topic, parts in sorted(md.leaders.items()):
                print(f"  topic {topic}: " + ", ".join(f"p{i} leader {lead}" for i, lead in sorted(parts.items())))
            return 0
        finally:
            cluster.stop()
            print("\nKafka stopped.")


if __name__ == "__main__":
    sys.exit(main())
