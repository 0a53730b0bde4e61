"""Smoke tests on every Kafka line (see interop_lines.LINES), each against a real broker:
negotiated versions against the broker's own ApiVersions answer, our lowest Produce
version accepted and no Produce when no version overlaps, idempotent sends with a codec,
and a transaction committed (with consumer offsets) and one aborted, read back by
confluent-kafka under read_committed."""
from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition as CkTopicPartition

from tests.support.interop_lines import LineKafka, TopicMaker, api_versions_body, line, line_topic, raw_api_versions  # noqa: F401  (fixtures)
from purekafka import KafkaProducer
from purekafka import errors as Errors
from purekafka.core.versions import negotiate
from purekafka.protocol.apis import API_BY_KEY, API_NAMES
from tests.support.readback import consume

pytestmark = [pytest.mark.interop, pytest.mark.broker, pytest.mark.timeout(300)]

# Everything the producer needs: on every line each must be negotiated.
NEEDED = {"Produce": 0, "Metadata": 3, "ApiVersions": 18, "FindCoordinator": 10, "InitProducerId": 22,
          "AddPartitionsToTxn": 24, "AddOffsetsToTxn": 25, "EndTxn": 26, "TxnOffsetCommit": 28}


def _expected(ours: tuple[int, int], theirs: tuple[int, int] | None) -> int | None:
    if theirs is None or ours[1] < ours[0] or theirs[1] < ours[0] or theirs[0] > ours[1]:
        return None
    return min(ours[1], theirs[1])


def _report(line: LineKafka, record: dict[str, Any]) -> None:
    out = os.environ.get("PUREKAFKA_INTEROP_REPORT")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        Path(out, f"{line.line.name}.json").write_text(json.dumps(record, indent=1, sort_keys=True))


def test_negotiated_versions_are_the_highest_both_sides_speak(line: LineKafka, line_topic: TopicMaker) -> None:
    addr = line.broker.addresses[0]
    theirs = raw_api_versions(addr)
    topic = line_topic()
    with KafkaProducer(bootstrap_servers=line.bootstrap, enable_idempotence=False) as p:
        p.send(topic, b"v").get(30)
        nodes = {n.node_id: dict(n.versions) for n in p._network.nodes.values() if n.versions}
        features = dict(p._network.finalized_features)
    assert nodes, "no connection finished ApiVersions"
    rows = []
    for key, mod in sorted(API_BY_KEY.items()):
        want = _expected((mod.MIN_VERSION, mod.MAX_VERSION), theirs.get(key))
        for versions in nodes.values():
            assert versions.get(key) == want, (API_NAMES[key], versions.get(key), theirs.get(key))
        rows.append((API_NAMES[key], (mod.MIN_VERSION, mod.MAX_VERSION), theirs.get(key), want))
    print(f"\n{line.line.name} (Kafka {line.line.version}) features {features}")
    for name, ours, broker, picked in rows:
        print(f"  {name:20} ours {ours[0]}-{ours[1]:<3} broker {broker}  -> {picked}")
    for name, key in NEEDED.items():
        assert nodes[next(iter(nodes))].get(key) is not None, f"{name} not negotiated on {line.line.name}"
    tv = features.get("transaction.version", 0)
    if line.line.transaction_version is not None:
        assert tv == line.line.transaction_version, features
    _report(line, {"line": line.line.name, "version": line.line.version, "features": features,
                   "negotiated": {name: picked for name, _, _, picked in rows},
                   "broker": {name: broker for name, _, broker, _ in rows}})


def test_negotiation_with_every_cap_against_the_brokers_answer(line: LineKafka) -> None:
    """negotiate() on this broker's real ApiVersions bytes, our offer capped at each version
    in turn: the pick is min(cap, broker max) while the ranges meet, and the API is left out
    when they do not (a cap below our own minimum is the no-overlap case every line has)."""
    body = api_versions_body(line.broker.addresses[0])
    theirs = raw_api_versions(line.broker.addresses[0])
    for key, mod in API_BY_KEY.items():
        for cap in range(mod.MIN_VERSION - 1, mod.MAX_VERSION + 1):
            got = negotiate(body, 3, API_BY_KEY, {key: cap}).versions.get(key)
            assert got == _expected((mod.MIN_VERSION, cap), theirs.get(key)), (API_NAMES[key], cap)


def test_the_lowest_produce_version_we_speak_is_accepted(line: LineKafka, line_topic: TopicMaker) -> None:
    """KIP-896: 4.x refuses Produce v0-v2 although its ApiVersions still lists them from v0
    (KAFKA-18659). Ours start at v3, which every line must take, idempotent included."""
    assert raw_api_versions(line.broker.addresses[0])[0][0] <= 3

    class Oldest(KafkaProducer):
        _max_versions = {0: 3}

    topic = line_topic()
    with Oldest(bootstrap_servers=line.bootstrap, enable_idempotence=True, compression_type="gzip") as p:
        metas = [p.send(topic, key=b"k", value=b"v%d" % i).get(30) for i in range(3)]
        assert {n.versions.get(0) for n in p._network.nodes.values() if n.versions} == {3}
    assert [m.offset for m in metas] == [0, 1, 2]
    assert [c.value for c in consume(line.bootstrap, topic, 3)] == [b"v0", b"v1", b"v2"]


def test_idempotent_sends_with_a_codec_are_read_back(line: LineKafka, line_topic: TopicMaker) -> None:
    topic = line_topic(partitions=3)
    records = [(b"k%d" % (i % 5), b"value-%d" % i * (i % 4 + 1), [("h", b"%d" % i)]) for i in range(300)]
    with KafkaProducer(bootstrap_servers=line.bootstrap, compression_type="zstd", acks="all",
                       enable_idempotence=True, linger_ms=5, batch_size=2048) as p:
        futures = [p.send(topic, key=k, value=v, headers=h) for k, v, h in records]
        p.flush(60)
        metas = [f.get(0) for f in futures]
    by_partition: dict[int, list[int]] = {}
    for m in metas:
        by_partition.setdefault(m.partition, []).append(m.offset)
    assert all(offsets == list(range(len(offsets))) for offsets in by_partition.values())
    got = consume(line.bootstrap, topic, len(records), timeout=60)
    where = {(m.partition, m.offset): r for m, r in zip(metas, records)}
    assert len(got) == len(records)
    for c in got:
        k, v, h = where[(c.partition, c.offset)]
        assert (c.key, c.value, [tuple(x) for x in c.headers]) == (k, v, h)


def _committed(bootstrap: str, group: str, topic: str) -> int:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        return c.committed([CkTopicPartition(topic, 0)], timeout=15)[0].offset
    finally:
        c.close()


def test_transaction_committed_with_offsets_and_one_aborted(line: LineKafka, line_topic: TopicMaker) -> None:
    topic = line_topic(partitions=2)
    group = f"io-g-{uuid.uuid4().hex[:8]}"
    theirs = raw_api_versions(line.broker.addresses[0])
    sent: list[tuple[int, int]] = []
    p = KafkaProducer(bootstrap_servers=line.bootstrap, transactional_id=f"io-{uuid.uuid4().hex}",
                      compression_type="lz4", linger_ms=5)
    real_send = p._network.send

    def spy(node_id: int, api_key: int, version: int, *args: Any, **kwargs: Any) -> Any:
        sent.append((api_key, version))
        return real_send(node_id, api_key, version, *args, **kwargs)

    p._network.send = spy  # type: ignore[method-assign]
    try:
        p.init_transactions()
        p.begin_transaction()
        for i in range(20):
            p.send(topic, key=b"%d" % i, value=b"c%d" % i)
        p.send_offsets_to_transaction({(topic, 0): 5}, group)
        p.commit_transaction()
        p.begin_transaction()
        aborted = [p.send(topic, key=b"%d" % i, value=b"a%d" % i) for i in range(20)]
        p.flush()
        p.abort_transaction()
        tv = p._network.finalized_features.get("transaction.version", 0)
        assert p._txn is not None
        v2 = p._txn.transaction_v2
    finally:
        p.close(10)
    assert all(f.succeeded() for f in aborted)  # written, then hidden by the abort marker
    committed = consume(line.bootstrap, topic, 20, timeout=30)
    assert sorted(c.value or b"" for c in committed) == sorted(b"c%d" % i for i in range(20))
    assert len(consume(line.bootstrap, topic, 40, timeout=30, isolation_level="read_uncommitted")) == 40
    assert _committed(line.bootstrap, group, topic) == 5

    # The transaction protocol follows the FINALIZED transaction.version, not the Produce
    # versions the broker advertises (4.4 with transaction.version=1 still offers Produce v12+).
    assert v2 == (tv >= 2)
    produce = {v for k, v in sent if k == 0}
    assert produce
    if v2:
        assert min(produce) >= 12 and 24 not in {k for k, _ in sent}  # Produce adds the partitions
    else:
        assert max(produce) <= 11 and 24 in {k for k, _ in sent}  # AddPartitionsToTxn first
        assert max(v for k, v in sent if k == 26) <= 4  # EndTxn v5+ is the TV2 form
        assert max(v for k, v in sent if k == 28) <= 4  # so is TxnOffsetCommit v5+
    if line.line.name == "4.4-tv1":
        assert theirs[0][1] >= 12, "the point of this line: Produce v12+ advertised, TV2 not finalized"
