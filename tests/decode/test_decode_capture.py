"""pcap/pcapng reading and TCP reassembly: what goes in on the wire comes out as the two byte streams."""
from __future__ import annotations

import random

from tests.support.capture_builder import Pkt, ip_tcp, link_frame, write_pcap, write_pcapng
from hypothesis import given
from hypothesis import strategies as st

from purekafka.decode.pcap import Problem, Segment, read_capture
from purekafka.decode.tcp import Chunk, Gap, Reassembler

SYN, FIN, PSH, ACK = 0x02, 0x01, 0x08, 0x10


def _conversation(rng: random.Random, client: tuple[str, int], server: tuple[str, int], up: bytes, down: bytes,
                  isn_c: int, isn_s: int, mess: bool) -> list[Pkt]:
    """Segments of one connection: handshake, data both ways in random pieces, FINs.

    With ``mess``, pieces arrive out of order (within a window), some twice, and some
    retransmissions overlap the previous piece.
    """
    pk = [Pkt(*client, *server, isn_c, 0, SYN), Pkt(*server, *client, isn_s, isn_c + 1, SYN | ACK)]
    data_pk: list[Pkt] = []
    for stream, src, dst, isn in ((up, client, server, isn_c), (down, server, client, isn_s)):
        pos = 0
        while pos < len(stream):
            n = rng.randint(1, 40)
            # Acknowledging only the peer's SYN is always true, whatever order the capture shows.
            peer_ack = (isn_s if src == client else isn_c) + 1
            data_pk.append(Pkt(*src, *dst, isn + 1 + pos, peer_ack, PSH | ACK, stream[pos:pos + n]))
            if mess and rng.random() < 0.2 and pos:
                back = rng.randint(1, pos)  # a retransmission that overlaps already-sent bytes
                data_pk.append(Pkt(*src, *dst, isn + 1 + pos - back, peer_ack, ACK, stream[pos - back:pos + n]))
            pos += n
    if mess:
        for i in range(len(data_pk)):
            j = min(len(data_pk) - 1, i + rng.randint(0, 3))
            data_pk[i], data_pk[j] = data_pk[j], data_pk[i]
        data_pk += [rng.choice(data_pk) for _ in range(len(data_pk) // 5)] if data_pk else []
    pk += data_pk
    pk.append(Pkt(*client, *server, isn_c + 1 + len(up), isn_s + 1, FIN | ACK))
    pk.append(Pkt(*server, *client, isn_s + 1 + len(down), isn_c + 1, FIN | ACK))
    return pk


def _streams(capture: bytes, ports: set[int]) -> tuple[dict[tuple[int, bool], bytes], list[object]]:
    reasm = Reassembler(ports)
    out: dict[tuple[int, bool], bytearray] = {}
    odd: list[object] = []
    events: list[Chunk | Gap] = []
    for seg in read_capture(capture):
        if isinstance(seg, Problem):
            odd.append(seg)
            continue
        assert isinstance(seg, Segment)
        events += reasm.add(seg)
    events += reasm.finish()
    skipped: dict[tuple[int, bool], int] = {}
    for ev in events:
        key = (ev.conn, ev.to_server)
        if isinstance(ev, Gap):
            odd.append(ev)
            skipped[key] = skipped.get(key, 0) + ev.missing
            continue
        buf = out.setdefault(key, bytearray())
        assert ev.stream_offset == len(buf) + skipped.get(key, 0)
        buf += ev.data
    return {k: bytes(v) for k, v in out.items()}, odd


conn_data = st.lists(st.tuples(st.binary(max_size=300), st.binary(max_size=300)), min_size=1, max_size=3)


@given(conns=conn_data, seed=st.integers(0, 2**32 - 1), mess=st.booleans(),
       layout=st.sampled_from([("pcap", 1, True, False), ("pcap", 101, False, True), ("pcap", 113, True, True),
                               ("pcap", 0, True, False), ("pcapng", 276, True, False), ("pcapng", 1, False, False)]),
       v6=st.booleans(), wrap=st.booleans())
def test_reassembly_recovers_both_streams(conns, seed, mess, layout, v6, wrap):
    rng = random.Random(seed)
    kind, link, little, nano = layout
    client_ip, server_ip = ("::1", "::1") if v6 else ("10.0.0.1", "10.0.0.2")
    packets: list[Pkt] = []
    for i, (up, down) in enumerate(conns):
        # Initial sequence numbers near 2**32 make the stream wrap around.
        isn_c = 2**32 - rng.randint(1, 200) if wrap else rng.randint(0, 2**31)
        isn_s = 2**32 - rng.randint(1, 200) if wrap else rng.randint(0, 2**31)
        packets += _conversation(rng, (client_ip, 40000 + i), (server_ip, 9092), up, down, isn_c, isn_s, mess)
    frames = [link_frame(link, ip_tcp(p)) for p in packets]
    capture = write_pcap(frames, link, little, nano) if kind == "pcap" else write_pcapng(frames, link, little)
    streams, odd = _streams(capture, {9092})
    assert odd == []
    for i, (up, down) in enumerate(conns):
        assert streams.get((i, True), b"") == up
        assert streams.get((i, False), b"") == down


def test_port_reuse_starts_a_new_connection():
    rng = random.Random(1)
    a = _conversation(rng, ("10.0.0.1", 5555), ("10.0.0.2", 9092), b"first-up", b"first-down", 10, 20, False)
    b = _conversation(rng, ("10.0.0.1", 5555), ("10.0.0.2", 9092), b"second-up", b"second-down", 999, 7, False)
    capture = write_pcap([ip_tcp(p) for p in a + b], 101)
    streams, odd = _streams(capture, {9092})
    assert odd == []
    assert streams == {(0, True): b"first-up", (0, False): b"first-down",
                       (1, True): b"second-up", (1, False): b"second-down"}


def test_missing_segment_is_reported_as_a_gap():
    pk = [Pkt("10.0.0.1", 5000, "10.0.0.2", 9092, 100, 0, SYN),
          Pkt("10.0.0.1", 5000, "10.0.0.2", 9092, 101, 0, PSH | ACK, b"aaaa"),
          # bytes 105..109 never captured
          Pkt("10.0.0.1", 5000, "10.0.0.2", 9092, 109, 0, PSH | ACK, b"cccc")]
    streams, odd = _streams(write_pcap([ip_tcp(p) for p in pk], 101), {9092})
    assert [(g.stream_offset, g.missing) for g in odd if isinstance(g, Gap)] == [(4, 4)]
    assert streams[(0, True)] == b"aaaacccc"


def test_direction_follows_the_broker_port_without_a_handshake():
    # Capture starts mid-connection and the first packet is from the broker.
    pk = [Pkt("10.0.0.2", 19092, "10.0.0.1", 5000, 7000, 0, PSH | ACK, b"resp"),
          Pkt("10.0.0.1", 5000, "10.0.0.2", 19092, 300, 0, PSH | ACK, b"req")]
    reasm = Reassembler({19092})
    evs = []
    for seg in read_capture(write_pcap([ip_tcp(p) for p in pk], 101)):
        evs += reasm.add(seg)
    assert [(e.to_server, e.data) for e in evs] == [(False, b"resp"), (True, b"req")]
    assert reasm.endpoints(0) == (("10.0.0.1", 5000), ("10.0.0.2", 19092))


@given(st.binary(max_size=200))
def test_truncated_or_garbage_captures_are_problems_not_exceptions(tail):
    good = write_pcap([ip_tcp(Pkt("10.0.0.1", 1, "10.0.0.2", 9092, 1, 0, PSH | ACK, b"x" * 20))], 101)
    for data in (good[:-5], good[:30], good + tail, b"\x0a\x0d\x0d\x0a" + tail, write_pcapng([b"\x45"], 101)):
        items = list(read_capture(data))
        assert all(isinstance(i, (Segment, Problem)) for i in items)
