"""``--summary``: one line per frame.

A line holds the time the frame was complete (UTC, from the capture or the
proxy's clock; ``-`` for frame files and hex), the connection and direction,
the API and version, the correlation id, the frame size (with its 4-byte size
prefix, as in the tree), for a response the latency since its request, and every non-zero error
code found anywhere in the body, by name, with a count when one repeats.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from purekafka.decode.frames import Message
from purekafka.decode.pairing import RequestInfo, connection, error_codes
from purekafka.errors import error_name

__all__ = ["FrameSummary", "summarize", "summary_line", "summary_json"]


@dataclass
class FrameSummary:
    """The summary of one frame."""

    number: int
    ts: float | None
    connection: str
    kind: str
    api_key: int | None
    api_name: str | None
    api_version: int | None
    correlation_id: int | None
    size: int
    latency_ms: float | None
    error_codes: list[int] = field(default_factory=list)
    error: str | None = None  # why the frame (or part of it) could not be decoded


def summarize(m: Message, number: int, request: RequestInfo | None) -> FrameSummary:
    """``m`` in summary form; ``request`` is the request a response answers, if seen."""
    latency = None
    if m.kind == "response" and request is not None and request.ts is not None and m.ts is not None:
        latency = (m.ts - request.ts) * 1000.0
    problem = m.error if m.error is not None else ("; ".join(m.problems) if m.problems else None)
    return FrameSummary(number, m.ts, connection(m), m.kind, m.api_key, m.api_name, m.api_version,
                        m.correlation_id, m.size + 4 if m.kind != "error" else m.size, latency,
                        error_codes(m.body), problem)


def format_time(ts: float | None) -> str:
    """``HH:MM:SS.micros`` in UTC, or ``-``."""
    if ts is None:
        return "-"
    sec, us = divmod(round(ts * 1_000_000), 1_000_000)
    return time.strftime("%H:%M:%S", time.gmtime(sec)) + f".{us:06d}"


def _codes_text(codes: list[int]) -> str:
    seen: dict[int, int] = {}
    for c in codes:
        seen[c] = seen.get(c, 0) + 1
    return ",".join(f"{error_name(c)}({c})" + (f"x{n}" if n > 1 else "") for c, n in seen.items())


def summary_line(s: FrameSummary) -> str:
    """The text line of a summary."""
    parts = [f"{s.number:>5}", format_time(s.ts), s.connection.replace(" -> ", " > " if s.kind != "response" else " < ")]
    if s.api_name is None:
        parts.append(s.kind)
    else:
        parts.append(f"{s.kind:<8} {s.api_name} v{s.api_version}")
    if s.correlation_id is not None:
        parts.append(f"corr={s.correlation_id}")
    parts.append(f"size={s.size}")
    if s.latency_ms is not None:
        parts.append(f"latency={s.latency_ms:.3f}ms")
    if s.error_codes:
        parts.append("errors=" + _codes_text(s.error_codes))
    if s.error is not None:
        parts.append(f"UNDECODED: {s.error}")
    return "  ".join(parts)


def summary_json(s: FrameSummary) -> dict[str, Any]:
    """The JSON object of a summary (keys are stable)."""
    return {
        "type": "summary", "frame": s.number, "ts": s.ts, "connection": s.connection, "direction": s.kind,
        "api_key": s.api_key, "api_name": s.api_name, "api_version": s.api_version,
        "correlation_id": s.correlation_id, "size": s.size, "latency_ms": s.latency_ms,
        "error_codes": [{"code": c, "name": error_name(c)} for c in s.error_codes], "error": s.error,
    }
