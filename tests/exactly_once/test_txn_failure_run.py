"""The transactional failure run, on a 3-node cluster (replication factor 3, min.insync.replicas=2).

A transactional producer sends transactions of 150 keyed records while partition leaders
are SIGKILLed and restarted (twice), then the transaction coordinator, and the fault proxy drops its connections (mid-Produce,
right after a Produce or an EndTxn reached the broker, and all at once). Every seventh
transaction is aborted on purpose. A transaction whose commit fails is aborted, and after
a fatal error the producer is recreated with the same transactional_id, as an application
would. confluent-kafka then reads the topic with read_committed: every committed
transaction must be there complete, exactly once, in send order per partition; no record
of an aborted transaction may be there; a transaction whose outcome the producer could
not learn must be there entirely or not at all.

It runs on both front ends (``front``): the threaded ``KafkaProducer``, and
``purekafka.aio.AIOKafkaProducer`` on an event loop of its own, called through
``tests/support/aio_front.ThreadedAio`` so that the one body below drives both.
"""
from __future__ import annotations

import os
import time

import pytest

from tests.support.aio_front import FAILURE_RUN_FRONTS, ThreadedAio
from tests.support.eo_failure import Ledger, TxnChaos, check, txn_state_partition
from purekafka import KafkaProducer
from purekafka import errors as Errors
from purekafka.core.txn_requests import CoordinatorType
from tests.support.readback import consume, consume_all
from tests.support.tcp_proxy import PRODUCE, FaultProxy

pytestmark = [pytest.mark.cluster, pytest.mark.broker]

END_TXN = 26
TOTAL = int(os.environ.get("PUREKAFKA_EO_TXN_RECORDS", "30000"))
PER_TXN = 150
PARTITIONS = 6
ABORT_EVERY = 7
FENCE_AT = 40  # this transaction is fenced by a second producer before its commit
BUDGET_S = 150.0
RATE = 600.0  # records per second while the chaos script runs


def _is_fatal(exc: BaseException) -> bool:
    return isinstance(exc, (Errors.ProducerFencedError, Errors.InvalidProducerEpochError,
                            Errors.IllegalStateError)) or "fatal" in str(exc).lower()


@pytest.mark.timeout(600)
@pytest.mark.parametrize("front", FAILURE_RUN_FRONTS)
def test_transactional_producer_through_leader_kills_and_dropped_connections(kafka_cluster, front) -> None:
    cluster = kafka_cluster
    topic = cluster.create_topic(f"eo-txn-{time.monotonic_ns()}", partitions=PARTITIONS,
                                 replication_factor=3, config={"min.insync.replicas": "2"})
    tid = f"eo-txn-{time.monotonic_ns()}"
    ledger = Ledger(keys=1000)
    committed: list[range] = []  # index ranges, one per transaction
    aborted: list[range] = []
    unknown: list[range] = []  # commit attempted, outcome never learnt: all or nothing
    recreated = 0
    purposely = 0
    errors_seen: dict[str, int] = {}
    steps = [
        ("sleep", 3), ("drop_mid", PRODUCE), ("wait_faults", 10),
        ("sleep", 2), ("kill_leader", 0), ("sleep", 4), ("restart", None),
        ("drop_after", END_TXN), ("wait_faults", 10), ("sleep", 1), ("drop_all", None),
        ("sleep", 3), ("kill_leader", 1), ("sleep", 4), ("restart", None),
        ("drop_after", PRODUCE), ("drop_after", END_TXN), ("wait_faults", 10),
        ("sleep", 1), ("drop_all", None), ("sleep", 2),
        ("kill_coordinator", tid), ("sleep", 4), ("restart", None), ("sleep", 2),
    ]
    addresses = list(cluster.metadata().brokers.values())

    def new_producer(bootstrap: str) -> KafkaProducer:
        make = KafkaProducer if front == "sync" else ThreadedAio
        p = make(bootstrap_servers=bootstrap, transactional_id=tid, linger_ms=10,
                          request_timeout_ms=10_000, retry_backoff_ms=100, reconnect_backoff_ms=50,
                          delivery_timeout_ms=120_000, max_block_ms=60_000, transaction_timeout_ms=60_000)
        p.init_transactions()
        return p

    def note(exc: BaseException) -> None:
        errors_seen[type(exc).__name__] = errors_seen.get(type(exc).__name__, 0) + 1

    with FaultProxy(addresses, lifetime=1200) as proxy:
        producer = new_producer(proxy.bootstrap)
        chaos = None
        try:
            producer.partitions_for(topic)
            # The coordinator TxnChaos will kill is the one FindCoordinator named.
            leaders = cluster.metadata(["__transaction_state"]).leaders["__transaction_state"]
            coordinator = producer._txn.coordinator(CoordinatorType.TRANSACTION)
            assert coordinator is not None
            assert coordinator.node_id == leaders[txn_state_partition(tid, len(leaders))], (coordinator, leaders)
            chaos = TxnChaos(cluster, topic, proxy, steps).start()
            t0 = time.monotonic()
            n = 0
            while (len(ledger.futures) < TOTAL or not chaos.done.is_set()) and time.monotonic() - t0 < BUDGET_S:
                n += 1
                first = len(ledger.futures)
                on_purpose = n % ABORT_EVERY == 0
                commit_tried = False
                try:
                    producer.begin_transaction()
                    for _ in range(PER_TXN):
                        _, k, v = ledger.next_record()
                        ledger.sent(producer.send(topic, key=k, value=v))
                    if on_purpose:
                        producer.flush()  # in the log: only the abort marker hides them
                        producer.abort_transaction()
                        aborted.append(range(first, len(ledger.futures)))
                        purposely += 1
                        continue
                    if n == FENCE_AT:
                        # A second instance with the same transactional_id (a restarted
                        # application) fences this one: its commit must fail, fatally, and
                        # the fencer's init_transactions has aborted this transaction.
                        with KafkaProducer(bootstrap_servers=cluster.bootstrap, transactional_id=tid,
                                           max_block_ms=60_000) as fencer:
                            fencer.init_transactions()
                    commit_tried = n != FENCE_AT
                    for attempt in range(5):
                        try:
                            producer.commit_transaction()
                            break
                        except Errors.KafkaTimeoutError as exc:  # Java: retry the commit
                            note(exc)
                            if attempt == 4:
                                raise
                    committed.append(range(first, len(ledger.futures)))
                except Errors.KafkaError as exc:
                    note(exc)
                    # Sends the ledger numbered but send() refused never got a future.
                    while len(ledger.key_of) > len(ledger.futures):
                        ledger.futures.append(_Refused(exc))
                    txn = range(first, len(ledger.futures))
                    try:
                        if _is_fatal(exc):
                            raise exc
                        producer.abort_transaction()
                        (unknown if commit_tried and isinstance(exc, Errors.KafkaTimeoutError) else aborted).append(txn)
                    except Errors.KafkaError as fatal:
                        note(fatal)
                        # An application recreates the producer; init_transactions aborts
                        # whatever the old one left open (or finds it already completed).
                        (unknown if commit_tried else aborted).append(txn)
                        producer.close(0)
                        recreated += 1
                        producer = new_producer(proxy.bootstrap)
                # Pace the run so that the faults land among the transactions.
                ahead = len(ledger.futures) / RATE - (time.monotonic() - t0)
                if ahead > 0 and not chaos.done.is_set():
                    time.sleep(ahead)
            elapsed = time.monotonic() - t0
            chaos.join(600)
        finally:
            producer.close(30)
        stats = proxy.stats
    print("\n" + "\n".join(chaos.log))
    print(f"proxy: {stats}")
    assert chaos.error is None, "\n".join(chaos.log)

    must = {i for r in committed for i in r}
    forbidden = {i for r in aborted for i in r}
    t = time.monotonic()
    consume(cluster.bootstrap, topic, len(must), timeout=180)
    consumed = consume_all(cluster.bootstrap, topic, settle=2 * (time.monotonic() - t) + 5)
    fig = check(consumed, len(ledger.futures), must, forbidden)
    acked, failed, unresolved, kinds = ledger.outcomes()
    fig.acknowledged, fig.failed, fig.unresolved, fig.failure_kinds = len(acked), len(failed), len(unresolved), kinds
    present = {int(r.value[:9]) for r in consumed if r.value and r.value[:9].isdigit()}
    partial = [(r.start, r.stop, len(present.intersection(r))) for r in unknown
               if 0 < len(present.intersection(r)) < len(r)]
    unknown_whole = [r for r in unknown if present.issuperset(r)]
    unknown_committed = len(unknown_whole)
    line = (f"transactions committed={len(committed)} aborted={len(aborted)} "
            f"(on purpose={purposely}) "
            f"unknown={len(unknown)} (found committed={unknown_committed}) recreated={recreated} "
            f"records={len(ledger.futures)} in {elapsed:.0f}s errors={errors_seen} | {fig.line()} "
            f"partial={partial[:5]} examples={fig.examples}")
    print(f"figures: {line}")
    assert len(chaos.killed) >= 3, chaos.log
    assert recreated >= 1 and errors_seen.get("ProducerFencedError"), f"the fenced producer was not replaced: {line}"
    assert fig.unresolved == 0, line
    assert stats.mid_request_drops >= 1 and stats.after_request_drops >= 2, stats
    assert len(ledger.futures) >= TOTAL, line
    assert purposely >= len(committed) // ABORT_EVERY - 1 > 0, line
    assert fig.duplicates == 0 and fig.missing == 0 and fig.reordered == 0, line
    assert fig.forbidden_present == 0 and fig.foreign == 0, line
    assert not partial, line
    # What may appear is only the unknown transactions' records, whole.
    assert fig.failed_present == sum(len(r) for r in unknown_whole), line


class _Refused:
    """Stands in for the future of a send() that raised."""

    is_done = True
    timestamp_ms = 0

    def __init__(self, exc: BaseException) -> None:
        self.exception = exc
