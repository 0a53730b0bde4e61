"""bench/compare.py's per-round ratios: each round's runs are paired, a failed run drops
only its own round, and the line names each purekafka client against the peer."""
from __future__ import annotations

import importlib.util
from types import ModuleType

from tests.support.kafka import ROOT


def _compare() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_compare", ROOT / "bench" / "compare.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _runs(rates: dict[int, float]) -> list[dict[str, float]]:
    return [{"records": 1000, "seconds": 1000 / rate, "cpu": 1.0, "rss_kb": 1024, "mb": 0.1, "round": r}
            for r, rate in rates.items()]


def test_ratios_pair_runs_of_the_same_round_and_skip_a_round_one_side_missed() -> None:
    compare = _compare()
    summary = compare.summarize({
        ("a1", "purekafka send_batch()"): _runs({0: 800.0, 1: 600.0, 2: 900.0}),
        ("a1", "confluent-kafka"): _runs({0: 1000.0, 2: 600.0}),  # round 1 failed
    })
    ours, peer = summary[("a1", "purekafka send_batch()")], summary[("a1", "confluent-kafka")]
    assert [round(x, 6) for x in compare.paired_ratios(ours, peer)] == [0.8, 1.5]
    # The medians' ratio (800 / 800) is not what the rounds say (0.8 and 1.5).
    assert ours["rate"] == 800.0 and peer["rate"] == 800.0


def test_the_table_carries_the_per_round_line_for_purekafka_clients_only() -> None:
    compare = _compare()
    summary = compare.summarize({
        ("a1", "purekafka send()"): _runs({0: 300.0, 1: 330.0}),
        ("a1", "aiokafka"): _runs({0: 150.0, 1: 150.0}),
        ("a1", "confluent-kafka"): _runs({0: 1000.0, 1: 1100.0}),
    })
    args = compare.argparse.Namespace(rounds=2, records=1000, warmup_records=0, latency_records=10,
                                      java_records=0, modes=["a1"])
    text = compare.markdown(summary, args, "now")
    assert "Per round, × aiokafka: purekafka send() 2.00, 2.20 (median 2.10×)." in text
    assert "Per round, × confluent-kafka: purekafka send() 0.30, 0.30 (median 0.30×)." in text
    assert "aiokafka 0.15" not in text  # peers get no line of their own
