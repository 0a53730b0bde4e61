"""Hex input: the layouts real tools print parse back to the bytes they were given."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purekafka.decode import main
from purekafka.decode.hexdump import parse_hex

DATA = Path(__file__).parent / "data"


def _tool(cmd: list[str], data: bytes) -> str:
    if shutil.which(cmd[0]) is None:
        pytest.skip(f"{cmd[0]} is not installed (make setup installs xxd and bsdextrautils)")
    return subprocess.run(cmd, input=data, capture_output=True, check=True).stdout.decode()


@given(st.binary(min_size=1, max_size=200))
def test_xxd_layouts(data):
    assert parse_hex(_tool(["xxd"], data)).data == data
    assert parse_hex(_tool(["xxd", "-c", "32", "-g", "1"], data)).data == data
    assert parse_hex(_tool(["xxd", "-p"], data)).data == data


@given(st.binary(min_size=1, max_size=200))
def test_hexdump_canonical_layout(data):
    assert parse_hex(_tool(["hexdump", "-C"], data)).data == data


@given(st.binary(min_size=1, max_size=100), st.sampled_from([" ", "\n", "\t", ", "]), st.booleans())
def test_bare_hex_with_prefixes_and_separators(data, sep, prefix):
    text = sep.join(("0x" if prefix else "") + f"{b:02x}" for b in data)
    assert parse_hex(text).data == data
    assert parse_hex(data.hex().upper()).data == data


def test_not_hex_is_a_clear_error():
    out, err = io.StringIO(), io.StringIO()
    assert main(["--hex", "00 00 00 zz"], stdout=out, stderr=err) == 1
    assert "line 1" in err.getvalue() and "'zz' is not hex" in err.getvalue()
    assert main(["--hex", "000"], stdout=out, stderr=err) == 1
    assert "odd number of hex digits" in err.getvalue()


def _frames(argv: list[str], stdin: bytes | None = None) -> tuple[int, list[dict]]:
    out, err = io.StringIO(), io.StringIO()
    rc = main(argv, stdin=io.BytesIO(stdin or b""), stdout=out, stderr=err)
    assert "Traceback" not in err.getvalue()
    return rc, [json.loads(line) for line in out.getvalue().splitlines()]


def _essentials(frames: list[dict]) -> list[tuple]:
    return [(f["type"], f["api_name"], f["api_version"], f["correlation_id"], json.dumps(f["body"])) for f in frames]


def test_tcpdump_x_text_decodes_like_the_capture_itself():
    """`tcpdump -r capture -X` prints each packet's IP bytes as text; decoding that text
    must give the same frames as decoding the capture file."""
    if shutil.which("tcpdump") is None:
        pytest.skip("tcpdump is not installed (make setup installs it)")
    cap = DATA / "tcpdump_confluent.pcap"
    for flag in ("-X", "-XX", "-xx", "-x"):
        text = subprocess.run(["tcpdump", "-r", str(cap), "-n", flag], capture_output=True, check=True).stdout
        rc_text, from_text = _frames(["--json", "-"], stdin=text)
        rc_cap, from_cap = _frames(["--json", str(cap)])
        assert rc_text == rc_cap == 0
        assert len(from_cap) >= 6
        assert _essentials(from_text) == _essentials(from_cap)


def test_xxd_of_a_capture_is_read_as_a_capture():
    cap = (DATA / "proxy_confluent.pcap").read_bytes()
    rc_hex, from_hex = _frames(["--json", "-"], stdin=_tool(["xxd"], cap).encode())
    rc_cap, from_cap = _frames(["--json", str(DATA / "proxy_confluent.pcap")])
    assert rc_hex == rc_cap == 0
    assert _essentials(from_hex) == _essentials(from_cap)
