"""Writing classic pcap files of synthesized TCP/IPv4 traffic.

The proxy records what passes through it this way (``--pcap``), so that a live
session can be decoded again later or opened in Wireshark. Link type 101 (raw
IP): every record is an IPv4 header, a TCP header and the payload. Checksums
are left zero, as captures of offloaded traffic often have them.
"""
from __future__ import annotations

import socket
import struct
from typing import BinaryIO

__all__ = ["PcapWriter", "TcpFlow"]

LINKTYPE_RAW = 101
SYN, FIN, PSH, ACK = 0x02, 0x01, 0x08, 0x10


class PcapWriter:
    """Appends packets to a pcap stream (microsecond timestamps, big-endian header)."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        fh.write(struct.pack(">IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_RAW))

    def ip_tcp(self, ts: float, src: tuple[str, int], dst: tuple[str, int], seq: int, ack: int,
               flags: int, payload: bytes = b"") -> None:
        tcp = struct.pack(">HHIIBBHHH", src[1], dst[1], seq % (1 << 32), ack % (1 << 32), 5 << 4, flags,
                          65535, 0, 0)
        total = 20 + len(tcp) + len(payload)
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 6, 0,
                         socket.inet_aton(src[0]), socket.inet_aton(dst[0]))
        self.raw(ts, ip + tcp + payload)

    def raw(self, ts: float, packet: bytes) -> None:
        sec = int(ts)
        usec = int(round((ts - sec) * 1e6))
        if usec >= 1_000_000:
            sec, usec = sec + 1, usec - 1_000_000
        self.fh.write(struct.pack(">IIII", sec, usec, len(packet), len(packet)) + packet)
        self.fh.flush()


class TcpFlow:
    """Sequence numbers of one synthesized connection; splits data into segments of at most ``mss``."""

    def __init__(self, writer: PcapWriter, client: tuple[str, int], server: tuple[str, int],
                 isn_client: int = 1000, isn_server: int = 5000, mss: int = 1460) -> None:
        self.w = writer
        self.ends = {True: (client, server), False: (server, client)}
        self.seq = {True: isn_client, False: isn_server}
        self.mss = mss

    def handshake(self, ts: float) -> None:
        c, s = self.ends[True]
        self.w.ip_tcp(ts, c, s, self.seq[True], 0, SYN)
        self.w.ip_tcp(ts, s, c, self.seq[False], self.seq[True] + 1, SYN | ACK)
        self.seq[True] += 1
        self.seq[False] += 1
        self.w.ip_tcp(ts, c, s, self.seq[True], self.seq[False], ACK)

    def data(self, ts: float, to_server: bool, payload: bytes) -> None:
        src, dst = self.ends[to_server]
        for i in range(0, len(payload), self.mss):
            part = payload[i:i + self.mss]
            self.w.ip_tcp(ts, src, dst, self.seq[to_server], self.seq[not to_server], PSH | ACK, part)
            self.seq[to_server] += len(part)

    def close(self, ts: float) -> None:
        for side in (True, False):
            src, dst = self.ends[side]
            self.w.ip_tcp(ts, src, dst, self.seq[side], self.seq[not side], FIN | ACK)
            self.seq[side] += 1
