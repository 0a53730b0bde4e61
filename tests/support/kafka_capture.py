"""Test-side builder of Kafka captures: timed request/response exchanges on several connections."""
from __future__ import annotations

import struct
from dataclasses import dataclass

from tests.support.capture_builder import Pkt, ip_tcp, write_pcap

from purekafka.protocol import headers, specs

SYN, ACK, PSH = 0x02, 0x10, 0x08
BROKER = ("10.0.0.2", 9092)
T0_US = 1_760_000_000 * 10**6


@dataclass
class Exchange:
    """One request on connection ``conn`` sent at ``at_us``; its response ``latency_us`` later (None: none)."""

    conn: int
    at_us: int
    request: bytes  # framed
    response: bytes | None
    latency_us: int = 0


def request_frame(api_key: int, version: int, corr: int, client_id: str | None, body: dict) -> bytes:
    return headers.encode_request_frame(api_key, version, corr, client_id, specs.encode(api_key, version, "request", body))


def response_frame(api_key: int, version: int, corr: int, body: dict) -> bytes:
    payload = (headers.encode_response_header(corr, headers.response_header_version(api_key, version))
               + specs.encode(api_key, version, "response", body))
    return struct.pack(">i", len(payload)) + payload


def client_of(conn: int) -> tuple[str, int]:
    return ("10.0.0.1", 40000 + conn)


def build_capture(exchanges: list[Exchange]) -> bytes:
    """A pcap (raw IP) of the exchanges: a handshake before each connection's first request, then
    each request and response as one segment at its time."""
    timed: list[tuple[int, int, Pkt]] = []
    seqs: dict[int, list[int]] = {}
    order = 0
    for ex in sorted(exchanges, key=lambda e: e.at_us):
        client = client_of(ex.conn)
        if ex.conn not in seqs:
            seqs[ex.conn] = [1000 + ex.conn * 100000, 9000 + ex.conn * 100000]
            c, s = seqs[ex.conn]
            timed.append((ex.at_us - 2, order, Pkt(*client, *BROKER, c - 1, 0, SYN)))
            timed.append((ex.at_us - 1, order + 1, Pkt(*BROKER, *client, s - 1, c, SYN | ACK)))
            order += 2
        c, s = seqs[ex.conn]
        timed.append((ex.at_us, order, Pkt(*client, *BROKER, c, s, PSH | ACK, ex.request)))
        seqs[ex.conn][0] += len(ex.request)
        order += 1
        if ex.response is not None:
            timed.append((ex.at_us + ex.latency_us, order,
                          Pkt(*BROKER, *client, s, seqs[ex.conn][0], PSH | ACK, ex.response)))
            seqs[ex.conn][1] += len(ex.response)
            order += 1
    timed.sort(key=lambda t: (t[0], t[1]))
    return write_pcap([ip_tcp(p) for _, _, p in timed], 101, times=[t for t, _, _ in timed])
