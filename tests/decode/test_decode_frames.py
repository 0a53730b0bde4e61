"""Frames: every API and version in protocol_specs/, request/response pairing, and bad input."""
from __future__ import annotations

import io
import json
import struct
import uuid

import pytest
from tests.support import strategies
from hypothesis import given
from hypothesis import strategies as st

from purekafka.decode import main
from purekafka.protocol import headers, specs
from purekafka.record import RecordBatchBuilder

APIS = sorted((d["api_key"], name) for name, d in specs.all_specs().items() if "api_key" in d)
CASES = [(key, v) for key, _ in APIS
         for v in range(specs.load_spec(key)["request"]["valid_versions"][0],
                        specs.load_spec(key)["request"]["valid_versions"][1] + 1)]


def run(argv: list[str], stdin: bytes = b"") -> tuple[int, list[dict], str]:
    out, err = io.StringIO(), io.StringIO()
    rc = main(argv, stdin=io.BytesIO(stdin), stdout=out, stderr=err)
    text = err.getvalue()
    assert "Traceback" not in text and "internal error" not in text, text
    lines = out.getvalue().splitlines()
    return rc, ([json.loads(x) for x in lines] if "--json" in argv else []), text + out.getvalue()


def request_frame(key: int, version: int, corr: int, body: bytes, client_id: str | None = "test") -> bytes:
    return headers.encode_request_frame(key, version, corr, client_id, body)


def response_frame(key: int, version: int, corr: int, body: bytes) -> bytes:
    payload = headers.encode_response_header(corr, headers.response_header_version(key, version)) + body
    return struct.pack(">i", len(payload)) + payload


def test_every_api_and_version_in_the_specs():
    """All requests first, then all responses in reverse order: pairing is by correlation id, not position."""
    reqs, resps = [], []
    for i, (key, v) in enumerate(CASES):
        # acks=0 Produce requests get no response; ask for one.
        fields = {"acks": -1} if key == 0 else {}
        reqs.append(request_frame(key, v, 1000 + i, specs.encode(key, v, "request", fields)))
        resps.append(response_frame(key, v, 1000 + i, specs.encode(key, v, "response", {})))
    rc, frames, _ = run(["--json", "-"], b"".join(reqs + resps[::-1]))
    assert rc == 0
    assert [f["error"] for f in frames] == [None] * len(frames)
    got_req = [(f["api_key"], f["api_version"], f["correlation_id"]) for f in frames if f["type"] == "request"]
    got_resp = [(f["api_key"], f["api_version"], f["correlation_id"]) for f in frames if f["type"] == "response"]
    expected = [(key, v, 1000 + i) for i, (key, v) in enumerate(CASES)]
    assert got_req == expected
    assert got_resp == expected[::-1]
    names = dict(APIS)
    assert all(f["api_name"] == names[f["api_key"]] for f in frames)
    assert len(CASES) > 90


@given(data=st.data())
def test_random_messages_decode_to_what_was_encoded(data):
    key, version = data.draw(st.sampled_from(CASES), label="api")
    req = data.draw(strategies.message(key, "request", version), label="request")
    resp = data.draw(strategies.message(key, "response", version), label="response")
    if key == 0 and req["acks"] == 0:
        req["acks"] = 1  # acks=0 Produce requests get no response
    corr = data.draw(st.integers(-2**31, 2**31 - 1), label="corr")
    client_id = data.draw(st.none() | st.text(max_size=10), label="client_id")
    stream = request_frame(key, version, corr, specs.encode(key, version, "request", req), client_id) + \
        response_frame(key, version, corr, specs.encode(key, version, "response", resp))
    rc, frames, _ = run(["--json", "-"], stream)
    assert [f["error"] for f in frames] == [None, None]
    # Random bytes in a records field are bad batches: reported, and the exit code says so.
    assert rc == (1 if any(f["problems"] for f in frames) else 0), frames
    assert [(f["type"], f["api_key"], f["api_version"], f["correlation_id"]) for f in frames] == \
        [("request", key, version, corr), ("response", key, version, corr)]
    if headers.request_header_version(key, version) >= 1:
        assert frames[0]["header"]["client_id"] == client_id
    for f, msg, kind in ((frames[0], req, "request"), (frames[1], resp, "response")):
        top = {fd["name"]: fd for fd in specs.message_spec(key, kind)["fields"]}
        in_version = {n for n, fd in top.items() if specs.in_range(version, fd["versions"])}
        names = in_version | {"unknown_tags"} | {n + "_name" for n in in_version if n.endswith("error_code")}
        assert set(f["body"]) == names
        for name, value in msg.items():
            if name in in_version and isinstance(value, (int, str, bool)) and not isinstance(value, float):
                assert f["body"][name] == value, name


def _produce(records_bytes: bytes, version: int = 11, acks: int = -1) -> bytes:
    body = specs.encode(0, version, "request", {
        "acks": acks, "timeout_ms": 1000,
        "topic_data": [{"name": "t", "partition_data": [{"index": 0, "records": records_bytes}]}]})
    return request_frame(0, version, 7, body)


def _batch(codec: int = 0) -> bytearray:
    b = RecordBatchBuilder(compression_type=codec)
    b.append(1700000000000, b"k", b"hello world " * 4, [("h", b"v")])
    b.append(1700000000001, None, b"second", [])
    return bytearray(b.build())


def test_produce_records_are_decoded_with_headers():
    rc, frames, _ = run(["--json", "-"], _produce(bytes(_batch(1))))
    assert rc == 0
    batch = frames[0]["body"]["topic_data"][0]["partition_data"][0]["records"]["batches"][0]
    assert (batch["compression"], batch["crc_valid"], batch["records_count"]) == ("gzip", True, 2)
    r0, r1 = batch["records"]
    assert (r0["key"]["utf8"], r0["value"]["utf8"], r0["headers"]) == \
        ("k", "hello world " * 4, [{"key": "h", "value": {"hex": "76", "utf8": "v"}}])
    assert (r1["key"], r1["value"]["utf8"], r1["timestamp"]) == (None, "second", 1700000000001)


def test_bad_crc_is_shown_and_fails_the_exit_code():
    batch = _batch()
    batch[-1] ^= 0xFF
    rc, frames, _ = run(["--json", "-"], _produce(bytes(batch)))
    assert rc == 1
    b = frames[0]["body"]["topic_data"][0]["partition_data"][0]["records"]["batches"][0]
    assert b["crc_valid"] is False and b["crc"] != b["crc_computed"]
    assert any("CRC" in p and "invalid" in p for p in frames[0]["problems"])
    rc, _, text = run(["-"], _produce(bytes(batch)))
    assert "INVALID (computed" in text


@pytest.mark.parametrize("codec", [1, 2, 3, 4])
def test_bad_compressed_data_names_the_codec_and_offset(codec):
    from crc32c import crc32c

    batch = _batch(codec)
    for i in range(61, len(batch)):
        batch[i] = (batch[i] * 7 + 13) & 0xFF  # scramble the compressed payload
    struct.pack_into(">I", batch, 17, crc32c(bytes(batch[21:])))  # a valid CRC over bad data
    rc, frames, text = run(["--json", "-"], _produce(bytes(batch)))
    assert rc == 1
    problem = " ".join(frames[0]["problems"])
    assert "cannot decompress" in problem or "record 0" in problem
    assert "offset" in problem


def test_one_bad_frame_does_not_stop_the_next():
    good = request_frame(18, 3, 1, specs.encode(18, 3, "request", {"client_software_name": "x",
                                                                  "client_software_version": "1"}))
    unknown_api = request_frame(99, 0, 2, b"\x01\x02\x03")
    bad_version = request_frame(3, 99, 3, b"")
    trailing = request_frame(18, 3, 4, specs.encode(18, 3, "request", {}) + b"\x00\x00")
    rc, frames, _ = run(["--json", "-"], unknown_api + bad_version + trailing + good)
    assert rc == 1
    assert [f["correlation_id"] for f in frames] == [2, 3, 4, 1]
    assert "API key 99" in frames[0]["error"] and "at byte offset 0" in frames[0]["error"]
    assert "version 99" in frames[1]["error"] and "expected a version in 0..13" in frames[1]["error"]
    first_body = len(unknown_api) + len(bad_version) + 4 + 8 + 6 + 1  # size, fixed header, client id, tags
    assert "trailing bytes" in frames[2]["error"]
    assert f"at byte offset {first_body + len(specs.encode(18, 3, 'request', {}))}" in frames[2]["error"]
    assert frames[3]["error"] is None and frames[3]["body"]["client_software_name"] == "x"


def test_truncated_input_and_garbage_sizes():
    good = request_frame(18, 0, 1, b"")
    rc, frames, _ = run(["--json", "-"], good + good[:-3])
    assert rc == 1
    assert frames[0]["error"] is None
    assert frames[1]["error"] == (f"truncated frame at byte offset {len(good)}: expected {len(good)} bytes, "
                                  f"found {len(good) - 3}")
    rc, frames, _ = run(["--json", "-"], b"\xff\xff\xff\xf0garbage")
    assert rc == 1 and "frame size -16 at byte offset 0 is not a plausible size" in frames[0]["error"]


def test_lone_response_needs_and_accepts_its_api():
    body = specs.encode(3, 12, "response", {"brokers": [{"node_id": 1, "host": "h", "port": 1}]})
    frame = response_frame(3, 12, 77, body)
    rc, frames, _ = run(["--json", "--direction", "response", "-"], frame)
    assert rc == 1 and "matches no request" in frames[0]["error"]
    rc, frames, _ = run(["--json", "--api-key", "3", "--api-version", "12", "--hex", frame.hex()])
    assert rc == 0 and frames[0]["type"] == "response"
    assert frames[0]["body"]["brokers"][0]["host"] == "h"


def test_error_codes_are_named():
    body = specs.encode(3, 12, "response", {"topics": [{"name": "x", "error_code": 3}]})
    rc, frames, text = run(["--api-key", "3", "--api-version", "12", "--direction", "response", "-"],
                           response_frame(3, 12, 1, body))
    assert rc == 0
    assert "error_code: 3 (UNKNOWN_TOPIC_OR_PARTITION)" in text


def test_usage_errors_exit_2():
    assert run(["--api-key", "3"])[0] == 2
    assert run(["/nonexistent/file.bin"])[0] == 2
    assert run(["--bogus"])[0] == 2


def test_garbage_between_frames_is_skipped_to_the_next_request():
    one = request_frame(18, 3, 1, specs.encode(18, 3, "request", {"client_software_name": "a"}))
    two = request_frame(3, 12, 2, specs.encode(3, 12, "request", {"topics": None}))
    junk = b"\xff\xff\xff\xfe" + b"\x00\x13 junk junk"
    rc, frames, _ = run(["--json", "-"], one + junk + two)
    assert rc == 1
    assert [(f["type"], f["correlation_id"]) for f in frames] == [("request", 1), ("error", None), ("request", 2)]
    assert frames[1]["error"] == (f"frame size -2 at byte offset {len(one)} is not a plausible size "
                                  f"(expected 0..268435456); skipped {len(junk)} bytes to a plausible request "
                                  f"at byte offset {len(one) + len(junk)}")
    assert frames[2]["error"] is None and frames[2]["body"]["topics"] is None


def test_topic_ids_are_named_from_metadata_responses():
    tid = uuid.UUID("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
    meta_req = request_frame(3, 13, 1, specs.encode(3, 13, "request", {"topics": None}))
    meta_resp = response_frame(3, 13, 1, specs.encode(3, 13, "response", {
        "topics": [{"name": "orders", "topic_id": tid, "partitions": []}]}))
    produce = request_frame(0, 13, 2, specs.encode(0, 13, "request", {
        "acks": -1, "timeout_ms": 1000,
        "topic_data": [{"topic_id": tid, "partition_data": [{"index": 0, "records": bytes(_batch())}]}]}))
    rc, frames, _ = run(["--json", "-"], meta_req + meta_resp + produce)
    assert rc == 0
    assert frames[2]["body"]["topic_data"][0]["topic_id"] == str(tid)
    assert frames[2]["topic_names"] == {str(tid): "orders"}
    rc, _, text = run(["-"], meta_req + meta_resp + produce)
    assert f'topic_id: {tid} (topic "orders")' in text


def test_segment_problems_are_json_objects_too():
    batch = bytes(_batch())
    rc, frames, _ = run(["--json", "--format", "batches", "-"], batch + batch[:30])
    assert rc == 1
    assert [f["type"] for f in frames] == ["batch", "error"]
    assert frames[1]["offset"] == len(batch) and "do not hold a whole batch" in frames[1]["error"]


def test_a_damaged_batch_keeps_its_good_records_and_the_next_batch_is_read():
    def batch(base: int, keys: list[bytes]) -> bytearray:
        b = RecordBatchBuilder()
        for k in keys:
            b.append(1700000000000, k, b"v", [])
        data = bytearray(b.build())
        struct.pack_into(">q", data, 0, base)
        return data

    first, middle, last = batch(0, [b"a"]), batch(1, [b"b", b"c", b"d"]), batch(4, [b"e"])
    at = middle.index(b"d")
    middle[at - 1] = 0x7F  # the third record's key length becomes -64
    segment = bytes(first + middle + last)
    rc, frames, _ = run(["--json", "--format", "batches", "-"], segment)
    assert rc == 1
    assert [[r["key"]["utf8"] for r in f["records"]] for f in frames] == [["a"], ["b", "c"], ["e"]]
    assert [f["error"] is None for f in frames] == [True, False, True]
    assert "records[2].keyLength" in frames[1]["error"]
    assert f"at byte offset {len(first) + at - 1}" in frames[1]["error"]
    assert frames[1]["records_count"] == 3 and frames[2]["position"] == len(first) + len(middle)
