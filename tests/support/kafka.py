"""The broker harness behind the ``kafka`` fixtures: a real Apache Kafka on loopback.

Clusters are started with ``tools/kafka_local.py`` (never a mock). Tests that need a
cluster of their own (a restart, a 3-node run) import ``start_cluster`` from here; the
session fixtures in ``tests/conftest.py`` use the same code.
"""
from __future__ import annotations

import importlib.util
import itertools
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
KAFKA_LOCAL = ROOT / "tools" / "kafka_local.py"


def _load_kafka_local() -> ModuleType:
    # tools/ is not a package; load the script as the module ``kafka_local`` once per process.
    if "kafka_local" in sys.modules:
        return sys.modules["kafka_local"]
    spec = importlib.util.spec_from_file_location("kafka_local", KAFKA_LOCAL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["kafka_local"] = module
    spec.loader.exec_module(module)
    return module


kafka_local: Any = _load_kafka_local()


class LocalKafka:
    """A running cluster: either ours (started here) or one named by PUREKAFKA_BOOTSTRAP."""

    def __init__(self, bootstrap: str, directory: Path | None) -> None:
        self.bootstrap = bootstrap
        self.dir = directory
        self._cluster: Any = kafka_local.Cluster(directory) if directory else None

    @property
    def addresses(self) -> list[tuple[str, int]]:
        out = []
        for hp in self.bootstrap.split(","):
            host, port = hp.rsplit(":", 1)
            out.append((host, int(port)))
        return out

    def _any_addr(self) -> tuple[str, int]:
        if self._cluster:
            addr: tuple[str, int] = self._cluster.any_up_addr()
            return addr
        return self.addresses[0]

    def create_topic(self, name: str, partitions: int = 1, replication_factor: int = 1,
                     config: dict[str, str] | None = None) -> str:
        kafka_local.create_topic(self._any_addr(), name, partitions, replication_factor, config)
        self.wait_for_leaders(name)
        return name

    def metadata(self, topics: list[str] | None = None) -> Any:
        return kafka_local.metadata(self._any_addr(), topics)

    def wait_for_leaders(self, topic: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                leaders = self.metadata([topic]).leaders.get(topic, {})
                if leaders and all(v >= 0 for v in leaders.values()):
                    return
            except (OSError, kafka_local.HarnessError):
                pass
            time.sleep(0.2)
        raise AssertionError(f"topic {topic} has partitions without a leader after {timeout}s")

    def _need_local(self) -> Any:
        if self._cluster is None:
            raise RuntimeError("this operation needs a cluster started by the tests, not PUREKAFKA_BOOTSTRAP")
        return self._cluster

    def kill(self, node_id: int) -> None:
        self._need_local().kill(node_id)

    def restart(self, node_id: int, timeout: float = 120.0) -> None:
        self._need_local().restart(node_id, timeout)

    def status(self) -> Any:
        return self._need_local().status()

    def stop(self) -> None:
        if self._cluster:
            self._cluster.stop()


def start_cluster(directory: Path, nodes: int = 1, extra: list[str] | None = None) -> LocalKafka:
    """Start ``nodes`` brokers under ``directory``; they stop when this process exits."""
    cmd = [sys.executable, str(KAFKA_LOCAL), "start", "--nodes", str(nodes), "--dir", str(directory),
           "--owner-pid", str(os.getpid()), *(extra or [])]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"kafka_local start failed: {proc.stderr.strip() or proc.stdout.strip()}")
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("bootstrap.servers="), last
    return LocalKafka(last.split("=", 1)[1], directory)


_topic_counter = itertools.count()


def unique_name(prefix: str = "t") -> str:
    """A topic or id name no other test in this run (or an earlier one) has used."""
    return f"{prefix}-{next(_topic_counter)}-{uuid.uuid4().hex[:8]}"


def line_args() -> list[str]:
    """``start`` options for the broker line named by PUREKAFKA_KAFKA_VERSION and
    PUREKAFKA_KAFKA_FEATURES (comma-separated k=v), which `make test-interop` sets."""
    args = []
    version = os.environ.get("PUREKAFKA_KAFKA_VERSION")
    if version:
        args += ["--version", version]
    for feature in os.environ.get("PUREKAFKA_KAFKA_FEATURES", "").split(","):
        if feature.strip():
            args += ["--feature", feature.strip()]
    return args
