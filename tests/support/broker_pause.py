"""Freeze the test broker for a moment (SIGSTOP/SIGCONT), to hold batches in the producer.

A stopped JVM keeps its sockets: the kernel still accepts connections and
buffers requests, but nothing is answered, as with a hung broker. Pauses must
stay short (a few seconds) so the broker's own KRaft session survives.
"""
from __future__ import annotations

import os
import signal
from contextlib import contextmanager
from typing import Any, Iterator


def broker_pids(kafka: Any) -> list[int]:
    cluster = getattr(kafka, "_cluster", None)
    if cluster is None:
        raise AssertionError("pausing needs the broker started by the tests (unset PUREKAFKA_BOOTSTRAP)")
    return [n["pid"] for n in cluster.load()["nodes"] if n.get("pid")]


@contextmanager
def paused(kafka: Any) -> Iterator[None]:
    pids = broker_pids(kafka)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
