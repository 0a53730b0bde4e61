"""Every Produce version both sides speak, through the producer, on the line under test
(matrix only: `make test-interop`): the offer is capped at each version in turn, so the
line's whole Produce range is spoken natively, idempotent and in a transaction."""
from __future__ import annotations

import uuid

import pytest

from tests.support.interop_lines import LineKafka, TopicMaker, line, line_topic, raw_api_versions  # noqa: F401  (fixtures)
from purekafka import KafkaProducer
from purekafka import errors as Errors
from purekafka.protocol import produce
from tests.support.readback import consume, consume_all

pytestmark = [pytest.mark.interop, pytest.mark.broker, pytest.mark.timeout(600)]


def _capped(version: int) -> type[KafkaProducer]:
    class Capped(KafkaProducer):
        _max_versions = {produce.API_KEY: version}

    return Capped


def test_every_produce_version_the_line_serves(line: LineKafka, line_topic: TopicMaker) -> None:
    lo, hi = raw_api_versions(line.broker.addresses[0])[produce.API_KEY]
    versions = range(max(lo, produce.MIN_VERSION), min(hi, produce.MAX_VERSION) + 1)
    assert len(versions) >= 7  # 3.0 serves Produce v3-v9
    topic = line_topic(partitions=2)
    expected = []
    for version in versions:
        with _capped(version)(bootstrap_servers=line.bootstrap, compression_type="snappy", linger_ms=2) as p:
            metas = [p.send(topic, key=b"k%d" % i, value=b"v%d-%d" % (version, i)).get(30) for i in range(2)]
            used = {n.versions.get(produce.API_KEY) for n in p._network.nodes.values() if n.versions}
        assert used == {version}
        assert all(m.offset >= 0 for m in metas)
        expected += [b"v%d-%d" % (version, i) for i in range(2)]
    got = consume(line.bootstrap, topic, len(expected), timeout=60)
    assert sorted(c.value or b"" for c in got) == sorted(expected)


def test_transactions_at_the_oldest_and_newest_produce_version(line: LineKafka, line_topic: TopicMaker) -> None:
    """A transaction is committed at Produce v3 and at the newest version the protocol in
    force allows (v11 under transaction.version 1, the broker's newest under 2)."""
    lo, hi = raw_api_versions(line.broker.addresses[0])[produce.API_KEY]
    topic = line_topic()
    values = []
    for cap in (produce.MIN_VERSION, min(hi, produce.MAX_VERSION)):
        with _capped(cap)(bootstrap_servers=line.bootstrap, transactional_id=f"pv-{uuid.uuid4().hex}") as p:
            p.init_transactions()
            assert p._txn is not None
            v2 = p._txn.transaction_v2
            p.begin_transaction()
            value = b"cap-%d" % cap
            future = p.send(topic, value=value)
            if v2 and cap < 12:
                # The second protocol needs Produce v12+ (it adds the partition itself):
                # capped below it, the batch fails here and is never written.
                with pytest.raises(Errors.UnsupportedVersionError, match="Produce"):
                    future.get(30)
                # As in Java, an unsupported version is fatal for a transactional
                # producer: even the abort is refused, naming the cause.
                with pytest.raises(Errors.KafkaError, match="error state.*UnsupportedVersionError"):
                    p.abort_transaction()
                continue
            p.commit_transaction()
            values.append(value)
    # Everything in the log, aborted or not: the refused batch never reached it.
    assert [c.value for c in consume_all(line.bootstrap, topic, settle=2.0,
                                         isolation_level="read_uncommitted")] == values
