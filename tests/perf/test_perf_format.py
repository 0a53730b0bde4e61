"""``purekafka perf`` without a broker: Java's line formats, percentiles, throttling, options."""
from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purekafka.perf import Stats, ThroughputThrottler, build_parser, main
from tests.support.perf_output import parse


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000_000

    def __call__(self) -> int:
        return self.now


def test_window_and_total_lines_have_javas_shape() -> None:
    clock, out = _Clock(), io.StringIO()
    stats = Stats(10, 5000, out=out, clock=clock)
    for i in range(10):
        clock.now += 1000
        stats.record(i + 1, 100, clock.now)
    stats.print_total()
    lines = out.getvalue().splitlines()
    # Java: the window closes on the record that arrives 5 s after it opened.
    assert lines[0] == ("5 records sent, 1.0 records/sec (0.00 MB/sec), 3.0 ms avg latency, "
                        "5.0 ms max latency.")
    assert lines[-1] == ("10 records sent, 1.000000 records/sec (0.00 MB/sec), 5.50 ms avg latency, "
                         "10.00 ms max latency, 6 ms 50th, 10 ms 95th, 10 ms 99th, 10 ms 99.9th.")
    parsed = parse(out.getvalue())
    assert len(parsed.windows) == 2 and len(parsed.totals) == 1 and not parsed.other


def test_steady_state_stats_say_so() -> None:
    clock, out = _Clock(), io.StringIO()
    stats = Stats(4, 10, steady_state=True, out=out, clock=clock)
    for _ in range(4):
        clock.now += 10
        stats.record(2, 50, clock.now)
    stats.print_total()
    text = out.getvalue()
    assert text.splitlines()[0] == "In steady state."
    assert text.count("In steady state.") == 1
    assert parse(text).totals[0][:2] == (4, True)


def test_an_empty_run_prints_javas_nan() -> None:
    clock, out = _Clock(), io.StringIO()
    stats = Stats(5, 5000, out=out, clock=clock)
    clock.now += 100
    stats.print_total()
    assert out.getvalue() == ("0 records sent, 0.000000 records/sec (0.00 MB/sec), NaN ms avg latency, "
                              "0.00 ms max latency, 0 ms 50th, 0 ms 95th, 0 ms 99th, 0 ms 99.9th.\n")


@given(st.lists(st.integers(0, 100_000), min_size=1, max_size=300), st.integers(1, 2_000_000))
def test_percentiles_are_javas_index_into_the_sorted_sample(latencies: list[int], n: int) -> None:
    n = max(n, len(latencies))
    stats = Stats(n, 1 << 40, out=io.StringIO(), clock=_Clock())
    for lat in latencies:
        stats.record(lat, 1, 0)
    sample = sorted(latencies[::stats.sampling])
    got = stats.percentiles(0.5, 0.95, 0.99, 0.999)
    assert got == [sample[int(p * len(sample))] for p in (0.5, 0.95, 0.99, 0.999)]


def test_throttler_holds_the_rate() -> None:
    t = ThroughputThrottler(1000.0, 0)
    assert not t.should_throttle(5, 0)  # no time elapsed: Java never throttles then
    assert t.should_throttle(2000, 1000)
    assert not t.should_throttle(999, 1000)
    assert not ThroughputThrottler(-1, 0).should_throttle(10**9, 1)
    t.throttle()
    assert t.deficit_ns == 1_000_000  # below Java's 2 ms minimum sleep: carried over
    t.throttle()
    assert t.deficit_ns == 0


@pytest.mark.parametrize("argv, message", [
    (["--topic", "t", "--num-records", "0", "--record-size", "1", "--throughput", "-1",
      "--producer-props", "bootstrap.servers=x:1"], "--num-records should be greater than zero."),
    (["--topic", "t", "--num-records", "5", "--record-size", "1", "--throughput", "-1",
      "--producer-props", "bootstrap.servers=x:1", "--warmup-records", "5"], "strictly fewer"),
    (["--topic", "t", "--num-records", "5", "--record-size", "1", "--throughput", "-1",
      "--producer-props", "bootstrap.servers=x=1"], "Invalid property: bootstrap.servers=x=1"),
    (["--topic", "t", "--num-records", "5", "--record-size", "1", "--throughput", "-1"],
     "bootstrap.servers"),
    (["--topic", "t", "--num-records", "5", "--record-size", "1", "--payload-monotonic",
      "--throughput", "-1", "--producer-props", "bootstrap.servers=x:1"], "not allowed with"),
])
def test_bad_options_fail_in_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_payload_file_that_is_empty_is_refused(tmp_path, capsys) -> None:
    f = tmp_path / "p.txt"
    f.write_text("")
    assert main(["--topic", "t", "--num-records", "5", "--payload-file", str(f), "--throughput", "-1",
                 "--producer-props", "bootstrap.servers=127.0.0.1:1"]) == 2
    assert "File does not exist or empty file provided." in capsys.readouterr().err


def test_parser_has_javas_options() -> None:
    options = {s for a in build_parser()._actions for s in a.option_strings}
    assert {"--topic", "--num-records", "--record-size", "--payload-file", "--payload-delimiter",
            "--throughput", "--producer-props", "--producer.config", "--transactional-id",
            "--transaction-duration-ms", "--warmup-records", "--print-metrics"} <= options
