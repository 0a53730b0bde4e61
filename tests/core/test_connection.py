"""core.connection: framing and correlation ids, however the bytes are split or merged."""
from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purekafka.core.connection import Connection, ConnectionProtocolError
from purekafka.core.events import Response
from purekafka.protocol.headers import (
    decode_request_header,
    decode_response_header,
    encode_request_frame,
    encode_response_header,
    response_header_version,
)

METADATA, PRODUCE, API_VERSIONS = 3, 0, 18


def _body_offset(api_key: int, version: int, frame: memoryview) -> int:
    return decode_response_header(bytes(frame), response_header_version(api_key, version))[1]


def _conn(timeout_ms: float = 1000) -> Connection:
    return Connection(1, "cid", timeout_ms, encode_request_frame, _body_offset)


def _response(cid: int, api_key: int, version: int, body: bytes) -> bytes:
    frame = encode_response_header(cid, response_header_version(api_key, version)) + body
    return struct.pack(">i", len(frame)) + frame


def test_request_frame_carries_header_and_body() -> None:
    c = _conn()
    req, frame = c.send_request(METADATA, 12, b"BODY", now_ms=0)
    (size,) = struct.unpack(">i", frame[:4])
    assert size == len(frame) - 4
    header, offset = decode_request_header(frame[4:])
    assert (header.api_key, header.api_version, header.correlation_id, header.client_id) == (3, 12, 0, "cid")
    assert frame[4 + offset:] == b"BODY"
    assert c.in_flight_count == 1 and req.correlation_id == 0


requests = st.lists(
    st.tuples(st.sampled_from([(METADATA, 12), (METADATA, 4), (PRODUCE, 9), (PRODUCE, 7), (API_VERSIONS, 3)]),
              st.binary(max_size=64)),
    min_size=1, max_size=12)


@given(reqs=requests, cuts=st.lists(st.integers(0, 10_000), max_size=20))
def test_responses_match_requests_for_any_split_of_the_stream(reqs, cuts) -> None:
    c = _conn()
    sent = []
    for (key, ver), body in reqs:
        req, _ = c.send_request(key, ver, b"", now_ms=0, context=body)
        sent.append(req)
    stream = b"".join(_response(r.correlation_id, r.api_key, r.api_version, r.context) for r in sent)
    points = sorted({p % (len(stream) + 1) for p in cuts} | {0, len(stream)})
    got = []
    for a, b in zip(points, points[1:]):
        got.extend(c.receive_data(stream[a:b]))
    assert [g.request for g in got] == sent
    assert [bytes(g.body) for g in got] == [r.context for r in sent]
    # Ready to hand on as they are: the driver's Response events, naming their node.
    assert all(type(g) is Response and g.node == 1 for g in got)
    assert c.in_flight_count == 0


def test_wrong_correlation_id_is_a_protocol_error() -> None:
    c = _conn()
    c.send_request(METADATA, 1, b"", now_ms=0)
    with pytest.raises(ConnectionProtocolError, match="does not match"):
        c.receive_data(_response(7, METADATA, 1, b""))


def test_response_without_request_is_a_protocol_error() -> None:
    with pytest.raises(ConnectionProtocolError, match="no request in flight"):
        _conn().receive_data(_response(0, METADATA, 1, b""))


@pytest.mark.parametrize("size", [-1, 0, 3, 1 << 30])
def test_absurd_frame_sizes_are_refused(size) -> None:
    c = _conn()
    c.send_request(METADATA, 1, b"", now_ms=0)
    with pytest.raises(ConnectionProtocolError, match="frame size"):
        c.receive_data(struct.pack(">i", size) + b"\x00" * 8)


def test_no_response_expected_is_not_in_flight() -> None:
    c = _conn()
    c.send_request(PRODUCE, 9, b"", now_ms=0, expect_response=False)
    assert c.in_flight_count == 0


def test_request_timeout_and_drain() -> None:
    c = _conn(timeout_ms=100)
    c.send_request(METADATA, 1, b"", now_ms=10)
    c.send_request(METADATA, 1, b"", now_ms=50)
    assert not c.expired(109)
    assert c.next_timeout_ms(60) == 50
    assert c.expired(110)
    drained = c.drain_in_flight()
    assert [r.sent_ms for r in drained] == [10, 50]
    assert c.in_flight_count == 0 and c.next_timeout_ms(200) is None


def test_correlation_ids_wrap_at_int32() -> None:
    c = _conn()
    c._next_id = 0x7FFFFFFF
    a, _ = c.send_request(METADATA, 1, b"", now_ms=0)
    b, _ = c.send_request(METADATA, 1, b"", now_ms=0)
    assert (a.correlation_id, b.correlation_id) == (0x7FFFFFFF, 0)


# -- damaged streams ------------------------------------------------------------------
# The producer's own header parser (the one the socket layer hands to Connection).
from purekafka.io.network import _body_offset as producer_body_offset  # noqa: E402


def _producer_conn() -> Connection:
    return Connection(1, "cid", 1000, encode_request_frame, producer_body_offset)


@pytest.mark.parametrize("tags", [b"\x01", b"\x02\x00\x00", b"\x80", b"\x01\x00\x05ab"])
def test_damaged_response_header_is_a_protocol_error_and_loses_no_request(tags) -> None:
    """A flexible header whose tagged-field count was flipped (the DecodeError that killed
    the I/O thread): the connection is broken, the answer before it is still delivered,
    and the damaged one's request stays in flight to be drained (retried) with the rest."""
    c = _producer_conn()
    first, _ = c.send_request(PRODUCE, 9, b"", now_ms=0)
    second, _ = c.send_request(PRODUCE, 9, b"", now_ms=0)
    third, _ = c.send_request(PRODUCE, 9, b"", now_ms=0)
    good = _response(first.correlation_id, PRODUCE, 9, b"BODY")
    damaged = struct.pack(">ii", 4 + len(tags), second.correlation_id) + tags
    with pytest.raises(ConnectionProtocolError, match="does not parse") as info:
        c.receive_data(good + damaged + _response(third.correlation_id, PRODUCE, 9, b""))
    assert [(r.request, bytes(r.body)) for r in info.value.responses] == [(first, b"BODY")]
    assert c.drain_in_flight() == [second, third]


def test_response_too_short_for_its_header_is_a_protocol_error() -> None:
    c = _producer_conn()
    req, _ = c.send_request(PRODUCE, 9, b"", now_ms=0)
    with pytest.raises(ConnectionProtocolError):
        c.receive_data(struct.pack(">ii", 4, req.correlation_id))  # no tagged-field count
    assert c.drain_in_flight() == [req]


def _damage(stream: bytes, kind: str, at: int, bit: int, frame_starts: list[int]) -> bytes:
    if kind == "flip":
        out = bytearray(stream)
        out[at % len(stream)] ^= 1 << bit
        return bytes(out)
    start = frame_starts[at % len(frame_starts)]
    size = int.from_bytes(stream[start:start + 4], "big")
    keep = at % size
    if kind == "truncate":  # the size rewritten to match: a complete, short frame
        return stream[:start] + keep.to_bytes(4, "big") + stream[start + 4:start + 4 + keep] \
            + stream[start + 4 + size:]
    return stream[:start + 4 + keep] + stream[start + 4 + size:]  # cut: the stream goes on


@given(reqs=requests, kind=st.sampled_from(["flip", "truncate", "cut"]), at=st.integers(0, 1 << 16),
       bit=st.integers(0, 7), cuts=st.lists(st.integers(0, 10_000), max_size=8))
def test_any_damage_is_a_protocol_error_or_nothing_and_every_request_is_accounted_for(
        reqs, kind, at, bit, cuts) -> None:
    """Whatever one flipped bit, truncated or cut frame does to the stream, however it is
    split: only ConnectionProtocolError comes out, and each request is either answered
    or drained, once, in the order sent."""
    c = _producer_conn()
    sent = [c.send_request(key, ver, b"", now_ms=0, context=body)[0] for (key, ver), body in reqs]
    frames = [_response(r.correlation_id, r.api_key, r.api_version, r.context) for r in sent]
    starts = [sum(len(f) for f in frames[:i]) for i in range(len(frames))]
    stream = _damage(b"".join(frames), kind, at, bit, starts)
    points = sorted({p % (len(stream) + 1) for p in cuts} | {0, len(stream)})
    answered = []
    try:
        for a, b in zip(points, points[1:]):
            answered.extend(r.request for r in c.receive_data(stream[a:b]))
    except ConnectionProtocolError as e:
        answered.extend(r.request for r in e.responses)
    assert answered + c.drain_in_flight() == sent
