"""A fault-injecting TCP proxy between a Kafka client and the brokers, for tests.

One thread and one selector. Each broker gets a listener of its own on loopback,
and broker addresses in Metadata and FindCoordinator responses are replaced by
those listeners (``purekafka.decode.rewrite``), so the client reaches every
broker through the proxy, including brokers it only learns of later.

Client-to-broker bytes are forwarded a whole request frame at a time: the proxy
has to know where frames begin to cut one in half, and which API each
correlation id belongs to, to rewrite the answer. Broker-to-client bytes are
forwarded frame by frame for the same reason.

Faults, all on demand from any thread:

* ``drop_all()``: close every open connection now (both sides).
* ``drop_mid_request(api_key)``: at the next request of that API, forward only
  the first part of its frame to the broker, then close that connection. The
  broker never sees a whole request.
* ``drop_after_request(api_key)``: forward the next such request whole, then
  close the connection before the broker's answer can reach the client. The
  broker may have acted on it; the client cannot know (the case idempotence is
  for).
* ``refuse()`` / ``accept()``: close every open connection and turn new ones away at
  once (as if every broker were down: the client's connections close before any
  answer), until ``accept()`` lets them through again (the brokers are back).
* ``lose_answer(api_key, skip)``: forward the request after ``skip`` more of that API,
  pass on the answers before its own, and close the connection when its answer comes.
* ``hold(api_key)`` / ``release()``: requests of that API (and, to keep the
  stream in order, whatever follows them on the same connection) are kept back
  instead of forwarded, as on a stalled network path; ``release()`` forwards them.
  A connection closed meanwhile takes its held requests with it.
* ``damage(count, seed, apis=...)``: damage ``count`` of the broker's next answers (to
  those APIs, or any), about one in ``every``, as planned by a seeded generator: flip one bit, truncate the frame (its size
  rewritten to match), or cut it (send part of it, then close). Flips hit the bytes a
  client can check (size, correlation id, tagged-field counts): Kafka responses carry
  no checksum, so a flipped offset or error code is a valid answer to any client.

It is bounded: at most ``max_connections`` open links and ``max_buffer`` bytes
queued per direction, and it stops itself after ``lifetime`` seconds.
"""
from __future__ import annotations

import random
import selectors
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from purekafka.decode.rewrite import FIND_COORDINATOR, METADATA, rewrite_addresses
from purekafka.protocol import headers

__all__ = ["FaultProxy", "PRODUCE"]

Addr = tuple[str, int]
PRODUCE = 0
_RECV = 256 * 1024
_MAX_FRAME = 100 * 1024 * 1024


@dataclass
class _Link:
    client: socket.socket
    upstream: socket.socket
    target: Addr
    c2s: bytearray = field(default_factory=bytearray)  # client bytes not yet a whole frame
    s2c: bytearray = field(default_factory=bytearray)
    out: dict[int, bytearray] = field(default_factory=dict)  # fileno -> bytes waiting to be written
    apis: dict[int, tuple[int, int]] = field(default_factory=dict)  # correlation id -> (api key, version)
    closing: bool = False  # close once the broker-bound bytes are written
    orphan_corr: int | None = None  # client gone; close when the broker answers this request
    lose_corr: int | None = None  # drop the link instead of passing on this request's answer
    held: list[bytes] = field(default_factory=list)  # whole frames kept back by hold()


@dataclass(frozen=True)
class _Damage:
    skip: int  # eligible frames to pass intact first
    kind: str  # "flip" | "truncate" | "cut"
    u: float  # where: which field to flip, or how much to keep
    v: float  # which byte of that field
    bit: int


@dataclass
class FaultStats:
    accepted: int = 0
    refused_upstream: int = 0
    refused_down: int = 0  # turned away while refuse() was in force
    requests: int = 0
    dropped_links: int = 0
    mid_request_drops: int = 0
    after_request_drops: int = 0
    rewritten: int = 0
    held: int = 0
    lost_answers: int = 0  # answers withheld by lose_answer(), their links closed
    damaged: dict[str, int] = field(default_factory=dict)  # kind -> frames damaged so
    damage_log: list[str] = field(default_factory=list)  # one line per damaged frame


class FaultProxy:
    """Loopback proxy in front of ``upstreams``; ``bootstrap`` is what the client should dial."""

    def __init__(self, upstreams: list[Addr], *, max_connections: int = 256,
                 max_buffer: int = 64 * 1024 * 1024, lifetime: float = 900.0) -> None:
        self._sel = selectors.DefaultSelector()
        self._listeners: dict[socket.socket, Addr] = {}
        self._local_for: dict[Addr, Addr] = {}
        self._links: dict[socket.socket, _Link] = {}
        self._max_connections = max_connections
        self._max_buffer = max_buffer
        self._deadline = time.monotonic() + lifetime
        self._lock = threading.Lock()
        self._pending_drop_all = False
        # [kind, api key, requests of that API to let pass first], taken in order
        self._armed: list[list[Any]] = []
        self._held_apis: set[int] = set()
        self._pending_release = False
        self._refusing = False
        self._damage_plan: list[_Damage] = []
        self._damage_apis: set[int] | None = None
        self._damage_seen = 0  # eligible frames passed intact since the last damaged one
        self._stop = threading.Event()
        self.stats = FaultStats()
        # The wakeup pair lets other threads interrupt select() at once.
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._sel.register(self._wake_r, selectors.EVENT_READ)
        for up in upstreams:
            self._map(*up)
        self.bootstrap = ",".join(f"{h}:{p}" for h, p in (self._local_for[u] for u in upstreams))
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)

    # -- control (any thread) ------------------------------------------------------
    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is None:  # never started: the listeners are still ours to close
            self._thread.start()
        self._wake()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(10)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def drop_all(self) -> None:
        """Close every current connection (the client sees its connections reset)."""
        with self._lock:
            self._pending_drop_all = True
        self._wake()

    def drop_mid_request(self, api_key: int = PRODUCE) -> None:
        """Cut the next ``api_key`` request in half and close its connection."""
        with self._lock:
            self._armed.append(["mid", api_key, 0])

    def drop_after_request(self, api_key: int = PRODUCE) -> None:
        """Let the next ``api_key`` request through whole, then close before its answer arrives."""
        with self._lock:
            self._armed.append(["after", api_key, 0])

    def refuse(self) -> None:
        """Every broker unreachable: drop what is open, and close new connections at once."""
        with self._lock:
            self._refusing = True
            self._pending_drop_all = True
        self._wake()

    def accept(self) -> None:
        """The brokers are reachable again."""
        with self._lock:
            self._refusing = False

    def lose_answer(self, api_key: int = PRODUCE, skip: int = 0) -> None:
        """Let ``skip`` requests of ``api_key`` pass, forward the next one, and close its
        connection when the broker's answer to it comes: answers to earlier requests
        reach the client, this one and later ones do not (the link died right after the
        broker acted). Applies to requests released after ``hold()`` too."""
        with self._lock:
            self._armed.append(["answer", api_key, skip])

    def hold(self, api_key: int = PRODUCE) -> None:
        """Keep back requests of ``api_key`` (and what follows them on their connection)."""
        with self._lock:
            self._held_apis.add(api_key)

    def release(self) -> None:
        """Stop holding and forward everything held, in order."""
        with self._lock:
            self._held_apis.clear()
            self._pending_release = True
        self._wake()

    def damage(self, count: int, seed: int, every: int = 3,
               kinds: tuple[str, ...] = ("flip", "truncate", "cut"),
               apis: set[int] | None = None) -> None:
        """Damage ``count`` broker-to-client frames (of ``apis``, or any), one in 1..``every``.

        The plan (gaps, kinds, where to flip or cut) is drawn from ``seed`` up front, with a
        fixed number of draws per damage, so it does not depend on the frames it meets."""
        rng = random.Random(seed)
        plan = [_Damage(rng.randrange(every), kinds[rng.randrange(len(kinds))], rng.random(),
                        rng.random(), rng.randrange(8)) for _ in range(count)]
        with self._lock:
            self._damage_plan = plan
            self._damage_apis = None if apis is None else set(apis)
            self._damage_seen = 0

    def damage_left(self) -> int:
        """How many planned damages have not been applied yet."""
        with self._lock:
            return len(self._damage_plan)

    def armed(self) -> int:
        """How many armed request faults have not fired yet."""
        with self._lock:
            return len(self._armed)

    @property
    def open_links(self) -> int:
        return len(self._links) // 2

    # -- internals --------------------------------------------------------------------
    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def _map(self, host: str, port: int) -> Addr:
        known = self._local_for.get((host, port))
        if known is None:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", 0))  # loopback only, whatever the broker's address
            s.listen(64)
            s.setblocking(False)
            self._listeners[s] = (host, port)
            self._sel.register(s, selectors.EVENT_READ)
            known = s.getsockname()[:2]
            self._local_for[(host, port)] = known
        return known

    def _run(self) -> None:
        try:
            while not self._stop.is_set() and time.monotonic() < self._deadline:
                with self._lock:
                    drop, self._pending_drop_all = self._pending_drop_all, False
                    release, self._pending_release = self._pending_release, False
                if release:
                    for link in list({id(v): v for v in self._links.values()}.values()):
                        frames, link.held = link.held, []
                        for frame in frames:
                            if not self._forward(link, frame):
                                break
                if drop:
                    for link in list({id(v): v for v in self._links.values()}.values()):
                        self._drop(link)
                for key, events in self._sel.select(0.5):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock is self._wake_r:
                        try:
                            self._wake_r.recv(4096)
                        except OSError:
                            pass
                    elif sock in self._listeners:
                        self._accept(sock)
                    else:
                        peer = self._links.get(sock)
                        if peer is None:
                            continue
                        if events & selectors.EVENT_WRITE:
                            self._flush(peer, sock)
                        if events & selectors.EVENT_READ and sock in self._links:
                            self._read(peer, sock)
        finally:
            self._close_all()

    def _close_all(self) -> None:
        for link in list({id(v): v for v in self._links.values()}.values()):
            self._drop(link, count=False)
        for s in list(self._listeners):
            self._sel.unregister(s)
            s.close()
        self._listeners.clear()
        self._sel.unregister(self._wake_r)
        self._sel.close()
        self._wake_r.close()
        self._wake_w.close()

    def _accept(self, listener: socket.socket) -> None:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        if len(self._links) // 2 >= self._max_connections:
            client.close()
            return
        with self._lock:
            refusing = self._refusing
        if refusing:
            self.stats.refused_down += 1
            self._close(client, reset=True)
            return
        target = self._listeners[listener]
        try:
            upstream = socket.create_connection(target, timeout=2.0)
        except OSError:
            self.stats.refused_upstream += 1  # broker down: the client sees a closed connection
            client.close()
            return
        self.stats.accepted += 1
        for s in (client, upstream):
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        link = _Link(client, upstream, target)
        link.out = {client.fileno(): bytearray(), upstream.fileno(): bytearray()}
        self._links[client] = link
        self._links[upstream] = link
        self._sel.register(client, selectors.EVENT_READ)
        self._sel.register(upstream, selectors.EVENT_READ)

    def _drop(self, link: _Link, count: bool = True) -> None:
        live = [s for s in (link.client, link.upstream) if self._links.pop(s, None) is not None]
        if count and link.client in live:
            self.stats.dropped_links += 1
        for s in live:
            self._close(s, reset=True)

    def _close(self, s: socket.socket, reset: bool) -> None:
        self._links.pop(s, None)
        try:
            self._sel.unregister(s)
        except (KeyError, ValueError):
            pass
        if reset:
            try:
                # RST rather than FIN: the peer sees the connection reset, as after a crash.
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        s.close()

    def _read(self, link: _Link, sock: socket.socket) -> None:
        try:
            data = sock.recv(_RECV)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._drop(link, count=False)
            return
        if sock is link.client:
            if not link.closing and link.orphan_corr is None:
                link.c2s += data
                self._client_frames(link)
        else:
            link.s2c += data
            self._broker_frames(link)

    def _frames(self, buf: bytearray) -> list[bytes]:
        frames = []
        while len(buf) >= 4:
            size = int.from_bytes(buf[:4], "big", signed=True)
            if size < 0 or size > _MAX_FRAME:
                raise ConnectionError(f"implausible frame size {size}")
            if len(buf) < 4 + size:
                break
            frames.append(bytes(buf[:4 + size]))
            del buf[:4 + size]
        return frames

    def _client_frames(self, link: _Link) -> None:
        try:
            frames = self._frames(link.c2s)
        except ConnectionError:
            self._drop(link)
            return
        for frame in frames:
            if len(frame) < 12:
                self._drop(link)
                return
            api_key, version, corr = struct.unpack(">hhi", frame[4:12])
            self.stats.requests += 1
            with self._lock:
                holding = link.held or api_key in self._held_apis
            if holding:
                link.apis[corr] = (api_key, version)
                link.held.append(frame)
                self.stats.held += 1
                continue
            if not self._forward(link, frame):
                return

    def _forward(self, link: _Link, frame: bytes) -> bool:
        """Send one request frame upstream, applying an armed fault; False if the link went."""
        api_key, version, corr = struct.unpack(">hhi", frame[4:12])
        fault = self._take_fault(api_key)
        if fault == "mid":
            self.stats.mid_request_drops += 1
            cut = max(12, len(frame) // 2)
            self._send(link, link.upstream, frame[:cut])
            link.closing = True  # write the half frame out, then reset both sides
            self._flush(link, link.upstream)
            return False
        link.apis[corr] = (api_key, version)
        self._send(link, link.upstream, frame)
        if fault == "answer":
            self.stats.lost_answers += 1
            link.lose_corr = corr
        elif fault == "after":
            # Only the client side goes: the broker reads the whole request and acts on
            # it, and its answer is thrown away. Closing the broker side too could make
            # the kernel discard the request unread, which is just "mid" again.
            self.stats.after_request_drops += 1
            self.stats.dropped_links += 1
            link.orphan_corr = corr
            self._close(link.client, reset=True)
            return False
        return True

    def _take_fault(self, api_key: int) -> str | None:
        with self._lock:
            for i, armed in enumerate(self._armed):
                kind, key, skip = armed
                if key == api_key:
                    if skip:
                        armed[2] -= 1
                        return None
                    del self._armed[i]
                    return str(kind)
        return None

    def _broker_frames(self, link: _Link) -> None:
        try:
            frames = self._frames(link.s2c)
        except ConnectionError:
            self._drop(link)
            return
        for frame in frames:
            corr = int.from_bytes(frame[4:8], "big", signed=True) if len(frame) >= 8 else None
            if link.orphan_corr is not None:
                if corr == link.orphan_corr:
                    self._drop(link, count=False)
                    return
                continue
            if corr is not None and corr == link.lose_corr:
                self._drop(link)
                return
            api = link.apis.pop(corr, None) if corr is not None else None
            if api is not None and api[0] in (METADATA, FIND_COORDINATOR):
                frame = self._rewrite(api[0], api[1], frame)
            kind, frame = self._damage(api, frame)
            self._send(link, link.client, frame)
            if kind == "cut":
                # FIN, not RST: the client reads the partial frame, then the end of the stream.
                self._flush(link, link.client)
                for s in (link.client, link.upstream):
                    self._close(s, reset=False)
                return

    def _damage(self, api: tuple[int, int] | None, frame: bytes) -> tuple[str | None, bytes]:
        """Maybe damage one broker frame (size prefix included); returns (kind, bytes to send)."""
        with self._lock:
            if not self._damage_plan:
                return None, frame
            if self._damage_apis is not None and (api is None or api[0] not in self._damage_apis):
                return None, frame
            d = self._damage_plan[0]
            if self._damage_seen < d.skip:
                self._damage_seen += 1
                return None, frame
            self._damage_plan.pop(0)
            self._damage_seen = 0
        name = "?" if api is None else f"api {api[0]} v{api[1]}"
        size = len(frame) - 4
        if d.kind == "flip":
            # Pick the field first, so the rare ones are hit as often as the size.
            fields = [("size", 0, 4), ("correlation id", 4, 4)]
            if api is not None and headers.response_header_version(*api) == 1:
                fields.append(("header tagged fields", 8, 1))
            if api is not None and headers.is_flexible(*api):
                fields.append(("body tagged fields", len(frame) - 1, 1))
            what, start, width = fields[int(d.u * len(fields))]
            at = start + int(d.v * width)
            out = bytearray(frame)
            out[at] ^= 1 << d.bit
            data = bytes(out)
            detail = f"flip bit {d.bit} of byte {at}/{len(frame)} ({what})"
        elif d.kind == "truncate":
            keep = int(d.u * size)  # payload bytes kept: 0..size-1
            data = keep.to_bytes(4, "big") + frame[4:4 + keep]
            detail = f"truncate payload to {keep}/{size} bytes"
        else:
            keep = 1 + int(d.u * (len(frame) - 1))
            data = frame[:keep]
            detail = f"cut after {keep}/{len(frame)} bytes, then close"
        with self._lock:
            self.stats.damaged[d.kind] = self.stats.damaged.get(d.kind, 0) + 1
            self.stats.damage_log.append(f"{d.kind} {name}: {detail}")
        return d.kind, data

    def _rewrite(self, api_key: int, version: int, frame: bytes) -> bytes:
        try:
            _, body_at = headers.decode_response_header(frame[4:], headers.response_header_version(api_key, version))
        except Exception:  # noqa: BLE001 - an undecodable header is passed on as it came
            return frame
        body = rewrite_addresses(api_key, version, frame[4 + body_at:], self._map)
        if body is None:
            return frame
        self.stats.rewritten += 1
        payload = frame[4:4 + body_at] + body
        return len(payload).to_bytes(4, "big") + payload

    def _send(self, link: _Link, sock: socket.socket, data: bytes) -> None:
        if sock not in self._links:
            return
        buf = link.out[sock.fileno()]
        if len(buf) + len(data) > self._max_buffer:
            self._drop(link)
            return
        was_empty = not buf
        buf += data
        if was_empty:
            self._flush(link, sock)

    def _flush(self, link: _Link, sock: socket.socket) -> None:
        if sock not in self._links:
            return
        buf = link.out[sock.fileno()]
        while buf:
            try:
                n = sock.send(buf)
            except BlockingIOError:
                break
            except OSError:
                self._drop(link, count=False)
                return
            del buf[:n]
        if link.closing and sock is link.upstream and not buf:
            self._drop(link)
            return
        mask = selectors.EVENT_READ | (selectors.EVENT_WRITE if buf else 0)
        try:
            self._sel.modify(sock, mask)
        except (KeyError, ValueError):
            pass
