"""``purekafka produce``: the command-line producer (kafka-console-producer, ``kcat -P``).

Reads records from stdin or ``--file``, one per line, and produces them to one topic.
Lines end as Java's ``readLine`` ends them (``\\n``, ``\\r\\n`` or a lone ``\\r``); an empty
line is an empty value. Each line is parsed by kafka-console-producer's rules
(``LineMessageReader``; tests cross-check the two on generated lines), with its reader
properties, also settable as ``--property name=value``::

    [HEADERS <headers.delimiter>] [KEY <key.separator>] VALUE

- ``--parse-key`` (``parse.key``) splits KEY off at the first ``--key-separator``
  (``key.separator``, default TAB); ``--key-separator`` and kcat's ``-K SEP`` imply it.
- ``--parse-headers`` (``parse.headers``) takes a leading ``name:value,name2:value2``
  block ended by ``--headers-delimiter`` (TAB); ``--headers-separator`` (``,``) and
  ``--headers-key-separator`` (``:``) change the rest. The separators are literal
  strings (Java's tool compiles ``headers.separator`` as a regular expression; the two
  agree for separators without regex metacharacters).
- ``--null-marker STR`` (``null.marker``): a key, value, header value or whole headers
  block equal to STR is null; a header name equal to it is an error.
- ``--ignore-error`` (``ignore.error``): a line without the headers delimiter or key
  separator is sent without headers / with a null key instead of failing, and a header
  without its key separator gets a null value.
- ``-H name=value`` (kcat, repeatable) and ``--headers name=value,name2=value2`` add
  static headers to every record, before any parsed from the line.

Separators are UTF-8 with the escapes ``\\t \\n \\r \\0 \\\\ \\xNN``, and must not be empty
or equal where Java refuses that. A line that cannot be parsed counts as an error and
the rest goes on.

Any producer setting goes through ``-X name=value`` / ``--producer-property`` /
``--producer.config FILE`` (kafka-python or Java names); ``--acks`` and ``--compression``
are shortcuts. ``--print-offsets`` writes ``PARTITION<TAB>OFFSET`` to stdout for each
input line, in input order (``error<TAB>message`` for a record that failed). A summary
(records, bytes of keys and values, errors) goes to stderr at the end. Problems are
reported in one line each; ``-v`` adds the producer's own warnings (every failed
connection attempt), ``-vv`` its debug log.

Exit status: 0 when every record was written, 1 when any failed or the cluster could
not be reached, 2 for bad arguments or settings, 130 on Ctrl-C.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from collections import deque
from typing import Any, BinaryIO, Callable, Sequence

from purekafka.errors import KafkaConfigurationError, KafkaError, KafkaTimeoutError

PROG = "purekafka produce"

# kafka-console-producer's LineMessageReader properties and their defaults.
READER_DEFAULTS: dict[str, str | None] = {
    "parse.key": "false", "key.separator": "\t", "parse.headers": "false",
    "headers.delimiter": "\t", "headers.separator": ",", "headers.key.separator": ":",
    "null.marker": None, "ignore.error": "false",
}


EPILOG = """\
line format:  [HEADERS<headers-delimiter>][KEY<key-separator>]VALUE
  HEADERS is name:value,name2:value2 (with --parse-headers); KEY needs --parse-key or -K.
  Separators accept \\t \\n \\r \\0 \\\\ \\xNN. An empty line is an empty value.

examples:
  purekafka produce -b localhost:9092 -t events < events.txt
  purekafka produce -b localhost:9092 -t users -K : -H source=cli -X linger.ms=5 --print-offsets

exit status: 0 all written, 1 some record failed or no broker reachable, 2 bad arguments."""


class UsageError(Exception):
    """Bad command line: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own errors, one line, no usage dump
        raise UsageError(f"{message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Produce records read from stdin or a file, one per line.",
                epilog=EPILOG,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-b", "--bootstrap-server", "--broker-list", dest="bootstrap", metavar="SERVERS",
                   help="host:port[,host:port...] (or -X bootstrap.servers=...)")
    p.add_argument("-t", "--topic", help="topic to produce to (required)")
    p.add_argument("-p", "--partition", type=int, metavar="N", help="send every record to this partition")
    p.add_argument("-l", "--file", metavar="FILE", help="read records from FILE instead of stdin")
    src = p.add_argument_group("line parsing (kafka-console-producer reader properties)")
    src.add_argument("--parse-key", action="store_true", help="line is KEY<sep>VALUE (parse.key)")
    src.add_argument("--key-separator", metavar="SEP", help="key separator, default TAB (key.separator)")
    src.add_argument("-K", dest="kcat_key", metavar="SEP", help="kcat: --parse-key --key-separator SEP")
    src.add_argument("--parse-headers", action="store_true",
                     help="line starts with name:value,... headers (parse.headers)")
    src.add_argument("--headers-delimiter", metavar="SEP", help="ends the headers block, default TAB")
    src.add_argument("--headers-separator", metavar="SEP", help="between headers, default ','")
    src.add_argument("--headers-key-separator", metavar="SEP", help="between header name and value, default ':'")
    src.add_argument("--null-marker", metavar="STR", help="a key/value/header value equal to this is sent as null")
    src.add_argument("--ignore-error", action="store_true",
                     help="send a line lacking a separator with a null key instead of failing it")
    src.add_argument("--property", action="append", default=[], metavar="NAME=VALUE",
                     help="reader property, e.g. parse.key=true (repeatable)")
    hdr = p.add_argument_group("static headers")
    hdr.add_argument("-H", dest="header", action="append", default=[], metavar="NAME=VALUE",
                     help="add a header to every record (repeatable)")
    hdr.add_argument("--headers", action="append", default=[], metavar="NAME=VALUE[,...]",
                     help="add comma-separated headers to every record")
    prod = p.add_argument_group("producer settings")
    prod.add_argument("-X", "--producer-property", dest="settings", action="append", default=[],
                      metavar="NAME=VALUE", help="any producer setting, kafka-python or Java name")
    prod.add_argument("--producer.config", dest="config_file", metavar="FILE",
                      help="Java-style properties file of producer settings")
    prod.add_argument("-z", "--compression", "--compression-codec", dest="compression",
                      metavar="CODEC", help="none, gzip, snappy, lz4 or zstd")
    prod.add_argument("--acks", "--request-required-acks", dest="acks", help="0, 1 or all")
    prod.add_argument("--sync", action="store_true", help="wait for each record before the next")
    out = p.add_argument_group("output")
    out.add_argument("--print-offsets", action="store_true",
                     help="print PARTITION<TAB>OFFSET per input line to stdout")
    out.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
    out.add_argument("-v", "--verbose", action="count", default=0,
                     help="show the producer's warnings (-vv: its debug log too)")
    return p


_ESCAPES = {"t": b"\t", "n": b"\n", "r": b"\r", "0": b"\0", "\\": b"\\"}


def unescape(text: str) -> bytes:
    """A separator as typed on the command line, as bytes: UTF-8, with the escapes
    ``\\t \\n \\r \\0 \\\\ \\xNN``."""
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "\\":
            out += ch.encode("utf-8", "surrogateescape")
            i += 1
            continue
        nxt = text[i + 1:i + 2]
        if nxt in _ESCAPES:
            out += _ESCAPES[nxt]
            i += 2
        elif nxt == "x" and len(text) >= i + 4 and all(c in "0123456789abcdefABCDEF" for c in text[i + 2:i + 4]):
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        else:
            raise UsageError(f"bad escape in separator {text!r} at position {i} (known: \\t \\n \\r \\0 "
                             f"\\\\ \\xNN)")
    return bytes(out)


def _pair(item: str, what: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name.strip():
        raise UsageError(f"{what} {item!r} is not NAME=VALUE")
    return name.strip(), value


def read_properties(path: str) -> dict[str, str]:
    """A Java properties file, the common subset: ``name=value`` or ``name: value`` lines,
    ``#``/``!`` comments."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise UsageError(f"cannot read --producer.config {path}: {e.strerror}") from None
    out: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line[0] in "#!":
            continue
        cut = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if cut <= 0:
            raise UsageError(f"{path}:{number}: expected name=value, got {line!r}")
        out[line[:cut].strip()] = line[cut + 1:].strip()
    return out


# Pairs kafka-console-producer's LineMessageReader refuses to have equal, as it checks them.
_MUST_DIFFER = [("null.marker", "key.separator"), ("null.marker", "headers.delimiter"),
                ("null.marker", "headers.separator"), ("null.marker", "headers.key.separator"),
                ("headers.delimiter", "headers.separator"), ("headers.delimiter", "headers.key.separator"),
                ("headers.separator", "headers.key.separator")]


def _java_split(text: bytes, sep: bytes) -> list[bytes]:
    """Java's ``String.split``: trailing empty pieces dropped, but "" splits to [""]."""
    if not text:
        return [text]
    pieces = text.split(sep)
    while pieces and not pieces[-1]:
        pieces.pop()
    return pieces


class LineFormat:
    """How one input line becomes (key, value, headers): kafka-console-producer's
    ``LineMessageReader`` rules (checked against it by tests/java/ConsoleLineCrossCheck).

    Headers come first, up to the headers delimiter; the key next, up to the key
    separator; the rest is the value. With ``ignore.error`` a missing delimiter or
    separator leaves that part out (null key, no headers) instead of failing the line,
    and a header without its key separator gets a null value. The null marker turns an
    equal key, value, header value or whole headers block into null; a header *name*
    equal to it is an error.
    """

    def __init__(self, props: dict[str, str | None], static_headers: list[tuple[str, bytes | None]]) -> None:
        def flag(name: str) -> bool:
            value = (props[name] or "").strip().lower()
            if value not in ("true", "false"):
                raise UsageError(f"property {name} must be true or false, not {props[name]!r}")
            return value == "true"

        self.parse_key = flag("parse.key")
        self.parse_headers = flag("parse.headers")
        self.ignore_error = flag("ignore.error")
        seps: dict[str, bytes] = {}
        for name in ("key.separator", "headers.delimiter", "headers.separator", "headers.key.separator"):
            seps[name] = unescape(props[name] or "")
            if not seps[name]:
                raise UsageError(f"property {name} must not be empty")
        marker = props.get("null.marker")
        self.null_marker = None if marker is None else unescape(marker)
        if self.null_marker is not None:
            seps["null.marker"] = self.null_marker
        for a, b in _MUST_DIFFER:
            if a in seps and seps[a] == seps[b]:
                raise UsageError(f"{a} and {b} may not be equal")
        self.key_sep = seps["key.separator"]
        self.headers_delim = seps["headers.delimiter"]
        self.headers_sep = seps["headers.separator"]
        self.headers_key_sep = seps["headers.key.separator"]
        self.static_headers = static_headers

    def _null(self, data: bytes) -> bytes | None:
        return None if data == self.null_marker else data

    def parse(self, line: bytes) -> tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]]]:
        """Split a line (without its line ending); raises ValueError for a malformed one."""
        pos = 0
        block = None
        if self.parse_headers:
            end = line.find(self.headers_delim)
            if end >= 0:
                block, pos = line[:end], end + len(self.headers_delim)
            elif not self.ignore_error:
                raise ValueError("no headers delimiter found")
        key = None
        if self.parse_key:
            end = line.find(self.key_sep, pos)
            if end >= 0:
                key, pos = self._null(line[pos:end]), end + len(self.key_sep)
            elif not self.ignore_error:
                raise ValueError("no key separator found")
        headers = list(self.static_headers)
        if block is not None and block != self.null_marker:
            headers += self._headers(block)
        return key, self._null(line[pos:]), headers

    def _headers(self, block: bytes) -> list[tuple[str, bytes | None]]:
        out: list[tuple[str, bytes | None]] = []
        for item in _java_split(block, self.headers_sep):
            end = item.find(self.headers_key_sep)
            if end < 0:
                if not self.ignore_error:
                    raise ValueError(f"no header key separator found in {item[:40]!r}")
                name, value = item, None
            else:
                name = item[:end]
                if name == self.null_marker:
                    raise ValueError("a header name may not be the null marker")
                value = self._null(item[end + len(self.headers_key_sep):])
            try:
                out.append((name.decode("utf-8"), value))
            except UnicodeDecodeError:
                raise ValueError(f"header name {name!r} is not UTF-8") from None
        return out


def iter_lines(stream: BinaryIO) -> Any:
    """Lines as Java's ``BufferedReader.readLine`` sees them (``\\n``, ``\\r\\n`` or a lone
    ``\\r`` ends one), read as they come so that typing works interactively."""
    for raw in iter(stream.readline, b""):
        if raw.endswith(b"\n"):
            raw = raw[:-1]
        if b"\r" not in raw:
            yield raw
            continue
        pieces = raw.split(b"\r")
        if not pieces[-1]:  # "...\r\n" or a final "\r": one line ending, not two
            pieces.pop()
        yield from pieces


def producer_settings(args: argparse.Namespace) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if args.config_file:
        settings.update(read_properties(args.config_file))
    for item in args.settings:
        name, value = _pair(item, "-X")
        settings[name] = value
    # Shortcuts and the bootstrap flag override -X, as kafka-console-producer's options do.
    if args.acks is not None:
        _drop(settings, "acks")
        settings["acks"] = args.acks
    if args.compression is not None:
        _drop(settings, "compression_type")
        settings["compression_type"] = None if args.compression.lower() == "none" else args.compression
    if args.bootstrap:
        _drop(settings, "bootstrap_servers")
        settings["bootstrap_servers"] = args.bootstrap
    elif not any(_canonical(name) == "bootstrap_servers" for name in settings):
        raise UsageError("--bootstrap-server is required")
    return settings


def _canonical(name: str) -> str:
    return name.replace(".", "_").replace("-", "_")


def _drop(settings: dict[str, Any], canonical: str) -> None:
    """Remove a setting given under either spelling, so a shortcut flag wins cleanly."""
    for name in list(settings):
        if _canonical(name) == canonical:
            del settings[name]


def reader_properties(args: argparse.Namespace) -> dict[str, str | None]:
    props = dict(READER_DEFAULTS)
    for item in args.property:
        name, value = _pair(item, "--property")
        if name not in READER_DEFAULTS:
            raise UsageError(f"unknown --property {name!r} (known: {', '.join(READER_DEFAULTS)})")
        props[name] = value
    flags = {"key.separator": args.key_separator, "headers.delimiter": args.headers_delimiter,
             "headers.separator": args.headers_separator,
             "headers.key.separator": args.headers_key_separator, "null.marker": args.null_marker}
    props.update({k: v for k, v in flags.items() if v is not None})
    if args.parse_key or args.key_separator is not None:
        props["parse.key"] = "true"
    if args.kcat_key is not None:
        props["parse.key"], props["key.separator"] = "true", args.kcat_key
    if args.parse_headers:
        props["parse.headers"] = "true"
    if args.ignore_error:
        props["ignore.error"] = "true"
    return props


def static_headers(args: argparse.Namespace) -> list[tuple[str, bytes | None]]:
    items = list(args.header) + [i for group in args.headers for i in group.split(",") if i]
    return [(name, os.fsencode(value)) for name, value in (_pair(i, "header") for i in items)]


class Run:
    """Counts deliveries and prints offsets in input order as soon as they are known.

    Callbacks run on the producer's I/O thread, the reading loop on the main one: one
    lock keeps the counters and the order of printed lines straight. Futures are kept
    only with ``--print-offsets``, and only until printed.
    """

    def __init__(self, print_offsets: bool, out: Callable[[str], None], err: Callable[[str], None]) -> None:
        self.records = self.bytes = self.errors = 0
        self.print_offsets = print_offsets
        self.out, self.err = out, err
        self.pending: deque[tuple[int, Any]] = deque()
        self._lock = threading.Lock()

    def line_failed(self, number: int, message: str) -> None:
        with self._lock:
            self.errors += 1
            if self.print_offsets:
                self.pending.append((number, message))
        self.err(f"{PROG}: line {number}: {message}")
        self.drain()

    def sent(self, number: int, future: Any, size: int) -> None:
        def ok(md: Any) -> None:
            with self._lock:
                self.records += 1
                self.bytes += size
            self.drain()

        def failed(exc: BaseException) -> None:
            with self._lock:
                self.errors += 1
            self.err(f"{PROG}: line {number}: {type(exc).__name__}: {exc}")
            self.drain()

        if self.print_offsets:
            with self._lock:
                self.pending.append((number, future))
        future.add_callback(ok).add_errback(failed)

    def drain(self, final: bool = False) -> None:
        """Print what is known, in input order; ``final`` (after close) prints the rest."""
        if not self.print_offsets:
            return
        with self._lock:
            while self.pending:
                number, item = self.pending[0]
                if isinstance(item, str):
                    self.out(f"error\t{item}")
                elif item.is_done:
                    if item.exception is None:
                        self.out(f"{item.value.partition}\t{item.value.offset}")
                    else:
                        self.out(f"error\t{type(item.exception).__name__}: {item.exception}")
                elif final:
                    self.out("error\tnot delivered before the producer closed")
                else:
                    return
                self.pending.popleft()


def _say(stream: Any) -> Callable[[str], None]:
    def say(text: str) -> None:
        stream.write(text + "\n")
        stream.flush()
    return say


def main(argv: Sequence[str]) -> int:
    err = _say(sys.stderr)
    try:
        return _main(list(argv), err)
    except UsageError as e:
        err(f"{PROG}: {e}")
        return 2


def _main(argv: list[str], err: Callable[[str], None]) -> int:
    args = build_parser().parse_args(argv)
    # The producer logs each failed connection attempt; the command reports the outcome in
    # one line instead, unless asked for the details.
    level = {0: logging.ERROR, 1: logging.WARNING}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format=f"{PROG}: %(levelname)s %(name)s: %(message)s")
    settings = producer_settings(args)
    if not args.topic:
        raise UsageError("--topic is required")
    fmt = LineFormat(reader_properties(args), static_headers(args))
    if args.file:
        try:
            stream: BinaryIO = open(args.file, "rb")
        except OSError as e:
            raise UsageError(f"cannot read --file {args.file}: {e.strerror}") from None
    else:
        stream = sys.stdin.buffer

    from purekafka.producer import KafkaProducer  # not imported for --help or bad arguments

    named = {_canonical(k): v for k, v in settings.items()}
    if "max_block_ms" in named and "bootstrap_timeout_ms" not in named:
        # The producer bootstraps in its constructor: give up on the brokers as soon as
        # the wait for the topic's metadata would.
        settings["bootstrap_timeout_ms"] = named["max_block_ms"]
    try:
        producer = KafkaProducer(**settings)
    except (KafkaConfigurationError, TypeError, ValueError) as e:
        raise UsageError(str(e)) from None
    except KafkaTimeoutError as e:
        err(f"{PROG}: cannot get metadata for topic {args.topic!r} from {named['bootstrap_servers']}: "
            f"{type(e).__name__}: {e}")
        return 1
    except KafkaError as e:
        err(f"{PROG}: cannot start the producer: {type(e).__name__}: {e}")
        return 1
    run = Run(args.print_offsets, _say(sys.stdout), err)
    try:
        try:
            partitions = producer.partitions_for(args.topic)
        except KafkaError as e:
            err(f"{PROG}: cannot get metadata for topic {args.topic!r} from {','.join(producer.config.bootstrap_servers)}: "
                f"{type(e).__name__}: {e}")
            producer.close(0)
            return 1
        if args.partition is not None and args.partition not in partitions:
            producer.close(0)
            raise UsageError(f"topic {args.topic!r} has no partition {args.partition} "
                             f"(partitions 0..{max(partitions)})")
        status = _produce(producer, stream, fmt, args, run)
    except KeyboardInterrupt:
        producer.close(0)
        run.drain(final=True)
        _summary(run, args, err)
        return 130
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    return status


def _produce(producer: Any, stream: BinaryIO, fmt: LineFormat, args: argparse.Namespace, run: Run) -> int:
    err = run.err
    for number, line in enumerate(iter_lines(stream), 1):
        try:
            key, value, headers = fmt.parse(line)
        except ValueError as e:
            run.line_failed(number, f"{e}: {line[:80]!r}")
            continue
        try:
            future = producer.send(args.topic, value=value, key=key, headers=headers,
                                   partition=args.partition)
        except KafkaError as e:
            run.line_failed(number, f"{type(e).__name__}: {e}")
            continue
        run.sent(number, future, len(key or b"") + len(value or b""))
        if args.sync:
            try:
                future.get()
            except KafkaError:
                pass  # counted and reported by the errback
    try:
        producer.flush()
    except KafkaError as e:
        err(f"{PROG}: flush failed: {type(e).__name__}: {e}")
    producer.close()
    run.drain(final=True)
    _summary(run, args, err)
    return 1 if run.errors else 0


def _summary(run: Run, args: argparse.Namespace, err: Callable[[str], None]) -> None:
    if not args.quiet:
        err(f"{PROG}: {run.records} records ({run.bytes} bytes of keys and values) written to "
            f"{args.topic}, {run.errors} errors")
