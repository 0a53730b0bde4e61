"""KIP-951: a Produce answer that names a partition's new leader moves it at once.

Driven through the Sender's public entry points over the fake network (Produce v10+
carries ``current_leader`` per partition and ``node_endpoints``), plus the rules of
``Cluster.update_leader`` that keep a late answer from undoing fresher metadata.
"""
from __future__ import annotations

from tests.support.fake_network import FakeNetwork, SenderRig, produce_response

from purekafka.core.cluster import Broker
from purekafka.protocol import metadata as md
from purekafka.protocol import produce

TP = ("topic", 0)
NOT_LEADER_OR_FOLLOWER = 6
FENCED_LEADER_EPOCH = 74


def _moved(code: int, leader: int, epoch: int, endpoints: list[produce.NodeEndpoint]) -> produce.ProduceResponse:
    resp = produce_response({TP: produce.PartitionProduceResponse(
        index=0, error_code=code, base_offset=-1,
        current_leader=produce.LeaderIdAndEpoch(leader_id=leader, leader_epoch=epoch))})
    resp.node_endpoints = endpoints
    return resp


def _rig() -> SenderRig:
    net = FakeNetwork(ready={1, 2})
    net.versions[produce.API_KEY] = 10
    rig = SenderRig(idempotent=True, network=net)
    rig.leader_epoch = 5
    rig.answer_metadata(0.0)
    from purekafka.protocol import init_producer_id as ipi

    rig.net.respond(rig.net.take(ipi.API_KEY), ipi.InitProducerIdResponse(producer_id=7, producer_epoch=0), 0.0)
    return rig


def test_not_leader_with_a_new_leader_moves_the_partition_and_the_retry_goes_there() -> None:
    rig = _rig()
    batch = rig.append()
    rig.sender.run_once(1.0)
    first = rig.net.take(produce.API_KEY)
    assert first.node == 1
    rig.net.respond(first, _moved(NOT_LEADER_OR_FOLLOWER, 2, 6, [
        produce.NodeEndpoint(node_id=2, host="broker-2", port=9093)]), 2.0)
    assert rig.cluster.leader_for(TP) == 2  # without waiting for metadata
    assert rig.cluster.broker(2) == Broker(2, "broker-2", 9093)
    assert rig.cluster.topics["topic"].partitions[0].leader_epoch == 6
    assert rig.events() == [] and batch.attempts == 1
    rig.sender.run_once(200.0)  # after the backoff; metadata is asked for too, unanswered
    assert [s.node for s in rig.net.sent if s.api_key == produce.API_KEY] == [2]
    rig.net.respond(rig.net.take(produce.API_KEY), produce_response({TP: 0}), 201.0)
    (ev,) = rig.events()
    assert ev.batch is batch and ev.exception is None


def test_fenced_leader_epoch_with_a_known_broker_needs_no_endpoint() -> None:
    rig = _rig()
    rig.cluster.brokers[2] = Broker(2, "known", 1)
    rig.append()
    rig.sender.run_once(1.0)
    rig.net.respond(rig.net.take(produce.API_KEY), _moved(FENCED_LEADER_EPOCH, 2, 9, []), 2.0)
    assert rig.cluster.leader_for(TP) == 2 and rig.cluster.broker(2) == Broker(2, "known", 1)


def test_a_stale_or_incomplete_leader_hint_changes_nothing() -> None:
    for leader, epoch, endpoints in [
        (2, 5, [produce.NodeEndpoint(2, "b2", 1)]),  # not newer than the known epoch 5
        (2, 4, [produce.NodeEndpoint(2, "b2", 1)]),  # older
        (2, 6, []),  # a broker the view does not know, and no endpoint for it
        (2, 6, [produce.NodeEndpoint(3, "b3", 1)]),  # an endpoint for another node
        (-1, -1, []),  # no hint at all (what Produce < v10 decodes to)
    ]:
        rig = _rig()
        rig.append()
        rig.sender.run_once(1.0)
        version = rig.cluster.version
        rig.net.respond(rig.net.take(produce.API_KEY), _moved(NOT_LEADER_OR_FOLLOWER, leader, epoch, endpoints), 2.0)
        assert rig.cluster.leader_for(TP) == 1, (leader, epoch, endpoints)
        assert rig.cluster.version == version and 2 not in rig.cluster.brokers


def test_a_leader_hint_on_success_is_not_followed() -> None:
    rig = _rig()
    rig.append()
    rig.sender.run_once(1.0)
    rig.net.respond(rig.net.take(produce.API_KEY), _moved(0, 2, 6, [produce.NodeEndpoint(2, "b2", 1)]), 2.0)
    assert rig.cluster.leader_for(TP) == 1
    assert not [s for s in rig.net.sent if s.api_key == md.API_KEY]
