"""The one blocking socket client of the broker tests: whole frames, purekafka.protocol only.

A test that talks to the real broker below the producer (to pin the wire, or to play the
sender's part for a state machine) opens a ``WireClient``, optionally ``negotiate()``s the
API versions, and ``call``s. Every message is built and read with ``purekafka.protocol``,
so a passing test says the codecs and a real Apache Kafka agree.

Usage::

    with WireClient(kafka.addresses[0]) as client:
        client.negotiate()
        v = client.version(metadata)
        resp = client.call(metadata, metadata.MetadataRequest(topics=[]), v)
"""
from __future__ import annotations

import itertools
import socket
import struct
from types import TracebackType
from typing import Any

from purekafka.errors import DecodeError
from purekafka.protocol import api_versions, headers

_SIZE = struct.Struct(">i")


class WireClient:
    """One blocking connection to one broker; correlation ids are checked on every answer."""

    def __init__(self, addr: tuple[str, int], client_id: str = "purekafka-test", timeout: float = 30.0) -> None:
        self.sock = socket.create_connection(addr, timeout=timeout)
        self.client_id = client_id
        # Filled by negotiate(): api key -> the broker's (min, max), feature -> finalized level.
        self.versions: dict[int, tuple[int, int]] = {}
        self.features: dict[str, int] = {}
        self._correlation_ids = itertools.count(1)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> WireClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- frames -----------------------------------------------------------------------------
    def send(self, api_key: int, version: int, body: bytes, *, header_version: int | None = None) -> int:
        """Send one request; returns its correlation id.

        The request header is v1 or v2 as the API's version calls for, unless
        ``header_version`` forces one (to see what the broker makes of the other)."""
        corr = next(self._correlation_ids)
        header = headers.encode_request_header(api_key, version, corr, self.client_id, header_version)
        self.sock.sendall(_SIZE.pack(len(header) + len(body)) + header + body)
        return corr

    def _exact(self, n: int) -> bytes:
        parts = []
        while n:
            chunk = self.sock.recv(n)
            if not chunk:
                raise ConnectionError("broker closed the connection")
            parts.append(chunk)
            n -= len(chunk)
        return b"".join(parts)

    def read_frame(self) -> bytes:
        """The next response frame, size prefix removed."""
        (size,) = _SIZE.unpack(self._exact(4))
        return self._exact(size)

    def receive(self, api_key: int, version: int, correlation_id: int, *,
                response_header_version: int | None = None) -> bytes:
        """Read the answer to request ``correlation_id``; returns its body (header checked, removed)."""
        frame = self.read_frame()
        hv = (headers.response_header_version(api_key, version) if response_header_version is None
              else response_header_version)
        got, offset = headers.decode_response_header(frame, hv)
        assert got == correlation_id, f"answer to correlation id {got}, expected {correlation_id}"
        return frame[offset:]

    # -- calls ------------------------------------------------------------------------------
    def call_raw(self, api_key: int, version: int, body: bytes, *,
                 response_header_version: int | None = None) -> bytes:
        """Send one encoded request body and return the response body."""
        corr = self.send(api_key, version, body)
        return self.receive(api_key, version, corr, response_header_version=response_header_version)

    def call_body(self, module: Any, version: int, body: bytes) -> Any:
        """Send an already encoded request of ``module`` (an API module) and decode the answer."""
        return module.decode_response(self.call_raw(module.API_KEY, version, body), version)

    def call(self, module: Any, msg: Any, version: int) -> Any:
        """Encode ``msg`` with ``module`` at ``version``, send it, decode the answer."""
        return self.call_body(module, version, module.encode_request(msg, version))

    # -- versions ---------------------------------------------------------------------------
    def negotiate(self, version: int = api_versions.MAX_VERSION) -> Any:
        """ApiVersions at ``version``: records the broker's ranges and finalized features.

        A broker older than 3.9 answers v4 with a v0 UNSUPPORTED_VERSION body, which does
        not parse as v4: then ask again at v3, as a client's negotiation does.
        """
        req = api_versions.ApiVersionsRequest("purekafka-test", "0")
        try:
            resp = self.call(api_versions, req, version)
        except DecodeError:
            if version <= 3:
                raise
            resp = self.call(api_versions, req, 3)
        assert resp.error_code == 0, f"ApiVersions v{version} answered error {resp.error_code}"
        self.versions = resp.versions()
        self.features = {f.name: f.max_version_level for f in resp.finalized_features}
        return resp

    def version(self, module: Any, cap: int | None = None, floor: int = 0) -> int:
        """The highest version of ``module``'s API both sides speak, within ``floor..cap``."""
        assert self.versions, "negotiate() first"
        hi = module.MAX_VERSION if cap is None else min(cap, module.MAX_VERSION)
        v = api_versions.pick_version((max(floor, module.MIN_VERSION), hi), self.versions.get(module.API_KEY))
        assert v is not None, f"no common version of API {module.API_KEY} in {floor}..{hi}"
        return v
