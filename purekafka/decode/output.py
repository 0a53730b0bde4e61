"""Where decoded frames go: a tree for people or JSON lines, with a count of failures."""
from __future__ import annotations

import json
from typing import IO

from purekafka.decode.frames import Message
from purekafka.decode.render import message_json, message_tree

__all__ = ["Printer"]


class Printer:
    """Writes messages as a tree or JSON lines and counts failures."""

    def __init__(self, out: IO[str], err: IO[str], as_json: bool) -> None:
        self.out, self.err, self.as_json = out, err, as_json
        self.count = 0
        self.failures = 0

    def message(self, m: Message) -> None:
        """Print one frame (or frame-level error)."""
        self.count += 1
        if m.failed:
            self.failures += 1
        if self.as_json:
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
