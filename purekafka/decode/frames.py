"""Kafka framing and request/response pairing, per connection.

Every Kafka message is an int32 size followed by that many bytes. A request
starts with its header (api key, api version, correlation id, ...); a response
starts with the correlation id only, so it can be decoded only with the API
key and version of the request that carried the same correlation id on the
same connection. :class:`Conversation` keeps those pending requests.

Nothing here raises on bad bytes: every problem becomes a :class:`Message`
with ``error`` set and an absolute byte ``offset`` into the input.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any, Callable

from purekafka.decode.batches import error_reason as reason
from purekafka.decode.batches import expand_records
from purekafka.errors import DecodeError, KafkaError
from purekafka.protocol import headers, specs
from purekafka.protocol.apis import api_name

__all__ = ["Message", "FrameSplitter", "Conversation", "describe_error", "MAX_FRAME"]

MAX_FRAME = 256 * 1024 * 1024
METADATA = 3
_I32 = struct.Struct(">i")


@dataclass
class Message:
    """One decoded (or undecodable) frame, ready to render."""

    kind: str  # "request", "response" or "error"
    offset: int  # absolute offset of the size prefix in the input (or stream)
    size: int = 0
    where: str = ""
    api_key: int | None = None
    api_version: int | None = None
    correlation_id: int | None = None
    header: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    error: str | None = None
    problems: list[str] = field(default_factory=list)  # record-level problems inside a good body
    #: topic names for the topic ids this message mentions, learnt from Metadata responses
    topic_names: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # remarks that are not problems (the proxy's rewrites)
    #: wall time (seconds since the epoch) at which the frame was complete: capture or proxy time; None for files
    ts: float | None = None

    @property
    def api_name(self) -> str | None:
        return None if self.api_key is None else api_name(self.api_key)

    @property
    def failed(self) -> bool:
        return self.error is not None or bool(self.problems)


def describe_error(e: BaseException, base: int) -> str:
    """A DecodeError's reason with its offset made absolute (``base`` + relative offset)."""
    if isinstance(e, DecodeError):
        parts = [reason(e)]
        if e.field is not None:
            parts.append(f"field {e.field!r}")
        if e.offset is not None:
            parts.append(f"at byte offset {base + e.offset}")
        return ", ".join(parts)
    return f"{type(e).__name__}: {e}"


class FrameSplitter:
    """Cuts one byte stream into size-prefixed frames, incrementally.

    ``resync(buf)`` may find where the next plausible frame starts in ``buf``; with
    it, an implausible size (or a stream that begins mid-frame, see ``searching``)
    costs only the bytes up to the next frame. Without it the rest of the stream
    is given up.
    """

    def __init__(self, start_offset: int = 0, where: str = "",
                 resync: Callable[[bytes], int | None] | None = None, searching: bool = False) -> None:
        self.buf = bytearray()
        self.offset = start_offset  # stream offset of buf[0]
        self.where = where
        self.resync = resync
        self.broken = searching and resync is not None
        self.search_from = start_offset  # where the current search began
        self.why = "the capture began mid-connection"  # why we are searching

    def feed(self, data: bytes) -> list[tuple[int, bytes] | Message]:
        """Complete frames as ``(offset, frame_without_size)``, and framing errors."""
        if self.broken and self.resync is None:
            self.offset += len(data)
            return []
        self.buf += data
        out: list[tuple[int, bytes] | Message] = []
        while True:
            if self.broken:
                assert self.resync is not None
                at = self.resync(bytes(self.buf))
                if at is None:
                    keep = min(len(self.buf), 11)  # a header may straddle two chunks
                    self.offset += len(self.buf) - keep
                    del self.buf[:len(self.buf) - keep]
                    break
                self.offset += at
                del self.buf[:at]
                self.broken = False
                if self.offset > self.search_from:
                    out.append(Message("error", self.search_from, 0, self.where, error=(
                        f"{self.why}: skipped {self.offset - self.search_from} bytes from byte offset "
                        f"{self.search_from} to the next frame, at byte offset {self.offset}")))
            if len(self.buf) < 4:
                break
            size = _I32.unpack_from(self.buf, 0)[0]
            if size < 0 or size > MAX_FRAME:
                why = (f"frame size {size} at byte offset {self.offset} is not a plausible size "
                       f"(expected 0..{MAX_FRAME})")
                self.broken = True
                if self.resync is None:
                    out.append(Message("error", self.offset, size, self.where, error=(
                        f"{why}; the remaining {len(self.buf)} bytes of this stream are skipped")))
                    self.offset += len(self.buf)
                    self.buf.clear()
                    break
                self.why, self.search_from = why, self.offset
                self.offset += 1
                del self.buf[:1]
                continue
            if len(self.buf) < 4 + size:
                break
            out.append((self.offset, bytes(self.buf[4:4 + size])))
            del self.buf[:4 + size]
            self.offset += 4 + size
        return out

    def gap(self, missing: int) -> list[Message]:
        """The stream lost ``missing`` bytes: drop the partial frame and resume after the hole."""
        out = []
        if self.buf:
            out.append(Message("error", self.offset, len(self.buf), self.where, error=(
                f"{len(self.buf)} bytes of a frame at byte offset {self.offset} are followed by "
                f"{missing} bytes missing from the capture; the frame is skipped")))
        else:
            out.append(Message("error", self.offset, 0, self.where, error=(
                f"{missing} bytes missing from the capture at byte offset {self.offset}")))
        self.offset += len(self.buf) + missing
        self.buf.clear()
        # The data after a hole need not start a frame; search when we can.
        self.broken = self.resync is not None
        self.search_from = self.offset
        self.why = "after the missing bytes"
        return out

    def close(self) -> list[Message]:
        """Report a trailing partial frame, or bytes in which no frame was found."""
        if self.broken and self.resync is not None:
            end = self.offset + len(self.buf)
            self.buf.clear()
            if end > self.search_from:
                return [Message("error", self.search_from, 0, self.where, error=(
                    f"{self.why}: no frame found in the {end - self.search_from} bytes from byte offset "
                    f"{self.search_from} to the end of the stream"))]
            return []
        if not self.buf or self.broken:
            return []
        want = _I32.unpack_from(self.buf, 0)[0] + 4 if len(self.buf) >= 4 else 4
        msg = Message("error", self.offset, len(self.buf), self.where, error=(
            f"truncated frame at byte offset {self.offset}: expected {want} bytes, found {len(self.buf)}"))
        self.buf.clear()
        return [msg]


def find_request(buf: bytes) -> int | None:
    """Offset of the first size prefix in ``buf`` followed by a request of a known API and version.

    With every Kafka API known, a size and an api key/version pair are easy to meet by
    chance, so a candidate whose whole frame is in ``buf`` must also decode cleanly; the
    first such frame wins, else the first candidate whose frame runs past ``buf`` and
    whose header decodes in what is there.
    """
    keys = _request_versions()
    end = len(buf)
    partial: int | None = None
    for p in range(0, end - 11):
        size, key, version = struct.unpack_from(">ihh", buf, p)
        if not (8 <= size <= MAX_FRAME and key in keys and specs.in_range(version, keys[key])):
            continue
        if p + 4 + size <= end:
            if _decodes(buf[p + 4:p + 4 + size]):
                return p
        elif partial is None and _header_decodes(buf[p + 4:]):
            partial = p
    return partial


def _header_decodes(frame: bytes) -> bool:
    try:
        headers.decode_request_header(frame)
    except DecodeError:
        return False
    return True


def _decodes(frame: bytes) -> bool:
    try:
        hdr, at = headers.decode_request_header(frame)
        specs.decode(hdr.api_key, hdr.api_version, "request", frame[at:])
    except (DecodeError, KafkaError):
        return False
    return True


def _request_versions() -> dict[int, list[int | None]]:
    return {d["api_key"]: d["request"]["valid_versions"] for d in specs.all_specs().values() if "api_key" in d}


class Conversation:
    """Decodes the frames of one connection, pairing responses with their requests."""

    def __init__(self, where: str = "", fixed_api: tuple[int, int] | None = None,
                 topic_names: dict[str, str] | None = None) -> None:
        self.where = where
        self.pending: dict[int, tuple[int, int]] = {}
        self.fixed_api = fixed_api  # decode unmatched responses as this (api key, version)
        # Shared between the connections of one capture: Produce v13+ and Fetch v13+
        # name topics by id only, and Metadata responses say which id is which name.
        self.topic_names = topic_names if topic_names is not None else {}

    def find_response(self, buf: bytes) -> int | None:
        """Offset of the first size prefix in ``buf`` followed by the correlation id of a pending request."""
        for p in range(0, len(buf) - 7):
            size, corr = struct.unpack_from(">ii", buf, p)
            if 4 <= size <= MAX_FRAME and corr in self.pending:
                return p
        return None

    def request(self, offset: int, frame: bytes) -> Message:
        msg = Message("request", offset, len(frame), self.where)
        try:
            hdr, body_at = headers.decode_request_header(frame)
        except DecodeError as e:
            msg.error = "request header: " + describe_error(e, offset + 4)
            return msg
        msg.api_key, msg.api_version, msg.correlation_id = hdr.api_key, hdr.api_version, hdr.correlation_id
        msg.header = {"header_version": hdr.header_version, "client_id": hdr.client_id}
        if hdr.unknown_tags:
            msg.header["unknown_tags"] = hdr.unknown_tags
        self.pending[hdr.correlation_id] = (hdr.api_key, hdr.api_version)
        self._body(msg, "request", frame, body_at)
        if hdr.api_key == 0 and isinstance(msg.body, dict) and msg.body.get("acks") == 0:
            del self.pending[hdr.correlation_id]  # acks=0: the broker sends no response
        return msg

    def response(self, offset: int, frame: bytes) -> Message:
        msg = Message("response", offset, len(frame), self.where)
        if len(frame) < 4:
            msg.error = (f"response at byte offset {offset} is {len(frame)} bytes long; "
                         f"expected at least 4 (the correlation id)")
            return msg
        corr = _I32.unpack_from(frame, 0)[0]
        msg.correlation_id = corr
        api = self.pending.pop(corr, None) or self.fixed_api
        if api is None:
            msg.error = (f"response with correlation id {corr} at byte offset {offset} matches no request "
                         f"seen on this connection, so its API is unknown (give --api-key KEY --api-version V)")
            return msg
        msg.api_key, msg.api_version = api
        hv = headers.response_header_version(*api)
        try:
            _, body_at = headers.decode_response_header(frame, hv)
        except DecodeError as e:
            msg.error = "response header: " + describe_error(e, offset + 4)
            return msg
        msg.header = {"header_version": hv}
        self._body(msg, "response", frame, body_at)
        return msg

    def _body(self, msg: Message, kind: str, frame: bytes, body_at: int) -> None:
        assert msg.api_key is not None and msg.api_version is not None
        base = msg.offset + 4 + body_at
        try:
            spec = specs.message_spec(msg.api_key, kind)
        except KafkaError:
            msg.error = (f"{kind} for API key {msg.api_key} ({msg.api_name}) at byte offset {msg.offset}: "
                         f"no protocol spec for this API; body of {len(frame) - body_at} bytes left undecoded")
            return
        lo, hi = spec["valid_versions"]
        if not specs.in_range(msg.api_version, spec["valid_versions"]):
            msg.error = (f"{kind} {msg.api_name} version {msg.api_version} at byte offset {msg.offset}: "
                         f"expected a version in {lo}..{hi if hi is not None else ''}")
            return
        try:
            body = specs.decode(msg.api_key, msg.api_version, kind, frame[body_at:])
        except (DecodeError, KafkaError) as e:
            msg.error = f"{kind} {msg.api_name} v{msg.api_version} body: " + describe_error(e, base)
            return
        msg.body = _present(spec["fields"], body, msg.api_version)
        expand_records(spec["fields"], msg.body, msg.api_version, msg.problems)
        if msg.api_key == METADATA and kind == "response":
            for t in msg.body.get("topics") or []:
                if t.get("topic_id") is not None and t.get("name") and t["topic_id"].int:
                    self.topic_names[str(t["topic_id"])] = t["name"]
        if self.topic_names:
            _mentioned(msg.body, self.topic_names, msg.topic_names)


def _mentioned(v: Any, names: dict[str, str], out: dict[str, str]) -> None:
    if isinstance(v, dict):
        tid = v.get("topic_id")
        if tid is not None and str(tid) in names:
            out[str(tid)] = names[str(tid)]
        for x in v.values():
            if isinstance(x, (dict, list)):
                _mentioned(x, names, out)
    elif isinstance(v, list):
        for x in v:
            _mentioned(x, names, out)


def _present(fields: list[dict[str, Any]], body: dict[str, Any], version: int) -> dict[str, Any]:
    """Only the fields that exist at ``version`` (the codec also fills in absent ones with defaults)."""
    out: dict[str, Any] = {}
    for f in fields:
        name = f["name"]
        if name not in body or not specs.in_range(version, f["versions"]):
            continue
        v = body[name]
        sub = f.get("fields")
        if sub and isinstance(v, dict):
            v = _present(sub, v, version)
        elif sub and isinstance(v, list):
            v = [_present(sub, x, version) if isinstance(x, dict) else x for x in v]
        out[name] = v
    if "unknown_tags" in body:
        out["unknown_tags"] = body["unknown_tags"]
    return out
