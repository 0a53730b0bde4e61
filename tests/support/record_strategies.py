"""Hypothesis strategies for records and batch parameters, shared by the record tests."""
from __future__ import annotations

from hypothesis import strategies as st

from purekafka.record.codecs import LEVEL_RANGES

NOW_MS = 1_700_000_000_000

# Mostly realistic timestamps near one another, plus the edges Java allows: -1 (none),
# 0 and very large values. Deltas to the first record may be negative.
timestamps = st.one_of(
    st.integers(NOW_MS - 100_000, NOW_MS + 100_000),
    st.sampled_from([-1, 0, 1, NOW_MS]),
    st.integers(0, 1 << 62),
)
# Sizes straddle the one/two/three-byte varint boundaries (63/64, 8191/8192).
_large = st.tuples(st.integers(8185, 8200), st.binary(min_size=1, max_size=8)).map(
    lambda t: (t[1] * t[0])[:t[0]])
payloads = st.one_of(st.none(), st.binary(max_size=80), _large)
small_payloads = st.one_of(st.none(), st.binary(max_size=80))
header_keys = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
headers = st.lists(st.tuples(header_keys, st.one_of(st.none(), st.binary(max_size=24))), max_size=4)
records = st.tuples(timestamps, small_payloads, payloads, headers)
record_lists = st.lists(records, min_size=1, max_size=40)
# Broker-bound records: the broker rejects timestamps far from now only under
# message.timestamp.*.ms limits (unbounded by default), but keep them plausible.
broker_records = st.lists(
    st.tuples(st.integers(NOW_MS - 100_000, NOW_MS + 100_000), small_payloads, small_payloads, headers),
    min_size=1, max_size=20)


@st.composite
def codec_and_level(draw: st.DrawFn, codecs: tuple[int, ...] = (0, 1, 2, 3, 4)) -> tuple[int, int | None]:
    codec = draw(st.sampled_from(codecs))
    limits = LEVEL_RANGES.get(codec)
    if limits is None:
        return codec, None
    lo, hi = limits
    if codec == 4:
        lo = -5  # very negative zstd levels are legal but slow to matter; sample near the useful range
    return codec, draw(st.one_of(st.none(), st.integers(lo, hi)))


@st.composite
def producer_fields(draw: st.DrawFn) -> dict[str, int | bool]:
    """Either no producer id (plain), idempotent, or transactional fields."""
    kind = draw(st.sampled_from(["plain", "idempotent", "transactional"]))
    if kind == "plain":
        return {"producer_id": -1, "producer_epoch": -1, "base_sequence": -1, "is_transactional": False}
    return {
        "producer_id": draw(st.integers(0, (1 << 63) - 1)),
        "producer_epoch": draw(st.integers(0, (1 << 15) - 1)),
        "base_sequence": draw(st.integers(0, (1 << 31) - 1)),
        "is_transactional": kind == "transactional",
    }
