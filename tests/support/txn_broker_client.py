"""A blocking socket client for broker tests that speaks only through ``purekafka.protocol``."""
from __future__ import annotations

import socket
import time
from typing import Any

from purekafka import errors
from purekafka.protocol import api_versions, headers

# Answers that only mean "ask again shortly" while coordinators load or a
# previous transaction's markers are still being written.
RETRY = {"COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR", "COORDINATOR_LOAD_IN_PROGRESS",
         "CONCURRENT_TRANSACTIONS", "NOT_ENOUGH_REPLICAS", "UNKNOWN_TOPIC_OR_PARTITION",
         "NOT_LEADER_OR_FOLLOWER", "LEADER_NOT_AVAILABLE"}


class Conn:
    """One blocking connection; ApiVersions first, then each call at the highest common version."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=30)
        self.corr = 0
        resp = self.call(api_versions, api_versions.ApiVersionsRequest("purekafka-test", "0"), 3)
        assert errors.error_name(resp.error_code) == "NONE"
        self.versions = resp.versions()
        self.features = {f.name: f.max_version_level for f in resp.finalized_features}

    def version(self, mod: Any, cap: int | None = None) -> int:
        hi = mod.MAX_VERSION if cap is None else min(cap, mod.MAX_VERSION)
        v = api_versions.pick_version((mod.MIN_VERSION, hi), self.versions.get(mod.API_KEY))
        assert v is not None, f"no common version for api {mod.API_KEY}"
        return v

    def _recv(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            assert chunk, "broker closed the connection"
            buf += chunk
        return bytes(buf)

    def call_raw(self, api_key: int, version: int, body: bytes) -> bytes:
        """Send one request body; return the response body (header checked and removed)."""
        self.corr += 1
        self.sock.sendall(headers.encode_request_frame(api_key, version, self.corr, "purekafka-test", body))
        data = self._recv(int.from_bytes(self._recv(4), "big"))
        corr, off = headers.decode_response_header(data, headers.response_header_version(api_key, version))
        assert corr == self.corr
        return data[off:]

    def call(self, mod: Any, msg: Any, version: int) -> Any:
        return mod.decode_response(self.call_raw(mod.API_KEY, version, mod.encode_request(msg, version)), version)

    def close(self) -> None:
        self.sock.close()


def addr(kafka: Any) -> tuple[str, int]:
    host, port = kafka.bootstrap.split(",")[0].rsplit(":", 1)
    return host, int(port)


def until_ok(fn: Any, code_of: Any, timeout: float = 60.0) -> Any:
    """Call ``fn`` until its error code is not a retriable coordinator answer."""
    deadline = time.monotonic() + timeout
    while True:
        resp = fn()
        name = errors.error_name(code_of(resp))
        if name not in RETRY or time.monotonic() > deadline:
            return resp
        time.sleep(0.2)
