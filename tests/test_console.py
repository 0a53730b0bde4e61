"""`purekafka produce`, run as a subprocess against the real broker; confluent-kafka reads back."""
from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purekafka.console import READER_DEFAULTS, LineFormat, UsageError, iter_lines, unescape
from purekafka.record import CompressionType, read_batches
from tests.support.readback import consume, consume_all

ROOT = Path(__file__).resolve().parent.parent


def produce(kafka_or_bootstrap, *args: str, stdin: bytes = b"", timeout: float = 90) -> subprocess.CompletedProcess:
    bootstrap = getattr(kafka_or_bootstrap, "bootstrap", kafka_or_bootstrap)
    return subprocess.run([sys.executable, "-m", "purekafka.cli", "produce", "--bootstrap-server", bootstrap,
                           *args], input=stdin, capture_output=True, timeout=timeout, cwd=ROOT)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    err = proc.stderr.decode()
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("purekafka produce: "), err
    return lines[0]


def segment_codecs(kafka, topic: str) -> set[CompressionType]:
    logs = sorted(Path(kafka.dir).glob(f"node-*/data/{topic}-0/*.log"))
    assert logs
    return {b.compression_type for log in logs for b in read_batches(log.read_bytes(), verify_crc=True)}


# ---------------------------------------------------------------- line format (no broker)

separators = st.sampled_from(["\t", "|", "::", "\x01", ";"])
text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), max_size=20)


@given(sep=separators, key=text, value=text)
def test_parse_key_splits_at_the_first_separator(sep, key, value):
    fmt = LineFormat({**READER_DEFAULTS, "parse.key": "true", "key.separator": sep}, [])
    bsep = sep.encode()
    line = key.encode() + bsep + value.encode()
    got_key, got_value, headers = fmt.parse(line)
    # The key ends at the first separator; everything after it is the value.
    first = line.index(bsep)
    assert (got_key, got_value, headers) == (line[:first], line[first + len(bsep):], [])


@given(headers=st.lists(st.tuples(st.text("abcxyz-_", min_size=1, max_size=5),
                                  st.one_of(st.none(), st.text("abc 123=", max_size=5))), min_size=1, max_size=4),
       key=st.text("kK0", max_size=4), value=text)
def test_parse_headers_key_and_value(headers, key, value):
    # ignore.error: a header without its key separator has a null value.
    fmt = LineFormat({**READER_DEFAULTS, "parse.key": "true", "parse.headers": "true", "ignore.error": "true"},
                     [("static", b"s")])
    block = ",".join(name if v is None else f"{name}:{v}" for name, v in headers)
    line = f"{block}\t{key}\t{value}".encode()
    got_key, got_value, got_headers = fmt.parse(line)
    assert got_key == key.encode()
    assert got_value == value.encode()
    assert got_headers == [("static", b"s")] + [(n, None if v is None else v.encode()) for n, v in headers]


def test_null_marker_and_missing_separator():
    fmt = LineFormat({**READER_DEFAULTS, "parse.key": "true", "null.marker": "<null>"}, [])
    assert fmt.parse(b"<null>\tv") == (None, b"v", [])
    assert fmt.parse(b"k\t<null>") == (b"k", None, [])
    with pytest.raises(ValueError, match="no key separator"):
        fmt.parse(b"no separator here")
    lenient = LineFormat({**READER_DEFAULTS, "parse.key": "true", "ignore.error": "true"}, [])
    assert lenient.parse(b"no separator here") == (None, b"no separator here", [])
    headers = LineFormat({**READER_DEFAULTS, "parse.headers": "true", "null.marker": "-"}, [])
    assert headers.parse(b"-\tv") == (None, b"v", [])  # the whole block is null: no headers
    assert headers.parse(b"a:1,b:-,\tv") == (None, b"v", [("a", b"1"), ("b", None)])
    for bad in (b"\tv", b"a\tv", b"-:x\tv", b",a:1\tv"):
        with pytest.raises(ValueError):
            headers.parse(bad)


def test_separators_java_refuses():
    with pytest.raises(UsageError, match="null.marker and key.separator may not be equal"):
        LineFormat({**READER_DEFAULTS, "null.marker": "\\t"}, [])
    with pytest.raises(UsageError, match="headers.delimiter and headers.separator may not be equal"):
        LineFormat({**READER_DEFAULTS, "headers.delimiter": ","}, [])
    with pytest.raises(UsageError, match="key.separator must not be empty"):
        LineFormat({**READER_DEFAULTS, "key.separator": ""}, [])


def test_line_endings_like_java_readline():
    import io

    data = b"a\nb\r\nc\rd\r\r\ne\n\nf"
    assert list(iter_lines(io.BytesIO(data))) == [b"a", b"b", b"c", b"d", b"", b"e", b"", b"f"]


def test_separator_escapes():
    assert unescape(r"\t") == b"\t"
    assert unescape(r"\x01") == b"\x01"
    assert unescape("::") == b"::"
    assert unescape(r"\\") == b"\\"
    assert unescape("→") == "→".encode()
    assert unescape(r"a\nb") == b"a\nb"
    with pytest.raises(UsageError, match="bad escape"):
        unescape(r"\q")


# ---------------------------------------------------------------- against the broker



@pytest.mark.broker
def test_values_from_stdin(kafka, topic_factory):
    topic = topic_factory()
    proc = produce(kafka, "--topic", topic, stdin=b"alpha\nbeta\n\ngamma")
    assert proc.returncode == 0, proc.stderr
    records = consume_all(kafka.bootstrap, topic)
    # An empty line is an empty value; the last line needs no newline.
    assert [(r.key, r.value) for r in records] == [(None, b"alpha"), (None, b"beta"), (None, b""), (None, b"gamma")]
    assert proc.stderr.decode().strip() == (
        f"purekafka produce: 4 records (14 bytes of keys and values) written to {topic}, 0 errors")


@pytest.mark.broker
def test_keys_headers_and_offsets(kafka, topic_factory):
    topic = topic_factory(partitions=3)
    lines = b"trace:abc,flag\tuser1\tlogin\r\ncolor:red\tuser2\tlogout\r\n<null>\tuser3\t<null>\r\n"
    proc = produce(kafka, "--topic", topic, "--parse-headers", "--parse-key", "--null-marker", "<null>",
                   "--ignore-error",
                   "-H", "source=console", "--headers", "env=test,tier=2", "--print-offsets", stdin=lines)
    assert proc.returncode == 0, proc.stderr
    records = consume(kafka.bootstrap, topic, 3)
    by_key = {r.key: r for r in records}
    static = [("source", b"console"), ("env", b"test"), ("tier", b"2")]
    assert by_key[b"user1"].value == b"login"
    assert by_key[b"user1"].headers == static + [("trace", b"abc"), ("flag", None)]
    assert by_key[b"user2"].headers == static + [("color", b"red")]
    assert by_key[b"user3"].value is None and by_key[b"user3"].headers == static
    # --print-offsets: one PARTITION<TAB>OFFSET line per input line, in input order.
    printed = [tuple(map(int, line.split("\t"))) for line in proc.stdout.decode().splitlines()]
    assert printed == [(by_key[k].partition, by_key[k].offset) for k in (b"user1", b"user2", b"user3")]


@pytest.mark.broker
def test_kcat_key_flag_file_and_partition(kafka, topic_factory, tmp_path):
    topic = topic_factory(partitions=3)
    path = tmp_path / "records.txt"
    path.write_bytes(b"".join(f"k{i}::value {i}\n".encode() for i in range(20)))
    proc = produce(kafka, "-t", topic, "-K", "::", "--file", str(path), "-p", "2", "--print-offsets", "--sync")
    assert proc.returncode == 0, proc.stderr
    records = consume(kafka.bootstrap, topic, 20)
    assert [(r.partition, r.key, r.value) for r in records] == [
        (2, f"k{i}".encode(), f"value {i}".encode()) for i in range(20)]
    assert proc.stdout.decode().splitlines() == [f"2\t{r.offset}" for r in records]


@pytest.mark.broker
@pytest.mark.parametrize("flags, codec", [
    (["--compression", "zstd", "--acks", "1"], CompressionType.ZSTD),
    (["-X", "compression.type=gzip", "-X", "linger_ms=20"], CompressionType.GZIP),
    (["-X", "compression.type=gzip", "-z", "lz4"], CompressionType.LZ4),  # the flag wins
])
def test_producer_settings_reach_the_wire(kafka, topic_factory, flags, codec):
    topic = topic_factory()
    proc = produce(kafka, "--topic", topic, *flags, stdin=b"".join(b"x" * 50 + b"\n" for _ in range(30)))
    assert proc.returncode == 0, proc.stderr
    assert len(consume(kafka.bootstrap, topic, 30)) == 30
    if kafka.dir is None:
        pytest.skip("records checked; the codec check needs the broker's data directory")
    assert segment_codecs(kafka, topic) == {codec}


@pytest.mark.broker
def test_producer_config_file(kafka, topic_factory, tmp_path):
    topic = topic_factory()
    config = tmp_path / "producer.properties"
    config.write_text("# Java-style\ncompression.type=snappy\nacks = all\nclient.id: console-test\n")
    proc = produce(kafka, "--topic", topic, "--producer.config", str(config), stdin=b"one\ntwo\n")
    assert proc.returncode == 0, proc.stderr
    assert [r.value for r in consume(kafka.bootstrap, topic, 2)] == [b"one", b"two"]
    if kafka.dir is None:
        pytest.skip("records checked; the codec check needs the broker's data directory")
    assert segment_codecs(kafka, topic) == {CompressionType.SNAPPY}


@pytest.mark.broker
def test_bad_lines_are_counted_and_the_rest_is_written(kafka, topic_factory):
    topic = topic_factory()
    lines = b"k1\tv1\nno separator\nk3\t" + b"y" * 3000 + b"\nk4\tv4\n"
    proc = produce(kafka, "--topic", topic, "--parse-key", "-X", "max.request.size=1000", "--print-offsets",
                   stdin=lines)
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert "Traceback" not in err
    assert "line 2: no key separator found" in err
    assert "line 3: MessageSizeTooLargeError" in err
    assert err.strip().splitlines()[-1] == (
        f"purekafka produce: 2 records (8 bytes of keys and values) written to {topic}, 2 errors")
    assert [(r.key, r.value) for r in consume_all(kafka.bootstrap, topic)] == [(b"k1", b"v1"), (b"k4", b"v4")]
    out = proc.stdout.decode().splitlines()
    assert out[0] == "0\t0" and out[3] == "0\t1"
    assert out[1].startswith("error\tno key separator") and out[2].startswith("error\tMessageSizeTooLargeError")


@pytest.mark.broker
def test_partition_out_of_range(kafka, topic_factory):
    topic = topic_factory()
    proc = produce(kafka, "--topic", topic, "--partition", "7", stdin=b"x\n")
    assert proc.returncode == 2
    assert "has no partition 7" in one_line_error(proc)


def test_unknown_setting_is_one_clean_line():
    proc = produce("127.0.0.1:9", "--topic", "t", "-X", "lingr.ms=5")
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert "lingr.ms" in line and "linger.ms" in line


def test_bad_setting_value_is_one_clean_line():
    proc = produce("127.0.0.1:9", "--topic", "t", "--acks", "most")
    assert proc.returncode == 2
    assert "acks" in one_line_error(proc)


@pytest.mark.parametrize("args, needle", [
    (["--topic", "t", "--bogus"], "unrecognized arguments"),
    (["--topic", "t", "--partition", "x"], "invalid int value"),
    (["--topic", "t", "--property", "parse.kee=true"], "unknown --property 'parse.kee'"),
    (["--topic", "t", "--property", "parse.key=yes"], "parse.key must be true or false"),
    (["--topic", "t", "-X", "novalue"], "is not NAME=VALUE"),
    (["--topic", "t", "-K", "\\q"], "bad escape in separator"),
    (["--topic", "t", "--file", "/nonexistent/records.txt"], "cannot read --file"),
    (["--topic", "t", "--producer.config", "/nonexistent/p.properties"], "cannot read --producer.config"),
])
def test_bad_arguments(args, needle):
    proc = produce("127.0.0.1:9", *args)
    assert proc.returncode == 2
    assert needle in one_line_error(proc)


def test_help():
    proc = subprocess.run([sys.executable, "-m", "purekafka.cli", "produce", "--help"], capture_output=True,
                          cwd=ROOT)
    assert proc.returncode == 0
    assert b"line format:" in proc.stdout and b"--key-separator SEP" in proc.stdout


def test_missing_topic_and_bootstrap():
    proc = subprocess.run([sys.executable, "-m", "purekafka.cli", "produce"], capture_output=True, cwd=ROOT)
    assert proc.returncode == 2 and "--bootstrap-server is required" in one_line_error(proc)
    proc = produce("127.0.0.1:9")
    assert proc.returncode == 2 and "--topic is required" in one_line_error(proc)


@pytest.mark.broker
def test_bootstrap_as_a_producer_setting(kafka, topic_factory):
    topic = topic_factory()
    proc = subprocess.run([sys.executable, "-m", "purekafka.cli", "produce", "--topic", topic,
                           "-X", f"bootstrap.servers={kafka.bootstrap}"], input=b"v\n", capture_output=True,
                          cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert [r.value for r in consume_all(kafka.bootstrap, topic)] == [b"v"]


def test_unresolvable_broker_is_one_line_unless_verbose():
    args = ["--topic", "t", "-X", "max.block.ms=1000"]
    proc = produce("nosuchhost.invalid:9092", *args, stdin=b"x\n", timeout=30)
    assert proc.returncode == 1
    assert "cannot get metadata for topic 't' from nosuchhost.invalid:9092" in one_line_error(proc)
    verbose = produce("nosuchhost.invalid:9092", *args, "-v", stdin=b"x\n", timeout=30)
    assert verbose.returncode == 1
    assert b"WARNING" in verbose.stderr and b"nosuchhost.invalid" in verbose.stderr


def test_unreachable_broker():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = produce(f"127.0.0.1:{port}", "--topic", "t", "-X", "max.block.ms=1500", stdin=b"x\n", timeout=30)
    assert proc.returncode == 1
    line = one_line_error(proc)
    assert f"127.0.0.1:{port}" in line and "cannot get metadata" in line


# ---------------------------------------------------------------- property: what goes in comes out

_cell = st.text(st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="\t,:"), max_size=12)
# A header value may hold the key separator: names end at its first occurrence.
_header_value = st.text(st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="\t,"), max_size=12)
_record = st.tuples(
    st.lists(st.tuples(st.text("abcdefgh-_.", min_size=1, max_size=6), _header_value), min_size=1, max_size=3),
    _cell, _cell)


@pytest.mark.broker
@settings(max_examples=40 if os.environ.get("PUREKAFKA_HYPOTHESIS") == "long" else 6)
@given(records=st.lists(_record, min_size=1, max_size=20))
def test_lines_round_trip_through_the_broker(kafka, records):
    topic = kafka.create_topic(f"console-prop-{uuid.uuid4().hex[:10]}", 1)
    lines = []
    for headers, key, value in records:
        block = ",".join(f"{name}:{v}" for name, v in headers)
        lines.append(f"{block}\t{key}\t{value}\n".encode())
    proc = produce(kafka, "--topic", topic, "--parse-headers", "--parse-key", "-q", "--print-offsets",
                   stdin=b"".join(lines))
    assert proc.returncode == 0, proc.stderr
    got = consume(kafka.bootstrap, topic, len(records))
    assert [(r.headers, r.key, r.value) for r in got] == [
        ([(n, v.encode()) for n, v in headers], key.encode(), value.encode())
        for headers, key, value in records]
    assert proc.stdout.decode().splitlines() == [f"0\t{r.offset}" for r in got]


@pytest.mark.broker
def test_interactive_offsets_then_ctrl_c(kafka, topic_factory):
    """Typed lines are produced (and their offsets printed) one by one, before end of input;
    Ctrl-C ends the run with the summary and status 130."""
    topic = topic_factory()
    proc = subprocess.Popen([sys.executable, "-m", "purekafka.cli", "produce", "--bootstrap-server", kafka.bootstrap,
                             "--topic", topic, "--print-offsets"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT)
    try:
        assert proc.stdin and proc.stdout
        for i in range(3):
            proc.stdin.write(f"line {i}\n".encode())
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], 30)
            assert ready, f"no offset printed for line {i} within 30s"
            assert proc.stdout.readline() == f"0\t{i}\n".encode()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert "Traceback" not in err.decode()
    assert err.decode().strip().splitlines()[-1] == (
        f"purekafka produce: 3 records (18 bytes of keys and values) written to {topic}, 0 errors")
    assert [r.value for r in consume_all(kafka.bootstrap, topic)] == [b"line 0", b"line 1", b"line 2"]
