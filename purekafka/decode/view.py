"""The ``--summary``, ``--stats`` and ``--filter`` options, shared by the reader and the live proxy."""
from __future__ import annotations

import argparse
from typing import IO

from purekafka.decode.filter import FILTER_HELP, parse_filters
from purekafka.decode.options import Parser
from purekafka.decode.output import Printer

__all__ = ["add_view_arguments", "view_printer"]


def add_view_arguments(p: Parser) -> None:
    """Add ``--summary``, ``--stats`` and ``--filter`` to ``p``."""
    p.add_argument("--summary", action="store_true",
                   help="one line per frame: time, connection, direction, API, version, correlation id, size, "
                        "latency of a response, error codes")
    p.add_argument("--stats", action="store_true",
                   help="at the end: per API and version, counts and latency percentiles (p50/p95/p99/max)")
    p.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE", help=FILTER_HELP)


def view_printer(args: argparse.Namespace, out: IO[str], err: IO[str]) -> Printer:
    """The printer the options ask for (UsageError for a malformed ``--filter``)."""
    return Printer(out, err, args.json, summary=args.summary, stats=args.stats,
                   frame_filter=parse_filters(args.filter))
