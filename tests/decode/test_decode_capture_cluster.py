"""The brokers' own traffic in a 3-node KRaft cluster, captured with tcpdump on loopback.

The capture covers every broker and controller port while one node restarts (so its
controller registration and heartbeats, the quorum's Fetch and the replication fetchers
start afresh) and a transactional producer commits (so the coordinator sends
WriteTxnMarkers to the partition leaders). Connections that were open before the capture
began join it mid-stream: the frames found there must decode too, except what the capture
cannot hold (the start of a frame, the request of a response).
"""
from __future__ import annotations

import time
import uuid
from typing import Any

import confluent_kafka
import pytest
from tests.support.loopback_capture import LoopbackCapture, clean, decode, decode_frames, endpoints, tshark_matches, \
    undecoded

pytestmark = [pytest.mark.broker, pytest.mark.cluster]


def _replica_id(body: dict[str, Any]) -> int:
    state = body.get("replica_state")
    return int(state["replica_id"]) if state is not None else int(body.get("replica_id", -1))


def test_inter_broker_traffic_of_a_three_node_cluster(kafka_cluster, tmp_path):
    nodes = kafka_cluster.status()
    state = kafka_cluster._need_local().load()
    broker_ports = [n["port"] for n in state["nodes"]]
    controller_ports = [n["controller_port"] for n in state["nodes"]]
    ports = broker_ports + controller_ports
    topic = f"cap-cluster-{uuid.uuid4().hex[:8]}"
    txn_id = f"cap-cluster-txn-{uuid.uuid4().hex[:6]}"
    bootstrap = ",".join(f"127.0.0.1:{p}" for p in broker_ports)
    cap = tmp_path / "cluster.pcap"
    with LoopbackCapture(cap, ports) as capture:
        kafka_cluster.restart(nodes[-1][0])
        kafka_cluster.create_topic(topic, partitions=3, replication_factor=3)
        prod = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id})
        prod.init_transactions(60)
        prod.begin_transaction()
        for p in range(3):
            prod.produce(topic, key=b"k%d" % p, value=b"txn %d" % p, partition=p)
        prod.commit_transaction(60)
        del prod
        time.sleep(1.5)  # long-polling replica fetchers pick the records and markers up
    everything = decode_frames(cap, ports)
    frames = clean(everything)
    fresh_bad = undecoded(frames)
    assert fresh_bad == [], (f"kernel dropped {capture.dropped} packets",
                             [(f["where"], f["api_name"], f["error"], f["problems"]) for f in fresh_bad])
    # Mid-stream, only what precedes the capture is lost: a frame's start, or the request of a
    # response; and a frame still arriving when tcpdump stops is cut short.
    bad = undecoded(everything)
    assert all("mid-connection" in f["where"] and (f["error"].startswith("the capture began mid-connection:")
                                                    or "matches no request" in f["error"]
                                                    or f["error"].startswith("truncated frame")) for f in bad), \
        [(f["where"], f["error"]) for f in bad]
    tshark_matches(cap, ports, frames)

    def on(port_set: list[int], name: str, kind: str = "request") -> list[dict[str, Any]]:
        return [f for f in everything if not f["error"] and f["api_name"] == name and f["type"] == kind
                and endpoints(f)[1] in port_set]

    # The controller quorum: registration and heartbeats of the restarted node, and the quorum's own Fetch.
    assert any(f["body"]["broker_id"] == nodes[-1][0] for f in on(controller_ports, "BrokerRegistration"))
    assert on(controller_ports, "BrokerHeartbeat") and on(controller_ports, "Fetch")
    assert all(f["body"]["cluster_id"] == state["cluster_id"] for f in on(controller_ports, "Fetch"))
    # Replication: followers fetch from the leaders, our topic among them, with their broker id.
    replication = [f for f in on(broker_ports, "Fetch") if _replica_id(f["body"]) >= 0]
    assert {_replica_id(f["body"]) for f in replication} <= {n[0] for n in nodes}
    assert any(topic in f["topic_names"].values() or any(t.get("topic") == topic for t in f["body"]["topics"])
               for f in replication)
    # The transaction: its producer id comes back in the markers the coordinator writes to the leaders.
    (init,) = [f for f in everything if f["api_name"] == "InitProducerId" and f["type"] == "response"
               and not f["error"] and f["body"]["producer_id"] >= 0 and "mid-connection" not in f["where"]]
    pid = init["body"]["producer_id"]
    marked: set[int] = set()
    for f in on(broker_ports, "WriteTxnMarkers"):
        for m in f["body"]["markers"]:
            if m["producer_id"] == pid:
                assert m["transaction_result"] is True  # a commit
                marked.update(i for t in m["topics"] if t["name"] == topic for i in t["partition_indexes"])
    assert marked == {0, 1, 2}
    # The views over the same capture: only WriteTxnMarkers, and stats that count them.
    _, out, _ = decode(["--summary", "--filter", "api=WriteTxnMarkers", "--filter", f"topic={topic}"]
                       + [a for p in ports for a in ("--port", str(p))] + [str(cap)])
    lines = [x for x in out.splitlines() if "UNDECODED" not in x]  # unreadable frames are always shown
    assert lines and all("WriteTxnMarkers" in x for x in lines)
