"""AddPartitionsToTxn (API key 24): register partitions in a transaction.

Two forms share one API key:

* v0-3, the *client* form: one transaction, the ``v3_and_below_*`` fields.
  The Java producer builds it with ``AddPartitionsToTxnRequest.Builder.forClient``,
  capped at version 3, and sends it to the transaction coordinator before the
  first Produce to a partition in each transaction.
* v4-5, the *broker* form (KIP-890 part 1): a partition leader batches several
  transactions (``transactions``) and may set ``verify_only`` to ask whether a
  partition is already in a transaction. Java builds it only with
  ``Builder.forBroker``; the coordinator treats v4+ as inter-broker.

A client therefore never sends v4+; under transaction protocol version 2
(KIP-890 part 2) it does not send this API at all, since Produce v12+ adds
the partition implicitly. Both forms are encoded and decoded here so that
captured inter-broker traffic can be decoded too. Versions 3+ are flexible.
The v0-3 fields and the v4+ fields are not ignorable: a non-default value in
a version that lacks them raises ``LocalProtocolError``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from purekafka.protocol._codec import absent, is_flexible, put_tags
from purekafka.protocol.primitives import Reader, Writer

API_KEY = 24
MIN_VERSION = 0
MAX_VERSION = 5
FLEXIBLE_VERSION = 3
_API = "AddPartitionsToTxn"
FIRST_BROKER_VERSION = 4
"""Versions from here on carry ``transactions`` instead of the v0-3 fields."""


@dataclass
class AddPartitionsToTxnTopic:
    name: str = ""
    partitions: list[int] = field(default_factory=list)
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class AddPartitionsToTxnTransaction:
    transactional_id: str = ""
    producer_id: int = 0
    producer_epoch: int = 0
    verify_only: bool = False
    topics: list[AddPartitionsToTxnTopic] = field(default_factory=list)
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class AddPartitionsToTxnRequest:
    """Client form (v0-3): the ``v3_and_below_*`` fields; broker form (v4+): ``transactions``."""

    transactions: list[AddPartitionsToTxnTransaction] = field(default_factory=list)  # v4+
    v3_and_below_transactional_id: str = ""  # v0-3
    v3_and_below_producer_id: int = 0  # v0-3
    v3_and_below_producer_epoch: int = 0  # v0-3
    v3_and_below_topics: list[AddPartitionsToTxnTopic] = field(default_factory=list)  # v0-3
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class AddPartitionsToTxnPartitionResult:
    partition_index: int = 0
    partition_error_code: int = 0
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class AddPartitionsToTxnTopicResult:
    name: str = ""
    results_by_partition: list[AddPartitionsToTxnPartitionResult] = field(default_factory=list)
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class AddPartitionsToTxnResult:
    transactional_id: str = ""
    topic_results: list[AddPartitionsToTxnTopicResult] = field(default_factory=list)
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


@dataclass
class AddPartitionsToTxnResponse:
    """Client form (v0-3): ``results_by_topic_v3_and_below``; broker form: ``results_by_transaction``."""

    throttle_time_ms: int = 0
    error_code: int = 0  # v4+, ignorable
    results_by_transaction: list[AddPartitionsToTxnResult] = field(default_factory=list)  # v4+
    results_by_topic_v3_and_below: list[AddPartitionsToTxnTopicResult] = field(default_factory=list)  # v0-3
    unknown_tags: dict[int, bytes] = field(default_factory=dict)


def _check(version: int) -> bool:
    return is_flexible(_API, version, MIN_VERSION, MAX_VERSION, FLEXIBLE_VERSION)


# -- request -----------------------------------------------------------------


def _write_topics(w: Writer, topics: list[AddPartitionsToTxnTopic], flex: bool) -> None:
    w.array_len(len(topics), flex)
    for t in topics:
        w.string(t.name, flex)
        w.array_len(len(t.partitions), flex)
        for p in t.partitions:
            w.int32(p)
        put_tags(w, t.unknown_tags, flex, "AddPartitionsToTxnTopic")


def _read_topics(r: Reader, flex: bool, field_name: str) -> list[AddPartitionsToTxnTopic]:
    topics = []
    for _ in range(r.array_len(field_name, flex)):
        t = AddPartitionsToTxnTopic(name=r.string("name", flex))
        t.partitions = [r.int32("partitions") for _ in range(r.array_len("partitions", flex))]
        if flex:
            t.unknown_tags = r.tagged_fields()
        topics.append(t)
        if r.bad:
            break
    return topics


def encode_request(msg: AddPartitionsToTxnRequest, version: int) -> bytes:
    """Encode an AddPartitionsToTxn request body at ``version`` (client form below 4)."""
    flex = _check(version)
    w = Writer()
    if version >= FIRST_BROKER_VERSION:
        w.array_len(len(msg.transactions), flex)
        for txn in msg.transactions:
            w.string(txn.transactional_id, flex)
            w.int64(txn.producer_id)
            w.int16(txn.producer_epoch)
            w.bool(txn.verify_only)
            _write_topics(w, txn.topics, flex)
            put_tags(w, txn.unknown_tags, flex, "AddPartitionsToTxnTransaction")
        if msg.v3_and_below_transactional_id != "":
            raise absent(_API, "v3_and_below_transactional_id", version)
        if msg.v3_and_below_producer_id != 0:
            raise absent(_API, "v3_and_below_producer_id", version)
        if msg.v3_and_below_producer_epoch != 0:
            raise absent(_API, "v3_and_below_producer_epoch", version)
        if msg.v3_and_below_topics:
            raise absent(_API, "v3_and_below_topics", version)
    else:
        if msg.transactions:
            raise absent(_API, "transactions", version)
        w.string(msg.v3_and_below_transactional_id, flex)
        w.int64(msg.v3_and_below_producer_id)
        w.int16(msg.v3_and_below_producer_epoch)
        _write_topics(w, msg.v3_and_below_topics, flex)
    put_tags(w, msg.unknown_tags, flex, "AddPartitionsToTxnRequest")
    return bytes(w.buf)


def decode_request(buf: bytes | bytearray | memoryview, version: int) -> AddPartitionsToTxnRequest:
    """Decode an AddPartitionsToTxn request body; raises ``DecodeError`` on bad bytes."""
    flex = _check(version)
    r = Reader(buf)
    msg = AddPartitionsToTxnRequest()
    if version >= FIRST_BROKER_VERSION:
        for _ in range(r.array_len("transactions", flex)):
            txn = AddPartitionsToTxnTransaction(
                transactional_id=r.string("transactional_id", flex),
                producer_id=r.int64("producer_id"),
                producer_epoch=r.int16("producer_epoch"),
                verify_only=r.bool("verify_only"),
                topics=_read_topics(r, flex, "topics"),
            )
            if flex:
                txn.unknown_tags = r.tagged_fields()
            msg.transactions.append(txn)
            if r.bad:
                break
    else:
        msg.v3_and_below_transactional_id = r.string("v3_and_below_transactional_id", flex)
        msg.v3_and_below_producer_id = r.int64("v3_and_below_producer_id")
        msg.v3_and_below_producer_epoch = r.int16("v3_and_below_producer_epoch")
        msg.v3_and_below_topics = _read_topics(r, flex, "v3_and_below_topics")
    if flex:
        msg.unknown_tags = r.tagged_fields()
    r.finish()
    return msg


# -- response ----------------------------------------------------------------


def _write_topic_results(w: Writer, results: list[AddPartitionsToTxnTopicResult], flex: bool) -> None:
    w.array_len(len(results), flex)
    for t in results:
        w.string(t.name, flex)
        w.array_len(len(t.results_by_partition), flex)
        for p in t.results_by_partition:
            w.int32(p.partition_index)
            w.int16(p.partition_error_code)
            put_tags(w, p.unknown_tags, flex, "AddPartitionsToTxnPartitionResult")
        put_tags(w, t.unknown_tags, flex, "AddPartitionsToTxnTopicResult")


def _read_topic_results(r: Reader, flex: bool, field_name: str) -> list[AddPartitionsToTxnTopicResult]:
    results = []
    for _ in range(r.array_len(field_name, flex)):
        t = AddPartitionsToTxnTopicResult(name=r.string("name", flex))
        for _ in range(r.array_len("results_by_partition", flex)):
            p = AddPartitionsToTxnPartitionResult(
                partition_index=r.int32("partition_index"),
                partition_error_code=r.int16("partition_error_code"),
            )
            if flex:
                p.unknown_tags = r.tagged_fields()
            t.results_by_partition.append(p)
            if r.bad:
                break
        if flex:
            t.unknown_tags = r.tagged_fields()
        results.append(t)
        if r.bad:
            break
    return results


def encode_response(msg: AddPartitionsToTxnResponse, version: int) -> bytes:
    """Encode an AddPartitionsToTxn response body at ``version``."""
    flex = _check(version)
    w = Writer()
    w.int32(msg.throttle_time_ms)
    if version >= FIRST_BROKER_VERSION:
        w.int16(msg.error_code)
        w.array_len(len(msg.results_by_transaction), flex)
        for res in msg.results_by_transaction:
            w.string(res.transactional_id, flex)
            _write_topic_results(w, res.topic_results, flex)
            put_tags(w, res.unknown_tags, flex, "AddPartitionsToTxnResult")
        if msg.results_by_topic_v3_and_below:
            raise absent(_API, "results_by_topic_v3_and_below", version)
    else:
        # error_code is ignorable below v4: dropped, as Java does.
        if msg.results_by_transaction:
            raise absent(_API, "results_by_transaction", version)
        _write_topic_results(w, msg.results_by_topic_v3_and_below, flex)
    put_tags(w, msg.unknown_tags, flex, "AddPartitionsToTxnResponse")
    return bytes(w.buf)


def decode_response(buf: bytes | bytearray | memoryview, version: int) -> AddPartitionsToTxnResponse:
    """Decode an AddPartitionsToTxn response body; raises ``DecodeError`` on bad bytes."""
    flex = _check(version)
    r = Reader(buf)
    msg = AddPartitionsToTxnResponse(throttle_time_ms=r.int32("throttle_time_ms"))
    if version >= FIRST_BROKER_VERSION:
        msg.error_code = r.int16("error_code")
        for _ in range(r.array_len("results_by_transaction", flex)):
            res = AddPartitionsToTxnResult(transactional_id=r.string("transactional_id", flex))
            res.topic_results = _read_topic_results(r, flex, "topic_results")
            if flex:
                res.unknown_tags = r.tagged_fields()
            msg.results_by_transaction.append(res)
            if r.bad:
                break
    else:
        msg.results_by_topic_v3_and_below = _read_topic_results(r, flex, "results_by_topic_v3_and_below")
    if flex:
        msg.unknown_tags = r.tagged_fields()
    r.finish()
    return msg
