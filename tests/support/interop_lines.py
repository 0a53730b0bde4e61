"""The Kafka lines purekafka is checked against, one real broker at a time.

Test modules here import ``line`` and ``line_topic`` from this module (a second
conftest.py would clash with tests/conftest.py under pytest's default import mode).
``line`` is a session fixture parametrized over ``LINES``: pytest groups the tests by line
and stops one line's broker before it starts the next. Under `make test` every line runs
the smoke tests in ``tests/interop/test_*.py``. `make test-interop` (``tools/interop_matrix.py``) runs one
pytest per line with PUREKAFKA_KAFKA_VERSION / PUREKAFKA_KAFKA_FEATURES set: then the
session ``kafka`` fixture is that line's broker, ``line`` is the same broker, and the
producer's broker suites run on it too, with the matrix-only modules (``tests/interop/matrix_*.py``,
which a plain ``pytest tests`` does not collect).
"""
from __future__ import annotations

import os
import socket
import struct
from dataclasses import dataclass, field
from typing import Callable, Iterator

import pytest

from tests.support.kafka import LocalKafka, kafka_local, start_cluster


@dataclass(frozen=True)
class Line:
    """One broker line: a Kafka release and the feature levels it is formatted with."""

    name: str
    version: str
    features: dict[str, str] = field(default_factory=dict)
    # The finalized transaction.version the broker must report (None: not known in advance).
    transaction_version: int | None = None

    @property
    def release(self) -> tuple[int, ...]:
        return tuple(int(p) for p in self.version.split(".") if p.isdigit())

    @property
    def dump_log_class(self) -> str:
        # 4.4 ships it in the tools module; 4.0 and every 3.x in core (Scala).
        return "org.apache.kafka.tools.DumpLogSegments" if self.release >= (4, 1) else "kafka.tools.DumpLogSegments"


_V = kafka_local.INTEROP_VERSIONS
LINES = [
    Line("4.4-tv2", _V[0], {"transaction.version": "2"}, 2),
    Line("4.4-tv1", _V[0], {"transaction.version": "1"}, 1),
    Line("4.0", _V[1], {}, 2),
    Line("3.9", _V[2], {}, 0),
    Line("3.6", _V[3], {}, 0),
    Line("3.3", _V[4], {}, 0),
    Line("3.0", _V[5], {}, 0),
]


def _features(text: str) -> dict[str, str]:
    return dict(item.strip().split("=", 1) for item in text.split(",") if item.strip())


def selected_lines() -> list[Line]:
    """Every line, or the one the environment names (`make test-interop` runs one per process)."""
    version = os.environ.get("PUREKAFKA_KAFKA_VERSION")
    if os.environ.get("PUREKAFKA_BOOTSTRAP"):
        return [Line("external", version or "?", {}, None)]
    if not version:
        return LINES
    features = _features(os.environ.get("PUREKAFKA_KAFKA_FEATURES", ""))
    named = os.environ.get("PUREKAFKA_INTEROP_LINE")
    for line in LINES:
        if line.name == named or (named is None and line.version == version and line.features == features):
            return [line]
    return [Line(f"custom-{version}", version, features, None)]


@dataclass
class LineKafka:
    line: Line
    broker: LocalKafka

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap

    def classpath(self) -> str:
        return str(kafka_local.classpath(self.line.version))


@pytest.fixture(scope="session", params=selected_lines(), ids=lambda line: line.name)
def line(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LineKafka]:
    spec: Line = request.param
    if os.environ.get("PUREKAFKA_KAFKA_VERSION") or os.environ.get("PUREKAFKA_BOOTSTRAP"):
        yield LineKafka(spec, request.getfixturevalue("kafka"))  # this process's broker is the line
        return
    extra = ["--version", spec.version]
    for k, v in spec.features.items():
        extra += ["--feature", f"{k}={v}"]
    broker = start_cluster(tmp_path_factory.mktemp(f"line-{spec.name}") / "cluster", nodes=1, extra=extra)
    try:
        yield LineKafka(spec, broker)
    finally:
        broker.stop()


# line_topic(partitions=1, config=None) -> a new topic's name on the line's broker
TopicMaker = Callable[..., str]


@pytest.fixture
def line_topic(line: LineKafka) -> TopicMaker:
    from tests.support.kafka import unique_name

    def make(partitions: int = 1, config: dict[str, str] | None = None) -> str:
        return line.broker.create_topic(unique_name(f"io-{line.line.name}"), partitions, 1, config)

    return make


def api_versions_body(addr: tuple[str, int]) -> bytes:
    """The broker's ApiVersions v3 response body (after the correlation id)."""
    name = b"interop"
    body = bytes([len(name) + 1]) + name + bytes([2]) + b"1" + b"\x00"  # compact strings, no tags
    frame = struct.pack(">hhih", 18, 3, 7, len(name)) + name + b"\x00" + body  # request header v2
    with socket.create_connection(addr, timeout=10) as s:
        s.sendall(struct.pack(">i", len(frame)) + frame)
        size = struct.unpack(">i", _exact(s, 4))[0]
        data = _exact(s, size)
    assert struct.unpack_from(">i", data)[0] == 7
    return data[4:]


def raw_api_versions(addr: tuple[str, int]) -> dict[int, tuple[int, int]]:
    """The version ranges of the broker's ApiVersions v3 answer, parsed here with struct
    (not with purekafka's codec)."""
    data = api_versions_body(addr)
    error = struct.unpack_from(">h", data, 0)[0]
    assert error == 0, error
    count, pos = _uvarint(data, 2)
    out = {}
    for _ in range(count - 1):  # compact array: length + 1
        key, lo, hi = struct.unpack_from(">hhh", data, pos)
        pos += 6
        tags, pos = _uvarint(data, pos)
        assert tags == 0
        out[key] = (lo, hi)
    return out


def _uvarint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _exact(s: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        buf += chunk
    return bytes(buf)
