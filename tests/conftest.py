"""Shared fixtures: a real Apache Kafka on loopback, Kafka's Java classes, Hypothesis profiles.

Broker fixtures start the cluster with ``tools/kafka_local.py`` (never a mock). They fail,
rather than skip, when the broker cannot start: a broker test that did not run must not
look like one that passed.
"""
from __future__ import annotations

import hashlib
import importlib.util
import itertools
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent

# A suite started as a background job (`make test &`, nohup) inherits SIGINT ignored, and so
# would every child it starts: the tests that stop a tool with Ctrl-C would then wait for
# ever. A handled signal is reset to its default in a child at exec, so handle it here.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
KAFKA_LOCAL = ROOT / "tools" / "kafka_local.py"

# `make test` (profile "default") is derandomized and keeps no example database, so every
# run on every machine draws the same examples and a failure anywhere reproduces anywhere.
# `make test-long` (profile "long") explores with fresh random seeds and many more examples;
# what it finds becomes a named regression test. print_blob lets any failure be replayed
# with @reproduce_failure.
settings.register_profile(
    "default", max_examples=50, deadline=None, derandomize=True, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long", max_examples=1000, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("PUREKAFKA_HYPOTHESIS", "default"))


def _load_kafka_local():
    spec = importlib.util.spec_from_file_location("kafka_local", KAFKA_LOCAL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["kafka_local"] = module
    spec.loader.exec_module(module)
    return module


kafka_local = _load_kafka_local()


class LocalKafka:
    """A running cluster: either ours (started here) or one named by PUREKAFKA_BOOTSTRAP."""

    def __init__(self, bootstrap: str, directory: Path | None) -> None:
        self.bootstrap = bootstrap
        self.dir = directory
        self._cluster = kafka_local.Cluster(directory) if directory else None

    @property
    def addresses(self) -> list[tuple[str, int]]:
        out = []
        for hp in self.bootstrap.split(","):
            host, port = hp.rsplit(":", 1)
            out.append((host, int(port)))
        return out

    def _any_addr(self) -> tuple[str, int]:
        return self._cluster.any_up_addr() if self._cluster else self.addresses[0]

    def create_topic(self, name: str, partitions: int = 1, replication_factor: int = 1,
                     config: dict[str, str] | None = None) -> str:
        kafka_local.create_topic(self._any_addr(), name, partitions, replication_factor, config)
        self.wait_for_leaders(name)
        return name

    def metadata(self, topics: list[str] | None = None):
        return kafka_local.metadata(self._any_addr(), topics)

    def wait_for_leaders(self, topic: str, timeout: float = 30.0) -> None:
        import time

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

    def _need_local(self) -> "kafka_local.Cluster":
        if self._cluster is None:
            raise RuntimeError("this operation needs a cluster started by the tests, not PUREKAFKA_BOOTSTRAP")
        return self._cluster

    def kill(self, node_id: int) -> None:
        self._need_local().kill(node_id)

    def restart(self, node_id: int, timeout: float = 120.0) -> None:
        self._need_local().restart(node_id, timeout)

    def status(self) -> list[tuple[int, int, int | None, bool]]:
        out: list[tuple[int, int, int | None, bool]] = self._need_local().status()
        return out

    def stop(self) -> None:
        if self._cluster:
            self._cluster.stop()


def start_cluster(directory: Path, nodes: int = 1, extra: list[str] | None = None) -> LocalKafka:
    cmd = [sys.executable, str(KAFKA_LOCAL), "start", "--nodes", str(nodes), "--dir", str(directory),
           "--owner-pid", str(os.getpid()), *(extra or [])]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"kafka_local start failed: {proc.stderr.strip() or proc.stdout.strip()}")
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("bootstrap.servers="), last
    return LocalKafka(last.split("=", 1)[1], directory)


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


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    external = os.environ.get("PUREKAFKA_BOOTSTRAP")
    if external:
        yield LocalKafka(external, None)
        return
    cluster = start_cluster(tmp_path_factory.mktemp("kafka") / "cluster", nodes=1, extra=line_args())
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def kafka_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    cluster = start_cluster(tmp_path_factory.mktemp("kafka3") / "cluster", nodes=3)
    try:
        yield cluster
    finally:
        cluster.stop()


_topic_counter = itertools.count()


def unique_name(prefix: str = "t") -> str:
    return f"{prefix}-{next(_topic_counter)}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def topic_factory(kafka: LocalKafka):
    def make(partitions: int = 1, replication_factor: int = 1, config: dict[str, str] | None = None,
             prefix: str = "t") -> str:
        return kafka.create_topic(unique_name(prefix), partitions, replication_factor, config)

    return make


class JavaRunner:
    """Compiles tests/java/*.java once against the Kafka jars and runs their main classes."""

    def __init__(self, classpath: str, build_dir: Path) -> None:
        self.classpath = classpath
        self.build_dir = build_dir
        sources = sorted((ROOT / "tests" / "java").glob("*.java"))
        digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources) + classpath.encode()).hexdigest()
        stamp = build_dir / "stamp"
        if sources and not (stamp.exists() and stamp.read_text() == digest):
            build_dir.mkdir(parents=True, exist_ok=True)
            proc = subprocess.run(["javac", "-nowarn", "-d", str(build_dir), "-cp", classpath, *map(str, sources)],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"javac failed:\n{proc.stderr}")
            stamp.write_text(digest)

    def run(self, main_class: str, *args: str, input: bytes | None = None, timeout: float = 120) -> bytes:
        cmd = ["java", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Xmx512m",
               "-cp", f"{self.build_dir}{os.pathsep}{self.classpath}", main_class, *args]
        proc = subprocess.run(cmd, input=input, capture_output=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"java {main_class} exited {proc.returncode}:\n{proc.stderr.decode(errors='replace')}")
        return proc.stdout


@pytest.fixture(scope="session")
def java() -> JavaRunner:
    return JavaRunner(kafka_local.classpath(kafka_local.DEFAULT_VERSION), ROOT / ".java-build")
