"""The proxy's command line and address rewriting (the broker-backed runs are in test_decode_broker.py)."""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purekafka.decode.rewrite import rewrite_addresses
from purekafka.protocol import specs

ROOT = Path(__file__).resolve().parents[2]
TOOL = [sys.executable, str(ROOT / "tools" / "decode.py")]


def _start(*args: str) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([*TOOL, "proxy", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    line = proc.stderr.readline().decode()
    assert line.startswith("listening on 127.0.0.1:"), line
    return proc, int(line.split(",")[0].rsplit(":", 1)[1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ctrl_c_exits_cleanly_and_upstream_failures_are_reported():
    dead = _free_port()  # nothing listens there
    proc, port = _start("--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{dead}", "--json")
    lines: list[bytes] = []
    assert proc.stdout is not None and proc.stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, b"")), daemon=True)
    reader.start()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
            c.settimeout(5)
            assert c.recv(10) == b""  # the proxy closes the client when the broker is unreachable
        # It reports the failure just after closing the client: wait for that line, then stop it.
        deadline = time.monotonic() + 10
        while not any(b"cannot connect to upstream" in x for x in list(lines)) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
        reader.join(10)
        err = proc.stderr.read()
    out = b"".join(lines)
    assert proc.returncode == 0
    assert b"Traceback" not in err and b"proxy stopped" in err
    assert f"cannot connect to upstream 127.0.0.1:{dead}".encode() in out


def test_duration_bounds_a_run():
    proc, _ = _start("--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9", "--duration", "0.5")
    assert proc.wait(timeout=10) == 0


def test_only_loopback_listen_addresses():
    proc = subprocess.run([*TOOL, "proxy", "--listen", "0.0.0.0:0", "--upstream", "127.0.0.1:9"],
                          capture_output=True, timeout=30)
    assert proc.returncode == 2 and b"loopback" in proc.stderr and b"Traceback" not in proc.stderr
    proc = subprocess.run([*TOOL, "proxy", "--listen", "nonsense", "--upstream", "127.0.0.1:9"],
                          capture_output=True, timeout=30)
    assert proc.returncode == 2 and b"HOST:PORT" in proc.stderr


hosts = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.-", min_size=1, max_size=20)


@given(brokers=st.lists(st.tuples(st.integers(0, 1000), hosts, st.integers(1, 65535)), min_size=1, max_size=4,
                        unique_by=lambda b: (b[1], b[2])),
       version=st.integers(0, 13), topic=st.text(max_size=8))
def test_metadata_addresses_are_rewritten_and_nothing_else(brokers, version, topic):
    msg = {"brokers": [{"node_id": n, "host": h, "port": p, "rack": None} for n, h, p in brokers],
           "controller_id": 1, "cluster_id": "c" if version >= 2 else None,
           "topics": [{"name": topic, "error_code": 0, "topic_id": uuid.UUID(int=0), "partitions": []}]}
    body = specs.encode(3, version, "response", msg)
    table = {(h, p): ("127.0.0.1", 40000 + i) for i, (_, h, p) in enumerate(brokers)}
    new = rewrite_addresses(3, version, body, lambda h, p: table[(h, p)])
    assert new is not None
    before, after = specs.decode(3, version, "response", body), specs.decode(3, version, "response", new)
    assert [(b["node_id"], b["host"], b["port"]) for b in after["brokers"]] == \
        [(n, "127.0.0.1", table[(h, p)][1]) for n, h, p in brokers]
    for b in before["brokers"] + after["brokers"]:
        b.pop("host"), b.pop("port")
    assert before == after


@pytest.mark.parametrize("version", range(0, 7))
def test_find_coordinator_addresses_are_rewritten(version):
    if version >= 4:
        msg = {"coordinators": [{"key": "g", "node_id": 3, "host": "broker-3", "port": 9093, "error_code": 0},
                                {"key": "t", "node_id": 4, "host": "broker-4", "port": 9094, "error_code": 0}]}
    else:
        msg = {"node_id": 3, "host": "broker-3", "port": 9093, "error_code": 0}
    body = specs.encode(10, version, "response", msg)
    new = rewrite_addresses(10, version, body, lambda h, p: ("127.0.0.1", p + 1000))
    assert new is not None
    after = specs.decode(10, version, "response", new)
    nodes = after["coordinators"] if version >= 4 else [after]
    assert [(n["node_id"], n["host"], n["port"]) for n in nodes] == \
        ([(3, "127.0.0.1", 10093), (4, "127.0.0.1", 10094)] if version >= 4 else [(3, "127.0.0.1", 10093)])
    # A response without an address (coordinator not available) is left alone.
    empty = specs.encode(10, version, "response", {"error_code": 15, "node_id": -1, "host": "", "port": -1}
                         if version < 4 else {"coordinators": []})
    assert rewrite_addresses(10, version, empty, lambda h, p: ("x", 1)) is None
