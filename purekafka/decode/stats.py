"""``--stats``: counts and latency percentiles per API and version.

Percentiles are nearest-rank: the p-th percentile of n latencies sorted
ascending is the one at rank ceil(p/100 * n) (from 1), so it is always a latency
that occurred, and at least p percent of the latencies are at most it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from purekafka.decode.summary import FrameSummary

__all__ = ["ApiStats", "Stats", "percentile"]

PERCENTILES = (50, 95, 99)


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of a non-empty ascending list."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class ApiStats:
    """The tallies of one (API, version)."""

    api_key: int
    api_name: str
    api_version: int
    requests: int = 0
    responses: int = 0
    with_errors: int = 0  # responses with a non-zero error code somewhere
    undecoded: int = 0
    latencies: list[float] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        out: dict[str, Any] = {"api_key": self.api_key, "api_name": self.api_name, "api_version": self.api_version,
                               "requests": self.requests, "responses": self.responses,
                               "responses_with_errors": self.with_errors, "undecoded": self.undecoded,
                               "latency_count": len(lat)}
        for p in PERCENTILES:
            out[f"latency_p{p}_ms"] = percentile(lat, p) if lat else None
        out["latency_max_ms"] = lat[-1] if lat else None
        return out


@dataclass
class Stats:
    """Tallies over every frame seen (filtered or not, as the caller decides)."""

    apis: dict[tuple[int, int], ApiStats] = field(default_factory=dict)
    frames: int = 0
    undecoded: int = 0  # frames with an error or problems, API known or not

    def add(self, s: FrameSummary) -> None:
        """Count one frame."""
        self.frames += 1
        if s.error is not None:
            self.undecoded += 1
        if s.api_key is None or s.api_version is None:
            return
        a = self.apis.get((s.api_key, s.api_version))
        if a is None:
            a = self.apis[(s.api_key, s.api_version)] = ApiStats(s.api_key, s.api_name or "", s.api_version)
        if s.error is not None:
            a.undecoded += 1
        if s.kind == "request":
            a.requests += 1
        elif s.kind == "response":
            a.responses += 1
            if s.error_codes:
                a.with_errors += 1
            if s.latency_ms is not None:
                a.latencies.append(s.latency_ms)

    def as_json(self) -> dict[str, Any]:
        """Everything, JSON-ready."""
        return {"type": "stats", "frames": self.frames, "undecoded": self.undecoded,
                "apis": [self.apis[k].as_json() for k in sorted(self.apis)]}

    def table(self) -> str:
        """A text table, one row per API and version."""
        head = ["API", "version", "requests", "responses", "errors", "undecoded",
                "p50 ms", "p95 ms", "p99 ms", "max ms"]
        rows = [head]
        for k in sorted(self.apis):
            j = self.apis[k].as_json()
            lat = [j[f"latency_p{p}_ms"] for p in PERCENTILES] + [j["latency_max_ms"]]
            rows.append([j["api_name"], str(j["api_version"]), str(j["requests"]), str(j["responses"]),
                         str(j["responses_with_errors"]), str(j["undecoded"])]
                        + ["-" if x is None else f"{x:.3f}" for x in lat])
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                 for r in rows]
        lines.append(f"{self.frames} frames, {self.undecoded} not decoded")
        return "\n".join(lines)
