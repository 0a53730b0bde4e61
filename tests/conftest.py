"""Shared fixtures: a real Apache Kafka on loopback, Kafka's Java classes, Hypothesis profiles.

The code behind the fixtures lives in ``tests/support`` (``kafka.py``, ``java_runner.py``), so a
test that needs it imports it from there, never from this file.

Broker fixtures start the cluster with ``tools/kafka_local.py`` (never a mock). They fail,
rather than skip, when the broker cannot start: a broker test that did not run must not
look like one that passed.
"""
from __future__ import annotations

import os
import signal
from typing import Callable, Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.support.java_runner import JavaRunner
from tests.support.kafka import ROOT, LocalKafka, kafka_local, line_args, start_cluster, unique_name
from tests.support.kafka import secure_kafka  # noqa: F401  (the session's secure broker, tests/security)

# A suite started as a background job (`make test &`, nohup) inherits SIGINT ignored, and so
# would every child it starts: the tests that stop a tool with Ctrl-C would then wait for
# ever. A handled signal is reset to its default in a child at exec, so handle it here.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

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


@pytest.fixture
def topic_factory(kafka: LocalKafka) -> Callable[..., str]:
    def make(partitions: int = 1, replication_factor: int = 1, config: dict[str, str] | None = None,
             prefix: str = "t") -> str:
        return kafka.create_topic(unique_name(prefix), partitions, replication_factor, config)

    return make


@pytest.fixture(scope="session")
def java() -> JavaRunner:
    return JavaRunner(kafka_local.classpath(kafka_local.DEFAULT_VERSION), ROOT / ".java-build")
