"""The decode tool against real traffic and real segments of Apache Kafka.

* confluent-kafka (librdkafka) and purekafka produce through the decode proxy,
  which records a pcap; the capture and the live output must show exactly the
  records the clients sent, and a confluent-kafka consumer reading through the
  proxy (so through rewritten Metadata/FindCoordinator responses) must see them.
* tcpdump on loopback captures a confluent-kafka session directly.
* ``--dump-log`` on segments the broker wrote must equal Kafka's own
  DumpLogSegments output, line for line.
"""
from __future__ import annotations

import io
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import confluent_kafka
import pytest
from tests.support.readback import consume

from purekafka.decode import main
from purekafka.decode.frames import Message
from purekafka.decode.proxy import Proxy

pytestmark = pytest.mark.broker

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
ROOT = Path(__file__).resolve().parents[2]


def _records(tag: str, n: int = 4) -> list[tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]]]]:
    out = []
    for i in range(n):
        key = None if i % 3 == 0 else f"{tag}-key-{i}".encode()
        value = None if i == n - 1 else f"{tag} value {i} \u00e9\u4e2d".encode() * (1 + i)
        headers = [("h1", f"{i}".encode()), ("empty", b""), ("null", None)][: i % 4]
        out.append((key, value, headers))
    return out


class RunningProxy:
    def __init__(self, upstream: tuple[str, int], pcap_path: Path) -> None:
        self.messages: list[Message] = []
        self.fh = open(pcap_path, "wb")
        self.proxy = Proxy(("127.0.0.1", 0), upstream, self.messages.append, self.fh)
        host, port = self.proxy.bind()
        self.bootstrap = f"{host}:{port}"
        self.thread = threading.Thread(target=self.proxy.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.proxy.stop()
        self.thread.join(10)
        self.fh.close()
        assert not self.thread.is_alive()


def decode_json(argv: list[str]) -> tuple[int, list[dict]]:
    out, err = io.StringIO(), io.StringIO()
    rc = main(["--json", *argv], stdout=out, stderr=err)
    assert "Traceback" not in err.getvalue()
    return rc, [json.loads(line) for line in out.getvalue().splitlines()]


def _hex_or_none(b: bytes | None) -> str | None:
    return None if b is None else b.hex()


def produced_records(frames: list[dict], topic: str) -> list[tuple]:
    """(partition, key hex, value hex, headers) of every record in Produce requests for ``topic``."""
    out = []
    # Produce v13+ names topics by id only; Metadata responses in the same capture give the id.
    ids = {t["topic_id"] for f in frames if f["type"] == "response" and f["api_name"] == "Metadata"
           for t in f["body"]["topics"] if t["name"] == topic}
    for f in frames:
        if f["type"] != "request" or f["api_name"] != "Produce":
            continue
        for td in f["body"]["topic_data"]:
            if td.get("name") != topic and td.get("topic_id") not in ids:
                continue
            for pd in td["partition_data"]:
                for b in pd["records"]["batches"]:
                    assert b["crc_valid"], b
                    for r in b["records"]:
                        out.append((pd["index"], r["key"] and r["key"]["hex"], r["value"] and r["value"]["hex"],
                                    [(h["key"], h["value"] and h["value"]["hex"]) for h in r["headers"]]))
    return out


def assert_produced(frames: list[dict], topic: str, expected: list[tuple]) -> None:
    """The records in the capture's Produce requests are exactly ``expected``; a request the broker
    refused with an error and the client retried may repeat some (then each must still be expected)."""
    got = produced_records(frames, topic)
    retried = any(pr["error_code"] != 0 for f in frames if f["type"] == "response" and f["api_name"] == "Produce"
                  for r in f["body"]["responses"] for pr in r["partition_responses"])
    if retried:
        assert {repr(x) for x in got} == {repr(x) for x in expected}
    else:
        assert sorted(got, key=repr) == sorted(expected, key=repr)


def fetched_records(frames: list[dict], topic: str) -> set[tuple]:
    out = set()
    ids = {t["topic_id"] for f in frames if f["type"] == "response" and f["api_name"] == "Metadata"
           for t in f["body"]["topics"] if t["name"] == topic}
    for f in frames:
        if f["type"] != "response" or f["api_name"] != "Fetch":
            continue
        for resp in f["body"]["responses"]:
            if resp.get("topic") != topic and resp.get("topic_id") not in ids:
                continue
            for p in resp["partitions"]:
                if not isinstance(p["records"], dict):
                    continue
                for b in p["records"]["batches"]:
                    for r in b["records"]:
                        out.add((p["partition_index"], r["offset"], r["key"] and r["key"]["hex"],
                                 r["value"] and r["value"]["hex"]))
    return out


def _expected(sent: list[tuple[int, bytes | None, bytes | None, list]]) -> list[tuple]:
    return [(p, _hex_or_none(k), _hex_or_none(v), [(hk, _hex_or_none(hv)) for hk, hv in h]) for p, k, v, h in sent]


def test_confluent_kafka_through_the_proxy(kafka, topic_factory, tmp_path):
    topic = topic_factory(partitions=2)
    cap = tmp_path / "confluent.pcap"
    rp = RunningProxy(kafka.addresses[0], cap)
    sent: list[tuple[int, bytes | None, bytes | None, list]] = []
    try:
        for codec in CODECS:
            prod = confluent_kafka.Producer({"bootstrap.servers": rp.bootstrap, "compression.type": codec,
                                             "linger.ms": 20, "enable.idempotence": codec == "zstd"})
            for i, (k, v, h) in enumerate(_records(codec)):
                prod.produce(topic, key=k, value=v, headers=h, partition=i % 2)
                sent.append((i % 2, k, v, h))
            assert prod.flush(30) == 0
            del prod
        # Read back through the proxy: the consumer follows the rewritten broker addresses.
        got = consume(rp.bootstrap, topic, len(sent), timeout=60)
    finally:
        rp.stop()
    assert sorted(((r.partition, r.key, r.value) for r in got), key=repr) == \
        sorted(((p, k, v) for p, k, v, _ in sent), key=repr)
    assert set(rp.proxy.local_for) >= {tuple(kafka.addresses[0])}

    rc, frames = decode_json([str(cap)])
    assert rc == 0, [f for f in frames if f["error"] or f["problems"]]
    assert_produced(frames, topic, _expected(sent))
    codecs_seen = {b["compression"] for f in frames if f["api_name"] == "Produce" and f["type"] == "request"
                   for td in f["body"]["topic_data"] for pd in td["partition_data"]
                   for b in pd["records"]["batches"]}
    assert codecs_seen == set(CODECS)
    fetched = fetched_records(frames, topic)
    assert {(r.partition, r.offset, _hex_or_none(r.key), _hex_or_none(r.value)) for r in got} <= fetched
    # Every response was paired with its request.
    assert all(f["api_name"] for f in frames)
    assert {"ApiVersions", "Metadata", "Produce", "Fetch"} <= {f["api_name"] for f in frames}
    # The live output decoded the same frames as the capture.
    live = [(m.kind, m.api_name, m.api_version, m.correlation_id) for m in rp.messages]
    from_cap = [(f["type"], f["api_name"], f["api_version"], f["correlation_id"]) for f in frames]
    assert sorted(live, key=str) == sorted(from_cap, key=str)
    assert not [m for m in rp.messages if m.failed]
    rewritten = [m for m in rp.messages if m.notes]
    assert rewritten and {m.api_name for m in rewritten} <= {"Metadata", "FindCoordinator"}
    assert all("broker addresses replaced" in m.notes[0] for m in rewritten)
    # The tree output of the same capture reads, and names the topic and errors.
    out = io.StringIO()
    assert main([str(cap)], stdout=out, stderr=io.StringIO()) == 0
    assert f'name: "{topic}"' in out.getvalue() and "error_code: 0 (NONE)" in out.getvalue()


def test_confluent_kafka_transactions_through_the_proxy(kafka, topic_factory, tmp_path):
    topic = topic_factory()
    cap = tmp_path / "txn.pcap"
    rp = RunningProxy(kafka.addresses[0], cap)
    try:
        prod = confluent_kafka.Producer({"bootstrap.servers": rp.bootstrap, "transactional.id": f"tx-{topic}",
                                         "compression.type": "lz4"})
        prod.init_transactions(30)
        prod.begin_transaction()
        prod.produce(topic, key=b"c", value=b"committed")
        prod.commit_transaction(30)
        prod.begin_transaction()
        prod.produce(topic, key=b"a", value=b"aborted")
        prod.flush(30)
        prod.abort_transaction(30)
        got = consume(rp.bootstrap, topic, 1, timeout=60)
    finally:
        rp.stop()
    assert [(r.key, r.value) for r in got] == [(b"c", b"committed")]
    rc, frames = decode_json([str(cap)])
    assert rc == 0
    by_api = {}
    for f in frames:
        by_api.setdefault((f["type"], f["api_name"]), []).append(f)
    init = [f for f in by_api[("response", "InitProducerId")] if f["body"]["producer_id"] >= 0][-1]["body"]
    ends = [f["body"]["committed"] for f in by_api[("request", "EndTxn")]]
    assert ends == [True, False]
    assert all(f["body"]["error_code"] == 0 for f in by_api[("response", "EndTxn")])
    batches = [b for f in by_api[("request", "Produce")] for td in f["body"]["topic_data"]
               for pd in td["partition_data"] for b in pd["records"]["batches"]]
    assert [b["is_transactional"] for b in batches] == [True, True]
    assert {b["producer_id"] for b in batches} == {init["producer_id"]}
    assert [b["base_sequence"] for b in batches] == [0, 1]
    coordinators = by_api[("response", "FindCoordinator")]
    assert coordinators and all(f["error"] is None for f in coordinators)
    # Reading back committed data with read_committed fetched the markers too.
    markers = [r["control"]["type"] for f in by_api.get(("response", "Fetch"), [])
               for resp in f["body"]["responses"] for p in resp["partitions"]
               if isinstance(p["records"], dict) for b in p["records"]["batches"] for r in b["records"]
               if r["control"]]
    assert "COMMIT" in markers and "ABORT" in markers


def test_purekafka_through_the_proxy(kafka, topic_factory, tmp_path):
    from purekafka import KafkaProducer

    topic = topic_factory(partitions=2)
    cap = tmp_path / "purekafka.pcap"
    rp = RunningProxy(kafka.addresses[0], cap)
    sent = []
    try:
        for codec in ("gzip", "zstd"):
            prod = KafkaProducer(bootstrap_servers=rp.bootstrap, compression_type=codec, linger_ms=10)
            try:
                for i, (k, v, h) in enumerate(_records("pk-" + codec, 5)):
                    prod.send(topic, key=k, value=v, headers=h, partition=i % 2).get(timeout=30)
                    sent.append((i % 2, k, v, h))
            finally:
                prod.close(10)
        got = consume(rp.bootstrap, topic, len(sent), timeout=60)
    finally:
        rp.stop()
    assert sorted(((r.partition, r.key, r.value) for r in got), key=repr) == \
        sorted(((p, k, v) for p, k, v, _ in sent), key=repr)
    rc, frames = decode_json([str(cap)])
    assert rc == 0, [f for f in frames if f["error"] or f["problems"]]
    assert_produced(frames, topic, _expected(sent))
    clients = {f["header"].get("client_id") for f in frames if f["type"] == "request"}
    assert len(clients - {"rdkafka"}) >= 1


def _wait_captured(cap: Path, argv: list[str], topic: str, expected: list[tuple], timeout: float = 15.0) -> None:
    """Until the capture being written holds every expected record and an answer to each Produce
    request: the capture tool writes packets a moment after they crossed loopback."""
    want = {repr(x) for x in expected}
    deadline = time.monotonic() + timeout
    while True:
        try:
            _, frames = decode_json([*argv, str(cap)])
            produce = [f for f in frames if f["api_name"] == "Produce" and "mid-connection" not in f["where"]]
            answered = sum(f["type"] == "response" for f in produce) >= sum(f["type"] == "request" for f in produce)
            if answered and want <= {repr(x) for x in produced_records(frames, topic)}:
                return
        except (AssertionError, KeyError, ValueError):  # the last packet may be half written
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"the capture did not show the produced records within {timeout}s")
        time.sleep(0.1)


@pytest.mark.parametrize("tool", ["tcpdump", "dumpcap"])
def test_capture_on_loopback(kafka, topic_factory, tmp_path, tool):
    """A real capture of a confluent-kafka session: tcpdump writes pcap, dumpcap (Wireshark) pcapng."""
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (make setup installs it)")
    host, port = kafka.addresses[0]
    topic = topic_factory()
    cap = tmp_path / "lo.cap"
    cmd = (["tcpdump", "-i", "lo", "-U", "-s", "0", "-w", str(cap), f"tcp port {port}"] if tool == "tcpdump"
           else ["dumpcap", "-q", "-i", "lo", "-f", f"tcp port {port}", "-w", str(cap)])
    dump = subprocess.Popen(cmd, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while not (cap.exists() and cap.stat().st_size >= 24) and time.monotonic() < deadline:
            if dump.poll() is not None:  # e.g. no permission to capture (not root, no CAP_NET_RAW)
                assert dump.stderr is not None
                pytest.skip(f"{tool} cannot capture on loopback here: {dump.stderr.read().decode().strip()}")
            time.sleep(0.1)
        # The file header is written once the device is open and the filter set: capturing.
        prod = confluent_kafka.Producer({"bootstrap.servers": f"{host}:{port}", "compression.type": "snappy",
                                         "linger.ms": 10})
        sent = []
        for k, v, h in _records("tcpdump"):
            prod.produce(topic, key=k, value=v, headers=h, partition=0)
            sent.append((0, k, v, h))
        assert prod.flush(30) == 0
        del prod
        _wait_captured(cap, ["--port", str(port)], topic, _expected(sent))
    finally:
        dump.send_signal(signal.SIGINT)
        dump.wait(10)
    magic = cap.read_bytes()[:4]
    assert magic == (b"\x0a\x0d\x0d\x0a" if tool == "dumpcap" else magic) and len(magic) == 4
    rc, frames = decode_json(["--port", str(port), str(cap)])
    # Connections other tests left open joined the capture mid-stream: what the capture holds
    # of frames sent before it began cannot be decoded, and the tool must say so.
    bad = [f for f in frames if f["error"] or f["problems"]]
    assert all("mid-connection" in f["where"] and (f["error"].startswith("the capture began mid-connection:")
                                                    or "matches no request" in f["error"]) for f in bad), bad
    assert rc == (1 if bad else 0)
    frames = [f for f in frames if "mid-connection" not in f["where"]]
    assert_produced(frames, topic, _expected(sent))
    assert all("127.0.0.1:" in f["where"] for f in frames)


# dump-log ---------------------------------------------------------------------

def _segment_files(kafka, topic: str) -> list[Path]:
    if kafka.dir is None:
        pytest.skip("an external broker (PUREKAFKA_BOOTSTRAP) does not expose its segment files")
    return sorted(Path(kafka.dir).glob(f"node-*/data/{topic}-*/*.log"))


def _java_dump(java, path: Path) -> str:
    cmd = ["java", "-Dstdout.encoding=UTF-8", "-Dfile.encoding=UTF-8", "-Xshare:auto",
           "-XX:TieredStopAtLevel=1", "-cp", java.classpath, "org.apache.kafka.tools.DumpLogSegments",
           "--files", str(path), "--print-data-log"]
    proc = subprocess.run(cmd, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout.decode("utf-8")


def _our_dump(path: Path) -> str:
    out, err = io.StringIO(), io.StringIO()
    rc = main(["--dump-log", str(path)], stdout=out, stderr=err)
    assert rc == 0, err.getvalue()
    return out.getvalue()


@pytest.mark.java
def test_dump_log_matches_kafka_dump_log_segments(kafka, topic_factory, java, tmp_path):
    plain = topic_factory(partitions=1)
    append_time = topic_factory(partitions=1, config={"message.timestamp.type": "LogAppendTime"})
    txn = topic_factory(partitions=1)
    for codec in CODECS:
        prod = confluent_kafka.Producer({"bootstrap.servers": kafka.bootstrap, "compression.type": codec,
                                         "linger.ms": 20, "enable.idempotence": codec in ("lz4", "none")})
        for topic in (plain, append_time):
            for k, v, h in _records(codec, 5):
                prod.produce(topic, key=k, value=v, headers=h)
        assert prod.flush(30) == 0
    tp = confluent_kafka.Producer({"bootstrap.servers": kafka.bootstrap, "transactional.id": f"dl-{txn}",
                                   "compression.type": "gzip"})
    tp.init_transactions(30)
    for commit in (True, False, True):
        tp.begin_transaction()
        for k, v, h in _records("txn", 3):
            tp.produce(txn, key=k, value=v, headers=h)
        tp.flush(30)
        (tp.commit_transaction if commit else tp.abort_transaction)(30)
    del tp
    consume(kafka.bootstrap, txn, 6, timeout=60)  # the markers are written by now
    compared = 0
    for topic in (plain, append_time, txn):
        files = _segment_files(kafka, topic)
        assert files, f"no segment of {topic} under {kafka.dir}"
        for src in files:
            # Both tools read the same copy, so an append in between cannot make them differ.
            dst = tmp_path / topic / src.name
            dst.parent.mkdir(exist_ok=True)
            shutil.copyfile(src, dst)
            ours, theirs = _our_dump(dst).splitlines(), _java_dump(java, dst).splitlines()
            assert ours == theirs
            compared += len(theirs)
    assert compared > 60
    txn_dump = "\n".join(_our_dump(tmp_path / txn / p.name) for p in _segment_files(kafka, txn))
    assert "endTxnMarker: COMMIT" in txn_dump and "endTxnMarker: ABORT" in txn_dump
    assert "LogAppendTime: " in _our_dump(tmp_path / append_time / _segment_files(kafka, append_time)[0].name)


@pytest.mark.java
def test_dump_log_of_a_purekafka_segment_and_of_a_damaged_copy(kafka, topic_factory, java, tmp_path):
    from purekafka import KafkaProducer

    topic = topic_factory()
    prod = KafkaProducer(bootstrap_servers=kafka.bootstrap, compression_type="lz4", linger_ms=5)
    try:
        for k, v, h in _records("pure", 6):
            prod.send(topic, key=k, value=v, headers=h).get(timeout=30)
    finally:
        prod.close(10)
    src = _segment_files(kafka, topic)[0]
    seg = tmp_path / src.name
    shutil.copyfile(src, seg)
    assert _our_dump(seg).splitlines() == _java_dump(java, seg).splitlines()
    # A flipped byte in the last batch's records: both tools must report the CRC as invalid
    # on the same line, and ours must exit non-zero.
    data = bytearray(seg.read_bytes())
    data[-3] ^= 0x55
    bad = tmp_path / "bad" / src.name
    bad.parent.mkdir()
    bad.write_bytes(bytes(data))
    theirs = [line for line in _java_dump_lenient(java, bad) if "isvalid" in line]
    out, err = io.StringIO(), io.StringIO()
    rc = main(["--dump-log", str(bad)], stdout=out, stderr=err)
    ours = [line for line in out.getvalue().splitlines() if "isvalid" in line]
    assert rc == 1 and "CRC" in err.getvalue()
    assert ours == theirs and ours[-1].endswith("isvalid: false")


def _java_dump_lenient(java, path: Path) -> list[str]:
    cmd = ["java", "-Dstdout.encoding=UTF-8", "-cp", java.classpath, "org.apache.kafka.tools.DumpLogSegments",
           "--files", str(path), "--print-data-log"]
    proc = subprocess.run(cmd, capture_output=True, timeout=120)
    return proc.stdout.decode("utf-8", "replace").splitlines()


def test_proxy_command_prints_frames_live(kafka, topic_factory, tmp_path):
    topic = topic_factory()
    host, port = kafka.addresses[0]
    cap = tmp_path / "cli.pcap"
    proc = subprocess.Popen([sys.executable, str(ROOT / "tools" / "decode.py"), "proxy", "--listen", "127.0.0.1:0",
                             "--upstream", f"{host}:{port}", "--json", "--pcap", str(cap)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines: list[bytes] = []
    assert proc.stdout is not None and proc.stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, b"")), daemon=True)
    reader.start()
    try:
        line = proc.stderr.readline().decode()
        listen = line.split(",")[0].split()[-1]
        prod = confluent_kafka.Producer({"bootstrap.servers": listen, "linger.ms": 5})
        prod.produce(topic, key=b"live", value=b"frame")
        assert prod.flush(30) == 0
        del prod
        # The proxy prints a frame after forwarding it: wait for the Produce answer's line.
        deadline = time.monotonic() + 15
        while not any(b'"Produce"' in x and b'"response"' in x for x in list(lines)) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(20)
        reader.join(10)
        err = proc.stderr.read()
    assert proc.returncode == 0 and b"Traceback" not in err
    live = [json.loads(x) for x in lines]
    assert produced_records(live, topic) == [(0, b"live".hex(), b"frame".hex(), [])]
    rc, from_cap = decode_json([str(cap)])
    assert rc == 0
    key = lambda f: (f["type"], f["api_name"], f["api_version"], f["correlation_id"], json.dumps(f["body"]))  # noqa: E731
    assert sorted(map(key, live)) == sorted(map(key, from_cap))


@pytest.mark.cluster
def test_proxy_in_front_of_a_three_node_cluster(kafka_cluster, tmp_path):
    """Clients learn every broker from Metadata; the proxy gives each one a listener of its own."""
    topic = kafka_cluster.create_topic(f"decode-proxy-{time.time_ns()}", partitions=6, replication_factor=3)
    cap = tmp_path / "cluster.pcap"
    rp = RunningProxy(kafka_cluster.addresses[0], cap)
    sent = []
    try:
        # Idempotence: a retry after a young cluster's NOT_LEADER must not write a record twice.
        prod = confluent_kafka.Producer({"bootstrap.servers": rp.bootstrap, "linger.ms": 5,
                                         "enable.idempotence": True})
        for p in range(6):
            prod.produce(topic, key=b"k%d" % p, value=b"partition %d" % p, partition=p)
            sent.append((p, b"k%d" % p, b"partition %d" % p))
        assert prod.flush(30) == 0
        del prod
        got = consume(rp.bootstrap, topic, len(sent), timeout=60)
    finally:
        rp.stop()
    assert sorted((r.partition, r.key, r.value) for r in got) == sorted(sent)
    brokers = {m.where.split()[-1] for m in rp.messages if m.api_name == "Produce" and m.kind == "request"}
    assert len(brokers) == 3  # leaders of the six partitions sit on all three nodes
    assert set(rp.proxy.local_for) >= {tuple(a) for a in kafka_cluster.addresses}
    rc, frames = decode_json([str(cap)])
    assert rc == 0
    # A young cluster may answer NOT_LEADER and the client retries: the capture then holds a record twice.
    assert {(p, k, v) for p, k, v, _ in produced_records(frames, topic)} == \
        {(p, k.hex(), v.hex()) for p, k, v in sent}
