"""Helpers for the exactly-once failure runs: a ledger of what was sent, a chaos script,
and the check of what an independent consumer read back.

Every value carries its own identity (global send index, key, per-key sequence), so a
record read back can be matched to the send that made it without trusting anything
the producer reported. The check is written for both runs:

* idempotent: acknowledged records must be there exactly once; failed ones may be
  there (their outcome is unknown) but never twice;
* transactional (later): records of committed transactions must be there exactly
  once; records of aborted or unfinished ones must never be there.

so it takes the sets of indices that *must* appear, *may* appear and must *not*
appear, instead of futures.
"""
from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

VALUE_SIZE = 100
_HEAD = b"%09d|%06d|%09d|"  # global index | key | sequence of that key


def make_value(index: int, key: int, seq: int, size: int = VALUE_SIZE) -> bytes:
    head = _HEAD % (index, key, seq)
    return head + b"x" * max(0, size - len(head))


def parse_value(value: bytes | None) -> tuple[int, int, int] | None:
    """(index, key, seq) of a value made by ``make_value``, or None for anything else."""
    if value is None or len(value) < 27 or value[9:10] != b"|" or value[16:17] != b"|" or value[26:27] != b"|":
        return None
    fields = value[:9], value[10:16], value[17:26]
    if not all(f.isdigit() for f in fields):  # int() alone would take signs, spaces and '_'
        return None
    return int(fields[0]), int(fields[1]), int(fields[2])


def key_bytes(key: int) -> bytes:
    return b"key-%06d" % key


class Ledger:
    """What was handed to ``send``, in send order, with the futures it returned."""

    def __init__(self, keys: int, track_progress: bool = False) -> None:
        self.keys = keys
        # With track_progress, every outcome's time is kept (``longest_quiet_s``); only
        # kafka-python-style futures (``add_both``) can be tracked so.
        self._track = track_progress
        self.key_of: list[int] = []
        self.seq_of: list[int] = []
        self.futures: list[Any] = []
        self._next_seq = [0] * keys
        self.failure_samples: dict[str, str] = {}  # exception type -> one message, for the report
        self.failure_age_ms: dict[str, list[float]] = {}  # exception type -> ms from send to failure
        self.settled_at: list[float] = []  # time.monotonic() of every outcome, success or failure

    def next_record(self) -> tuple[int, bytes, bytes]:
        """(index, key bytes, value bytes) of the next record; keys go round-robin."""
        index = len(self.key_of)
        key = index % self.keys
        seq = self._next_seq[key]
        self._next_seq[key] = seq + 1
        self.key_of.append(key)
        self.seq_of.append(seq)
        return index, key_bytes(key), make_value(index, key, seq)

    def sent(self, future: Any) -> None:
        index = len(self.futures)
        self.futures.append(future)
        future.add_errback(self._failed_at, index)
        if self._track:
            future.add_both(self._settled)

    def _settled(self, _outcome: Any) -> None:
        self.settled_at.append(time.monotonic())

    def longest_quiet_s(self, since: float) -> float:
        """The longest time from ``since`` (a time.monotonic()) to the last outcome with no
        outcome at all: how long the producer made no progress while records were pending."""
        times = [since] + sorted(t for t in self.settled_at if t >= since)
        return max(b - a for a, b in zip(times, times[1:])) if len(times) > 1 else 0.0

    def _failed_at(self, index: int, exc: BaseException) -> None:
        # How long after send() the failure came (send's timestamp_ms is the wall clock then):
        # tells an early failure from one at the delivery timeout.
        self.failure_age_ms.setdefault(type(exc).__name__, []).append(
            time.time() * 1000 - self.futures[index].timestamp_ms)

    def failure_ages(self) -> dict[str, tuple[float, float]]:
        """Per exception type, the (shortest, longest) time from send() to failure, in ms."""
        return {k: (min(v), max(v)) for k, v in self.failure_age_ms.items() if v}

    def outcomes(self) -> tuple[set[int], set[int], list[int], dict[str, int]]:
        """(acknowledged, failed, unresolved indices, failure counts by exception type)."""
        acked: set[int] = set()
        failed: set[int] = set()
        unresolved: list[int] = []
        kinds: dict[str, int] = {}
        for i, f in enumerate(self.futures):
            if not f.is_done:
                unresolved.append(i)
            elif f.exception is None:
                acked.add(i)
            else:
                failed.add(i)
                name = type(f.exception).__name__
                kinds[name] = kinds.get(name, 0) + 1
                if name not in self.failure_samples:
                    self.failure_samples[name] = str(f.exception)
        return acked, failed, unresolved, kinds


@dataclass
class Figures:
    sent: int = 0
    acknowledged: int = 0
    failed: int = 0
    unresolved: int = 0
    read_back: int = 0
    duplicates: int = 0
    missing: int = 0
    reordered: int = 0
    forbidden_present: int = 0  # must-not-appear records that did appear
    foreign: int = 0  # read back but never sent by this run
    offset_mismatch: int = 0  # acknowledged offset is not where the record is
    failed_present: int = 0  # may-appear records (failed: outcome unknown) found in the log
    failure_kinds: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[Any]] = field(default_factory=dict)

    def line(self) -> str:
        return (f"sent={self.sent} acknowledged={self.acknowledged} failed={self.failed} "
                f"unresolved={self.unresolved} read_back={self.read_back} duplicates={self.duplicates} "
                f"missing={self.missing} reordered={self.reordered} forbidden_present={self.forbidden_present} "
                f"foreign={self.foreign} offset_mismatch={self.offset_mismatch} "
                f"failed_present={self.failed_present} failure_kinds={self.failure_kinds}")

    def bad(self) -> bool:
        return bool(self.unresolved or self.duplicates or self.missing or self.reordered
                    or self.forbidden_present or self.foreign or self.offset_mismatch)


def check(consumed: list[Any], sent: int, must: set[int], forbidden: set[int],
          ack_offsets: dict[int, tuple[int, int]] | None = None) -> Figures:
    """Compare what an independent consumer read (``readback.ConsumedRecord``) with the sends.

    ``sent`` indices are 0..sent-1; ``must`` have to be present exactly once, ``forbidden``
    never; the rest may be present at most once. Send order is the index order, so
    within a partition the indices, in offset order, must rise. ``ack_offsets`` maps an
    index to the (partition, offset) the producer reported for it.
    """
    fig = Figures(sent=sent, read_back=len(consumed))
    seen: dict[int, int] = {}
    where: dict[int, tuple[int, int]] = {}
    last_by_partition: dict[int, int] = {}
    ex: dict[str, list[Any]] = {}

    def note(kind: str, item: Any) -> None:
        lst = ex.setdefault(kind, [])
        if len(lst) < 5:
            lst.append(item)

    for rec in sorted(consumed, key=lambda r: (r.partition, r.offset)):
        parsed = parse_value(rec.value)
        if parsed is None or not 0 <= parsed[0] < sent or rec.key != key_bytes(parsed[1]):
            fig.foreign += 1
            note("foreign", (rec.partition, rec.offset, rec.key, rec.value[:30] if rec.value else None))
            continue
        index = parsed[0]
        seen[index] = seen.get(index, 0) + 1
        if seen[index] > 1:
            fig.duplicates += 1
            note("duplicates", (index, where[index], (rec.partition, rec.offset)))
        else:
            where[index] = (rec.partition, rec.offset)
        if index in forbidden:
            fig.forbidden_present += 1
            note("forbidden_present", (index, rec.partition, rec.offset))
        prev = last_by_partition.get(rec.partition, -1)
        if index < prev:
            fig.reordered += 1
            note("reordered", (rec.partition, rec.offset, index, "after", prev))
        else:
            last_by_partition[rec.partition] = index
    for index in must:
        if index not in seen:
            fig.missing += 1
            note("missing", index)
    for index, (p, off) in (ack_offsets or {}).items():
        if index in where and where[index] != (p, off):
            fig.offset_mismatch += 1
            note("offset_mismatch", (index, "acked", (p, off), "found", where[index]))
    fig.failed_present = len(seen.keys() - must - forbidden)  # may-appear records that did
    fig.examples = ex
    return fig


def idempotent_figures(ledger: Ledger, consumed: list[Any]) -> Figures:
    """The idempotent producer's contract: acknowledged exactly once, failed at most once."""
    acked, failed, unresolved, kinds = ledger.outcomes()
    offsets = {}
    for i in acked:
        md = ledger.futures[i].value
        offsets[i] = (md.partition, md.offset)
    fig = check(consumed, len(ledger.futures), acked, set(), offsets)
    fig.acknowledged, fig.failed, fig.unresolved, fig.failure_kinds = len(acked), len(failed), len(unresolved), kinds
    return fig


# --------------------------------------------------------------------------- chaos

Step = tuple[str, Any]


class Chaos:
    """Runs fault steps on a thread while the test sends; keeps a log of what it did.

    Steps: ``("sleep", seconds)``, ``("kill_leader", partition)`` (SIGKILL the node leading
    that partition now), ``("kill_another", None)`` (SIGKILL a node that is still up),
    ``("kill_all", None)``, ``("restart", None)`` (restart every killed node and wait until
    each serves), ``("drop_all", None)``, ``("drop_mid", api_key)``, ``("drop_after", api_key)``
    (proxy faults), ``("wait_faults", seconds)`` (until armed proxy faults have fired).
    """

    def __init__(self, cluster: Any, topic: str, proxy: Any, steps: list[Step]) -> None:
        self.cluster = cluster
        self.topic = topic
        self.proxy = proxy
        self.steps = steps
        self.log: list[str] = []
        self.killed: list[int] = []
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._t0 = time.monotonic()
        self._down: list[int] = []
        self._thread = threading.Thread(target=self._run, name="chaos", daemon=True)

    def start(self) -> Chaos:
        self._t0 = time.monotonic()
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _say(self, text: str) -> None:
        self.log.append(f"{time.monotonic() - self._t0:7.1f}s {text}")

    def _leader(self, partition: int, timeout: float = 60.0) -> int:
        deadline = time.monotonic() + timeout
        while True:
            try:
                leader: int = self.cluster.metadata([self.topic]).leaders[self.topic][partition]
                if leader >= 0:
                    return leader
            except Exception:  # noqa: BLE001 - metadata from a node that is just going away
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"partition {partition} has no leader after {timeout}s")
            time.sleep(0.2)

    def _run(self) -> None:
        try:
            for kind, arg in self.steps:
                self._step(kind, arg)
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.error = e
            self._say(f"chaos failed: {e!r}\n{traceback.format_exc()}")
        finally:
            if self._down:  # never leave the cluster short of a node
                try:
                    self._restart_down()
                except BaseException as e:  # noqa: BLE001
                    self._say(f"cleanup restart of {self._down} failed: {e!r}")
            self.done.set()

    def _restart_down(self) -> None:
        """Restart every killed node, in the order killed, and wait until each serves.

        They start side by side: a node alone cannot serve while the controller quorum
        is short of it. Each start waits until the one before has recorded its process
        in the harness's state file, which every restart rewrites."""
        t = time.monotonic()
        errors: list[BaseException] = []

        def run(node: int) -> None:
            try:
                self.cluster.restart(node)
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = []
        for node in list(self._down):
            th = threading.Thread(target=run, args=(node,), daemon=True)
            th.start()
            threads.append(th)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and th.is_alive() and not any(
                    n == node and pid for n, _, pid, _ in self.cluster.status()):
                time.sleep(0.05)
        for th in threads:
            th.join(300)
        if errors or any(th.is_alive() for th in threads):
            raise AssertionError(f"restarting nodes {self._down} failed: {errors}")
        self._say(f"restarted nodes {self._down} (took {time.monotonic() - t:.1f}s)")
        self._down.clear()

    def _step(self, kind: str, arg: Any) -> None:
        if kind == "sleep":
            time.sleep(arg)
        elif kind == "kill_leader":
            node = self._leader(arg)
            self.cluster.kill(node)
            self._down.append(node)
            self.killed.append(node)
            self._say(f"SIGKILL node {node} (leader of partition {arg})")
        elif kind == "kill_another":
            node = next(n for n, _, _, up in self.cluster.status() if up and n not in self._down)
            self.cluster.kill(node)
            self._down.append(node)
            self.killed.append(node)
            self._say(f"SIGKILL node {node} (nodes down: {self._down})")
        elif kind == "restart":
            assert self._down, "restart without a killed node"
            self._restart_down()
        elif kind == "kill_all":
            for node, _, _, up in self.cluster.status():
                if up:
                    self.cluster.kill(node)
                    self._down.append(node)
                    self.killed.append(node)
            self._say(f"SIGKILL every node: {self._down}")
        elif kind == "drop_all":
            n = self.proxy.open_links
            self.proxy.drop_all()
            self._say(f"proxy dropped all {n} connections")
        elif kind == "drop_mid":
            self.proxy.drop_mid_request(arg)
            self._say(f"proxy armed: cut the next request of API {arg} in half")
        elif kind == "drop_after":
            self.proxy.drop_after_request(arg)
            self._say(f"proxy armed: drop the connection after the next request of API {arg}")
        elif kind == "wait_faults":
            deadline = time.monotonic() + arg
            while self.proxy.armed() and time.monotonic() < deadline:
                time.sleep(0.05)
            self._say(f"armed faults left: {self.proxy.armed()}")
        else:
            raise ValueError(f"unknown chaos step {kind!r}")


def send_during(producer: Any, topic: str, ledger: Ledger, total: int, chaos: Chaos,
                rate: float, hold_back: float = 0.1,
                on_chunk: Callable[[int], None] | None = None) -> None:
    """Send ``total`` keyed records at about ``rate`` per second; the last ``hold_back``
    fraction waits until the chaos script is over, so the faults land mid-run."""
    chunk = 500
    t0 = time.monotonic()
    hold_at = int(total * (1 - hold_back))
    while len(ledger.futures) < total:
        if len(ledger.futures) >= hold_at and not chaos.done.is_set():
            time.sleep(0.05)
            continue
        for _ in range(min(chunk, total - len(ledger.futures))):
            _, k, v = ledger.next_record()
            ledger.sent(producer.send(topic, key=k, value=v))
        if on_chunk is not None:
            on_chunk(len(ledger.futures))
        ahead = len(ledger.futures) / rate - (time.monotonic() - t0)
        if ahead > 0 and not chaos.done.is_set():
            time.sleep(ahead)


# --------------------------------------------------------------------------- transactions

def java_string_hash(s: str) -> int:
    """Java's String.hashCode (UTF-16 code units), as a signed 32-bit int."""
    h = 0
    for unit in _utf16_units(s):
        h = (31 * h + unit) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def _utf16_units(s: str) -> list[int]:
    data = s.encode("utf-16-be")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


def txn_state_partition(transactional_id: str, partitions: int) -> int:
    """The __transaction_state partition holding ``transactional_id`` (Kafka's
    ``Utils.abs(hashCode) % partitions``; Utils.abs maps MIN_VALUE to 0)."""
    h = java_string_hash(transactional_id)
    return (0 if h == -(1 << 31) else abs(h)) % partitions


class TxnChaos(Chaos):
    """Chaos with one more step: ``("kill_coordinator", transactional_id)`` SIGKILLs the
    node leading the __transaction_state partition of that transactional id."""

    def _step(self, kind: str, arg: Any) -> None:
        if kind != "kill_coordinator":
            super()._step(kind, arg)
            return
        state = "__transaction_state"
        leaders = self.cluster.metadata([state]).leaders[state]
        partition = txn_state_partition(arg, len(leaders))
        node = leaders[partition]
        assert node >= 0, f"{state}-{partition} has no leader"
        self.cluster.kill(node)
        self._down.append(node)
        self.killed.append(node)
        self._say(f"SIGKILL node {node} (transaction coordinator: leader of {state}-{partition})")
