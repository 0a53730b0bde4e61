"""``purekafka decode``: command line of the decode tool.

Exit status: 0 when everything decoded, 1 when anything could not be decoded
(the rest is still printed), 2 for a usage error or an unreadable input file.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import IO, Iterator

from purekafka.decode.batches import DEFAULT_MAX_DECOMPRESSED, read_record_set, set_max_decompressed
from purekafka.decode.frames import Message
from purekafka.decode.hexdump import looks_like_hex, parse_hex
from purekafka.decode.inputs import decode_capture, decode_frame_file, decode_packets, ip_packets
from purekafka.decode.options import Parser, UsageError
from purekafka.decode.output import Printer
from purekafka.decode.view import add_view_arguments, view_printer
from purekafka.decode.pcap import is_pcap
from purekafka.decode.render import batch_json, batch_tree
from purekafka.decode.segment import dump_log_lines
from purekafka.errors import DecodeError

__all__ = ["main"]

DEFAULT_BROKER_PORT = 9092


def _build_parser() -> Parser:
    p = Parser(prog="purekafka decode", description=(
        "Decode Kafka wire traffic and log segments: hex dumps, size-prefixed frame files, "
        "pcap/pcapng captures, .log segment files. 'purekafka decode proxy --help' for live mode."))
    p.add_argument("inputs", nargs="*", help="files, '-' for stdin (the default), or hex text")
    p.add_argument("--hex", dest="hex_text", action="append", default=[], help="hex text to decode")
    p.add_argument("--format", choices=["auto", "hex", "frames", "pcap", "segment", "batches"], default="auto",
                   help="what the input is (default: guessed from its content and name)")
    p.add_argument("--json", action="store_true", help="one JSON object per frame or batch")
    p.add_argument("--dump-log", action="store_true",
                   help="for log segments: print exactly what kafka-dump-log --print-data-log prints")
    p.add_argument("--port", type=int, action="append", default=[],
                   help=f"broker port in captures (repeatable; default {DEFAULT_BROKER_PORT}); "
                        "connections on other ports are then ignored")
    p.add_argument("--direction", choices=["auto", "request", "response"], default="auto",
                   help="for frame files and hex: whether frames are requests or responses")
    p.add_argument("--api-key", type=int, help="API key of responses that match no request in the input")
    p.add_argument("--api-version", type=int, help="API version to go with --api-key")
    add_view_arguments(p)
    p.add_argument("--max-decompressed", type=int, default=DEFAULT_MAX_DECOMPRESSED, metavar="BYTES",
                   help="most bytes one batch may decompress to; more is a decode error "
                        f"(default {DEFAULT_MAX_DECOMPRESSED})")
    return p


def main(argv: list[str] | None = None, stdin: IO[bytes] | None = None,
         stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> int:
    """Run the decode tool; returns the exit status (never raises)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    if argv[:1] == ["proxy"]:
        from purekafka.decode.proxy import proxy_main

        return proxy_main(argv[1:], out, err)
    try:
        args = _build_parser().parse_args(argv)
    except UsageError as e:
        err.write(f"purekafka decode: {e}\n")
        return 2
    except SystemExit as e:  # --help
        return int(e.code or 0) if isinstance(e.code, int) else 0
    if (args.api_key is None) != (args.api_version is None):
        err.write("purekafka decode: --api-key and --api-version go together\n")
        return 2
    if args.max_decompressed < 1:
        err.write("purekafka decode: --max-decompressed must be positive\n")
        return 2
    set_max_decompressed(args.max_decompressed)
    try:
        printer = view_printer(args, out, err)
        for name, data in _inputs(args, stdin):
            _decode_one(name, data, args, printer)
        printer.finish()
    except UsageError as e:
        err.write(f"purekafka decode: {e}\n")
        return 2
    except BrokenPipeError:
        return 1
    except MemoryError:
        err.write("purekafka decode: out of memory\n")
        return 1
    except Exception as e:  # a bug of ours: say so in one line rather than with a traceback
        err.write(f"purekafka decode: internal error ({type(e).__name__}: {e}); please report it\n")
        return 3
    return 1 if printer.failures else 0


def _inputs(args: argparse.Namespace, stdin: IO[bytes] | None) -> Iterator[tuple[str, bytes]]:
    for text in args.hex_text:
        yield "<hex>", text.encode("utf-8", "replace")
    items = args.inputs or ([] if args.hex_text else ["-"])
    for item in items:
        if item == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield "<stdin>", stream.read()
        elif os.path.isfile(item):
            try:
                with open(item, "rb") as fh:
                    yield item, fh.read()
            except OSError as e:
                raise UsageError(f"cannot read {item}: {e.strerror}") from None
        elif looks_like_hex(item.encode("utf-8", "replace")) and not os.path.sep in item:
            yield "<argument>", item.encode("ascii")
        else:
            raise UsageError(f"{item}: no such file (and not hex text)")


def _decode_one(name: str, data: bytes, args: argparse.Namespace, printer: Printer) -> None:
    fmt = args.format
    if args.dump_log and fmt not in ("auto", "hex", "segment"):
        raise UsageError(f"--dump-log reads log segments, not --format {fmt}")
    viewing = args.summary or args.stats or args.filter
    packets = None
    if fmt == "hex" or looks_like_hex(data):
        # Text: any of the formats below, dumped as hex.
        try:
            hx = parse_hex(data.decode("utf-8", "replace"))
        except DecodeError as e:
            printer.problem(f"{name}: {e}")
            return
        data = hx.data
        if fmt in ("auto", "hex") and (hx.tcpdump or len(hx.packet_starts) > 1):
            packets = ip_packets(hx.data, hx.packet_starts)
        if fmt == "hex":
            fmt = "auto"
    if fmt == "auto":
        if args.dump_log:
            fmt = "segment"
        elif is_pcap(data):
            fmt = "pcap"
        elif packets is not None:
            fmt = "packets"
        elif name.endswith(".log"):
            fmt = "segment"
        else:
            fmt = "frames"
    ports = set(args.port) or {DEFAULT_BROKER_PORT}
    only = bool(args.port)
    if fmt == "pcap":
        _emit(decode_capture(data, ports, only), printer)
    elif fmt == "packets":
        assert packets is not None
        _emit(decode_packets(packets, ports, only), printer)
    elif fmt in ("segment", "batches"):
        if viewing:
            raise UsageError(f"{name}: --summary, --stats and --filter read frames (captures, frame files, hex), "
                             "not log segments or record batches")
        _segment(name, data, args, printer)
    else:
        fixed = (args.api_key, args.api_version) if args.api_key is not None else None
        _emit(decode_frame_file(data, args.direction, fixed), printer)


def _emit(messages: Iterator[Message], printer: Printer) -> None:
    for m in messages:
        printer.message(m)


def _segment(name: str, data: bytes, args: argparse.Namespace, printer: Printer) -> None:
    if args.dump_log:
        problems: list[str] = []
        jumps: list[str] = []
        for line in dump_log_lines(name, data, problems, jumps):
            printer.out.write(line + "\n")
        printer.out.flush()
        if jumps:
            printer.err.write(f"Non-consecutive offsets in {os.path.abspath(name)}\n")
            printer.err.write("".join(j + "\n" for j in jumps))
        for p in problems:
            printer.failures += 1
            printer.err.write(f"error: {p}\n")  # stdout holds exactly what Kafka's tool prints
        return
    run = read_record_set(data)
    for b, error in zip(run.batches, run.errors):
        printer.count += 1
        if error or not b.crc_valid:
            printer.failures += 1
        if args.json:
            printer.out.write(_json_line(batch_json(b, error)) + "\n")
        else:
            lines: list[str] = []
            batch_tree(b, error, 0, lines)
            printer.out.write("\n".join(lines) + "\n\n")
    if run.error:
        printer.problem(f"{name}: {run.error}")
    elif run.trailing:
        printer.problem(f"{name}: {run.trailing} bytes at byte offset {run.valid_bytes} do not hold a whole batch",
                        run.valid_bytes)


def _json_line(obj: object) -> str:
    return json.dumps(obj)
