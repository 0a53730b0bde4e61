"""Keys and payloads in --dump-log are decoded the way Java's String(bytes, UTF_8) does."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purekafka.decode.segment import java_utf8

pytestmark = pytest.mark.java

# Bytes biased towards UTF-8 lead and continuation bytes, where decoders disagree.
interesting = st.lists(st.one_of(st.integers(0, 255), st.sampled_from(
    [0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF])),
    max_size=12).map(bytes)


def _java(java, samples: list[bytes]) -> list[str]:
    out = java.run("DecodeCrossCheck", input="".join(s.hex() + "\n" for s in samples).encode()).decode()
    return [bytes.fromhex(line).decode("utf-16-be") for line in out.splitlines()]


def test_known_differences_from_pythons_decoder(java):
    samples = [b"\xed\xa1\x95", b"\xe5\x30", b"\xf0\x90\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\xe0\x80\xaf",
               b"\xf8\x88\x80\x80\x80", b"ok \xff", "\u00e9\U0001f600".encode(), b""]
    assert [java_utf8(s) for s in samples] == _java(java, samples)
    assert java_utf8(b"\xed\xa1\x95") != b"\xed\xa1\x95".decode("utf-8", "replace")


@settings(max_examples=1)
@given(st.lists(interesting, min_size=500, max_size=500))
def test_random_bytes_decode_like_java(java, samples):
    # One JVM run checks 500 strings at once.
    assert [java_utf8(s) for s in samples] == _java(java, samples)
