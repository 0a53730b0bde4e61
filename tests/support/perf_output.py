"""One parser for kafka-producer-perf-test's output lines, Java's and ours alike."""
from __future__ import annotations

import re
from dataclasses import dataclass

NUM = r"(-?[0-9]+\.[0-9]+|NaN|Infinity)"
WINDOW = re.compile(
    rf"^(\d+) records sent, {NUM} records/sec \({NUM} MB/sec\), {NUM} ms avg latency, "
    rf"{NUM} ms max latency\.$")
TOTAL = re.compile(
    rf"^(\d+)( steady state)? records sent, {NUM} records/sec \({NUM} MB/sec\), {NUM} ms avg latency, "
    rf"{NUM} ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$")
WARMUP = re.compile(r"^Warmup first (\d+) records\. Steady state results will print after the "
                    r"complete test summary\.$")
STEADY = "In steady state."


@dataclass
class Parsed:
    windows: list[tuple[int, str, str, str, str]]
    totals: list[tuple[int, bool, str, str, str, str, int, int, int, int]]
    warmup: int | None
    steady_marks: int
    other: list[str]

    def decimals(self) -> set[tuple[str, tuple[int, ...]]]:
        """The digits after the point of every float field, per line kind: the format's shape."""
        def d(x: str) -> int:
            return len(x.split(".")[1]) if "." in x else -1
        out = {("window", tuple(d(x) for x in w[1:])) for w in self.windows}
        out |= {("total", tuple(d(x) for x in t[2:6])) for t in self.totals}
        return out


def parse(text: str) -> Parsed:
    p = Parsed([], [], None, 0, [])
    for line in text.splitlines():
        if m := WINDOW.match(line):
            p.windows.append((int(m[1]), m[2], m[3], m[4], m[5]))
        elif m := TOTAL.match(line):
            p.totals.append((int(m[1]), m[2] is not None, m[3], m[4], m[5], m[6],
                             int(m[7]), int(m[8]), int(m[9]), int(m[10])))
        elif m := WARMUP.match(line):
            p.warmup = int(m[1])
        elif line == STEADY:
            p.steady_marks += 1
        elif line.strip():
            p.other.append(line)
    return p
