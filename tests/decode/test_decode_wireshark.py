"""Cross-checks with Wireshark's tools, an independent reader of the same captures.

Wireshark 4.0's Kafka dissector stops at the records of current Produce versions,
but it does frame, reassemble and pair the traffic: the API keys, versions and
correlation ids it finds must be the ones we find. editcap turns our pcap test
data into pcapng, which must decode exactly like the original.
"""
from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from purekafka.decode import main

DATA = Path(__file__).parent / "data"
CAPTURES = ["tcpdump_confluent.pcap", "proxy_confluent.pcap", "proxy_purekafka.pcap"]


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (make setup installs Wireshark's command-line tools)")


def _ours(path: Path) -> list[dict]:
    out, err = io.StringIO(), io.StringIO()
    assert main(["--json", str(path)], stdout=out, stderr=err) == 0, err.getvalue()
    return [json.loads(x) for x in out.getvalue().splitlines()]


def _broker_port(frames: list[dict]) -> int:
    return int(frames[0]["where"].split()[-1].rsplit(":", 1)[1])


def _client_port(frame: dict) -> int:
    return int(frame["where"].split()[2].rsplit(":", 1)[1])


@pytest.mark.parametrize("name", CAPTURES)
def test_tshark_finds_the_same_requests_and_responses(name):
    _need("tshark")
    ours = _ours(DATA / name)
    port = _broker_port(ours)
    proc = subprocess.run(
        ["tshark", "-r", str(DATA / name), "-d", f"tcp.port=={port},kafka", "-Y", "kafka", "-T", "fields",
         "-E", "separator=|", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "kafka.request_key",
         "-e", "kafka.api_version", "-e", "kafka.correlation_id"],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    theirs_req, theirs_resp = [], []
    for line in proc.stdout.splitlines():
        sport, dport, keys, versions, corrs = line.split("|")
        corr_list = [int(c) for c in corrs.split(",") if c]
        if int(dport) == port:  # client to broker: requests
            for k, v, c in zip(keys.split(","), versions.split(","), corr_list, strict=True):
                theirs_req.append((int(sport), int(k), int(v), c))
        else:
            theirs_resp += [(int(dport), c) for c in corr_list]
    ours_req = [(_client_port(f), f["api_key"], f["api_version"], f["correlation_id"])
                for f in ours if f["type"] == "request"]
    ours_resp = [(_client_port(f), f["correlation_id"]) for f in ours if f["type"] == "response"]
    assert sorted(ours_req) == sorted(theirs_req)
    assert sorted(ours_resp) == sorted(theirs_resp)
    assert len(ours_req) >= 4


@pytest.mark.parametrize("name", CAPTURES)
def test_pcapng_from_editcap_decodes_like_the_pcap(name, tmp_path):
    _need("editcap")
    ng = tmp_path / (name + "ng")
    subprocess.run(["editcap", "-F", "pcapng", str(DATA / name), str(ng)], check=True, timeout=60)
    assert ng.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"
    assert _ours(ng) == _ours(DATA / name)
