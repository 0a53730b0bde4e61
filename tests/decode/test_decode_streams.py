"""Captures that are not clean: joined mid-connection, garbage in a stream, lost segments."""
from __future__ import annotations

import io
import json
import struct

from tests.support.capture_builder import Pkt, ip_tcp, write_pcap

from purekafka.decode import main
from purekafka.protocol import headers, specs

PSH_ACK, SYN, SYN_ACK = 0x18, 0x02, 0x12
CLIENT, BROKER = ("10.0.0.1", 50000), ("10.0.0.2", 9092)


def _request(corr: int) -> bytes:
    body = specs.encode(3, 12, "request", {"topics": None})
    return headers.encode_request_frame(3, 12, corr, "client", body)


def _response(corr: int) -> bytes:
    body = specs.encode(3, 12, "response", {"brokers": [{"node_id": corr, "host": "h", "port": 1}]})
    payload = headers.encode_response_header(corr, 1) + body
    return struct.pack(">i", len(payload)) + payload


def _decode(pkts: list[Pkt]) -> tuple[int, list[dict]]:
    out, err = io.StringIO(), io.StringIO()
    rc = main(["--json", "--format", "pcap", "-"], stdin=io.BytesIO(write_pcap([ip_tcp(p) for p in pkts], 101)),
              stdout=out, stderr=err)
    assert "Traceback" not in err.getvalue()
    return rc, [json.loads(x) for x in out.getvalue().splitlines()]


def _exchange(pkts: list[Pkt], seqs: dict[str, int], up: bytes, down: bytes) -> None:
    """Client data, then broker data; each side acknowledges everything the other sent."""
    if up:
        pkts.append(Pkt(*CLIENT, *BROKER, seqs["c"], seqs["s"], PSH_ACK, up))
        seqs["c"] += len(up)
    if down:
        pkts.append(Pkt(*BROKER, *CLIENT, seqs["s"], seqs["c"], PSH_ACK, down))
        seqs["s"] += len(down)


def test_capture_that_joins_mid_connection_resumes_at_the_next_frames():
    seqs = {"c": 1000, "s": 9000}
    pkts: list[Pkt] = []
    # The capture starts inside request 1 and inside response 0, whose request it never saw.
    _exchange(pkts, seqs, _request(1)[7:], _response(0)[5:] + _response(1))
    _exchange(pkts, seqs, _request(2), _response(2))
    rc, frames = _decode(pkts)
    assert rc == 1
    good = [f for f in frames if not f["error"]]
    assert [(f["type"], f["correlation_id"]) for f in good] == [("request", 2), ("response", 2)]
    errors = [f for f in frames if f["error"]]
    # The first 7 bytes of request 1 and the first 5 of response 0 were never captured.
    assert sorted(f["error"] for f in errors) == sorted([
        f"the capture began mid-connection: skipped {len(_response(0)) - 5 + len(_response(1))} bytes from "
        f"byte offset 0 to the next frame, at byte offset {len(_response(0)) - 5 + len(_response(1))}",
        f"the capture began mid-connection: skipped {len(_request(1)) - 7} bytes from byte offset 0 to the "
        f"next frame, at byte offset {len(_request(1)) - 7}"])
    assert all("(capture began mid-connection)" in f["where"] for f in frames)
    assert good[1]["body"]["brokers"][0]["node_id"] == 2


def test_garbage_inside_a_stream_is_skipped_to_the_next_frame():
    seqs = {"c": 1000, "s": 9000}
    pkts = [Pkt(*CLIENT, *BROKER, 999, 0, SYN), Pkt(*BROKER, *CLIENT, 8999, 0, SYN_ACK)]
    _exchange(pkts, seqs, _request(1), _response(1))
    _exchange(pkts, seqs, b"\xff\xff\x00\x00garbage!" + _request(2), b"\x80\x00\x00\x00" + _response(2))
    rc, frames = _decode(pkts)
    assert rc == 1
    good = [(f["type"], f["correlation_id"]) for f in frames if not f["error"]]
    assert good == [("request", 1), ("response", 1), ("request", 2), ("response", 2)]
    errors = [f["error"] for f in frames if f["error"]]
    assert len(errors) == 2 and all("is not a plausible size" in e and "skipped" in e for e in errors)


def test_lost_segment_costs_only_its_frame():
    seqs = {"c": 1000, "s": 9000}
    pkts = [Pkt(*CLIENT, *BROKER, 999, 0, SYN), Pkt(*BROKER, *CLIENT, 8999, 0, SYN_ACK)]
    _exchange(pkts, seqs, _request(1), _response(1))
    lost = _request(2)
    pkts.append(Pkt(*CLIENT, *BROKER, seqs["c"], 0, PSH_ACK, lost[:10]))
    seqs["c"] += len(lost)  # the rest of request 2 never made it into the capture
    _exchange(pkts, seqs, _request(3), _response(3))
    rc, frames = _decode(pkts)
    assert rc == 1
    good = [(f["type"], f["correlation_id"]) for f in frames if not f["error"]]
    assert good == [("request", 1), ("response", 1), ("request", 3), ("response", 3)]
    assert any("missing from the capture" in f["error"] for f in frames if f["error"])
