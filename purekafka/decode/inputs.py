"""From input bytes to decoded messages: raw frame files, captures, tcpdump text.

Each function yields :class:`Message` objects in the order the frames occur
(capture order for pcaps, so a response follows its request).
"""
from __future__ import annotations

import struct
from typing import Iterator

from purekafka.decode.frames import MAX_FRAME, Conversation, FrameSplitter, Message, find_request
from purekafka.decode.pcap import Problem, Segment, parse_ip_packet, read_capture
from purekafka.decode.tcp import Chunk, Gap, Reassembler
from purekafka.errors import DecodeError

__all__ = ["decode_frame_file", "decode_capture", "decode_packets", "ip_packets"]


def decode_frame_file(data: bytes, direction: str = "auto",
                      fixed_api: tuple[int, int] | None = None, where: str = "") -> Iterator[Message]:
    """Size-prefixed frames back to back (requests, responses or both, in order).

    With ``direction="auto"``, a frame whose first four bytes equal the correlation
    id of an earlier request still waiting for its response is that response;
    anything else is read as a request. ``fixed_api`` decodes responses that match
    no request (a lone response given as hex). After an implausible size, reading
    resumes at the next place where a request header we know begins.
    """
    conv = Conversation(where, fixed_api)
    pos, end = 0, len(data)
    while pos < end:
        if end - pos < 4:
            yield Message("error", pos, end - pos, where, error=(
                f"truncated frame at byte offset {pos}: expected a 4-byte size, found {end - pos} bytes"))
            return
        size = struct.unpack_from(">i", data, pos)[0]
        if size < 0 or size > MAX_FRAME:
            found = find_request(data[pos + 1:])
            nxt = None if found is None else pos + 1 + found
            then = (f"skipped {nxt - pos} bytes to a plausible request at byte offset {nxt}" if nxt is not None
                    else f"the remaining {end - pos} bytes are skipped")
            yield Message("error", pos, 0, where, error=(
                f"frame size {size} at byte offset {pos} is not a plausible size (expected 0..{MAX_FRAME}); {then}"))
            if nxt is None:
                return
            pos = nxt
            continue
        if pos + 4 + size > end:
            yield Message("error", pos, end - pos - 4, where, error=(
                f"truncated frame at byte offset {pos}: expected {size + 4} bytes, found {end - pos}"))
            return
        yield _classify(conv, pos, data[pos + 4:pos + 4 + size], direction)
        pos += 4 + size


def _classify(conv: Conversation, offset: int, frame: bytes, direction: str) -> Message:
    if direction == "request":
        return conv.request(offset, frame)
    if direction == "response":
        return conv.response(offset, frame)
    corr = struct.unpack_from(">i", frame, 0)[0] if len(frame) >= 4 else None
    if corr is not None and corr in conv.pending:
        return conv.response(offset, frame)
    msg = conv.request(offset, frame)
    if msg.error and conv.fixed_api is not None and msg.body is None:
        # Not a request we can read; a lone response to the API named on the command line?
        if msg.correlation_id is not None:
            conv.pending.pop(msg.correlation_id, None)
        alt = conv.response(offset, frame)
        if not alt.error:
            return alt
    if msg.error and conv.fixed_api is None:
        msg.error += " (if this frame is a response, decode it with --api-key KEY --api-version V)"
    return msg


class _Streams:
    """Per-connection framing and pairing for reassembled TCP data."""

    def __init__(self, reasm: Reassembler) -> None:
        self.reasm = reasm
        self.convs: dict[int, Conversation] = {}
        self.topic_names: dict[str, str] = {}
        self.splitters: dict[tuple[int, bool], FrameSplitter] = {}

    def _where(self, conn: int, to_server: bool) -> str:
        (ch, cp), (sh, sp) = self.reasm.endpoints(conn)
        arrow = "->" if to_server else "<-"
        late = "" if self.reasm.began_in_capture(conn) else " (capture began mid-connection)"
        return f"conn {conn} {ch}:{cp} {arrow} {sh}:{sp}{late}"

    def _splitter(self, conn: int, to_server: bool, conv: Conversation) -> FrameSplitter:
        key = (conn, to_server)
        sp = self.splitters.get(key)
        if sp is None:
            # A capture that joined a connection mid-stream may begin mid-frame: search for the first frame.
            sp = self.splitters[key] = FrameSplitter(0, self._where(conn, to_server),
                                                     find_request if to_server else conv.find_response,
                                                     searching=not self.reasm.began_in_capture(conn))
        return sp

    def handle(self, ev: Chunk | Gap) -> Iterator[Message]:
        conv = self.convs.get(ev.conn)
        if conv is None:
            conv = self.convs[ev.conn] = Conversation(self._where(ev.conn, True).replace("->", "<->"),
                                                          topic_names=self.topic_names)
        sp = self._splitter(ev.conn, ev.to_server, conv)
        items = sp.gap(ev.missing) if isinstance(ev, Gap) else sp.feed(ev.data)
        for item in items:
            if isinstance(item, Message):
                yield item
                continue
            offset, frame = item
            msg = conv.request(offset, frame) if ev.to_server else conv.response(offset, frame)
            msg.where = sp.where
            yield msg

    def close(self) -> Iterator[Message]:
        for sp in self.splitters.values():
            yield from sp.close()


def _run_segments(segments: Iterator[Segment | Problem], ports: set[int] | None,
                  only: bool) -> Iterator[Message]:
    reasm = Reassembler(ports)
    streams = _Streams(reasm)
    last: float | None = None
    for seg in segments:
        if isinstance(seg, Problem):
            yield Message("error", seg.offset, 0, "capture", error=seg.message, ts=last)
            continue
        if only and ports and seg.sport not in ports and seg.dport not in ports:
            continue
        # A frame is complete when the segment that delivers its last byte arrives.
        last = seg.ts if seg.ts else None
        for ev in reasm.add(seg):
            yield from _stamped(streams.handle(ev), last)
    for ev in reasm.finish():
        yield from _stamped(streams.handle(ev), last)
    yield from _stamped(streams.close(), last)


def _stamped(messages: Iterator[Message], ts: float | None) -> Iterator[Message]:
    for m in messages:
        m.ts = ts
        yield m


def decode_capture(data: bytes, ports: set[int] | None = None, only: bool = False) -> Iterator[Message]:
    """Every Kafka frame in a pcap/pcapng capture.

    ``ports`` are broker ports: they tell which side of a connection is the broker;
    with ``only``, connections on other ports are ignored.
    """
    yield from _run_segments(read_capture(data), ports, only)


def ip_packets(data: bytes, starts: list[int]) -> list[bytes] | None:
    """Split tcpdump hex into IP packets, or None if the bytes are not IP packets."""
    bounds = starts + [len(data)]
    packets = [data[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]
    if not packets:
        return None
    out = []
    for p in packets:
        if len(p) > 14 and p[12:14] in (b"\x08\x00", b"\x86\xdd") and p[14] >> 4 in (4, 6):
            p = p[14:]  # tcpdump -xx/-XX include the Ethernet header
        elif not p or p[0] >> 4 not in (4, 6):
            return None
        out.append(p)
    return out


def decode_packets(packets: list[bytes], ports: set[int] | None = None, only: bool = False) -> Iterator[Message]:
    """Kafka frames in IP packets dumped as text by ``tcpdump -X``/``-x``."""

    def segments() -> Iterator[Segment | Problem]:
        offset = 0
        for i, p in enumerate(packets, 1):
            try:
                seg = parse_ip_packet(i, 0.0, p)
            except DecodeError as e:
                yield Problem(offset, f"packet {i}: {e}")
            else:
                if seg is not None:
                    yield seg
            offset += len(p)

    yield from _run_segments(segments(), ports, only)
