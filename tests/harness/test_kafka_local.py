"""The harness itself: start/stop leave nothing behind, and a killed node comes back as leader-capable."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.kafka import KAFKA_LOCAL, LocalKafka, kafka_local, start_cluster, unique_name


def _jvms_for(directory: Path) -> list[int]:
    pids: list[int] = kafka_local.Cluster(directory)._stray_jvms()
    return pids


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(KAFKA_LOCAL), *args], capture_output=True, text=True, timeout=300)


@pytest.mark.broker
def test_start_stop_leaves_no_process(tmp_path: Path) -> None:
    directory = tmp_path / "k"
    # Start through the CLI with a PATH lacking mvn: the second start must come from the cache.
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + "/usr/bin")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    java = subprocess.run(["which", "java"], capture_output=True, text=True).stdout.strip()
    (bin_dir / "java").symlink_to(java)
    env["PATH"] = str(bin_dir)
    proc = subprocess.run([sys.executable, str(KAFKA_LOCAL), "start", "--dir", str(directory)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1].startswith("bootstrap.servers=127.0.0.1:")
    assert len(_jvms_for(directory)) == 1
    status = _run("status", "--dir", str(directory))
    assert status.stdout.split()[-1] == "up", status.stdout
    assert _run("stop", "--dir", str(directory)).returncode == 0
    assert _jvms_for(directory) == []
    assert _run("status", "--dir", str(directory)).stdout.split()[-1] == "down"


@pytest.mark.broker
def test_owner_death_stops_the_cluster(tmp_path: Path) -> None:
    directory = tmp_path / "k"
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        proc = _run("start", "--dir", str(directory), "--owner-pid", str(owner.pid))
        assert proc.returncode == 0, proc.stderr
        assert len(_jvms_for(directory)) == 1
    finally:
        owner.kill()
        owner.wait()
    import time

    deadline = time.monotonic() + 60
    while _jvms_for(directory) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _jvms_for(directory) == [], "the watchdog did not stop the cluster after its owner died"


def test_clear_errors(tmp_path: Path) -> None:
    proc = _run("status", "--dir", str(tmp_path / "nothing"))
    assert proc.returncode == 1
    assert "no cluster in" in proc.stderr and "start" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = _run("start", "--dir", str(tmp_path / "x"), "--broker-config", "novalue")
    assert proc.returncode == 1 and "key=value" in proc.stderr


def test_fetch_resolves_every_interop_line_once(tmp_path: Path) -> None:
    proc = _run("fetch", "--interop")
    assert proc.returncode == 0, proc.stderr
    got = [line.split() for line in proc.stdout.splitlines()]
    assert [words[-1] for words in got] == list(kafka_local.INTEROP_VERSIONS)
    assert all(int(words[0]) > 20 and words[1:4] == ["jars", "for", "Kafka"] for words in got)
    for version in kafka_local.INTEROP_VERSIONS:
        assert (kafka_local.CACHE_ROOT / f"kafka-{version}" / "resolved").read_text().strip() == version


@pytest.mark.cluster
def test_three_nodes_kill_and_restart(kafka_cluster: LocalKafka) -> None:
    status = kafka_cluster.status()
    assert [(s[0], s[3]) for s in status] == [(1, True), (2, True), (3, True)]
    topic = kafka_cluster.create_topic(unique_name("harness"), partitions=6, replication_factor=3)
    kafka_cluster.kill(2)
    assert [s[3] for s in kafka_cluster.status()] == [True, False, True]
    kafka_cluster.restart(2)
    assert [s[3] for s in kafka_cluster.status()] == [True, True, True]
    kafka_cluster.wait_for_leaders(topic)
    md = kafka_cluster.metadata([topic])
    assert set(md.brokers) == {1, 2, 3}
    assert len(md.leaders[topic]) == 6 and all(v in (1, 2, 3) for v in md.leaders[topic].values())


@pytest.mark.cluster
def test_concurrent_kill_and_restart_keep_the_state_whole(kafka_cluster: LocalKafka) -> None:
    # Failure tests kill and restart nodes from threads while others read the status; the
    # state file must never be seen half-written, nor lose one thread's update.
    import threading

    errors: list[BaseException] = []
    stop = threading.Event()

    def read_status() -> None:
        while not stop.is_set():
            try:
                kafka_cluster.status()
            except BaseException as e:  # noqa: BLE001 - any failure is the finding
                errors.append(e)
                return

    def bounce(node: int) -> None:
        try:
            kafka_cluster.kill(node)
            kafka_cluster.restart(node)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    reader = threading.Thread(target=read_status)
    reader.start()
    workers = [threading.Thread(target=bounce, args=(n,)) for n in (1, 3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=180)
    stop.set()
    reader.join()
    assert errors == []
    status = kafka_cluster.status()
    assert [(s[0], s[3]) for s in status] == [(1, True), (2, True), (3, True)]
    pids = {s[2] for s in status if s[2] is not None}  # a node without a pid makes this fewer than 3
    assert len(pids) == 3 and all(kafka_local._alive(p) for p in pids)
    assert kafka_cluster.dir is not None
    assert sorted(_jvms_for(Path(kafka_cluster.dir))) == sorted(pids), "a JVM the state does not know is running"
