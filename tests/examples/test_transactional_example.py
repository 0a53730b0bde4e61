"""examples/transactional.py: committed transactions visible together, the aborted one never."""
from __future__ import annotations

import pytest

from tests.support.example_support import run_example, segment_batches
from tests.support.readback import consume_all

pytestmark = pytest.mark.broker


@pytest.fixture(scope="module")
def txn_run(kafka):
    return run_example(kafka, "transactional")


def test_read_committed_sees_only_committed_orders(kafka, txn_run):
    assert "order1: transaction committed" in txn_run.stdout
    assert "order2: transaction aborted (payment declined)" in txn_run.stdout
    assert "order3: transaction committed" in txn_run.stdout
    orders = consume_all(kafka.bootstrap, txn_run.topic("orders"))
    assert [(r.key, r.value) for r in orders] == [(b"order1", b"Order created"), (b"order3", b"Order created")]
    inventory = consume_all(kafka.bootstrap, txn_run.topic("inventory"), settle=1.0)
    assert [r.value for r in inventory] == [b"Stock reduced for order1", b"Stock reduced for order3"]
    payments = consume_all(kafka.bootstrap, txn_run.topic("payments"), settle=1.0)
    assert [r.key for r in payments] == [b"payment-order1", b"payment-order3"]


def test_read_uncommitted_sees_the_aborted_records_too(kafka, txn_run):
    orders = consume_all(kafka.bootstrap, txn_run.topic("orders"), isolation_level="read_uncommitted")
    assert [r.key for r in orders] == [b"order1", b"order2", b"order3"]


def test_markers_in_the_log(kafka, txn_run):
    if kafka.dir is None:
        pytest.skip("the broker's data directory is not ours to read (PUREKAFKA_BOOTSTRAP)")
    consume_all(kafka.bootstrap, txn_run.topic("orders"), settle=1.0)
    batches = segment_batches(kafka, txn_run.topic("orders"))
    data = [b for b in batches if not b.is_control]
    markers = [b.records[0].control.type for b in batches if b.is_control]
    assert all(b.is_transactional and b.producer_id >= 0 for b in data)
    assert len({b.producer_id for b in batches}) == 1
    assert markers == ["COMMIT", "ABORT", "COMMIT"]
