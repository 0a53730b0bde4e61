"""Where decoded frames go: a tree, JSON lines, summary lines or stats; with a count of failures."""
from __future__ import annotations

import json
from typing import IO

from purekafka.decode.filter import FrameFilter
from purekafka.decode.frames import Message
from purekafka.decode.pairing import Pairing, RequestInfo
from purekafka.decode.render import message_json, message_tree
from purekafka.decode.stats import Stats
from purekafka.decode.summary import summarize, summary_json, summary_line

__all__ = ["Printer"]


class Printer:
    """Writes the frames a filter keeps, as a tree, JSON lines or summary lines, and counts failures.

    Failures are counted over every frame, kept or not: the exit status speaks for
    the whole input. ``--stats`` tallies the kept frames; :meth:`finish` prints them.
    """

    def __init__(self, out: IO[str], err: IO[str], as_json: bool, summary: bool = False,
                 stats: bool = False, frame_filter: FrameFilter | None = None) -> None:
        self.out, self.err, self.as_json = out, err, as_json
        self.count = 0
        self.failures = 0
        self.summary = summary
        self.stats = Stats() if stats else None
        self.filter = frame_filter if frame_filter is not None and not frame_filter.empty else None
        self.pairing = Pairing()

    def message(self, m: Message) -> None:
        """Print one frame (or frame-level error), if the filter keeps it."""
        self.count += 1
        if m.failed:
            self.failures += 1
        request: RequestInfo | None = None
        if m.kind == "request":
            self.pairing.request(m)
            kept = self.filter is None or self.filter.matches(m)
        else:
            if m.kind == "response":
                request = self.pairing.response(m)
            kept = self.filter is None or self.filter.matches(m, request)
        if not kept:
            return
        if self.summary or self.stats is not None:
            s = summarize(m, self.count, request)
            if self.stats is not None:
                self.stats.add(s)
            if self.summary:
                self.out.write((json.dumps(summary_json(s)) if self.as_json else summary_line(s)) + "\n")
        elif self.as_json:
            self.out.write(message_json(m) + "\n")
        else:
            self.out.write(message_tree(m, self.count) + "\n\n")
        self.out.flush()

    def problem(self, text: str, offset: int | None = None) -> None:
        """Something outside any frame or batch could not be read (always on stderr; in JSON also on stdout)."""
        self.failures += 1
        self.err.write(f"error: {text}\n")
        if self.as_json:
            self.out.write(json.dumps({"type": "error", "offset": offset, "error": text}) + "\n")

    def finish(self) -> None:
        """Print the stats, if asked for."""
        if self.stats is None:
            return
        if self.summary and not self.as_json:
            self.out.write("\n")
        self.out.write((json.dumps(self.stats.as_json()) if self.as_json else self.stats.table()) + "\n")
        self.out.flush()
