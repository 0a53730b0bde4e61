"""purekafka produce parses lines exactly as kafka-console-producer's LineMessageReader does.

Hypothesis draws reader properties and lines from a small alphabet full of separators;
Kafka's own class (tests/java/ConsoleLineCrossCheck.java) and ``LineFormat`` must agree
on every line: the same key, value and headers, or both refusing it.
"""
from __future__ import annotations

import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purekafka.console import READER_DEFAULTS, LineFormat, UsageError, iter_lines

pytestmark = pytest.mark.java

# Separators without regex metacharacters: Java compiles headers.separator as a regex.
_props = st.fixed_dictionaries({
    "parse.key": st.sampled_from(["true", "false"]),
    "parse.headers": st.sampled_from(["true", "true", "false"]),
    "ignore.error": st.sampled_from(["true", "false"]),
    "key.separator": st.sampled_from(["\t", "::", "é"]),
    "headers.delimiter": st.sampled_from(["\t", "|", "="]),
    "headers.separator": st.sampled_from([",", ";;"]),
    "headers.key.separator": st.sampled_from([":", "="]),
}, optional={"null.marker": st.sampled_from(["N", "", "NUL", ","])})  # "=" and "," collide sometimes
# Lines built from separator-sized tokens, so that separators, empty parts and trailing
# separators are common.
_token = st.sampled_from(["a", "b", "N", "NUL", "é", ":", ",", ";;", ";", "=", "|", "\t", "::"])
_random_line = st.lists(_token, max_size=9).map("".join)
_word = st.sampled_from(["", "a", "b", "N", "NUL", "é", "ab"])


@st.composite
def _structured_line(draw, props: dict[str, str]) -> str:
    """HEADERS delim KEY sep VALUE with the properties' own separators, with the odd
    empty, missing or trailing piece."""
    hks, hsep = props["headers.key.separator"], props["headers.separator"]
    items = [draw(_word) + (hks + draw(_word) if draw(st.integers(0, 4)) else "")
             for _ in range(draw(st.integers(0, 3)))]
    block = hsep.join(items) + (hsep if draw(st.booleans()) else "")
    parts = []
    if draw(st.integers(0, 5)):
        parts += [block, props["headers.delimiter"]]
    parts.append(draw(_word))
    if draw(st.integers(0, 5)):
        parts += [props["key.separator"], draw(_word)]
    return "".join(parts)


def _java_view(key, value, headers) -> str:
    hexed = lambda b: "-" if b is None else b.hex()  # noqa: E731
    hs = ",".join(f"{n.encode().hex()}={hexed(v)}" for n, v in headers)
    return f"OK {hexed(key)} {hexed(value)} {hs}"


@settings(max_examples=200 if os.environ.get("PUREKAFKA_HYPOTHESIS") == "long" else 40)
@given(data=st.data())
def test_line_parsing_matches_kafka_console_producer(java, data):
    props = data.draw(_props, label="props")
    lines = data.draw(st.lists(st.one_of(_random_line, _structured_line(props)), min_size=1, max_size=80),
                      label="lines")
    args = [f"{k}={v}" for k, v in props.items()]
    data = [line.encode() for line in lines]
    out = java.run("ConsoleLineCrossCheck", *args, input=b"".join(d.hex().encode() + b"\n" for d in data))
    answers = out.decode().split("\n")[:len(data)]
    try:
        fmt = LineFormat({**READER_DEFAULTS, **props}, [])
    except UsageError:
        assert set(answers) == {"CONFIG"}, (props, answers[:3])
        return
    for line, answer in zip(data, answers):
        try:
            ours = _java_view(*fmt.parse(line))
        except ValueError:
            ours = "ERR"
        assert ours == answer, (props, line)


@settings(max_examples=60 if os.environ.get("PUREKAFKA_HYPOTHESIS") == "long" else 15)
@given(chunks=st.lists(st.sampled_from(["a", "bc", "é", "\n", "\r", "\r\n", "\t"]), max_size=30))
def test_line_endings_match_kafka_console_producer(java, chunks):
    data = "".join(chunks).encode()
    out = java.run("ConsoleLineCrossCheck", "--stream", input=data).decode()
    expected = [bytes.fromhex(h) for h in out.split("\n")[:-1]]
    assert list(iter_lines(io.BytesIO(data))) == expected, data
