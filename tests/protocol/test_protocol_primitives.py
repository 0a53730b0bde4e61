"""Wire primitives and headers: golden encodings, edge values, round trips, clean errors."""
from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purekafka.errors import DecodeError, LocalProtocolError
from purekafka.protocol import headers
from purekafka.protocol.primitives import (
    Reader,
    Writer,
    encode_uvarint,
    encode_varint,
    encode_varlong,
    unzigzag,
    zigzag32,
    zigzag64,
)

I32 = (-(1 << 31), (1 << 31) - 1)
I64 = (-(1 << 63), (1 << 63) - 1)


# Published encodings: the Protocol Buffers encoding guide (300 -> ac 02, and the
# zig-zag table), which Kafka's varints follow.
@pytest.mark.parametrize("value,wire", [(0, "00"), (1, "01"), (127, "7f"), (128, "8001"), (150, "9601"), (300, "ac02"),
                                        (16383, "ff7f"), (16384, "808001"), ((1 << 32) - 1, "ffffffff0f"),
                                        ((1 << 64) - 1, "ffffffffffffffffff01")])
def test_uvarint_golden(value: int, wire: str) -> None:
    assert encode_uvarint(value).hex() == wire
    r = Reader(bytes.fromhex(wire))
    assert r.uvarint("x") == value
    r.finish()


@pytest.mark.parametrize("signed,unsigned", [(0, 0), (-1, 1), (1, 2), (-2, 3), (2147483647, 4294967294),
                                             (-2147483648, 4294967295)])
def test_zigzag_table(signed: int, unsigned: int) -> None:
    assert zigzag32(signed) == unsigned
    assert zigzag64(signed) == unsigned
    assert unzigzag(unsigned) == signed


@pytest.mark.parametrize("value,wire", [
    (0, "00"), (-1, "01"), (1, "02"), (-64, "7f"), (64, "8001"),
    (I32[1], "feffffff0f"), (I32[0], "ffffffff0f"),
])
def test_varint_golden(value: int, wire: str) -> None:
    assert encode_varint(value).hex() == wire
    assert Reader(bytes.fromhex(wire)).varint("x") == value


@pytest.mark.parametrize("value,wire", [
    (0, "00"), (-1, "01"), (1, "02"),
    (I64[1], "feffffffffffffffff01"), (I64[0], "ffffffffffffffffff01"),
])
def test_varlong_golden(value: int, wire: str) -> None:
    assert encode_varlong(value).hex() == wire
    assert Reader(bytes.fromhex(wire)).varlong("x") == value


@pytest.mark.parametrize("bad", [I32[0] - 1, I32[1] + 1, 1 << 40])
def test_varint_out_of_range(bad: int) -> None:
    with pytest.raises(LocalProtocolError):
        encode_varint(bad)
    with pytest.raises(LocalProtocolError):
        Writer().varint(bad)


@pytest.mark.parametrize("bad", [I64[0] - 1, I64[1] + 1])
def test_varlong_out_of_range(bad: int) -> None:
    with pytest.raises(LocalProtocolError):
        encode_varlong(bad)


@pytest.mark.parametrize("bad", [-1, 1 << 64])
def test_uvarint_out_of_range(bad: int) -> None:
    with pytest.raises(LocalProtocolError):
        encode_uvarint(bad)


@given(st.integers(*I32))
def test_varint_round_trip(v: int) -> None:
    wire = encode_varint(v)
    assert len(wire) <= 5
    r = Reader(wire)
    assert r.varint("x") == v
    r.finish()


@given(st.integers(*I64))
def test_varlong_round_trip(v: int) -> None:
    wire = encode_varlong(v)
    assert len(wire) <= 10
    r = Reader(wire)
    assert r.varlong("x") == v
    r.finish()


@given(st.integers(0, (1 << 64) - 1))
def test_uvarint_round_trip_and_prefix_property(v: int) -> None:
    wire = encode_uvarint(v)
    # Only the last byte lacks the continuation bit.
    assert all(b & 0x80 for b in wire[:-1]) and not wire[-1] & 0x80
    for cut in range(len(wire)):
        r = Reader(wire[:cut])
        r.uvarint("x")
        with pytest.raises(DecodeError):
            r.finish()


def test_varint_too_long_or_too_wide() -> None:
    r = Reader(bytes.fromhex("ffffffffffffffffffff01"))  # 11 bytes
    r.uvarint("x")
    with pytest.raises(DecodeError, match="too long"):
        r.finish()
    r = Reader(bytes.fromhex("ffffffff1f"))  # 2**33-1: not a 32-bit varint
    r.varint("len")
    with pytest.raises(DecodeError) as exc:
        r.finish()
    assert exc.value.field == "len"


@pytest.mark.parametrize("method,wire,value", [
    ("int8", "80", -128), ("int16", "8000", -32768), ("int32", "80000000", I32[0]),
    ("int64", "8000000000000000", I64[0]), ("uint16", "ffff", 65535), ("uint32", "ffffffff", (1 << 32) - 1),
    ("float64", "3ff0000000000000", 1.0), ("bool", "01", True),
])
def test_fixed_width(method: str, wire: str, value) -> None:
    w = Writer()
    getattr(w, method)(value)
    assert w.getvalue().hex() == wire
    assert getattr(Reader(bytes.fromhex(wire)), method)("f") == value


@pytest.mark.parametrize("method,value", [("int8", 128), ("int16", -32769), ("int32", 1 << 31), ("int64", 1 << 63),
                                          ("uint16", -1), ("uint32", 1 << 32), ("int32", "7")])
def test_fixed_width_out_of_range(method: str, value) -> None:
    with pytest.raises(LocalProtocolError):
        getattr(Writer(), method)(value)


def test_string_and_bytes_forms() -> None:
    cases = [
        ("string", "abc", False, "0003616263"),
        ("string", "abc", True, "04616263"),
        ("string", "", True, "01"),
        ("nullable_string", None, False, "ffff"),
        ("nullable_string", None, True, "00"),
        ("bytes_", b"\x01\x02", False, "000000020102"),
        ("bytes_", b"\x01\x02", True, "030102"),
        ("nullable_bytes", None, False, "ffffffff"),
        ("nullable_bytes", None, True, "00"),
    ]
    for method, value, flex, wire in cases:
        w = Writer()
        getattr(w, method)(value, flex)
        assert w.getvalue().hex() == wire, (method, value, flex)
        r = Reader(bytes.fromhex(wire))
        assert getattr(r, method)("f", flex) == value
        r.finish()


def test_null_refused_where_not_nullable() -> None:
    for method in ("string", "bytes_"):
        with pytest.raises(LocalProtocolError):
            getattr(Writer(), method)(None, False)
    for wire, flex in (("ffff", False), ("00", True)):
        r = Reader(bytes.fromhex(wire))
        r.string("name", flex)
        with pytest.raises(DecodeError, match="null"):
            r.finish()


def test_string_too_long_for_int16_length() -> None:
    with pytest.raises(LocalProtocolError):
        Writer().string("x" * 0x8000, False)
    Writer().string("x" * 0x8000, True)  # compact strings have no such limit


def test_invalid_utf8_is_a_decode_error() -> None:
    r = Reader(bytes.fromhex("0002c328"))
    r.string("topic", False)
    with pytest.raises(DecodeError) as exc:
        r.finish()
    assert exc.value.field == "topic"


@given(st.text(), st.booleans(), st.booleans())
def test_string_round_trip(s: str, flex: bool, nullable: bool) -> None:
    if not flex and len(s.encode("utf-8", "surrogatepass")) > 0x7FFF:
        return
    w = Writer()
    try:
        (w.nullable_string if nullable else w.string)(s, flex)
    except LocalProtocolError:
        # Lone surrogates cannot be UTF-8 encoded.
        with pytest.raises(UnicodeEncodeError):
            s.encode("utf-8")
        return
    r = Reader(w.getvalue())
    assert (r.nullable_string if nullable else r.string)("s", flex) == s
    r.finish()


@given(st.one_of(st.none(), st.binary(max_size=300)), st.booleans())
def test_bytes_round_trip(b: bytes | None, flex: bool) -> None:
    w = Writer()
    w.nullable_bytes(b, flex)
    r = Reader(w.getvalue())
    assert r.nullable_bytes("b", flex) == b
    r.finish()


def test_arrays() -> None:
    for n, flex, wire in ((0, False, "00000000"), (3, False, "00000003"), (None, False, "ffffffff"),
                          (0, True, "01"), (3, True, "04"), (None, True, "00"), (200, True, "c901")):
        w = Writer()
        w.array_len(n, flex)
        assert w.getvalue().hex() == wire
    r = Reader(bytes.fromhex("ffffffff"))
    assert r.array_len("a", False, nullable=True) == -1
    r = Reader(bytes.fromhex("ffffffff"))
    r.array_len("a", False)
    with pytest.raises(DecodeError, match="null"):
        r.finish()


def test_hostile_array_length_is_refused_up_front() -> None:
    r = Reader(bytes.fromhex("7fffffff") + b"\x00" * 10)
    assert r.array_len("topics", False) == 0
    with pytest.raises(DecodeError) as exc:
        r.finish()
    assert exc.value.field == "topics"
    r = Reader(bytes.fromhex("fffffffe"))  # -2 is not null, it is garbage
    r.array_len("topics", False, nullable=True)
    with pytest.raises(DecodeError, match="negative"):
        r.finish()


def test_tagged_fields() -> None:
    w = Writer()
    w.tagged_fields({5: b"\x07", 0: b"", 300: b"ab"})
    # count 3, then tag/size/data in tag order; tag 300 is a two-byte uvarint.
    assert w.getvalue().hex() == "03" + "0000" + "050107" + "ac02026162"
    r = Reader(w.getvalue())
    assert r.tagged_fields() == {0: b"", 5: b"\x07", 300: b"ab"}
    r.finish()
    w = Writer()
    w.tagged_fields({})
    assert w.getvalue() == b"\x00"


@pytest.mark.parametrize("wire", ["020100010100", "020100000100"])  # out of order, repeated
def test_tagged_fields_out_of_order_or_repeated(wire: str) -> None:
    r = Reader(bytes.fromhex(wire))
    r.tagged_fields()
    with pytest.raises(DecodeError, match="tag"):
        r.finish()


@given(st.dictionaries(st.integers(0, 1 << 20), st.binary(max_size=20), max_size=6))
def test_tagged_fields_round_trip(tags: dict[int, bytes]) -> None:
    w = Writer()
    w.tagged_fields(tags)
    r = Reader(w.getvalue())
    assert r.tagged_fields() == tags
    r.finish()


def test_reader_error_is_sticky_and_names_first_failure() -> None:
    r = Reader(bytes.fromhex("0001" + "00"))
    assert r.int16("a") == 1
    assert r.int32("b") == 0  # short read
    assert r.int8("c") == 0  # would have fit before the failure; sticky now
    assert r.string("d", True) == ""
    assert r.nullable_string("e", True) is None
    assert r.tagged_fields() == {}
    with pytest.raises(DecodeError) as exc:
        r.finish()
    assert exc.value.field == "b"
    assert exc.value.offset == 2


def test_trailing_bytes_are_an_error_unless_allowed() -> None:
    r = Reader(b"\x00\x01\x02")
    r.int16("a")
    with pytest.raises(DecodeError, match="trailing"):
        r.finish()
    r.finish(allow_trailing=True)


@given(st.binary(max_size=40))
def test_reader_never_leaks_low_level_errors(data: bytes) -> None:
    r = Reader(data)
    r.int16("a")
    r.uvarint("b")
    r.nullable_string("c", True)
    r.string("d", False)
    r.array_len("e", True, nullable=True)
    r.tagged_fields()
    r.nullable_bytes("f", False)
    r.uuid("g")
    r.varlong("h")
    try:
        r.finish()
    except DecodeError:
        pass


# headers --------------------------------------------------------------------

def test_header_versions() -> None:
    assert headers.request_header_version(0, 8) == 1
    assert headers.request_header_version(0, 9) == 2
    assert headers.response_header_version(0, 8) == 0
    assert headers.response_header_version(0, 9) == 1
    assert headers.request_header_version(18, 3) == 2
    assert headers.response_header_version(18, 3) == 0  # ApiVersions: always v0
    assert headers.response_header_version(18, 0) == 0
    assert headers.request_header_version(17, 1) == 1  # SaslHandshake is never flexible
    assert headers.request_header_version(7, 0) == 0  # ControlledShutdown v0
    assert headers.request_header_version(3, 12) == 2


def test_request_frame_layout() -> None:
    frame = headers.encode_request_frame(3, 12, 42, "cli", b"\xaa\xbb")
    size = struct.unpack(">i", frame[:4])[0]
    assert size == len(frame) - 4
    # api key 3, version 12, correlation 42, client id "cli" (int16 length), empty tags, body
    assert frame[4:].hex() == "0003" + "000c" + "0000002a" + "0003636c69" + "00" + "aabb"
    hdr, off = headers.decode_request_header(frame[4:])
    assert (hdr.api_key, hdr.api_version, hdr.correlation_id, hdr.client_id, hdr.header_version) == (3, 12, 42, "cli", 2)
    assert frame[4 + off:] == b"\xaa\xbb"
    assert headers.encode_request_frame(0, 8, 1, None, b"")[4:].hex() == "0000" + "0008" + "00000001" + "ffff"


@given(st.sampled_from(sorted(headers.FIRST_FLEXIBLE_VERSION)), st.integers(0, 20), st.integers(*I32),
       st.one_of(st.none(), st.text(max_size=20)))
def test_request_header_round_trip(api_key: int, version: int, corr: int, client_id: str | None) -> None:
    try:
        frame = headers.encode_request_frame(api_key, version, corr, client_id, b"body")
    except (LocalProtocolError, UnicodeEncodeError):
        return
    assert frame == (struct.pack(">i", len(frame) - 4)
                     + headers.encode_request_header(api_key, version, corr, client_id) + b"body")
    hdr, off = headers.decode_request_header(frame[4:])
    expected_client = None if headers.request_header_version(api_key, version) == 0 else client_id
    assert (hdr.api_key, hdr.api_version, hdr.correlation_id, hdr.client_id) == (api_key, version, corr, expected_client)
    assert frame[4 + off:] == b"body"


def test_response_header() -> None:
    assert headers.decode_response_header(bytes.fromhex("0000002a" + "ff"), 0) == (42, 4)
    assert headers.decode_response_header(bytes.fromhex("0000002a" + "00" + "ff"), 1) == (42, 5)
    with pytest.raises(DecodeError):
        headers.decode_response_header(b"\x00\x00", 0)
    with pytest.raises(DecodeError):
        headers.decode_response_header(b"\x00\x00\x00\x01", 1)


def test_api_versions_v0_fallback() -> None:
    from purekafka.protocol import api_versions as av

    v0 = av.ApiVersionsResponse(error_code=35, api_keys=[av.ApiVersion(18, 0, 3)])
    body = av.encode_response(v0, 0)
    with pytest.raises(DecodeError):
        av.decode_response(body, 3)
    assert av.decode_response_with_fallback(body, 3) == v0
    ok = av.ApiVersionsResponse(api_keys=[av.ApiVersion(0, 3, 13)], throttle_time_ms=1)
    assert av.decode_response_with_fallback(av.encode_response(ok, 3), 3) == ok


def test_request_frame_parts_join_to_the_frame() -> None:
    from purekafka.protocol import produce

    parts = produce.request_parts(9, None, -1, 1000, [("t", [(0, b"x" * 300), (1, b"yz")])])
    pieces = headers.request_frame_parts(0, 9, 5, "c", parts)
    assert b"".join(pieces) == headers.encode_request_frame(0, 9, 5, "c", b"".join(parts))
    assert struct.unpack(">i", pieces[0][:4])[0] == sum(map(len, pieces)) - 4
