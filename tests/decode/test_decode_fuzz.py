"""Fuzz: whatever the bytes, the decode tool returns an exit code and prints no traceback."""
from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purekafka.decode import main

DATA = Path(__file__).parent / "data"
SEEDS = {p.name: p.read_bytes() for p in sorted(DATA.iterdir()) if p.is_file()}
FORMATS = [[], ["--format", "frames"], ["--format", "pcap"], ["--format", "segment"], ["--format", "hex"],
           ["--format", "batches"], ["--dump-log"], ["--dump-log", "--format", "hex"], ["--direction", "response", "--api-key", "0",
                                                    "--api-version", "10"]]


def run_quietly(argv: list[str], data: bytes) -> int:
    out, err = io.StringIO(), io.StringIO()
    rc = main(argv + ["-"], stdin=io.BytesIO(data), stdout=out, stderr=err)
    text = err.getvalue()
    assert "Traceback" not in text and "internal error" not in text, text
    assert rc in (0, 1), (rc, text)
    return rc


def mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(5)
        if not b:
            b += bytes([rng.randrange(256)])
        pos = rng.randrange(len(b))
        if op == 0:
            b[pos] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[pos] = rng.choice([0x00, 0x7F, 0x80, 0xFF])
        elif op == 2:
            del b[pos:pos + rng.randint(1, 16)]
        elif op == 3:
            b[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        else:
            del b[pos:]
    return bytes(b)


@given(st.binary(max_size=400), st.sampled_from(FORMATS), st.booleans())
def test_random_bytes(data, fmt, as_json):
    run_quietly(fmt + (["--json"] if as_json else []), data)


@given(st.text(alphabet="0123456789abcdefx: \n\t|.,;ABCDEF", max_size=300), st.booleans())
def test_random_hex_text(text, as_json):
    run_quietly(["--format", "hex"] + (["--json"] if as_json else []), text.encode())


@pytest.mark.parametrize("seed_name", sorted(SEEDS))
@given(seed=st.integers(0, 2**32 - 1), as_json=st.booleans())
def test_mutated_real_inputs(seed_name, seed, as_json):
    rng = random.Random(seed)
    data = mutate(SEEDS[seed_name], rng)
    fmt = ["--dump-log"] if seed_name.endswith(".log") and rng.random() < 0.5 else []
    run_quietly(fmt + (["--json"] if as_json else []), data)


def test_unmutated_seeds_decode_cleanly():
    for name, data in SEEDS.items():
        argv = ["--dump-log"] if name.endswith(".log") else []
        assert run_quietly(argv, data) == 0, name


# Every spec: random API and version, random or mutated bodies --------------------------

from hypothesis import settings  # noqa: E402

from purekafka.decode.frames import Conversation  # noqa: E402
from purekafka.errors import DecodeError  # noqa: E402
from purekafka.protocol import headers, specs  # noqa: E402
from tests.support import strategies  # noqa: E402

SPEC_CASES = sorted((kind, d["api_key"], v) for d in specs.all_specs().values() if "api_key" in d
                    for kind in ("request", "response")
                    for v in range(d[kind]["valid_versions"][0], d[kind]["valid_versions"][1] + 1))


def _decode_frame(kind: str, key: int, version: int, body: bytes) -> None:
    """Through the tool's own path: a frame's header and body, then a rendered message."""
    from purekafka.decode.render import message_json, message_tree

    conv = Conversation(fixed_api=(key, version))
    if kind == "request":
        msg = conv.request(0, headers.encode_request_frame(key, version, 1, "fuzz", body)[4:])
    else:
        msg = conv.response(0, headers.encode_response_header(1, headers.response_header_version(key, version)) + body)
    assert msg.error is None or "body" in msg.error, msg.error
    message_json(msg)
    message_tree(msg, 1)


@settings(max_examples=400, deadline=None)
@given(case=st.sampled_from(SPEC_CASES), body=st.binary(max_size=200))
def test_random_bodies_of_every_api_decode_or_fail_cleanly(case, body):
    kind, key, version = case
    try:
        specs.decode(key, version, kind, body)
    except DecodeError:
        pass
    _decode_frame(kind, key, version, body)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_mutated_messages_of_every_api_decode_or_fail_cleanly(data):
    kind, key, version = data.draw(st.sampled_from(SPEC_CASES), label="case")
    msg = data.draw(strategies.message(key, kind, version), label="msg")
    wire = specs.encode(key, version, kind, msg)
    rng = random.Random(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    body = mutate(wire, rng)
    try:
        specs.decode(key, version, kind, body)
    except DecodeError:
        pass
    _decode_frame(kind, key, version, body)
