"""Settings that reach the wire, against the real broker: ``api_version`` caps what is
negotiated, ``receive_message_max_bytes`` bounds what is read, ``metadata_max_idle_ms``
drops an idle topic, and ``producer.config`` is kafka-python's view (issue 11)."""
from __future__ import annotations

import logging
import time

import pytest

from purekafka import KafkaProducer
from purekafka import errors as Errors
from purekafka.core.versions import release_caps
from tests.support.readback import consume

pytestmark = pytest.mark.broker


def _negotiated(p: KafkaProducer) -> dict[int, int]:
    node = next(n for n in p._network.nodes.values() if n.versions)
    return dict(node.versions)


def test_api_version_caps_negotiation_at_that_release(kafka, topic_factory) -> None:
    topic = topic_factory(partitions=2)
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, api_version=(2, 5)) as p:
        assert p.config["api_version"] == (2, 5) and p.config["enable_idempotence"] is True
        metas = [p.send(topic, key=b"%d" % i, value=b"v%d" % i).get(30) for i in range(10)]
        versions = _negotiated(p)
        caps = release_caps((2, 5))
        assert all(v <= caps[k] for k, v in versions.items()), (versions, caps)
        # Kafka 4.4 offers far more; Kafka 2.5 had Produce v8, Metadata v9, InitProducerId v3.
        assert (versions[0], versions[3], versions[22]) == (8, 9, 3)
    got = consume(kafka.bootstrap, topic, 10)
    assert {(m.partition, m.offset) for m in metas} == {(c.partition, c.offset) for c in got}


def test_transactions_under_an_old_api_version_use_the_old_protocol(kafka, topic_factory) -> None:
    topic = topic_factory()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, api_version=(2, 8),
                       transactional_id=f"tx-old-{time.monotonic_ns()}") as p:
        p.init_transactions()
        with p.transaction():
            for i in range(5):
                p.send(topic, value=b"c%d" % i)
        assert _negotiated(p)[26] <= 3  # EndTxn as Kafka 2.8 knew it
        assert p._txn is not None and not p._txn.transaction_v2
    assert sorted(c.value for c in consume(kafka.bootstrap, topic, 5)) == [b"c%d" % i for i in range(5)]


def test_a_response_over_receive_message_max_bytes_is_refused(kafka, caplog) -> None:
    with caplog.at_level(logging.WARNING, "purekafka.io"):
        # ApiVersions' answer alone is larger: no connection ever becomes ready, so the
        # constructor's bootstrap gives up (kafka-python 3 raises there too).
        with pytest.raises(Errors.KafkaTimeoutError, match="Unable to bootstrap"):
            KafkaProducer(bootstrap_servers=kafka.bootstrap, receive_message_max_bytes=64,
                          bootstrap_timeout_ms=2000)
    assert "invalid response frame size" in caplog.text


def test_an_idle_topic_leaves_the_metadata_requests_and_comes_back(kafka, topic_factory) -> None:
    busy, idle = topic_factory(), topic_factory()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, metadata_max_idle_ms=5000,
                       metadata_max_age_ms=500) as p:
        p.send(idle, b"once").get(30)
        deadline = time.monotonic() + 20
        while idle in p._cluster.wanted:
            assert time.monotonic() < deadline, "the idle topic was never dropped"
            p.send(busy, b"tick").get(30)  # busy stays wanted the whole time
            assert busy in p._cluster.wanted
            time.sleep(0.2)
        assert p.send(idle, b"again").get(30).offset == 1
        assert idle in p._cluster.wanted


def test_the_config_view_of_a_running_producer(kafka, topic_factory) -> None:
    topic = topic_factory()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, linger_ms=0.5, acks="all",
                       **{"send.buffer.bytes": "-1"}) as p:
        assert p.config["acks"] == -1 and p.config["linger_ms"] == 0.5
        assert p.config["send_buffer_bytes"] == -1 and p.config["retries"] == float("inf")
        assert str(p.config["client_id"]).startswith("purekafka-producer-")
        assert p.config.max_block_ms == 60000  # attributes are the typed config's
        assert p.send(topic, b"v").get(30).offset == 0
