"""The failure runs' check, on logs built by hand: it must see every kind of damage, since a
check that cannot fail would make the broker runs prove nothing."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.support.eo_failure import check, key_bytes, make_value, parse_value
from tests.support.readback import ConsumedRecord


def _rec(partition: int, offset: int, index: int, key: int = 0, seq: int = 0) -> ConsumedRecord:
    return ConsumedRecord("t", partition, offset, key_bytes(key), make_value(index, key, seq), [], 0, 1)


@given(st.integers(0, 10**9 - 1), st.integers(0, 10**6 - 1), st.integers(0, 10**9 - 1))
def test_value_identity_round_trips(index: int, key: int, seq: int) -> None:
    value = make_value(index, key, seq)
    assert len(value) == 100 and parse_value(value) == (index, key, seq)


@given(st.binary(max_size=120))
def test_foreign_values_are_not_taken_for_ours(value: bytes) -> None:
    parsed = parse_value(value)
    assert parsed is None or make_value(*parsed, size=len(value))[:27] == value[:27]


def test_near_misses_are_foreign() -> None:
    good = make_value(12, 3, 4)
    for bad in (b"00000_012" + good[9:], b"+00000012" + good[9:], b" 00000012" + good[9:],
                good[:9] + b":" + good[10:], good[:26]):
        assert parse_value(bad) is None, bad


def test_clean_log_passes() -> None:
    log = [_rec(0, 0, 0), _rec(1, 0, 1), _rec(0, 1, 2), _rec(1, 1, 3)]
    fig = check(log, 4, {0, 1, 2, 3}, set(), {0: (0, 0), 3: (1, 1)})
    assert not fig.bad() and fig.read_back == 4


def test_each_kind_of_damage_is_counted() -> None:
    log = [
        _rec(0, 0, 0), _rec(0, 1, 0),             # index 0 twice
        _rec(0, 2, 4), _rec(0, 3, 2),             # 2 after 4 in the same partition
        _rec(1, 0, 5),                            # 5 must never appear
        ConsumedRecord("t", 1, 1, b"x", b"not ours", [], 0, 1),
        _rec(1, 2, 3),
    ]
    fig = check(log, 6, must={0, 1, 2, 3, 4}, forbidden={5}, ack_offsets={3: (1, 9)})
    assert (fig.duplicates, fig.missing, fig.reordered, fig.forbidden_present, fig.foreign,
            fig.offset_mismatch) == (1, 1, 2, 1, 1, 1), fig.line()
    assert fig.examples["missing"] == [1]
    assert fig.failed_present == 0  # every index read back was a must or forbidden one
    assert fig.bad()


def test_may_appear_records_are_counted_not_blamed() -> None:
    fig = check([_rec(0, 0, 0), _rec(0, 1, 1), _rec(0, 2, 2)], 4, must={0, 2}, forbidden=set())
    assert not fig.bad() and fig.failed_present == 1 and fig.missing == 0


def test_order_is_per_partition_only() -> None:
    log = [_rec(0, 0, 3), _rec(1, 0, 0), _rec(1, 1, 1), _rec(0, 1, 4)]
    assert check(log, 5, {0, 1, 3, 4}, set()).reordered == 0
