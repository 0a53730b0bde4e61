"""Drop-in: what kafka-python 3 code meets around send(): errors raised from send(), older
two-argument serializers, and records sent by a script that exits without flush() or close()."""
from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import time
import warnings
import weakref
from pathlib import Path

import pytest

from purekafka import KafkaProducer
from purekafka import errors as Errors
from purekafka.serializers import make_serializer
from tests.support.broker_pause import paused
from tests.support.readback import consume, consume_all

ROOT = Path(__file__).resolve().parents[2]


class _TwoArgument:
    """A serializer written for older kafka-python: ``serialize(topic, value)``."""

    def __init__(self) -> None:
        self.topics: list[str] = []

    def serialize(self, topic: str, value: str) -> bytes:
        self.topics.append(topic)
        return value.upper().encode()


class _ThreeArgument:
    def serialize(self, topic: str, headers: list[tuple[str, bytes]], value: str) -> bytes:
        headers.append(("seen", b"1"))
        return value.encode()


# -- no broker ---------------------------------------------------------------------------

def test_a_two_argument_serializer_is_adapted_with_kafka_pythons_warning() -> None:
    two = _TwoArgument()
    with pytest.warns(DeprecationWarning, match=r"serialize\(topic, headers, data\)"):
        fn = make_serializer(two)
    assert fn is not None and fn("t", [], "abc") == b"ABC" and two.topics == ["t"]


def test_a_three_argument_serializer_is_called_with_headers_and_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fn = make_serializer(_ThreeArgument())
    headers: list[tuple[str, bytes | None]] = []
    assert fn is not None and fn("t", headers, "x") == b"x" and headers == [("seen", b"1")]


def test_close_closes_the_serializers_as_kafka_python_does() -> None:
    closed: list[str] = []

    class Closing(_ThreeArgument):
        def __init__(self, name: str) -> None:
            self.name = name

        def close(self) -> None:
            closed.append(self.name)

    # api_version: no bootstrap in the constructor, so no broker is needed.
    p = KafkaProducer(bootstrap_servers="127.0.0.1:9", api_version=(4, 0),
                      key_serializer=Closing("key"), value_serializer=Closing("value"))
    assert closed == []
    p.close(0)
    assert closed == ["key", "value"]
    p.close(0)  # closed once only
    assert closed == ["key", "value"]


# -- against the broker ------------------------------------------------------------------

@pytest.mark.broker
def test_send_raises_message_size_too_large_like_kafka_python(kafka, topic_factory) -> None:
    topic = topic_factory()
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, max_request_size=1500) as p:
        with pytest.raises(Errors.MessageSizeTooLargeError, match="max_request_size"):
            p.send(topic, b"x" * 2000)
        with pytest.raises(Errors.MessageSizeTooLargeError):
            p.send(topic, b"k" * 800, key=b"v" * 800)  # key and value together
        p.send(topic, b"y" * 1000).get(30)  # under the limit: sent
    with KafkaProducer(bootstrap_servers=kafka.bootstrap, buffer_memory=4096) as p:
        with pytest.raises(Errors.MessageSizeTooLargeError, match="buffer_memory"):
            p.send(topic, b"z" * 5000)
        assert p.metrics()["producer-metrics"]["record-error-total"] == 1.0
    assert [len(r.value or b"") for r in consume_all(kafka.bootstrap, topic)] == [1000]


@pytest.mark.broker
def test_a_partition_the_topic_lacks_raises_value_error(kafka, topic_factory) -> None:
    topic = topic_factory(partitions=2)
    with KafkaProducer(bootstrap_servers=kafka.bootstrap) as p:
        with pytest.raises(ValueError, match=f"^Unrecognized partition 2 for topic {topic}$"):
            p.send(topic, b"v", partition=2)
        with pytest.raises(ValueError, match="^partition must be >= 0$"):
            p.send(topic, b"v", partition=-1)
        assert p.send(topic, b"v", partition=1).get(30).partition == 1


@pytest.mark.broker
def test_two_argument_serializers_work_end_to_end(kafka, topic_factory) -> None:
    topic = topic_factory()
    keys, values = _TwoArgument(), _TwoArgument()
    with pytest.warns(DeprecationWarning):
        p = KafkaProducer(bootstrap_servers=kafka.bootstrap, key_serializer=keys,
                          value_serializer=values)
    with p:
        p.send(topic, "hello", key="k").get(30)
    assert keys.topics == values.topics == [topic]
    [record] = consume(kafka.bootstrap, topic, 1)
    assert (record.key, record.value) == (b"K", b"HELLO")


@pytest.mark.broker
def test_the_exit_hook_does_not_keep_a_producer_alive(kafka) -> None:
    p = KafkaProducer(bootstrap_servers=kafka.bootstrap)
    ref = weakref.ref(p)
    io = p._io
    del p
    gc.collect()
    assert ref() is None, "something (the exit hook?) still holds the producer"
    io.join(10)  # collected: its I/O thread finishes what was queued and stops
    assert not io.is_alive()


def _run_script(body: str, bootstrap: str, topic: str) -> subprocess.CompletedProcess[str]:
    script = textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script, bootstrap, topic], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)


@pytest.mark.broker
@pytest.mark.parametrize("ending", ["exit", "del", "sys.exit"])
def test_a_script_that_exits_without_flush_delivers_its_records(kafka, topic_factory, ending) -> None:
    topic = topic_factory()
    # A long linger: without the exit hook the records would still sit in the accumulator.
    proc = _run_script(f"""
        import sys
        from purekafka import KafkaProducer
        p = KafkaProducer(bootstrap_servers=sys.argv[1], linger_ms=30_000)
        for i in range(50):
            p.send(sys.argv[2], b"record-%d" % i)
        ending = {ending!r}
        if ending == "del":
            del p
        elif ending == "sys.exit":
            sys.exit(0)
        print("ended")
        """, kafka.bootstrap, topic)
    assert proc.returncode == 0, proc.stderr
    records = consume(kafka.bootstrap, topic, 50)
    assert [r.value for r in records] == [b"record-%d" % i for i in range(50)]


@pytest.mark.broker
def test_an_atexit_handler_registered_later_can_still_send(kafka, topic_factory) -> None:
    topic = topic_factory()
    proc = _run_script("""
        import atexit, sys
        from purekafka import KafkaProducer
        atexit.register(lambda: p.send(sys.argv[2], b"from atexit"))
        p = KafkaProducer(bootstrap_servers=sys.argv[1], linger_ms=30_000)
        p.send(sys.argv[2], b"from main")
        """, kafka.bootstrap, topic)
    assert proc.returncode == 0, proc.stderr
    assert [r.value for r in consume(kafka.bootstrap, topic, 2)] == [b"from main", b"from atexit"]


@pytest.mark.broker
def test_exit_gives_undeliverable_records_about_one_second(kafka, topic_factory) -> None:
    # The broker is paused (SIGSTOP) when the script sends its last record and exits: exit
    # must wait kafka-python's one-second close, not delivery_timeout_ms.
    topic = topic_factory()
    script = textwrap.dedent("""
        import sys, time
        from purekafka import KafkaProducer
        p = KafkaProducer(bootstrap_servers=sys.argv[1], delivery_timeout_ms=120_000)
        p.send(sys.argv[2], b"first").get(30)
        print("ready", flush=True)
        sys.stdin.readline()
        p.send(sys.argv[2], b"stuck")
        print(time.monotonic(), flush=True)
        """)
    proc = subprocess.Popen([sys.executable, "-c", script, kafka.bootstrap, topic], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert proc.stdout.readline().strip() == "ready"
        with paused(kafka):
            proc.stdin.write("\n")
            proc.stdin.flush()
            sent_at = float(proc.stdout.readline())
            proc.wait(30)
            ended = time.monotonic()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert ended - sent_at < 8, "exit waited for delivery_timeout_ms"
