"""One broker connection, without the socket.

Theory of operation
-------------------
Kafka frames every request and response as a big-endian int32 size followed by
that many bytes. A broker answers the requests of one connection strictly in the
order it received them, so the in-flight requests form a FIFO queue: the head of
the queue is the only request the next response may answer. A response whose
correlation id is not the head's means the byte stream is out of step; nothing
after that point can be trusted, so we raise ``ConnectionProtocolError`` and the
I/O layer closes the socket (Java's NetworkClient does the same). A frame size no
response can have, and a response header that does not parse, mean the same.
Whatever the bytes, no request is lost on the way: the responses completed before
the damage ride on the error (``responses``), and the request whose answer was
damaged stays in flight, for ``drain_in_flight()`` to hand back with the rest.

``Connection`` keeps that queue and the read buffer:

* ``send_request(...)`` takes an already encoded request *body*, adds the request
  header and size prefix, records the request as in flight (unless no response
  is expected: Produce with acks=0) and returns the bytes to write.
* ``receive_data(data)`` takes whatever the socket produced (any split, any
  merge of frames) and returns the completed ``core.events.Response`` events, each
  naming its node and the ``InFlight`` entry (and its opaque ``context``) it
  answers, ready for the driver to hand on. Bodies are
  returned undecoded, after the response header: decoding depends on the API
  and version, which the caller holds.
* ``expired(now_ms)`` reports whether the oldest in-flight request has waited
  longer than ``request_timeout_ms``; ``drain_in_flight()`` empties the queue
  when the socket goes away, so the caller can fail or retry each request.

Time is passed in as float milliseconds (``now_ms``); nothing here reads a clock.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Callable

from purekafka.core.events import InFlight, Response
from purekafka.errors import DecodeError, KafkaError

# InFlight and Response live in core.events (the driver seam); re-exported as before.
__all__ = ["Connection", "ConnectionProtocolError", "InFlight", "Response"]

# A frame larger than this is not a Kafka response but a stream out of step (or a
# TLS/HTTP peer); refusing it early avoids buffering gigabytes of garbage.
DEFAULT_MAX_RESPONSE_SIZE = 512 * 1024 * 1024


class ConnectionProtocolError(KafkaError):
    """The broker's byte stream cannot be parsed (bad size, correlation id or header).

    ``responses``: the ones completed, by the same ``receive_data`` call, before the damage.
    """

    retriable = True

    def __init__(self, message: str, responses: list[Response] | None = None) -> None:
        super().__init__(message)
        self.responses: list[Response] = responses if responses is not None else []


HeaderEncoder = Callable[[int, int, int, "str | None", bytes], bytes]
ResponseHeaderDecoder = Callable[[int, int, memoryview], int]


class Connection:
    """Framing, correlation ids and in-flight accounting for one broker."""

    __slots__ = (
        "node_id", "client_id", "request_timeout_ms", "_encode_frame",
        "_body_offset", "_next_id", "_in_flight", "_buf", "_max_size",
    )

    def __init__(
        self,
        node_id: int,
        client_id: str | None,
        request_timeout_ms: float,
        encode_frame: HeaderEncoder,
        body_offset: ResponseHeaderDecoder,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
    ) -> None:
        """``encode_frame(api_key, version, correlation_id, client_id, body)`` returns
        the size-prefixed request; ``body_offset(api_key, version, frame)`` returns
        where the response body starts in a frame (after its correlation id and,
        for flexible versions, the tagged fields).
        """
        self.node_id = node_id
        self.client_id = client_id
        self.request_timeout_ms = request_timeout_ms
        self._encode_frame = encode_frame
        self._body_offset = body_offset
        self._next_id = 0
        self._in_flight: deque[InFlight] = deque()
        self._buf = bytearray()
        self._max_size = max_response_size

    # -- sending ---------------------------------------------------------------
    def send_request(
        self,
        api_key: int,
        api_version: int,
        body: bytes,
        now_ms: float,
        expect_response: bool = True,
        context: Any = None,
    ) -> tuple[InFlight, bytes]:
        """Frame ``body`` as the next request; return its ``InFlight`` and the bytes to write."""
        cid = self._next_id
        # Correlation ids are int32 on the wire; wrap before overflowing.
        self._next_id = 0 if cid >= 0x7FFFFFFF else cid + 1
        frame = self._encode_frame(api_key, api_version, cid, self.client_id, body)
        req = InFlight(cid, api_key, api_version, now_ms, expect_response, context)
        if expect_response:
            self._in_flight.append(req)
        return req, frame

    @property
    def in_flight_count(self) -> int:
        """Requests written and still waiting for a response."""
        return len(self._in_flight)

    def in_flight(self) -> list[InFlight]:
        """A snapshot of the in-flight queue, oldest first."""
        return list(self._in_flight)

    # -- receiving -------------------------------------------------------------
    def receive_data(self, data: bytes | bytearray | memoryview) -> list[Response]:
        """Feed bytes read from the socket; return the responses they complete.

        Raises ``ConnectionProtocolError`` (carrying the responses completed before)
        when the stream cannot be parsed; the connection is then unusable.
        """
        buf = self._buf
        buf += data
        out: list[Response] = []
        pos = 0
        end = len(buf)
        try:
            while end - pos >= 4:
                size = int.from_bytes(buf[pos:pos + 4], "big", signed=True)
                if size < 4 or size > self._max_size:
                    raise ConnectionProtocolError(
                        f"node {self.node_id}: invalid response frame size {size} (accepted: "
                        f"4 to {self._max_size}, receive_message_max_bytes)"
                    )
                if end - pos - 4 < size:
                    break
                frame = memoryview(bytes(buf[pos + 4:pos + 4 + size]))
                out.append(self._match(frame))
                pos += 4 + size
        except ConnectionProtocolError as e:
            e.responses = out
            raise
        if pos:
            del buf[:pos]
        return out

    def _match(self, frame: memoryview) -> Response:
        cid = int.from_bytes(frame[:4], "big", signed=True)
        if not self._in_flight:
            raise ConnectionProtocolError(
                f"node {self.node_id}: response with correlation id {cid} but no request in flight"
            )
        head = self._in_flight[0]
        if head.correlation_id != cid:
            raise ConnectionProtocolError(
                f"node {self.node_id}: response correlation id {cid} does not match "
                f"the oldest request in flight ({head.correlation_id})"
            )
        try:
            start = self._body_offset(head.api_key, head.api_version, frame)
        except DecodeError as e:
            # Checked before the request leaves the queue, so it is drained as lost.
            raise ConnectionProtocolError(
                f"node {self.node_id}: response header for correlation id {cid} "
                f"does not parse: {e}"
            ) from None
        self._in_flight.popleft()
        return Response(self.node_id, head, frame[start:])

    # -- time and failure ------------------------------------------------------
    def expired(self, now_ms: float) -> bool:
        """True when the oldest in-flight request has waited past ``request_timeout_ms``."""
        return bool(self._in_flight) and now_ms - self._in_flight[0].sent_ms >= self.request_timeout_ms

    def next_timeout_ms(self, now_ms: float) -> float | None:
        """Milliseconds until the oldest in-flight request times out (None when idle)."""
        if not self._in_flight:
            return None
        return max(0.0, self._in_flight[0].sent_ms + self.request_timeout_ms - now_ms)

    def drain_in_flight(self) -> list[InFlight]:
        """Forget every in-flight request (the socket is gone) and return them, oldest first."""
        reqs = list(self._in_flight)
        self._in_flight.clear()
        self._buf.clear()
        return reqs
