"""Version negotiation and connection management against the real broker."""
from __future__ import annotations

import time

import pytest

from purekafka import KafkaProducer
from purekafka.protocol import apis
from tests.support.readback import consume

pytestmark = pytest.mark.broker


def test_negotiates_the_highest_common_version(kafka, topic_factory) -> None:
    topic = topic_factory()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap) as p:
        p.send(topic, b"v").get(30)
        node = next(n for n in p._network.nodes.values() if n.versions)
        # Kafka 4.4 serves Produce up to v13 and Metadata up to v13: both are ours too.
        assert node.versions[0] == min(apis.api_module(0).MAX_VERSION, 13)
        assert node.versions[3] == min(apis.api_module(3).MAX_VERSION, 13)


class _OldProducer(KafkaProducer):
    # As if either side only knew Produce v3 and Metadata v1 (2017's Kafka 0.11).
    _max_versions = {0: 3, 3: 1, 22: 0}


@pytest.mark.parametrize("idempotent", [True, False])
def test_works_with_a_smaller_version_range(kafka, topic_factory, idempotent) -> None:
    topic = topic_factory(partitions=2)
    extra = {} if idempotent else {"enable_idempotence": False, "acks": 1}
    with _OldProducer(bootstrap_servers=kafka.bootstrap, **extra) as p:
        futures = [p.send(topic, key=b"k%d" % i, value=b"%d" % i, headers=[("h", b"x")]) for i in range(20)]
        p.flush(30)
        node = next(n for n in p._network.nodes.values() if n.versions)
        assert (node.versions[0], node.versions[3]) == (3, 1)
        metas = [f.get(0) for f in futures]
    got = consume(kafka.bootstrap, topic, 20)
    assert sorted(int(c.value) for c in got) == list(range(20))
    assert {(m.partition, m.offset) for m in metas} == {(c.partition, c.offset) for c in got}


def test_idle_connections_are_closed_and_reopened(kafka, topic_factory) -> None:
    topic = topic_factory()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, connections_max_idle_ms=300,
                       metadata_max_age_ms=60_000) as p:
        p.send(topic, b"a").get(30)
        assert p.bootstrap_connected()
        deadline = time.monotonic() + 5
        while p.bootstrap_connected() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not p.bootstrap_connected()
        assert p.send(topic, b"b").get(30).offset == 1
