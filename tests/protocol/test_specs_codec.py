"""The generic spec-driven codec on its own: every spec (headers, Fetch and ListOffsets too), every version."""
from __future__ import annotations

import struct
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import strategies
from purekafka.errors import DecodeError, LocalProtocolError, UnsupportedVersionError
from purekafka.protocol import headers, specs


def _parts() -> list:
    out = []
    for name, spec in sorted(specs.all_specs().items()):
        for kind in ("request", "response", "header"):
            if kind in spec:
                lo, hi = spec[kind]["valid_versions"]
                out.append(pytest.param(name, kind, lo, hi, id=f"{name}-{kind}"))
    return out


@pytest.mark.parametrize("name,kind,lo,hi", _parts())
@given(data=st.data())
def test_round_trip_every_version(name: str, kind: str, lo: int, hi: int, data: st.DataObject) -> None:
    version = data.draw(st.integers(lo, hi), label="version")
    msg = data.draw(strategies.message(name, kind, version), label="msg")
    wire = specs.encode(name, version, kind, msg)
    assert specs.decode(name, version, kind, wire) == msg
    assert specs.decode_prefix(name, version, kind, wire + b"\x01\x02") == (msg, len(wire))
    for cut in range(len(wire)):
        with pytest.raises(DecodeError):
            specs.decode(name, version, kind, wire[:cut])


@given(st.integers(0, 2), st.integers(-(1 << 31), (1 << 31) - 1), st.one_of(st.none(), strategies.small_text))
def test_request_header_spec_matches_headers_module(hv: int, corr: int, client_id: str | None) -> None:
    msg = {"request_api_key": 3, "request_api_version": 12, "correlation_id": corr, "client_id": client_id,
           "unknown_tags": {}}
    if hv == 0:
        msg["client_id"] = ""  # v0 has no client id; the field's default is ""
    wire = headers.encode_request_header(3, 12, corr, client_id, header_version=hv)
    assert specs.encode("RequestHeader", hv, "header", msg) == wire
    assert specs.decode("RequestHeader", hv, "header", wire) == msg


def test_response_header_spec_matches_headers_module() -> None:
    for hv in (0, 1):
        wire = headers.encode_response_header(99, hv)
        assert specs.decode("ResponseHeader", hv, "header", wire) == {"correlation_id": 99, "unknown_tags": {}}


def test_non_ignorable_field_outside_its_versions_is_refused() -> None:
    with pytest.raises(LocalProtocolError, match="key"):
        specs.encode(10, 4, "request", {"key": "group-a"})  # v4+ carries coordinator_keys instead
    with pytest.raises(LocalProtocolError, match="allow_auto_topic_creation"):
        specs.encode(3, 3, "request", {"topics": [], "allow_auto_topic_creation": False})
    with pytest.raises(LocalProtocolError, match="current_leader"):
        specs.encode(0, 9, "response", {"responses": [{"name": "t", "partition_responses": [
            {"current_leader": {"leader_id": 1, "leader_epoch": 2}}]}]})


def test_ignorable_field_outside_its_versions_is_dropped() -> None:
    with_id = specs.encode(3, 9, "request", {"topics": [{"name": "a", "topic_id": uuid.uuid4()}]})
    without = specs.encode(3, 9, "request", {"topics": [{"name": "a"}]})
    assert with_id == without


def test_null_where_not_nullable_is_refused() -> None:
    with pytest.raises(LocalProtocolError, match="not nullable"):
        specs.encode(3, 0, "request", {"topics": None})
    assert specs.encode(3, 1, "request", {"topics": None}) == bytes.fromhex("ffffffff")


def test_unknown_tags_need_flexible_versions() -> None:
    with pytest.raises(LocalProtocolError):
        specs.encode(18, 2, "request", {"unknown_tags": {30: b"x"}})
    wire = specs.encode(18, 3, "request", {"client_software_name": "a", "client_software_version": "b",
                                           "unknown_tags": {30: b"x"}})
    assert specs.decode(18, 3, "request", wire)["unknown_tags"] == {30: b"x"}


def test_unknown_api_and_version() -> None:
    with pytest.raises(UnsupportedVersionError):
        specs.load_spec(9999)
    with pytest.raises(UnsupportedVersionError):
        specs.decode(0, 14, "request", b"")  # Produce v0-2 decode now (Kafka 3.9's definitions); v14 does not exist


def test_whole_frames() -> None:
    from purekafka.protocol import produce

    body = produce.build_request(11, "tx", -1, 30000, [("topic-a", [(0, b"\x01\x02"), (3, None)])])
    frame = headers.encode_request_frame(0, 11, 77, "client-1", body)
    out = specs.decode_request_frame(frame)
    assert out["api_name"] == "Produce"
    assert out["header"]["correlation_id"] == 77 and out["header"]["client_id"] == "client-1"
    assert out["header"]["header_version"] == 2
    assert out["body"]["transactional_id"] == "tx"
    parts = out["body"]["topic_data"][0]["partition_data"]
    assert [(p["index"], p["records"]) for p in parts] == [(0, b"\x01\x02"), (3, None)]
    with pytest.raises(DecodeError, match="size prefix"):
        specs.decode_request_frame(frame[:-1])
    # An API without a spec still has its header decoded.
    other = specs.decode_request_frame(headers.encode_request_frame(999, 4, 1, None, b"\x00\x01"))  # no such API
    assert other["body"] is None and other["body_bytes"] == b"\x00\x01"

    resp_body = specs.encode(0, 11, "response", {"responses": [], "throttle_time_ms": 5})
    resp = struct.pack(">i", 4 + 1 + len(resp_body)) + struct.pack(">i", 77) + b"\x00" + resp_body
    got = specs.decode_response_frame(resp, 0, 11)
    assert got["correlation_id"] == 77 and got["body"]["throttle_time_ms"] == 5
