"""Live mode: a loopback TCP proxy in front of a broker that prints every frame.

One thread, one selector. Client-to-broker bytes are forwarded as they arrive
and decoded on the side. Broker-to-client bytes are forwarded frame by frame,
because Metadata and FindCoordinator responses get their broker addresses
replaced (see :mod:`purekafka.decode.rewrite`): each broker the client hears
of gets a listener of its own on the proxy's host, so the client keeps talking
through the proxy. ``--pcap`` also records the traffic as a capture file.
"""
from __future__ import annotations

import ipaddress
import selectors
import socket
import time
from dataclasses import dataclass, field
from typing import IO, BinaryIO, Callable

from purekafka.decode.frames import Conversation, FrameSplitter, Message
from purekafka.decode.options import Parser, UsageError
from purekafka.decode.view import add_view_arguments, view_printer
from purekafka.decode.pcapwriter import PcapWriter, TcpFlow
from purekafka.decode.rewrite import rewrite_addresses
from purekafka.errors import DecodeError
from purekafka.protocol import headers

__all__ = ["Proxy", "proxy_main"]

Addr = tuple[str, int]
_RECV = 256 * 1024


@dataclass
class _Link:
    id: int
    client: socket.socket
    upstream: socket.socket
    client_addr: Addr
    upstream_addr: Addr
    conv: Conversation
    c2s: FrameSplitter
    s2c: FrameSplitter
    out: dict[socket.socket, bytearray] = field(default_factory=dict)
    flow: TcpFlow | None = None


class Proxy:
    """Forwards ``listen`` to ``upstream``; ``on_message`` sees every decoded frame."""

    def __init__(self, listen: Addr, upstream: Addr, on_message: Callable[[Message], None],
                 pcap: BinaryIO | None = None) -> None:
        self.listen = listen
        self.upstream = upstream
        self._on_message = on_message
        self.sel = selectors.DefaultSelector()
        self.listeners: dict[socket.socket, Addr] = {}
        self.local_for: dict[Addr, Addr] = {}  # broker address -> proxy listener address
        self.links: dict[socket.socket, _Link] = {}
        self.pcap = PcapWriter(pcap) if pcap is not None else None
        self._stop = False
        self._next_id = 0
        self.topic_names: dict[str, str] = {}

    def on_message(self, m: Message) -> None:
        """Hand ``m`` on, stamped with the time it passed through the proxy."""
        if m.ts is None:
            m.ts = time.time()
        self._on_message(m)

    # setup ------------------------------------------------------------------
    def bind(self) -> Addr:
        """Open the main listener; returns its address (port 0 picks a free one)."""
        addr = self._listen(self.listen, self.upstream)
        self.listen = addr
        self.local_for[self.upstream] = addr
        return addr

    def _listen(self, addr: Addr, target: Addr) -> Addr:
        family = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(addr)
        s.listen(64)
        s.setblocking(False)
        self.listeners[s] = target
        self.sel.register(s, selectors.EVENT_READ)
        host, port = s.getsockname()[:2]
        return host, port

    def _map(self, host: str, port: int) -> Addr:
        known = self.local_for.get((host, port))
        if known is None:
            known = self._listen((self.listen[0], 0), (host, port))
            self.local_for[(host, port)] = known
        return known

    # loop -------------------------------------------------------------------
    def stop(self) -> None:
        self._stop = True

    def serve_forever(self, poll: float = 0.2, until: float | None = None) -> None:
        try:
            while not self._stop and (until is None or time.monotonic() < until):
                self.run_once(poll)
        finally:
            self.close()

    def run_once(self, timeout: float) -> None:
        for key, events in self.sel.select(timeout):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            if sock in self.listeners:
                self._accept(sock)
                continue
            link = self.links.get(sock)
            if link is None:
                continue
            if events & selectors.EVENT_WRITE:
                self._flush(link, sock)
            if events & selectors.EVENT_READ and sock in self.links:
                self._read(link, sock)

    def close(self) -> None:
        for link in {id(v): v for v in self.links.values()}.values():
            self._drop(link, report=False)
        for s in list(self.listeners):
            self.sel.unregister(s)
            s.close()
        self.listeners.clear()
        self.sel.close()

    # connections --------------------------------------------------------------
    def _accept(self, listener: socket.socket) -> None:
        try:
            client, caddr = listener.accept()
        except OSError:
            return
        target = self.listeners[listener]
        try:
            upstream = socket.create_connection(target, timeout=5.0)
        except OSError as e:
            client.close()
            self.on_message(Message("error", 0, 0, f"proxy {caddr[0]}:{caddr[1]}",
                                    error=f"cannot connect to upstream {target[0]}:{target[1]}: {e}"))
            return
        for s in (client, upstream):
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        link_id = self._next_id
        self._next_id += 1
        where_c = f"proxy conn {link_id} {caddr[0]}:{caddr[1]} -> {target[0]}:{target[1]}"
        where_s = f"proxy conn {link_id} {caddr[0]}:{caddr[1]} <- {target[0]}:{target[1]}"
        link = _Link(link_id, client, upstream, (caddr[0], caddr[1]), target, Conversation(where_c, topic_names=self.topic_names),
                     FrameSplitter(0, where_c), FrameSplitter(0, where_s))
        link.out = {client: bytearray(), upstream: bytearray()}
        if self.pcap is not None:
            link.flow = TcpFlow(self.pcap, _v4(caddr[0], caddr[1]), _v4(*target),
                                isn_client=1000 + link_id * 7919, isn_server=500000 + link_id * 104729)
            link.flow.handshake(time.time())
        self.links[client] = link
        self.links[upstream] = link
        self.sel.register(client, selectors.EVENT_READ)
        self.sel.register(upstream, selectors.EVENT_READ)

    def _read(self, link: _Link, sock: socket.socket) -> None:
        try:
            data = sock.recv(_RECV)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._drop(link, report=True)
            return
        if sock is link.client:
            if link.flow is not None:
                link.flow.data(time.time(), True, data)
            self._send(link, link.upstream, data)
            for item in link.c2s.feed(data):
                self.on_message(item if isinstance(item, Message) else link.conv.request(*item))
        else:
            self._from_broker(link, data)

    def _from_broker(self, link: _Link, data: bytes) -> None:
        if link.s2c.broken:
            self._send(link, link.client, data)  # framing lost: pass the bytes through untouched
            return
        raw = bytes(link.s2c.buf) + data
        used = 0
        for item in link.s2c.feed(data):
            if isinstance(item, Message):
                self.on_message(item)
                self._send(link, link.client, raw[used:])  # what follows a bad size, as is
                return
            offset, frame = item
            used += 4 + len(frame)
            original = len(frame).to_bytes(4, "big", signed=True) + frame
            if link.flow is not None:
                link.flow.data(time.time(), False, original)
            msg = link.conv.response(offset, frame)
            msg.where = link.s2c.where
            rewritten = self._rewrite(msg, frame)
            if rewritten is not None:
                msg.notes.append("the proxy passed this response on with the broker addresses replaced by its own: "
                                 + ", ".join(f"{h}:{p} -> {lh}:{lp}" for (h, p), (lh, lp) in self.local_for.items()))
            self.on_message(msg)
            self._send(link, link.client, rewritten or original)

    def _rewrite(self, msg: Message, frame: bytes) -> bytes | None:
        if msg.api_key is None or msg.api_version is None or msg.error:
            return None
        try:
            hv = headers.response_header_version(msg.api_key, msg.api_version)
            _, body_at = headers.decode_response_header(frame, hv)
        except DecodeError:
            return None
        body = rewrite_addresses(msg.api_key, msg.api_version, frame[body_at:], self._map)
        if body is None:
            return None
        new = frame[:body_at] + body
        return len(new).to_bytes(4, "big") + new

    def _send(self, link: _Link, sock: socket.socket, data: bytes) -> None:
        if not data or sock not in self.links:
            return
        buf = link.out[sock]
        buf += data
        self._flush(link, sock)

    def _flush(self, link: _Link, sock: socket.socket) -> None:
        buf = link.out.get(sock)
        if buf is None:
            return
        while buf:
            try:
                n = sock.send(buf)
            except BlockingIOError:
                break
            except OSError:
                self._drop(link, report=True)
                return
            del buf[:n]
        try:
            self.sel.modify(sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if buf else 0))
        except (KeyError, ValueError):
            pass

    def _drop(self, link: _Link, report: bool) -> None:
        if link.client not in self.links:
            return
        for sock in (link.client, link.upstream):
            pending = link.out.get(sock)
            if pending and report:
                try:
                    sock.setblocking(True)
                    sock.settimeout(1.0)
                    sock.sendall(pending)
                except OSError:
                    pass
            self.links.pop(sock, None)
            try:
                self.sel.unregister(sock)
            except (KeyError, ValueError):
                pass
            sock.close()
        if report:
            for sp in (link.c2s, link.s2c):
                for m in sp.close():
                    self.on_message(m)
        if link.flow is not None:
            link.flow.close(time.time())


def _v4(host: str, port: int) -> Addr:
    """An IPv4 address for the capture (IPv6 loopback is recorded as 127.0.0.1)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return ("127.0.0.1", port)
    return (str(ip), port) if ip.version == 4 else ("127.0.0.1", port)


def _addr(text: str, what: str) -> Addr:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"{what} must be HOST:PORT, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def proxy_main(argv: list[str], out: IO[str], err: IO[str]) -> int:
    """``purekafka decode proxy --listen 127.0.0.1:PORT --upstream HOST:PORT``."""
    p = Parser(prog="purekafka decode proxy",
                description="Forward a loopback port to a broker and print every frame that passes.")
    p.add_argument("--listen", required=True, help="loopback HOST:PORT to accept clients on (port 0: any)")
    p.add_argument("--upstream", required=True, help="the broker's HOST:PORT")
    p.add_argument("--json", action="store_true", help="one JSON object per frame")
    p.add_argument("--pcap", help="also record the traffic to this pcap file")
    p.add_argument("--quiet", action="store_true", help="do not print frames (with --pcap or --stats)")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    add_view_arguments(p)
    try:
        args = p.parse_args(argv)
        printer = view_printer(args, out, err)
        listen = _addr(args.listen, "--listen")
        upstream = _addr(args.upstream, "--upstream")
    except (UsageError, ValueError) as e:
        err.write(f"purekafka decode proxy: {e}\n")
        return 2
    except SystemExit as e:
        return int(e.code or 0) if isinstance(e.code, int) else 0
    if not _is_loopback(listen[0]):
        err.write(f"purekafka decode proxy: --listen must be a loopback address, not {listen[0]}\n")
        return 2
    pcap_fh = None
    try:
        if args.pcap:
            pcap_fh = open(args.pcap, "wb")
        if args.quiet:
            printer.summary = False  # --stats still counts every frame and prints at the end
        quiet = args.quiet and not args.stats
        proxy = Proxy(listen, upstream, (lambda m: None) if quiet else printer.message, pcap_fh)
        bound = proxy.bind()
    except OSError as e:
        err.write(f"purekafka decode proxy: {e}\n")
        if pcap_fh is not None:
            pcap_fh.close()
        return 2
    err.write(f"listening on {bound[0]}:{bound[1]}, forwarding to {upstream[0]}:{upstream[1]}\n")
    err.flush()
    try:
        until = time.monotonic() + args.duration if args.duration else None
        proxy.serve_forever(until=until)
    except KeyboardInterrupt:
        err.write("proxy stopped\n")
    finally:
        if pcap_fh is not None:
            pcap_fh.close()
    printer.finish()
    return 0
