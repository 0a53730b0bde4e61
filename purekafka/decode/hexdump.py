"""Turn hex text back into bytes.

Accepted layouts, mixed freely line by line:

* bare hex with any whitespace, ``0x`` prefixes or commas: ``00 00 00 0c``,
  ``0x00,0x00``, ``0000000c0012``;
* ``xxd`` (``00000010: 0012 0003  ....``);
* ``hexdump -C`` (``00000010  00 12 00 03 ... |....|``);
* ``tcpdump -X`` / ``-xx``: indented ``0x0010:`` lines under a packet summary line.

tcpdump dumps whole IP packets, not Kafka frames, so :func:`parse_hex` also
reports where each dumped packet starts: a line whose offset is zero after
some data opens a new packet. The caller decides whether those are packets.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from purekafka.errors import DecodeError

__all__ = ["HexText", "parse_hex", "looks_like_hex"]

# "00000010:" (xxd), "0x0010:" (tcpdump); the colon makes it unambiguous.
_COLON_OFFSET = re.compile(r"^\s*(?:0x)?([0-9a-fA-F]+):(?=\s|$)")
# hexdump -C: 8 hex digits then two spaces, with a |ascii| column at the end.
_HEXDUMP_C = re.compile(r"^([0-9a-fA-F]{7,8})  (.*?)\s*(\|.*\|)?\s*$")
_SUMMARY = re.compile(r"^(?:\d\d:\d\d:\d\d|\d{4}-\d\d-\d\d \d|\d+\.\d+ |IP6? |ARP)")
_TOKEN = re.compile(r"(\s*)(\S+)")
_HEX = re.compile(r"^(?:0[xX])?([0-9a-fA-F]+)$")


@dataclass
class HexText:
    """Bytes parsed from hex text, and the byte offsets where dumped packets start."""

    data: bytes
    packet_starts: list[int] = field(default_factory=list)
    #: True when the text had tcpdump's packet summary lines around the hex.
    tcpdump: bool = False


def _printable(b: int) -> str:
    return chr(b) if 0x20 <= b < 0x7F else "."


def _is_ascii_column(rest: str, line_bytes: bytearray) -> bool:
    """Whether ``rest`` (the gap included) ends with the ASCII rendering of the bytes read so far."""
    if not line_bytes:
        return False
    rendered = "".join(_printable(b) for b in line_bytes).rstrip()
    tail = rest.rstrip()
    # The column may begin with spaces (bytes 0x20), which then look like part of the gap.
    return bool(rendered) and tail.endswith(rendered) and len(tail) - len(rendered) >= 1 \
        and not tail[:len(tail) - len(rendered)].strip()


def _parse_tokens(text: str, lineno: int, dump_line: bool) -> bytearray:
    """Hex tokens of one line; on dump lines, stop at the ASCII column."""
    out = bytearray()
    pos = 0
    while True:
        m = _TOKEN.match(text, pos)
        if m is None:
            break
        gap, tok = m.group(1), m.group(2)
        tok_start = m.start(2)
        if dump_line and len(gap) >= 2 and _is_ascii_column(text[m.start(1):], out):
            break
        cleaned = tok.strip(",;")
        hm = _HEX.match(cleaned)
        if hm is None:
            if dump_line and out and len(gap) >= 2:
                break  # an ASCII column we could not verify; the hex part is done
            raise DecodeError(
                f"line {lineno}: {tok[:20]!r} is not hex (expected pairs of hex digits)",
                offset=tok_start,
                field="hex",
            )
        digits = hm.group(1)
        if len(digits) % 2:
            raise DecodeError(
                f"line {lineno}: {tok[:20]!r} has an odd number of hex digits", offset=tok_start, field="hex"
            )
        out += bytes.fromhex(digits)
        pos = m.end()
    return out


def parse_hex(text: str) -> HexText:
    """Parse hex text in any of the layouts above; raise DecodeError naming the line."""
    data = bytearray()
    starts: list[int] = []
    saw_summary = False
    saw_hexdump_c = False
    for lineno, raw_line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        line = raw_line.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _COLON_OFFSET.match(line)
        if m:
            line_offset = int(m.group(1), 16)
            if line_offset == 0:
                starts.append(len(data))
            data += _parse_tokens(line[m.end():], lineno, dump_line=True)
            continue
        c = _HEXDUMP_C.match(line)
        if c and c.group(3):
            saw_hexdump_c = True
            if int(c.group(1), 16) == 0:
                starts.append(len(data))
            data += _parse_tokens(c.group(2), lineno, dump_line=False)
            continue
        if saw_hexdump_c and re.fullmatch(r"[0-9a-fA-F]{7,8}", line.strip()):
            continue  # hexdump -C ends with the total length on a line of its own
        if _SUMMARY.match(line):
            # tcpdump's per-packet summary line ("12:00:01.5 IP 127.0.0.1.9092 > ...").
            saw_summary = True
            continue
        data += _parse_tokens(line, lineno, dump_line=False)
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return HexText(bytes(data), sorted(set(starts)), saw_summary)


def looks_like_hex(data: bytes) -> bool:
    """Whether raw input is text that should be read as a hex dump rather than binary."""
    if not data:
        return False
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a UTF-8 byte order mark, as some editors save text
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return False
    if any(ch not in "\t\n\r" and not (" " <= ch <= "~") for ch in text):
        return False
    return any(ch in "0123456789abcdefABCDEF" for ch in text)
