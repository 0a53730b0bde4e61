"""The shared broker-test socket client, against a scripted peer on loopback (no broker).

The peer records the request frames it gets and answers with the frames a test gives it,
so the client's framing, header versions and correlation check are pinned here and the
broker tests can trust them.
"""
from __future__ import annotations

import socket
import struct
import threading
from typing import Callable, Iterator

import pytest

from purekafka.protocol import api_versions, headers, metadata

from tests.support.wire_client import WireClient

Answer = Callable[[headers.RequestHeader, bytes], bytes]  # request -> whole response frame (no size)


class ScriptedPeer:
    """Accepts one connection; for each request frame calls the next answer (or closes)."""

    def __init__(self, answers: list[Answer]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.addr: tuple[str, int] = self.listener.getsockname()[:2]
        self.answers = answers
        self.requests: list[tuple[headers.RequestHeader, bytes]] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            f = conn.makefile("rb")
            for answer in self.answers:
                prefix = f.read(4)
                if len(prefix) < 4:
                    return
                frame = f.read(struct.unpack(">i", prefix)[0])
                header, offset = headers.decode_request_header(frame)
                self.requests.append((header, frame[offset:]))
                out = answer(header, frame[offset:])
                conn.sendall(struct.pack(">i", len(out)) + out)
        # Leaving the block closes the connection: the client then sees the peer go away.

    def close(self) -> None:
        self.thread.join(timeout=5)
        self.listener.close()


@pytest.fixture
def peer_factory() -> Iterator[Callable[[list[Answer]], ScriptedPeer]]:
    peers: list[ScriptedPeer] = []

    def make(answers: list[Answer]) -> ScriptedPeer:
        peers.append(ScriptedPeer(answers))
        return peers[-1]

    yield make
    for p in peers:
        p.close()


def echo_body(header: headers.RequestHeader, body: bytes) -> bytes:
    """Answer with the request's correlation id, the header version that goes with it, and its body."""
    hv = headers.response_header_version(header.api_key, header.api_version)
    return headers.encode_response_header(header.correlation_id, hv) + body


def test_header_versions_follow_the_api_version(peer_factory: Callable[[list[Answer]], ScriptedPeer]) -> None:
    peer = peer_factory([echo_body, echo_body, echo_body])
    with WireClient(peer.addr, client_id="wire-test") as client:
        # Metadata v8 is not flexible (header v1, response header v0); v9 is (v2 and v1).
        assert client.call_raw(metadata.API_KEY, 8, b"m8") == b"m8"
        assert client.call_raw(metadata.API_KEY, 9, b"m9") == b"m9"
        # Forcing header v1 on a flexible version: no tagged fields after the client id. The
        # peer reads it as v2, so the body's first byte (an empty tag section) is taken as them.
        corr = client.send(metadata.API_KEY, 9, b"\x00rest", header_version=1)
        frame = client.read_frame()
    got = [(h.api_version, h.header_version, h.client_id, h.correlation_id, body) for h, body in peer.requests]
    assert got == [(8, 1, "wire-test", 1, b"m8"), (9, 2, "wire-test", 2, b"m9"), (9, 2, "wire-test", 3, b"rest")]
    assert corr == 3 and frame[:4] == struct.pack(">i", 3)


def test_an_answer_to_another_request_fails(peer_factory: Callable[[list[Answer]], ScriptedPeer]) -> None:
    def wrong_id(header: headers.RequestHeader, body: bytes) -> bytes:
        return headers.encode_response_header(header.correlation_id + 7, 0) + body

    peer = peer_factory([wrong_id])
    with WireClient(peer.addr) as client, pytest.raises(AssertionError, match="correlation id 8, expected 1"):
        client.call_raw(metadata.API_KEY, 1, b"")


def test_a_closed_connection_fails_the_call(peer_factory: Callable[[list[Answer]], ScriptedPeer]) -> None:
    peer = peer_factory([])
    with WireClient(peer.addr) as client, pytest.raises(ConnectionError):
        client.call_raw(metadata.API_KEY, 1, b"")


def test_negotiate_and_pick_versions(peer_factory: Callable[[list[Answer]], ScriptedPeer]) -> None:
    theirs = [api_versions.ApiVersion(metadata.API_KEY, 4, 9), api_versions.ApiVersion(api_versions.API_KEY, 0, 3)]

    def answer(header: headers.RequestHeader, body: bytes) -> bytes:
        resp = api_versions.ApiVersionsResponse(error_code=0, api_keys=theirs)
        return (headers.encode_response_header(header.correlation_id, 0)
                + api_versions.encode_response(resp, header.api_version))

    peer = peer_factory([answer])
    with WireClient(peer.addr) as client:
        with pytest.raises(AssertionError, match="negotiate"):
            client.version(metadata)
        client.negotiate(3)
        assert client.versions == {metadata.API_KEY: (4, 9), api_versions.API_KEY: (0, 3)}
        assert client.version(metadata) == min(9, metadata.MAX_VERSION)
        assert client.version(metadata, cap=6) == 6
        with pytest.raises(AssertionError, match="no common version"):
            client.version(metadata, cap=3)
    assert peer.requests[0][0].api_version == 3
