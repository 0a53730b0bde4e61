"""Real captures on loopback for the decode tests: tcpdump with a port filter, then our decoder and tshark."""
from __future__ import annotations

import io
import json
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from purekafka.decode import main


class LoopbackCapture:
    """``tcpdump -i lo`` on the given ports, writing ``path``, from construction until :meth:`stop`."""

    def __init__(self, path: Path, ports: list[int]) -> None:
        if shutil.which("tcpdump") is None:
            pytest.skip("tcpdump is not installed (make setup installs it)")
        self.path, self.ports = path, ports
        bpf = " or ".join(f"tcp port {p}" for p in ports)
        # A large kernel buffer (-B, KiB): on a loaded machine tcpdump is scheduled late, and a
        # full buffer drops packets, which shows up as bytes missing from the capture.
        self.proc = subprocess.Popen(["tcpdump", "-i", "lo", "--immediate-mode", "-U", "-B", "262144", "-s", "0",
                                      "-w", str(path), bpf], stderr=subprocess.PIPE)
        self.dropped: int | None = None  # packets the kernel dropped, as tcpdump reports on exit
        deadline = time.monotonic() + 10
        # The file header is written once the device is open and the filter set: capturing.
        while not (path.exists() and path.stat().st_size >= 24):
            if self.proc.poll() is not None:
                assert self.proc.stderr is not None
                pytest.skip(f"tcpdump cannot capture on loopback here: {self.proc.stderr.read().decode().strip()}")
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError("tcpdump did not start capturing within 10s")
            time.sleep(0.05)

    def stop(self, settle: float = 1.0, timeout: float = 10.0) -> None:
        """Stop once the file has not grown for ``settle`` seconds (packets land a moment after they pass)."""
        if self.proc.poll() is None:
            deadline = time.monotonic() + timeout
            size, since = -1, time.monotonic()
            while time.monotonic() < deadline:
                now = self.path.stat().st_size
                if now != size:
                    size, since = now, time.monotonic()
                elif time.monotonic() - since >= settle:
                    break
                time.sleep(0.1)
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(10)
            assert self.proc.stderr is not None
            report = self.proc.stderr.read().decode(errors="replace")
            found = re.search(r"(\d+) packets? dropped by kernel", report)
            self.dropped = int(found.group(1)) if found else None

    def __enter__(self) -> "LoopbackCapture":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def decode(argv: list[str]) -> tuple[int, str, str]:
    """Run ``purekafka decode`` in process."""
    out, err = io.StringIO(), io.StringIO()
    rc = main(argv, stdout=out, stderr=err)
    assert "Traceback" not in err.getvalue(), err.getvalue()
    return rc, out.getvalue(), err.getvalue()


def decode_frames(path: Path, ports: list[int]) -> list[dict[str, Any]]:
    """Every frame of the capture as the JSON the tool prints."""
    argv = ["--json"] + [a for p in ports for a in ("--port", str(p))] + [str(path)]
    _, out, _ = decode(argv)
    return [json.loads(x) for x in out.splitlines()]


def clean(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The frames of connections that began while capturing (earlier ones joined mid-stream)."""
    return [f for f in frames if "mid-connection" not in f["where"]]


def undecoded(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Frames with errors or problems, except the last of a stream cut off by the end of the capture
    (the brokers of a cluster never stop talking, so one may be in flight when tcpdump stops)."""
    last = {f["where"]: i for i, f in enumerate(frames)}
    return [f for i, f in enumerate(frames) if (f["error"] or f["problems"])
            and not (last[f["where"]] == i and (f["error"] or "").startswith("truncated frame at byte offset"))]


def endpoints(frame: dict[str, Any]) -> tuple[int, int]:
    """(client port, broker port) of a frame's connection."""
    words = frame["where"].split()
    i = words.index("conn") + 2
    return int(words[i].rsplit(":", 1)[1]), int(words[i + 2].rsplit(":", 1)[1])


def tshark_matches(path: Path, ports: list[int], frames: list[dict[str, Any]]) -> None:
    """Wireshark finds the same (client port, api key, version, correlation id) requests and
    (client port, correlation id) responses as we do, on the connections of ``frames``."""
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed (make setup installs Wireshark's command-line tools)")
    cmd = ["tshark", "-r", str(path)]
    for p in ports:
        cmd += ["-d", f"tcp.port=={p},kafka"]
    cmd += ["-Y", "kafka", "-T", "fields", "-E", "separator=|", "-e", "tcp.srcport", "-e", "tcp.dstport",
            "-e", "kafka.request_key", "-e", "kafka.api_version", "-e", "kafka.correlation_id"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    mine = {endpoints(f)[0] for f in frames}
    theirs_req, theirs_resp = [], []
    for line in proc.stdout.splitlines():
        sport, dport, keys, versions, corrs = line.split("|")
        corr_list = [int(c) for c in corrs.split(",") if c]
        if int(dport) in ports and int(sport) in mine:
            for k, v, c in zip(keys.split(","), versions.split(","), corr_list, strict=True):
                theirs_req.append((int(sport), int(k), int(v), c))
        elif int(sport) in ports and int(dport) in mine:
            theirs_resp += [(int(dport), c) for c in corr_list]
    ours_req = [(endpoints(f)[0], f["api_key"], f["api_version"], f["correlation_id"])
                for f in frames if f["type"] == "request"]
    ours_resp = [(endpoints(f)[0], f["correlation_id"]) for f in frames if f["type"] == "response"]
    # This module is not a test module, so pytest does not rewrite its asserts: say what differs.
    assert sorted(ours_req) == sorted(theirs_req), _differences("requests", ours_req, theirs_req)
    assert sorted(ours_resp) == sorted(theirs_resp), _differences("responses", ours_resp, theirs_resp)


def _differences(what: str, ours: list[Any], theirs: list[Any]) -> str:
    from collections import Counter

    mine, tshark = Counter(ours), Counter(theirs)
    return (f"{what}: {len(ours)} decoded, {len(theirs)} by tshark; only ours: "
            f"{sorted((mine - tshark).elements())[:20]}; only tshark's: {sorted((tshark - mine).elements())[:20]}")
