"""The transaction broker tests' connection (a negotiated ``WireClient``) and retry helpers."""
from __future__ import annotations

import time
from typing import Any

from purekafka import errors

from tests.support.wire_client import WireClient

# Answers that only mean "ask again shortly" while coordinators load or a
# previous transaction's markers are still being written.
RETRY = {"COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR", "COORDINATOR_LOAD_IN_PROGRESS",
         "CONCURRENT_TRANSACTIONS", "NOT_ENOUGH_REPLICAS", "UNKNOWN_TOPIC_OR_PARTITION",
         "NOT_LEADER_OR_FOLLOWER", "LEADER_NOT_AVAILABLE"}


class Conn(WireClient):
    """A ``WireClient`` to ``host:port`` that has negotiated API versions (ApiVersions v3)."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__((host, port))
        self.negotiate(3)


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
