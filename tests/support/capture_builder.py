"""Test-side capture writer: pcap (micro/nano, both byte orders) and pcapng, several link types.

Written apart from purekafka.decode.pcapwriter so that the reader is not only
checked against its own package's writer.
"""
from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass


@dataclass
class Pkt:
    src: str
    sport: int
    dst: str
    dport: int
    seq: int
    ack: int
    flags: int
    payload: bytes = b""


def ip_tcp(p: Pkt) -> bytes:
    tcp = struct.pack(">HHIIHHHH", p.sport, p.dport, p.seq % 2**32, p.ack % 2**32, (5 << 12) | p.flags,
                      8192, 0, 0) + p.payload
    src, dst = ipaddress.ip_address(p.src), ipaddress.ip_address(p.dst)
    if src.version == 4:
        hdr = struct.pack(">BBHHHBBH", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0) + src.packed + dst.packed
        return hdr + tcp
    # IPv6 with one hop-by-hop extension header in front of TCP, to exercise skipping it
    ext = bytes([6, 0]) + b"\x01\x04\x00\x00\x00\x00"
    return struct.pack(">IHBB", 0x60000000, len(ext) + len(tcp), 0, 64) + src.packed + dst.packed + ext + tcp


def link_frame(link: int, packet: bytes) -> bytes:
    v6 = packet[0] >> 4 == 6
    if link == 1:  # Ethernet, with an 802.1Q tag
        return b"\x00" * 12 + b"\x81\x00\x00\x05" + (b"\x86\xdd" if v6 else b"\x08\x00") + packet
    if link == 0:  # BSD loopback, host byte order family
        return struct.pack("<I", 30 if v6 else 2) + packet
    if link == 113:  # Linux cooked v1
        return struct.pack(">HHH8sH", 0, 772, 6, b"\x00" * 8, 0x86DD if v6 else 0x0800) + packet
    if link == 276:  # Linux cooked v2
        return struct.pack(">HHIHBB8s", 0x86DD if v6 else 0x0800, 0, 1, 772, 0, 6, b"\x00" * 8) + packet
    if link == 101:
        return packet
    raise ValueError(link)


def write_pcap(frames: list[bytes], link: int, little: bool = True, nano: bool = False,
               times: list[int] | None = None) -> bytes:
    """``times``: each packet's time in microseconds since the epoch (default: a second apart)."""
    o = "<" if little else ">"
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = [struct.pack(o + "IHHiIII", magic, 2, 4, 0, 0, 262144, link)]
    for i, f in enumerate(frames):
        us = times[i] if times is not None else (1700000000 + i) * 10**6 + 123
        sec, frac = divmod(us, 10**6)
        out.append(struct.pack(o + "IIII", sec, frac * 1000 if nano else frac, len(f), len(f)) + f)
    return b"".join(out)


def _block(o: str, btype: int, body: bytes) -> bytes:
    body += b"\x00" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack(o + "II", btype, n) + body + struct.pack(o + "I", n)


def write_pcapng(frames: list[bytes], link: int, little: bool = True) -> bytes:
    o = "<" if little else ">"
    shb = _block(o, 0x0A0D0D0A, struct.pack(o + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    # if_tsresol = 9 (nanoseconds), then end of options
    idb = _block(o, 1, struct.pack(o + "HHI", link, 0, 262144) + struct.pack(o + "HH", 9, 1) + b"\x09\x00\x00\x00"
                 + struct.pack(o + "HH", 0, 0))
    out = [shb, idb]
    for i, f in enumerate(frames):
        ts = (1700000000 + i) * 10**9
        if i % 5 == 4:  # an occasional Simple Packet Block
            out.append(_block(o, 3, struct.pack(o + "I", len(f)) + f))
        else:
            out.append(_block(o, 6, struct.pack(o + "IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(f), len(f)) + f))
    return b"".join(out)
