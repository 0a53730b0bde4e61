"""TCP stream reassembly for captures.

Each connection has two half-streams. A half-stream delivers bytes in sequence
order exactly once: a segment that starts before the next expected byte is a
retransmission (its new tail, if any, is kept); one that starts after it waits
in a buffer until the hole is filled. Sequence numbers are compared modulo
2**32, so streams longer than 4 GiB and wrapped initial numbers work.

A new SYN on an address pair that already carried a connection starts a new
connection (ports get reused). What is still buffered at the end sits behind a
hole that the capture never filled; it is reported as a gap and then delivered
after it, so that decoding can try to pick up at the next frame. A hole is
declared as soon as the other side acknowledges bytes beyond it (the receiver
got them, so only the capture lost them), which keeps responses after their
requests even when a request segment is missing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from purekafka.decode.pcap import Segment

__all__ = ["Endpoint", "Chunk", "Gap", "Reassembler"]

Endpoint = tuple[str, int]
_MOD = 1 << 32
_HALF = 1 << 31


@dataclass(frozen=True)
class Chunk:
    """Contiguous stream bytes delivered for one direction of one connection."""

    conn: int
    to_server: bool
    data: bytes
    stream_offset: int  # of data[0] within this half-stream
    packet: int


@dataclass(frozen=True)
class Gap:
    """Bytes of a half-stream the capture does not contain."""

    conn: int
    to_server: bool
    stream_offset: int
    missing: int


@dataclass
class _Half:
    next_seq: int | None = None
    delivered: int = 0
    pending: dict[int, tuple[bytes, int]] = field(default_factory=dict)  # stream offset -> (data, packet)
    fin: bool = False


@dataclass
class _Conn:
    id: int
    client: Endpoint
    server: Endpoint
    halves: dict[bool, _Half] = field(default_factory=lambda: {True: _Half(), False: _Half()})
    seen_data: bool = False
    saw_syn: bool = False


class Reassembler:
    """Feed segments in capture order with :meth:`add`; call :meth:`finish` at the end."""

    def __init__(self, broker_ports: set[int] | None = None) -> None:
        self.broker_ports = broker_ports or set()
        self.connections: list[_Conn] = []
        self._by_pair: dict[frozenset[Endpoint], _Conn] = {}

    def endpoints(self, conn: int) -> tuple[Endpoint, Endpoint]:
        """(client, server) of a connection."""
        c = self.connections[conn]
        return c.client, c.server

    def began_in_capture(self, conn: int) -> bool:
        """Whether the capture holds the connection's handshake (else it joined mid-stream)."""
        return self.connections[conn].saw_syn

    def add(self, seg: Segment) -> list[Chunk | Gap]:
        src, dst = (seg.src, seg.sport), (seg.dst, seg.dport)
        pair = frozenset((src, dst))
        conn = self._by_pair.get(pair)
        fresh_syn = seg.syn and not seg.has_ack
        if conn is None or (fresh_syn and conn.seen_data):
            out: list[Chunk | Gap] = self._flush(conn) if conn is not None else []
            conn = self._new(pair, seg, src, dst)
        else:
            out = []
        to_server = src == conn.client
        half = conn.halves[to_server]
        if seg.syn:
            conn.saw_syn = True
            half.next_seq = (seg.seq + 1) % _MOD
            half.delivered = 0
            half.pending.clear()
            return out
        if seg.rst:
            return out
        if seg.has_ack:
            out.extend(self._acked(conn, not to_server, seg.ack))
        if half.next_seq is None:
            half.next_seq = seg.seq  # capture began mid-stream: take the first byte we see as the start
        if seg.payload:
            conn.seen_data = True
            out.extend(self._accept(conn, to_server, half, seg.seq, seg.payload, seg.index))
        if seg.fin:
            half.fin = True
        return out

    def finish(self) -> list[Chunk | Gap]:
        out: list[Chunk | Gap] = []
        for conn in self.connections:
            out.extend(self._flush(conn))
        return out

    def _new(self, pair: frozenset[Endpoint], seg: Segment, src: Endpoint, dst: Endpoint) -> _Conn:
        if seg.sport in self.broker_ports and seg.dport not in self.broker_ports:
            client, server = dst, src
        elif seg.dport in self.broker_ports:
            client, server = src, dst
        elif seg.syn and seg.has_ack:
            client, server = dst, src
        else:
            client, server = src, dst
        conn = _Conn(len(self.connections), client, server)
        self.connections.append(conn)
        self._by_pair[pair] = conn
        return conn

    def _accept(self, conn: _Conn, to_server: bool, half: _Half, seq: int, data: bytes,
                packet: int) -> list[Chunk | Gap]:
        assert half.next_seq is not None
        ahead = (seq - half.next_seq) % _MOD
        if ahead >= _HALF:
            behind = _MOD - ahead
            if behind >= len(data):
                return []  # a pure retransmission
            data = data[behind:]
            ahead = 0
        if ahead:
            start = half.delivered + ahead
            old = half.pending.get(start)
            if old is None or len(old[0]) < len(data):
                half.pending[start] = (data, packet)
            return []
        out: list[Chunk | Gap] = [self._deliver(conn, to_server, half, data, packet)]
        out.extend(self._drain(conn, to_server, half))
        return out

    def _deliver(self, conn: _Conn, to_server: bool, half: _Half, data: bytes, packet: int) -> Chunk:
        assert half.next_seq is not None
        chunk = Chunk(conn.id, to_server, data, half.delivered, packet)
        half.delivered += len(data)
        half.next_seq = (half.next_seq + len(data)) % _MOD
        return chunk

    def _drain(self, conn: _Conn, to_server: bool, half: _Half) -> list[Chunk | Gap]:
        out: list[Chunk | Gap] = []
        progressed = True
        while progressed and half.pending:
            progressed = False
            for start in sorted(half.pending):
                if start > half.delivered:
                    break
                data, packet = half.pending.pop(start)
                tail = data[half.delivered - start:]
                if tail:
                    out.append(self._deliver(conn, to_server, half, tail, packet))
                progressed = True
                break
        return out

    def _acked(self, conn: _Conn, to_server: bool, ack: int) -> list[Chunk | Gap]:
        """The peer acknowledged bytes up to ``ack``: a hole it covers was lost by the capture, not the network."""
        half = conn.halves[to_server]
        if not half.pending or half.next_seq is None:
            return []
        acked = (ack - half.next_seq) % _MOD
        if acked >= _HALF:
            return []
        start = min(half.pending)
        if half.delivered + acked < start:
            return []  # data in the hole may still arrive
        missing = start - half.delivered
        out: list[Chunk | Gap] = [Gap(conn.id, to_server, half.delivered, missing)]
        half.delivered = start
        half.next_seq = (half.next_seq + missing) % _MOD
        out.extend(self._drain(conn, to_server, half))
        return out

    def _flush(self, conn: _Conn) -> list[Chunk | Gap]:
        out: list[Chunk | Gap] = []
        for to_server, half in conn.halves.items():
            while half.pending:
                start = min(half.pending)
                missing = start - half.delivered
                out.append(Gap(conn.id, to_server, half.delivered, missing))
                half.delivered = start
                assert half.next_seq is not None
                half.next_seq = (half.next_seq + missing) % _MOD
                out.extend(self._drain(conn, to_server, half))
        return out
