"""producer.waits: when send()'s wait for a topic's partitions and a transactional call's for
its result end, and with what error, without a broker or a clock (both fronts drive them:
tests/producer, tests/aio, tests/exactly_once)."""
from __future__ import annotations

import random
import uuid

import pytest

from purekafka import errors as Errors
from purekafka.core.cluster import Cluster
from purekafka.errors import ErrorCode
from purekafka.partitioner import BuiltInPartitioner
from purekafka.core.txn_requests import TxnResult
from purekafka.producer.waits import MetadataWait, TxnWait
from purekafka.protocol import metadata as md


def _answer(cluster: Cluster, topic: str, error: int = 0, leaders: tuple[int, ...] = ()) -> None:
    resp = md.MetadataResponse()
    resp.brokers = [md.MetadataResponseBroker(node_id=1, host="127.0.0.1", port=9001)]
    t = md.MetadataResponseTopic(error_code=error, name=topic, topic_id=uuid.uuid4())
    t.partitions = [md.MetadataResponsePartition(partition_index=i, leader_id=leader)
                    for i, leader in enumerate(leaders)]
    resp.topics.append(t)
    cluster.update_started(0)
    cluster.update(resp, now_ms=0)


def test_waits_in_short_pauses_asking_for_updates_until_the_partitions_are_known() -> None:
    cluster = Cluster([("localhost", 9092)])
    wait = MetadataWait(cluster, "t", 2.0, 100.0, "thread")
    assert wait.begin() and not MetadataWait(cluster, "t", 2.0, 100.0, "thread").begin()
    _answer(cluster, "other")  # an answer without the topic: no update due for a while
    assert cluster.ttl_ms(1000) > 0
    assert wait.next_pause(100.0, None, True) == 0.1
    assert cluster.ttl_ms(1000) == 0  # asked for again
    assert wait.next_pause(101.95, None, True) == pytest.approx(0.05)  # never past the deadline
    _answer(cluster, "t", leaders=(1, -1, 1))
    assert wait.next_pause(102.5, None, True) is None  # known: the deadline no longer matters
    info = wait.info(BuiltInPartitioner(16384, False, random.Random()))
    assert (info.version, info.partitions, info.available) == (cluster.version, [0, 1, 2], [0, 2])


def test_what_ends_the_wait_first() -> None:
    cluster = Cluster([("localhost", 9092)])
    auth = Errors.SaslAuthenticationFailedError("SASL PLAIN authentication failed")
    wait = MetadataWait(cluster, "t", 1.5, 0.0, "task")
    with pytest.raises(Errors.KafkaTimeoutError, match=r"Failed to update metadata after 1.5 secs\.$"):
        wait.next_pause(1.5, None, True)
    with pytest.raises(Errors.KafkaError, match="producer I/O task is not running"):
        wait.next_pause(1.5, None, False)  # a stopped driver before the timeout
    with pytest.raises(Errors.SaslAuthenticationFailedError) as info:
        wait.next_pause(1.5, auth, False)  # the authentication error before both
    assert info.value is auth
    _answer(cluster, "t", error=ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    with pytest.raises(Errors.TopicAuthorizationFailedError, match="'t'"):
        wait.next_pause(0.0, auth, False)  # the topic's own error before everything


def test_a_transaction_result_is_awaited_until_done_the_driver_stops_or_time_runs_out() -> None:
    wait = TxnWait(60.0, 10.0, "thread")
    result = TxnResult("InitProducerId")
    assert wait.next_pause(result, 10.0, True) == 0.5
    assert wait.next_pause(result, 69.9, True) == pytest.approx(0.1)
    with pytest.raises(Errors.KafkaTimeoutError,
                       match="Timeout expired after 60000 ms while awaiting InitProducerId$"):
        wait.next_pause(result, 70.0, True)
    with pytest.raises(Errors.KafkaError, match="producer I/O thread is not running"):
        wait.next_pause(result, 11.0, False)
    result.succeed()
    assert wait.next_pause(result, 99.0, False) is None  # done: nothing else matters
