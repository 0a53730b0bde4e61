"""pcap and pcapng captures, down to TCP segments.

pcap: a 24-byte file header (magic a1b2c3d4 for microseconds or a1b23c4d for
nanoseconds, in the writer's byte order; link type at byte 20), then records
of ts_sec, ts_frac, captured length, original length (4 bytes each) and the
captured bytes.

pcapng: blocks of type, total length, body, total length again. The Section
Header Block (0a0d0d0a) carries a byte-order magic 1a2b3c4d that fixes the
byte order of every block after it; Interface Description Blocks (1) give each
interface's link type; Enhanced (6), Simple (3) and the old Packet (2) blocks
carry packets.

Link layers understood: Ethernet (with 802.1Q tags), BSD loopback (NULL and
LOOP), raw IPv4/IPv6, Linux cooked capture v1 and v2. Then IPv4 (fragments are
reported and skipped) or IPv6 (extension headers skipped), then TCP.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Iterator

from purekafka.errors import DecodeError

__all__ = ["Segment", "Problem", "is_pcap", "read_capture", "parse_ip_packet"]

PCAP_MAGICS = {
    b"\xa1\xb2\xc3\xd4": (">", 1e-6), b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9), b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"

LINK_NULL, LINK_ETHERNET, LINK_RAW, LINK_LOOP = 0, 1, 101, 108
LINK_SLL, LINK_SLL2, LINK_IPV4, LINK_IPV6 = 113, 276, 228, 229
_RAW_ALIASES = {12, 14, LINK_RAW}


@dataclass(frozen=True)
class Segment:
    """One TCP segment: addresses as strings, payload as bytes."""

    index: int  # packet number in the capture, from 1
    ts: float
    src: str
    sport: int
    dst: str
    dport: int
    seq: int
    ack: int
    flags: int
    payload: bytes

    @property
    def syn(self) -> bool:
        return bool(self.flags & 0x02)

    @property
    def fin(self) -> bool:
        return bool(self.flags & 0x01)

    @property
    def rst(self) -> bool:
        return bool(self.flags & 0x04)

    @property
    def has_ack(self) -> bool:
        return bool(self.flags & 0x10)


@dataclass(frozen=True)
class Problem:
    """Something in the capture that could not be read (the rest still is)."""

    offset: int
    message: str


def is_pcap(data: bytes) -> bool:
    """Whether ``data`` starts like a pcap or pcapng file."""
    return data[:4] in PCAP_MAGICS or data[:4] == PCAPNG_MAGIC


def read_capture(data: bytes) -> Iterator[Segment | Problem]:
    """TCP segments (and problems) of a pcap or pcapng capture, in capture order."""
    if data[:4] == PCAPNG_MAGIC:
        packets = _pcapng_packets(data)
    elif data[:4] in PCAP_MAGICS:
        packets = _pcap_packets(data)
    else:
        yield Problem(0, "not a pcap or pcapng file (expected magic a1b2c3d4, a1b23c4d or 0a0d0d0a)")
        return
    index = 0
    for item in packets:
        if isinstance(item, Problem):
            yield item
            continue
        index += 1
        offset, ts, link, frame = item
        try:
            seg = _link_to_segment(index, ts, link, frame)
        except DecodeError as e:
            yield Problem(offset, f"packet {index}: {e}")
            continue
        if seg is not None:
            yield seg


def _pcap_packets(data: bytes) -> Iterator[tuple[int, float, int, bytes] | Problem]:
    order, unit = PCAP_MAGICS[data[:4]]
    if len(data) < 24:
        yield Problem(0, f"pcap file header truncated: expected 24 bytes, found {len(data)}")
        return
    link = struct.unpack_from(order + "I", data, 20)[0] & 0xFFFF
    rec = struct.Struct(order + "IIII")
    pos = 24
    while pos < len(data):
        if pos + 16 > len(data):
            yield Problem(pos, f"pcap record header truncated: expected 16 bytes, found {len(data) - pos}")
            return
        sec, frac, caplen, _ = rec.unpack_from(data, pos)
        body = pos + 16
        if caplen > len(data) - body:
            yield Problem(pos, f"pcap record declares {caplen} captured bytes but only {len(data) - body} remain")
            return
        yield (pos, sec + frac * unit, link, data[body:body + caplen])
        pos = body + caplen


def _pcapng_packets(data: bytes) -> Iterator[tuple[int, float, int, bytes] | Problem]:
    order = "<"
    links: list[tuple[int, float]] = []  # (link type, timestamp unit) per interface
    pos = 0
    while pos < len(data):
        if pos + 12 > len(data):
            yield Problem(pos, f"pcapng block header truncated: expected 12 bytes, found {len(data) - pos}")
            return
        if data[pos:pos + 4] == PCAPNG_MAGIC:
            bom = data[pos + 8:pos + 12]
            if bom == b"\x4d\x3c\x2b\x1a":
                order = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                order = ">"
            else:
                yield Problem(pos + 8, f"pcapng section header: bad byte-order magic {bom.hex()}, expected 1a2b3c4d")
                return
            links = []
        btype, blen = struct.unpack_from(order + "II", data, pos)
        if blen < 12 or blen % 4 or pos + blen > len(data):
            yield Problem(pos, f"pcapng block of type {btype:#x} declares length {blen}, "
                               f"but {len(data) - pos} bytes remain (lengths are multiples of 4, at least 12)")
            return
        body = data[pos + 8:pos + blen - 4]
        if btype == 1 and len(body) >= 8:
            link = struct.unpack_from(order + "H", body, 0)[0]
            links.append((link, _if_tsresol(body[8:], order)))
        elif btype in (6, 2) and len(body) >= 20:
            if btype == 6:
                iface, hi, lo, caplen, _ = struct.unpack_from(order + "IIIII", body, 0)
            else:
                iface, _, hi, lo, caplen, _ = struct.unpack_from(order + "HHIIII", body, 0)
            if iface >= len(links):
                yield Problem(pos, f"pcapng packet names interface {iface}, but only {len(links)} are described")
            elif caplen > len(body) - 20:
                yield Problem(pos, f"pcapng packet declares {caplen} captured bytes, block holds {len(body) - 20}")
            else:
                link, unit = links[iface]
                yield (pos, ((hi << 32) | lo) * unit, link, body[20:20 + caplen])
        elif btype == 3 and len(body) >= 4:
            if not links:
                yield Problem(pos, "pcapng simple packet before any interface description")
            else:
                caplen = min(struct.unpack_from(order + "I", body, 0)[0], len(body) - 4)
                yield (pos, 0.0, links[0][0], body[4:4 + caplen])
        pos += blen


def _if_tsresol(options: bytes, order: str) -> float:
    """The if_tsresol option (code 9) of an interface, as seconds per tick (default 1e-6)."""
    pos = 0
    while pos + 4 <= len(options):
        code, length = struct.unpack_from(order + "HH", options, pos)
        if code == 0:
            break
        if code == 9 and length >= 1 and pos + 5 <= len(options):
            v = options[pos + 4]
            return 2.0 ** -(v & 0x7F) if v & 0x80 else 10.0 ** -v
        pos += 4 + ((length + 3) & ~3)
    return 1e-6


def _link_to_segment(index: int, ts: float, link: int, frame: bytes) -> Segment | None:
    if link == LINK_ETHERNET:
        if len(frame) < 14:
            raise DecodeError("Ethernet header truncated", offset=0, field="ethernet")
        ethertype, pos = struct.unpack_from(">H", frame, 12)[0], 14
        while ethertype in (0x8100, 0x88A8) and pos + 4 <= len(frame):
            ethertype, pos = struct.unpack_from(">H", frame, pos + 2)[0], pos + 4
        if ethertype not in (0x0800, 0x86DD):
            return None  # ARP and friends
        return parse_ip_packet(index, ts, frame[pos:])
    if link in (LINK_NULL, LINK_LOOP):
        if len(frame) < 4:
            raise DecodeError("loopback header truncated", offset=0, field="loopback")
        return parse_ip_packet(index, ts, frame[4:])
    if link in _RAW_ALIASES or link in (LINK_IPV4, LINK_IPV6):
        return parse_ip_packet(index, ts, frame)
    if link == LINK_SLL:
        if len(frame) < 16:
            raise DecodeError("Linux cooked header truncated", offset=0, field="sll")
        return parse_ip_packet(index, ts, frame[16:]) if frame[14:16] in (b"\x08\x00", b"\x86\xdd") else None
    if link == LINK_SLL2:
        if len(frame) < 20:
            raise DecodeError("Linux cooked v2 header truncated", offset=0, field="sll2")
        return parse_ip_packet(index, ts, frame[20:]) if frame[0:2] in (b"\x08\x00", b"\x86\xdd") else None
    raise DecodeError(f"link type {link} is not supported (Ethernet, loopback, raw IP, Linux cooked are)",
                      offset=0, field="link_type")


def parse_ip_packet(index: int, ts: float, pkt: bytes) -> Segment | None:
    """The TCP segment in an IPv4 or IPv6 packet, or None for other protocols."""
    if not pkt:
        raise DecodeError("empty IP packet", offset=0, field="ip")
    version = pkt[0] >> 4
    if version == 4:
        if len(pkt) < 20:
            raise DecodeError(f"IPv4 header truncated: {len(pkt)} of 20 bytes", offset=0, field="ipv4")
        ihl = (pkt[0] & 0x0F) * 4
        total = struct.unpack_from(">H", pkt, 2)[0]
        frag = struct.unpack_from(">H", pkt, 6)[0]
        if pkt[9] != 6:
            return None
        if frag & 0x3FFF:
            raise DecodeError("IPv4 fragment (reassembly of IP fragments is not supported)", offset=6, field="ipv4")
        if ihl < 20 or len(pkt) < ihl:
            raise DecodeError(f"IPv4 header length {ihl} is invalid", offset=0, field="ipv4")
        # total == 0 happens with TCP segmentation offload; trust the captured length then.
        end = min(len(pkt), total) if total else len(pkt)
        src = ".".join(str(b) for b in pkt[12:16])
        dst = ".".join(str(b) for b in pkt[16:20])
        return _tcp(index, ts, src, dst, pkt[ihl:end])
    if version == 6:
        if len(pkt) < 40:
            raise DecodeError(f"IPv6 header truncated: {len(pkt)} of 40 bytes", offset=0, field="ipv6")
        plen = struct.unpack_from(">H", pkt, 4)[0]
        nxt, pos = pkt[6], 40
        end = min(len(pkt), 40 + plen) if plen else len(pkt)
        while nxt in (0, 43, 60, 51, 44):
            if pos + 8 > end:
                raise DecodeError("IPv6 extension header truncated", offset=pos, field="ipv6")
            if nxt == 44:
                raise DecodeError("IPv6 fragment (reassembly of IP fragments is not supported)",
                                  offset=pos, field="ipv6")
            hdr_len = (pkt[pos + 1] + 2) * 4 if nxt == 51 else (pkt[pos + 1] + 1) * 8
            nxt, pos = pkt[pos], pos + hdr_len
        if nxt != 6:
            return None
        return _tcp(index, ts, _ipv6_str(pkt[8:24]), _ipv6_str(pkt[24:40]), pkt[pos:end])
    raise DecodeError(f"IP version {version} (expected 4 or 6)", offset=0, field="ip")


def _ipv6_str(raw: bytes) -> str:
    import ipaddress

    return str(ipaddress.IPv6Address(raw))


def _tcp(index: int, ts: float, src: str, dst: str, seg: bytes) -> Segment:
    if len(seg) < 20:
        raise DecodeError(f"TCP header truncated: {len(seg)} of 20 bytes", offset=0, field="tcp")
    sport, dport, seq, ack, off_flags = struct.unpack_from(">HHIIH", seg, 0)
    hlen = (off_flags >> 12) * 4
    if hlen < 20 or hlen > len(seg):
        raise DecodeError(f"TCP data offset {hlen} is invalid for a {len(seg)}-byte segment",
                          offset=12, field="tcp")
    return Segment(index, ts, src, sport, dst, dport, seq, ack, off_flags & 0x1FF, bytes(seg[hlen:]))
