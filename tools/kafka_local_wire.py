"""The few Kafka requests tools/kafka_local.py speaks (ApiVersions-free: Metadata v4, CreateTopics v2).

Plain ``struct`` on a blocking socket, never purekafka: the harness that judges the client must
not depend on the client under test. Also home of ``HarnessError``, shared by the harness modules.
"""
from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import Any


class HarnessError(Exception):
    """A failure with a one-line explanation of what to do about it."""


# --------------------------------------------------------------------------- wire (minimal)

def _str(s: str | None) -> bytes:
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode()
    return struct.pack(">h", len(b)) + b


class _Buf:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> Any:
        v = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v[0] if len(v) == 1 else v

    def string(self) -> str | None:
        n = self.take(">h")
        if n < 0:
            return None
        s = self.data[self.pos:self.pos + n].decode()
        self.pos += n
        return s


def _request(addr: tuple[str, int], api_key: int, version: int, body: bytes, timeout: float = 5.0) -> _Buf:
    header = struct.pack(">hhi", api_key, version, 1) + _str("kafka-local")
    frame = header + body
    with socket.create_connection(addr, timeout=timeout) as s:
        s.sendall(struct.pack(">i", len(frame)) + frame)
        size = struct.unpack(">i", _recv_exact(s, 4))[0]
        buf = _Buf(_recv_exact(s, size))
    buf.take(">i")  # correlation id
    return buf


def _recv_exact(s: socket.socket, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        out += chunk
    return bytes(out)


@dataclass
class Metadata:
    brokers: dict[int, tuple[str, int]]
    controller: int
    # topic -> partition -> leader (-1 when there is none)
    leaders: dict[str, dict[int, int]]


def metadata(addr: tuple[str, int], topics: list[str] | None = None) -> Metadata:
    """Metadata v4 (non-flexible, served by every Kafka from 1.0 to 4.x)."""
    if topics is None:
        body = struct.pack(">i", -1)
    else:
        body = struct.pack(">i", len(topics)) + b"".join(_str(t) for t in topics)
    buf = _request(addr, 3, 4, body + b"\x00")
    buf.take(">i")  # throttle
    brokers = {}
    for _ in range(buf.take(">i")):
        node = buf.take(">i")
        host = buf.string() or ""
        port = buf.take(">i")
        buf.string()
        brokers[node] = (host, port)
    buf.string()  # cluster id
    controller = buf.take(">i")
    leaders: dict[str, dict[int, int]] = {}
    for _ in range(buf.take(">i")):
        buf.take(">h")
        name = buf.string() or ""
        buf.take(">b")
        parts = leaders.setdefault(name, {})
        for _ in range(buf.take(">i")):
            buf.take(">h")
            index, leader = buf.take(">ii")
            for _ in range(2):  # replicas, isr
                count = buf.take(">i")
                buf.pos += 4 * count
            parts[index] = leader
    return Metadata(brokers, controller, leaders)


def create_topic(addr: tuple[str, int], name: str, partitions: int, replication: int,
                 configs: dict[str, str] | None = None, timeout_ms: int = 30000) -> None:
    """CreateTopics v2; an existing topic is not an error."""
    cfg = configs or {}
    body = struct.pack(">i", 1) + _str(name) + struct.pack(">ih", partitions, replication)
    body += struct.pack(">i", 0)  # no manual assignment
    body += struct.pack(">i", len(cfg)) + b"".join(_str(k) + _str(v) for k, v in cfg.items())
    body += struct.pack(">i?", timeout_ms, False)
    buf = _request(addr, 19, 2, body, timeout=timeout_ms / 1000 + 5)
    buf.take(">i")
    for _ in range(buf.take(">i")):
        topic = buf.string()
        code = buf.take(">h")
        message = buf.string()
        if code not in (0, 36):  # 36: TOPIC_ALREADY_EXISTS
            raise HarnessError(f"creating topic {topic!r} failed with error code {code}: {message}")
