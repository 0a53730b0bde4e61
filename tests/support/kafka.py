"""The broker harness behind the ``kafka`` fixtures: a real Apache Kafka on loopback.

Clusters are started with ``tools/kafka_local.py`` (never a mock). Tests that need a
cluster of their own (a restart, a 3-node run) import ``start_cluster`` from here; the
session fixtures in ``tests/conftest.py`` use the same code.
"""
from __future__ import annotations

import importlib.util
import itertools
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

import pytest

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


# The start options of the one session broker that carries every secure listener.
SECURE_ARGS = ["--security", "SASL_SSL", "--test-listeners"]


class SecureKafka(LocalKafka):
    """A cluster with the secure listeners of ``kafka_local.py --test-listeners``.

    Per listener (SSL, MTLS, SASL_PLAINTEXT, SASL_SSL, SASL_PLAINTEXT_JWKS, SASL_SSL_JWKS,
    REAUTH, WRONGHOST): its bootstrap, the kafka-python settings for a mechanism, and
    confluent-kafka's settings for the same. Topics are made over the PLAINTEXT listener."""

    user: str = kafka_local.sec.USER
    password: str = kafka_local.sec.PASSWORD
    client_key_password: str = kafka_local.sec.CLIENT_KEY_PASSWORD  # of client.enc.key

    def __init__(self, bootstrap: str, directory: Path) -> None:
        super().__init__(bootstrap, directory)
        self.listeners: dict[str, dict[str, Any]] = json.loads((directory / "listeners.json").read_text())

    def _listener(self, name: str) -> dict[str, Any]:
        if name not in self.listeners:
            raise KeyError(f"no listener {name!r}: the cluster has {sorted(self.listeners)}")
        return self.listeners[name]

    def bootstrap_of(self, listener: str) -> str:
        return str(self._listener(listener)["bootstrap"])

    def path(self, name: str) -> Path:
        """A file the harness wrote: ca.pem, client.pem, client.key, client.enc.key, oauth.key."""
        assert self.dir is not None
        return self.dir / name

    def oauth_key(self) -> Any:
        """The RSA key whose public half the JWKS endpoint serves."""
        from tests.support import oauth_tokens
        return oauth_tokens.load_key(self.path("oauth.key"))

    def token_provider(self, listener: str, lifetime_s: float = 3600.0, key: Any = None,
                       age_s: float = 0.0) -> Any:
        """A fresh-token provider the listener accepts (``key`` overrides the signing key)."""
        from tests.support import oauth_tokens
        if key is None and self._listener(listener)["oauth"] == "jwks":
            key = self.oauth_key()
        return oauth_tokens.TokenProvider(key, lifetime_s, age_s=age_s)

    def kafka_python(self, listener: str, mechanism: str | None = None, **overrides: Any) -> dict[str, Any]:
        """KafkaProducer keyword arguments for ``listener``; OAUTHBEARER gets a token provider."""
        assert self.dir is not None
        info = self._listener(listener)
        out: dict[str, Any] = kafka_local.sec.client_settings(self.dir, info, info["bootstrap"], mechanism)
        if out.get("sasl_mechanism") == "OAUTHBEARER":
            out["sasl_oauth_token_provider"] = self.token_provider(listener)
        out.update(overrides)
        return out

    def confluent(self, listener: str, mechanism: str | None = None) -> dict[str, Any]:
        """confluent-kafka (librdkafka) settings for the same listener and mechanism."""
        assert self.dir is not None
        info = self._listener(listener)
        out: dict[str, Any] = kafka_local.sec.confluent_settings(self.dir, info, info["bootstrap"], mechanism)
        if out.get("sasl.mechanisms") == "OAUTHBEARER" and info["oauth"] == "jwks":
            from tests.support import oauth_tokens
            out["oauth_cb"] = oauth_tokens.confluent_oauth_cb(self.oauth_key())
        return out


def start_secure_cluster(directory: Path, extra: list[str] | None = None) -> SecureKafka:
    """One node with every secure listener (see ``SECURE_ARGS``); stops when this process exits."""
    plain = start_cluster(directory, nodes=1, extra=[*SECURE_ARGS, *(extra or [])])
    return SecureKafka(plain.bootstrap, directory)


@pytest.fixture(scope="session")
def secure_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureKafka]:
    """The session's secure broker (tests/conftest.py registers this fixture)."""
    cluster = start_secure_cluster(tmp_path_factory.mktemp("kafka-secure") / "cluster")
    try:
        yield cluster
    finally:
        cluster.stop()
