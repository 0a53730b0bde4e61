#!/usr/bin/env python3
"""A local Apache Kafka cluster on 127.0.0.1, in KRaft mode, for tests, demos and benchmarks.

The broker is the real one: ``org.apache.kafka:kafka_2.13`` and its runtime dependencies,
resolved once from Maven Central with ``mvn`` into ``~/.cache/purekafka/kafka-<version>/``
(or taken from ``$KAFKA_HOME/libs`` when that is set). Each node is a combined broker and
controller with its own pair of free loopback ports. All state (configs, data, logs, pids)
lives in one directory, so separate invocations find the same cluster.

The few Kafka requests it needs (Metadata, CreateTopics) live in kafka_local_wire.py, written
with ``struct`` instead of importing purekafka: the harness that judges the client must not
depend on the client under test. Certificates, users and secure listeners: kafka_local_security.py.

Subcommands: start, stop, status, kill, restart, create-topic, classpath, fetch.
The last line ``start`` prints is exactly ``bootstrap.servers=127.0.0.1:P1,...``: with
``--security {SSL,SASL_PLAINTEXT,SASL_SSL}`` the addresses of that listener, and DIR/ca.pem,
client.pem, client.key and client.json (kafka-python settings) are written; ``--test-listeners``
adds every listener the security tests use (DIR/listeners.json). The harness's own requests
always go to the PLAINTEXT listener, which brokers also use between themselves.
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator


def _load_sibling(name: str) -> Any:
    # tools/ is not a package, and tests load this file by path: find the sibling by path too.
    import importlib.util
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


sec: Any = _load_sibling("kafka_local_security")
wire: Any = _load_sibling("kafka_local_wire")
HarnessError = wire.HarnessError
Metadata, metadata, create_topic = wire.Metadata, wire.metadata, wire.create_topic

# The one place the broker version is pinned: the newest 4.x that resolves here.
DEFAULT_VERSION = "4.4.0"
# The Kafka lines tests/interop runs against, newest first: the oldest is the oldest KRaft
# release with idempotence and transactions (2.8's KRaft mode has no InitProducerId).
# 4.0.0, not 4.0.1: Maven here does not serve 4.0.1's connect-* jars that kafka-tools needs.
INTEROP_VERSIONS = ("4.4.0", "4.0.0", "3.9.1", "3.6.2", "3.3.2", "3.0.2")
LOG4J_VERSION = "2.25.5"
CACHE_ROOT = Path(os.environ.get("PUREKAFKA_CACHE", Path.home() / ".cache" / "purekafka"))
DEFAULT_DIR = ".kafka-local"
HEAP = os.environ.get("PUREKAFKA_KAFKA_HEAP", "512m")
READY_TOPIC = "__purekafka_ready"


# --------------------------------------------------------------------------- resolution

def _pom(version: str) -> str:
    deps = [
        ("org.apache.kafka", "kafka_2.13", version),
        ("org.apache.kafka", "kafka-tools", version),
        # Kafka logs through slf4j 1.x; without a binding the broker's log would be empty
        # and a node that fails to start could not say why.
        ("org.apache.logging.log4j", "log4j-slf4j-impl", LOG4J_VERSION),
    ]
    body = "".join(
        f"<dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version></dependency>"
        for g, a, v in deps
    )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        "<groupId>purekafka.local</groupId><artifactId>kafka-resolve</artifactId><version>1</version>"
        f"<dependencies>{body}</dependencies></project>"
    )


def resolve(version: str) -> list[Path]:
    """Return the broker's jars, resolving them with Maven on first use."""
    home = os.environ.get("KAFKA_HOME")
    if home:
        libs = sorted(Path(home, "libs").glob("*.jar"))
        if not libs:
            raise HarnessError(f"KAFKA_HOME={home} has no libs/*.jar: point it at an unpacked Kafka distribution")
        return libs
    cache = CACHE_ROOT / f"kafka-{version}"
    marker = cache / "resolved"
    if not marker.exists():
        if shutil.which("mvn") is None:
            raise HarnessError("mvn not found: install Maven (apt-get install maven) or set KAFKA_HOME")
        cache.mkdir(parents=True, exist_ok=True)
        libs_dir = cache / "libs"
        shutil.rmtree(libs_dir, ignore_errors=True)
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "pom.xml").write_text(_pom(version))
            cmd = ["mvn", "-q", "-B", "-f", str(Path(tmp, "pom.xml")), "dependency:copy-dependencies",
                   f"-DoutputDirectory={libs_dir}", "-DincludeScope=runtime"]
            proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
            raise HarnessError(
                f"Maven could not resolve org.apache.kafka:kafka_2.13:{version} "
                f"(check the version exists and Maven Central is reachable): {' | '.join(tail)}")
        marker.write_text(version + "\n")
    return sorted((cache / "libs").glob("*.jar"))


def _major(version: str) -> int:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def classpath(version: str) -> str:
    return os.pathsep.join(str(p) for p in resolve(version))


# --------------------------------------------------------------------------- cluster state

def _ephemeral_range() -> tuple[int, int]:
    try:
        lo, hi = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(lo), int(hi)
    except (OSError, ValueError):
        return 32768, 60999


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


_CHOSEN_PORTS: set[int] = set()  # never hand out the same port twice in one process


def _free_port() -> int:
    """A free port below the ephemeral range.

    Ports inside it can be grabbed by any outgoing connection while a node is down, and a
    peer reconnecting to a dead node's port on loopback can even connect to itself
    (TCP simultaneous open), holding the port so the node cannot restart.
    """
    lo, _ = _ephemeral_range()
    rng = random.Random()
    for _ in range(1000):
        port = rng.randrange(20000, max(20001, min(lo, 32768)))
        if port not in _CHOSEN_PORTS and _bindable(port):
            _CHOSEN_PORTS.add(port)
            return port
    raise HarnessError("found no free port on 127.0.0.1 below the ephemeral range")


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); treat it as dead.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True


class Cluster:
    def __init__(self, directory: Path) -> None:
        self.dir = directory.resolve()
        self.state_file = self.dir / "cluster.json"

    # state.json holds everything a later invocation needs
    def load(self) -> dict[str, Any]:
        if not self.state_file.exists():
            raise HarnessError(f"no cluster in {self.dir}: run 'tools/kafka_local.py start --dir {self.dir}' first")
        state: dict[str, Any] = json.loads(self.state_file.read_text())
        return state

    def save(self, state: dict[str, Any]) -> None:
        # Atomic, so a reader in another process or thread never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".cluster-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(state, indent=2))
        os.replace(tmp, self.state_file)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise read-modify-write of the state (tests kill and restart nodes from threads)."""
        if not self.dir.is_dir():
            self.load()  # raises the "no cluster in DIR" error
        with open(self.dir / ".lock", "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def bootstrap(self, state: dict[str, Any]) -> str:
        primary = state.get("primary")
        if primary:
            return str(state["listeners"][primary]["bootstrap"])
        return ",".join(f"127.0.0.1:{n['port']}" for n in state["nodes"])

    # ---------------------------------------------------------------- start
    def start(self, nodes: int, version: str, broker_config: dict[str, str], features: dict[str, str],
              timeout: float, owner_pid: int | None, listeners: list[Any] | None = None,
              primary: str | None = None) -> str:
        if self.state_file.exists():
            state = json.loads(self.state_file.read_text())
            if any(_alive(n["pid"]) for n in state["nodes"] if n.get("pid")):
                raise HarnessError(f"a cluster is already running in {self.dir}: run 'stop --dir {self.dir}' first")
        if shutil.which("java") is None:
            raise HarnessError("java not found: install a JDK 17+ (apt-get install openjdk-17-jdk-headless)")
        cp = classpath(version)
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        cluster_id = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
        specs: list[dict[str, Any]] = [{"id": i, "port": _free_port(), "controller_port": _free_port()}
                                       for i in range(1, nodes + 1)]
        voters = ",".join(f"{s['id']}@127.0.0.1:{s['controller_port']}" for s in specs)
        rf = min(3, nodes)
        try:
            secure = sec.setup(self.dir, version, specs, listeners or [], primary, _free_port, owner_pid)
        except sec.SecurityError as e:
            raise HarnessError(str(e)) from e
        for s in specs:
            node_dir = self.dir / f"node-{s['id']}"
            (node_dir / "data").mkdir(parents=True)
            props = {
                "process.roles": "broker,controller",
                "node.id": str(s["id"]),
                "controller.quorum.voters": voters,
                "listeners": f"PLAINTEXT://127.0.0.1:{s['port']},CONTROLLER://127.0.0.1:{s['controller_port']}"
                             + "".join(f",{n}://{i['host']}:{s['listeners'][n]}" for n, i in secure["listeners"].items()),
                "advertised.listeners": f"PLAINTEXT://127.0.0.1:{s['port']}"
                                        + "".join(f",{n}://{i['host']}:{s['listeners'][n]}"
                                                  for n, i in secure["listeners"].items()),
                # Custom listener names (MTLS, REAUTH, ...) map to the protocol they speak.
                "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL,"
                                                  "SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL"
                                                  + "".join(f",{n}:{i['protocol']}" for n, i in secure["listeners"].items()
                                                            if n not in ("SSL", "SASL_PLAINTEXT", "SASL_SSL")),
                "controller.listener.names": "CONTROLLER",
                "inter.broker.listener.name": "PLAINTEXT",
                "log.dirs": str(node_dir / "data"),
                "num.partitions": "1",
                "default.replication.factor": "1",
                "offsets.topic.replication.factor": str(rf),
                "transaction.state.log.replication.factor": str(rf),
                "transaction.state.log.min.isr": str(min(2, rf)),
                # Fewer internal partitions: much faster startup on a 2-core machine.
                "offsets.topic.num.partitions": "5",
                "transaction.state.log.num.partitions": "5",
                "group.initial.rebalance.delay.ms": "0",
                "log.segment.bytes": str(64 * 1024 * 1024),
                "num.network.threads": "2",
                "num.io.threads": "4",
            }
            if _major(version) >= 4:  # share groups (KIP-932); older brokers warn about unknown keys
                props["share.coordinator.state.topic.replication.factor"] = str(rf)
                props["share.coordinator.state.topic.min.isr"] = str(min(2, rf))
            props.update(secure["props"])
            props.update(broker_config)
            cfg = node_dir / "server.properties"
            cfg.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
            (node_dir / "log4j2.properties").write_text(_LOG4J.replace("@DIR@", str(node_dir)))
            s["dir"] = str(node_dir)
        procs = [subprocess.Popen(self._format_cmd(cp, Path(s["dir"]), cluster_id, features) + secure["format"],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for s in specs]
        for s, p in zip(specs, procs):
            out, _ = p.communicate()
            if p.returncode != 0:
                raise HarnessError(f"formatting storage for node {s['id']} failed: {out.strip().splitlines()[-3:]}")
        state = {"version": version, "cluster_id": cluster_id, "nodes": specs, "classpath": cp,
                 **{k: v for k, v in secure.items() if k not in ("props", "format")}}
        self.save(state)
        try:
            for s in specs:
                self._launch(state, s)
            self.save(state)
            self._wait_ready(state, timeout)
        except BaseException:
            self.stop()
            raise
        if owner_pid:
            self._watch(owner_pid)
        sec.write_client_files(self.dir, state)
        return self.bootstrap(state)

    def _format_cmd(self, cp: str, node_dir: Path, cluster_id: str, features: dict[str, str]) -> list[str]:
        cmd = ["java", "-Xmx256m", "-cp", cp, f"-Dlog4j2.configurationFile={node_dir / 'log4j2.properties'}",
               "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", "-c", str(node_dir / "server.properties"),
               "--ignore-formatted"]
        for k, v in features.items():
            cmd += ["--feature", f"{k}={v}"]
        return cmd

    def _launch(self, state: dict[str, Any], node: dict[str, Any]) -> None:
        node_dir = Path(node["dir"])
        # A killed node's accepted connections linger (FIN_WAIT) for a moment and keep its
        # ports from being bound again; give them time before calling the port taken.
        deadline = time.monotonic() + 30
        while not (_bindable(node["port"]) and _bindable(node["controller_port"])):
            if time.monotonic() < deadline:
                time.sleep(0.2)
                continue
            raise HarnessError(f"port {node['port']} or {node['controller_port']} on 127.0.0.1 is taken: "
                               f"stop whatever holds it, or start again to pick new ports")
        cmd = ["java", f"-Xmx{HEAP}", "-Xms128m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
               "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true",
               f"-Dlog4j2.configurationFile={node_dir / 'log4j2.properties'}",
               f"-Dpurekafka.node.dir={node_dir}",  # lets stop() recognise its own JVMs
               *state.get("jvm_options", []),
               "-cp", state["classpath"], "kafka.Kafka", str(node_dir / "server.properties")]
        with open(node_dir / "server.out", "ab") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        node["pid"] = proc.pid

    def _wait_ready(self, state: dict[str, Any], timeout: float, nodes: list[int] | None = None) -> None:
        deadline = time.monotonic() + timeout
        want = [n for n in state["nodes"] if nodes is None or n["id"] in nodes]
        all_ids = {n["id"] for n in state["nodes"]}
        for n in want:
            while not _port_open(n["port"]):
                self._check_alive(n)
                if time.monotonic() > deadline:
                    raise HarnessError(f"node {n['id']} did not open port {n['port']} within {timeout:.0f}s; "
                                       f"log tail: {self._tail(n)}")
                time.sleep(0.25)
        last_err: Exception | None = None
        rf = min(3, len(state["nodes"]))
        while time.monotonic() < deadline:
            try:
                for n in want:
                    self._check_alive(n)
                    md = metadata(("127.0.0.1", n["port"]))
                    up = {nid for nid in all_ids if self._node_up(state, nid)}
                    if not up <= set(md.brokers):
                        raise HarnessError(f"node {n['id']} sees brokers {sorted(md.brokers)}, want {sorted(up)}")
                addr = ("127.0.0.1", want[0]["port"])
                create_topic(addr, READY_TOPIC, 1, rf)
                leaders = metadata(addr, [READY_TOPIC]).leaders.get(READY_TOPIC, {})
                if leaders and all(v >= 0 for v in leaders.values()):
                    return
                raise HarnessError("ready topic has no leader yet")
            except HarnessError as e:
                if "exited" in str(e):
                    raise
                last_err = e
            except (OSError, struct.error) as e:
                last_err = e
            time.sleep(0.5)
        raise HarnessError(f"cluster in {self.dir} did not serve metadata and topic creation within "
                           f"{timeout:.0f}s ({last_err}); log tail: {self._tail(want[0])}")

    def _node_up(self, state: dict[str, Any], node_id: int) -> bool:
        n = next(n for n in state["nodes"] if n["id"] == node_id)
        return bool(n.get("pid")) and _alive(n["pid"]) and _port_open(n["port"])

    def _check_alive(self, node: dict[str, Any]) -> None:
        if not _alive(node["pid"]):
            raise HarnessError(f"node {node['id']} exited during startup: {self._cause(node) or self._tail(node)}")

    def _cause(self, node: dict[str, Any]) -> str:
        """The root cause a dying broker logged (a bad setting, usually), not its shutdown chatter."""
        log = Path(node["dir"], "server.log")
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        causes = [ln for ln in lines if ln.startswith("Caused by:")]
        return causes[-1] if causes else ""

    def _tail(self, node: dict[str, Any], lines: int = 8) -> str:
        parts = []
        for name in ("server.out", "server.log"):
            p = Path(node["dir"], name)
            if p.exists():
                text = p.read_text(errors="replace").strip().splitlines()
                parts += [ln for ln in text[-lines:] if ln.strip()]
        return " | ".join(parts[-lines:]) or "(empty)"

    def _watch(self, owner_pid: int) -> None:
        """Stop the cluster when the owning process dies, however it dies (SIGKILL included)."""
        code = (
            "import os,sys,time,subprocess\n"
            "owner=int(sys.argv[1])\n"
            "while True:\n"
            "    try: os.kill(owner,0)\n"
            "    except ProcessLookupError: break\n"
            "    time.sleep(1)\n"
            "subprocess.run([sys.executable,sys.argv[2],'stop','--dir',sys.argv[3]])\n"
        )
        subprocess.Popen([sys.executable, "-c", code, str(owner_pid), str(Path(__file__).resolve()), str(self.dir)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)

    # ---------------------------------------------------------------- control
    def stop(self) -> None:
        with self._locked():
            self._stop_locked()

    def _stop_locked(self) -> None:
        state = self.load()
        for n in state["nodes"]:
            if n.get("pid") and _alive(n["pid"]):
                os.kill(n["pid"], signal.SIGTERM)
        deadline = time.monotonic() + 30
        for n in state["nodes"]:
            while n.get("pid") and _alive(n["pid"]) and time.monotonic() < deadline:
                time.sleep(0.1)
            if n.get("pid") and _alive(n["pid"]):
                os.kill(n["pid"], signal.SIGKILL)
        for pid in self._stray_jvms():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if state.get("jwks_pid") and _alive(state["jwks_pid"]):
            os.kill(state["jwks_pid"], signal.SIGTERM)
        sec.stop_kdc(state)
        for n in state["nodes"]:
            n["pid"] = None
        self.save(state)

    def _stray_jvms(self, node_dir: str | None = None) -> list[int]:
        """JVMs started for this directory (or one node of it), whether or not the state knows them."""
        tag = (f"-Dpurekafka.node.dir={node_dir} " if node_dir else f"-Dpurekafka.node.dir={self.dir}/").encode()
        found = []
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit():
                try:
                    if tag in (proc / "cmdline").read_bytes().replace(b"\0", b" "):
                        found.append(int(proc.name))
                except OSError:
                    pass
        return found

    def status(self) -> list[tuple[int, int, int | None, bool]]:
        state = self.load()
        return [(n["id"], n["port"], n.get("pid"), self._node_up(state, n["id"])) for n in state["nodes"]]

    def kill(self, node_id: int) -> None:
        with self._locked():
            state = self.load()
            node = self._node(state, node_id)
            self._kill_node(node, signal.SIGKILL)
            node["pid"] = None
            self.save(state)

    def _kill_node(self, node: dict[str, Any], sig: int) -> None:
        pids = set(self._stray_jvms(node["dir"]))
        if node.get("pid"):
            pids.add(node["pid"])
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        end = time.monotonic() + 30
        while any(_alive(p) for p in pids) and time.monotonic() < end:
            time.sleep(0.05)
        for pid in pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)

    def restart(self, node_id: int, timeout: float) -> None:
        with self._locked():
            state = self.load()
            node = self._node(state, node_id)
            self._kill_node(node, signal.SIGTERM)
            self._launch(state, node)
            self.save(state)
        # Wait outside the lock: nodes restarted side by side need each other for a quorum.
        self._wait_ready(self.load(), timeout, nodes=[node_id])

    def _node(self, state: dict[str, Any], node_id: int) -> dict[str, Any]:
        for n in state["nodes"]:
            if n["id"] == node_id:
                node: dict[str, Any] = n
                return node
        raise HarnessError(f"no node {node_id} in {self.dir}: nodes are {[n['id'] for n in state['nodes']]}")

    def any_up_addr(self) -> tuple[str, int]:
        state = self.load()
        for n in state["nodes"]:
            if self._node_up(state, n["id"]):
                return ("127.0.0.1", n["port"])
        raise HarnessError(f"no node of the cluster in {self.dir} is up: run 'start' or 'restart'")


_LOG4J = """\
status = warn
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = @DIR@/server.log
appender.file.filePattern = @DIR@/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 2
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.state.name = state.change.logger
logger.state.level = WARN
"""


# --------------------------------------------------------------------------- CLI

def _kv(items: list[str] | None, what: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise HarnessError(f"{what} takes key=value, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="kafka_local.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    def with_dir(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--dir", default=DEFAULT_DIR, help="cluster state directory (default .kafka-local)")
        return p

    p = with_dir(sub.add_parser("start", help="format and start a cluster"))
    p.add_argument("--nodes", type=int, default=1)
    p.add_argument("--version", default=DEFAULT_VERSION)
    p.add_argument("--broker-config", action="append", metavar="K=V", help="extra broker setting (repeatable)")
    p.add_argument("--feature", action="append", metavar="K=V", help="feature level at format, e.g. transaction.version=1")
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--owner-pid", type=int, help="stop the cluster when this process exits")
    p.add_argument("--security", choices=sec.PROTOCOLS, help="the client listener's protocol (bootstrap line)")
    p.add_argument("--sasl-mechanisms", default="", help=f"comma-separated, from {','.join(sec.SASL_MECHANISMS)}")
    p.add_argument("--ssl-client-auth", choices=["required", "none"], default="none")
    p.add_argument("--test-listeners", action="store_true", help="add every listener tests/security uses")
    with_dir(sub.add_parser("stop", help="stop every node"))
    with_dir(sub.add_parser("status", help="one line per node: id, port, pid, up/down"))
    p = with_dir(sub.add_parser("kill", help="SIGKILL one node"))
    p.add_argument("node", type=int)
    p = with_dir(sub.add_parser("restart", help="(re)start one node and wait until it serves"))
    p.add_argument("node", type=int)
    p.add_argument("--timeout", type=float, default=120.0)
    p = with_dir(sub.add_parser("create-topic", help="create a topic"))
    p.add_argument("name")
    p.add_argument("--partitions", type=int, default=1)
    p.add_argument("--replication-factor", type=int, default=1)
    p.add_argument("--config", action="append", metavar="K=V")
    p = with_dir(sub.add_parser("classpath", help="print the Java classpath of the Kafka jars"))
    p.add_argument("--version", default=DEFAULT_VERSION)
    p = sub.add_parser("fetch", help="resolve the Kafka jars into the cache (no broker started)")
    p.add_argument("--version", action="append", help=f"repeatable (default {DEFAULT_VERSION})")
    p.add_argument("--interop", action="store_true", help=f"also every line tests/interop runs: {INTEROP_VERSIONS}")
    args = ap.parse_args(argv)

    try:
        if args.cmd == "fetch":
            wanted = list(args.version or [DEFAULT_VERSION])
            wanted += [v for v in INTEROP_VERSIONS if args.interop and v not in wanted]
            for version in wanted:
                print(f"{len(resolve(version))} jars for Kafka {version}")
            return 0
        if args.cmd == "classpath":
            print(classpath(args.version))
            return 0
        cluster = Cluster(Path(args.dir))
        if args.cmd == "start":
            if args.nodes < 1:
                raise HarnessError("--nodes must be at least 1")
            try:
                listeners = sec.listeners_from_args(args.security, args.sasl_mechanisms,
                                                    args.ssl_client_auth == "required", args.test_listeners)
            except sec.SecurityError as e:
                raise HarnessError(str(e)) from e
            try:
                boot = cluster.start(args.nodes, args.version, _kv(args.broker_config, "--broker-config"),
                                     _kv(args.feature, "--feature"), args.timeout, args.owner_pid, listeners, args.security)
            except KeyboardInterrupt:
                print("interrupted: cluster stopped", file=sys.stderr)
                return 130
            print(f"bootstrap.servers={boot}")
        elif args.cmd == "stop":
            cluster.stop()
        elif args.cmd == "status":
            for node_id, port, pid, up in cluster.status():
                print(f"node {node_id} port {port} pid {pid if pid else '-'} {'up' if up else 'down'}")
        elif args.cmd == "kill":
            cluster.kill(args.node)
        elif args.cmd == "restart":
            cluster.restart(args.node, args.timeout)
        elif args.cmd == "create-topic":
            create_topic(cluster.any_up_addr(), args.name, args.partitions, args.replication_factor,
                         _kv(args.config, "--config"))
            print(f"created {args.name}")
    except HarnessError as e:
        print(f"kafka_local: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
