"""io.compressor.BatchCompressor: every submitted batch comes back once, compressed as
compress() would, whatever the thread's state; errors and stops never lose a batch.

The producer-level proof (batches read back by another client, in order) is
tests/producer/test_sealed_batches.py; these pin the thread's own rules.
"""
from __future__ import annotations

import threading
import time

import pytest

from purekafka.io import compressor as C
from purekafka.record.codecs import CompressionType, compress

ZSTD = CompressionType.ZSTD


class Sink:
    """The finish callback: what came back, and in which calls."""

    def __init__(self) -> None:
        self.calls: list[list[tuple[object, int, bytes | None]]] = []
        self.threads: set[str] = set()
        self.done = threading.Event()
        self.want = 0

    def __call__(self, done: list[tuple[object, int, bytes | None]]) -> None:
        self.calls.append(done)
        self.threads.add(threading.current_thread().name)
        if sum(len(c) for c in self.calls) >= self.want:
            self.done.set()

    @property
    def items(self) -> list[tuple[object, int, bytes | None]]:
        return [x for c in self.calls for x in c]


def _hold_compression(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """Make each compress_many call wait for ``gate`` (the thread stays busy); ``entered``
    is set once a call is waiting."""
    gate, entered = threading.Event(), threading.Event()
    real = C.compress_many

    def held(codec, datas, level):  # type: ignore[no-untyped-def]
        entered.set()
        gate.wait(10)
        return real(codec, datas, level)

    monkeypatch.setattr(C, "compress_many", held)
    return gate, entered


def _data(i: int) -> bytes:
    return (f"record {i} " * (50 + i)).encode()


def test_every_batch_comes_back_once_with_its_payload() -> None:
    sink = Sink()
    sink.want = 200
    comp = C.BatchCompressor(ZSTD, 5, sink, 1 << 30, name="t-compressor")
    for i in range(200):
        comp.submit(f"b{i}", (i + 1, _data(i)))
    assert sink.done.wait(10)
    comp.stop()
    assert [(b, n) for b, n, _ in sink.items] == [(f"b{i}", i + 1) for i in range(200)]
    assert [p for _, _, p in sink.items] == [compress(ZSTD, _data(i), 5) for i in range(200)]
    assert sink.threads == {"t-compressor"} and comp.compressed == 200


def test_a_backlog_is_compressed_in_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    # While the thread is busy, submissions pile up and the next call takes them all.
    sink = Sink()
    sink.want = 21
    comp = C.BatchCompressor(ZSTD, None, sink, 1 << 30)
    gate, entered = _hold_compression(monkeypatch)
    comp.submit("first", (1, b"a" * 100))
    assert entered.wait(10)
    for i in range(20):
        comp.submit(i, (1, _data(i)))
    gate.set()
    assert sink.done.wait(10)
    comp.stop()
    assert [len(c) for c in sink.calls] == [1, 20]


def test_the_thread_ends_when_idle_and_starts_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(C, "IDLE_S", 0.05)
    sink = Sink()
    sink.want = 1
    comp = C.BatchCompressor(ZSTD, None, sink, 1 << 30, name="t-idle")
    comp.submit("a", (1, b"x" * 10))
    assert sink.done.wait(5)
    deadline = time.monotonic() + 5
    while any(t.name == "t-idle" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(t.name == "t-idle" for t in threading.enumerate())
    sink.done.clear()
    sink.want = 2
    comp.submit("b", (1, b"y" * 10))
    assert sink.done.wait(5)
    assert [b for b, _, _ in sink.items] == ["a", "b"]
    comp.stop()


def test_a_codec_error_hands_the_batches_back_uncompressed(monkeypatch: pytest.MonkeyPatch) -> None:
    # build() then compresses (and reports the error on the batch): the seal must still end.
    sink = Sink()
    sink.want = 2
    comp = C.BatchCompressor(ZSTD, None, sink, 1 << 30)

    def broken(codec, datas, level):  # type: ignore[no-untyped-def]
        raise MemoryError("no room")

    monkeypatch.setattr(C, "compress_many", broken)
    comp.submit("a", (3, b"x"))
    comp.submit("b", (4, b"y"))
    assert sink.done.wait(5)
    comp.stop()
    assert sorted(sink.items, key=lambda t: str(t[0])) == [("a", 3, None), ("b", 4, None)]


def test_after_stop_the_submitter_compresses() -> None:
    sink = Sink()
    sink.want = 1
    comp = C.BatchCompressor(ZSTD, None, sink, 1 << 30, name="t-stopped")
    comp.stop()
    comp.submit("late", (2, b"z" * 100))
    assert sink.items == [("late", 2, compress(ZSTD, b"z" * 100))]
    assert sink.threads == {threading.current_thread().name}


def test_stop_finishes_what_is_queued() -> None:
    sink = Sink()
    sink.want = 50
    comp = C.BatchCompressor(ZSTD, None, sink, 1 << 30, name="t-stop")
    for i in range(50):
        comp.submit(i, (1, _data(i)))
    comp.stop(timeout=10)
    assert [b for b, _, _ in sink.items] == list(range(50))
    assert not any(t.name == "t-stop" for t in threading.enumerate())


def test_the_backlog_is_capped_and_the_caller_compresses_past_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # Snapshots are copies outside buffer_memory: queued or being compressed, they stay
    # under the cap; submit() says no past it, and takes again once the thread caught up.
    sink = Sink()
    sink.want = 4
    comp = C.BatchCompressor(ZSTD, None, sink, 3000)
    gate, entered = _hold_compression(monkeypatch)
    assert comp.submit("a", (1, b"a" * 1000))
    assert entered.wait(10)  # "a" is being compressed: it still counts
    assert comp.submit("b", (1, b"b" * 1000))
    assert comp.submit("c", (1, b"c" * 1000))
    assert not comp.submit("d", (1, b"d" * 1000))
    gate.set()
    deadline = time.monotonic() + 5
    while len(sink.items) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert comp.submit("e", (1, b"e" * 1000))
    assert sink.done.wait(5)
    comp.stop()
    assert [b for b, _, _ in sink.items] == ["a", "b", "c", "e"]


def test_one_snapshot_larger_than_the_cap_is_still_taken() -> None:
    sink = Sink()
    sink.want = 1
    comp = C.BatchCompressor(ZSTD, None, sink, 10)
    assert comp.submit("big", (1, b"x" * 1000))
    assert sink.done.wait(5)
    comp.stop()
