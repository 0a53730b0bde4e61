"""ProducerConfig: names, values, validation; serializers and idempotence rules vs Java."""
from __future__ import annotations

import dataclasses
import itertools
import math
import struct
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purekafka.config import MAX_INT, ProducerConfig
from purekafka.errors import KafkaConfigurationError, SerializationError
from purekafka.partitioner import RoundRobinPartitioner
from purekafka.serializers import (
    DoubleSerializer,
    FloatSerializer,
    IntegerSerializer,
    make_serializer,
)

STRING_SERIALIZER = "org.apache.kafka.common.serialization.StringSerializer"

# The configuration block of the guide, verbatim.
GUIDE = {
    'bootstrap.servers': 'localhost:9092',
    'key.serializer': 'org.apache.kafka.common.serialization.StringSerializer',
    'value.serializer': 'org.apache.kafka.common.serialization.StringSerializer',
    'acks': 'all',
    'retries': 3,
    'retry.backoff.ms': 100,
    'batch.size': 16384,
    'linger.ms': 10,
    'compression.type': 'snappy',
    'buffer.memory': 33554432,
    'request.timeout.ms': 30000,
    'enable.idempotence': True,
    'max.in.flight.requests.per.connection': 5,
    'client.id': 'my-producer-app',
}


def check_guide(cfg: ProducerConfig) -> None:
    assert cfg.bootstrap_servers == ("localhost:9092",)
    assert cfg.bootstrap_addresses() == [("localhost", 9092)]
    assert cfg.acks == -1
    assert cfg.retries == 3
    assert cfg.retry_backoff_ms == 100
    assert cfg.batch_size == 16384
    assert cfg.linger_ms == 10
    assert cfg.compression_type == "snappy"
    assert cfg.buffer_memory == 33554432
    assert cfg.request_timeout_ms == 30000
    assert cfg.enable_idempotence is True
    assert cfg.max_in_flight_requests_per_connection == 5
    assert cfg.client_id == "my-producer-app"
    assert cfg.key_serializer is not None and cfg.value_serializer is not None
    assert cfg.key_serializer("topic", None, "héllo") == "héllo".encode("utf-8")
    assert cfg.value_serializer("topic", None, None) is None


def test_guide_block_verbatim():
    check_guide(ProducerConfig.from_mapping(GUIDE))
    check_guide(ProducerConfig.from_kwargs(**GUIDE))


def test_guide_block_with_java_string_values():
    as_strings = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in GUIDE.items()}
    cfg = ProducerConfig.from_mapping(as_strings)
    check_guide(cfg)
    assert cfg == ProducerConfig.from_mapping(GUIDE)


def test_defaults_are_kafka_pythons():
    cfg = ProducerConfig()
    assert cfg.bootstrap_servers == ("localhost",)
    assert cfg.acks == -1 and cfg.enable_idempotence is True
    assert (cfg.batch_size, cfg.linger_ms, cfg.buffer_memory) == (16384, 0, 33554432)
    assert (cfg.max_block_ms, cfg.max_request_size, cfg.request_timeout_ms) == (60000, 1048576, 30000)
    assert (cfg.delivery_timeout_ms, cfg.metadata_max_age_ms, cfg.retry_backoff_ms) == (120000, 300000, 100)
    assert cfg.max_in_flight_requests_per_connection == 5
    assert cfg.compression_type is None and cfg.security_protocol == "PLAINTEXT"
    assert cfg.transaction_timeout_ms == 60000
    assert ProducerConfig.from_kwargs() == cfg


def test_kafka_python_defaults_are_mirrored():
    from kafka.producer.kafka import KafkaProducer

    theirs = KafkaProducer.DEFAULT_CONFIG
    ours = ProducerConfig()
    differ = {"retries", "partitioner", "socket_options", "metric_reporters", "acks",
              "bootstrap_servers"}
    for name, value in theirs.items():
        if hasattr(ours, name) and name not in differ:
            assert getattr(ours, name) == value, name
    assert theirs["retries"] == float("inf") and ours.retries == MAX_INT
    assert ours.acks == theirs["acks"] == -1
    assert ours.bootstrap_servers == (theirs["bootstrap_servers"],)
    assert list(ours.socket_options) == [tuple(o) for o in theirs["socket_options"]]


# (kafka-python name, Java name, strategy of Python values, how Java writes the value)
def _java_int(v):
    return str(v)


def _java_bool(v):
    return "true" if v else "false"


SETTINGS = [
    ("linger_ms", "linger.ms", st.integers(0, 10_000), _java_int),
    ("batch_size", "batch.size", st.integers(0, 10_000_000), _java_int),
    ("buffer_memory", "buffer.memory", st.integers(0, 2**40), _java_int),
    ("retries", "retries", st.integers(1, MAX_INT), _java_int),
    ("retry_backoff_ms", "retry.backoff.ms", st.integers(0, 1000), _java_int),
    ("request_timeout_ms", "request.timeout.ms", st.integers(0, 60_000), _java_int),
    ("max_block_ms", "max.block.ms", st.integers(0, 10**9), _java_int),
    ("max_request_size", "max.request.size", st.integers(1, 10**8), _java_int),
    ("metadata_max_age_ms", "metadata.max.age.ms", st.integers(0, 10**9), _java_int),
    ("max_in_flight_requests_per_connection", "max.in.flight.requests.per.connection",
     st.integers(1, 5), _java_int),
    ("compression_type", "compression.type",
     st.sampled_from([None, "gzip", "snappy", "lz4", "zstd"]), lambda v: v or "none"),
    ("client_id", "client.id", st.text(min_size=1, max_size=20), lambda v: v),
    ("allow_auto_create_topics", "allow.auto.create.topics", st.booleans(), _java_bool),
    ("partitioner_ignore_keys", "partitioner.ignore.keys", st.booleans(), _java_bool),
    ("acks", "acks", st.sampled_from([-1, "all"]), lambda v: "all" if v in (-1, "all") else str(v)),
    ("bootstrap_servers", "bootstrap.servers",
     st.lists(st.sampled_from(["a:9092", "b:1", "[::1]:9093", "c"]), min_size=1, max_size=3),
     lambda v: ",".join(v)),
    ("key_serializer", "key.serializer",
     st.sampled_from(["StringSerializer", "LongSerializer"]),
     lambda v: "org.apache.kafka.common.serialization." + v),
]


@given(st.data())
def test_kafka_python_and_java_spellings_give_identical_configs(data):
    chosen = data.draw(st.lists(st.sampled_from(SETTINGS), unique_by=lambda s: s[0], max_size=8))
    python, java = {}, {}
    for name, java_name, values, to_java in chosen:
        value = data.draw(values)
        python[name] = value
        java[java_name] = to_java(value)
    # Keep the delivery timeout rule out of the way: it is tested on its own.
    python["delivery_timeout_ms"] = java["delivery.timeout.ms"] = 10**6
    assert ProducerConfig.from_kwargs(**python) == ProducerConfig.from_mapping(java)


def test_two_spellings_of_one_value_agree():
    cfg = ProducerConfig.from_mapping({"linger_ms": 1, "linger.ms": "1", "acks": "all"})
    assert cfg.linger_ms == 1
    with pytest.raises(KafkaConfigurationError, match="ssl_password='\\*+' and"):
        ProducerConfig.from_mapping({"ssl_password": "a", "ssl.key.password": "b"})


def test_dataclass_replace_keeps_normalized_values():
    cfg = ProducerConfig.from_mapping(GUIDE)
    again = dataclasses.replace(cfg, linger_ms=20)
    assert again.linger_ms == 20
    assert again.key_serializer == cfg.key_serializer
    assert again.key_serializer("t", None, "x") == b"x"


def test_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ProducerConfig().linger_ms = 5  # type: ignore[misc]


@pytest.mark.parametrize("key,hint", [
    ("linger_m", "linger_ms"), ("lingerms", "linger_ms"), ("Linger.Ms", "linger_ms"),
    ("linger-ms", "linger_ms"), ("bootstrap_server", "bootstrap_servers"),
    ("compresion.type", "compression.type"), ("enable_idempotency", "enable_idempotence"),
    ("batch.sizes", "batch.size"),
])
def test_unknown_names_get_a_hint(key, hint):
    with pytest.raises(KafkaConfigurationError) as info:
        ProducerConfig.from_mapping({key: 1})
    assert repr(key) in str(info.value)
    assert f"did you mean {hint!r}" in str(info.value)


def test_unknown_name_without_near_match():
    with pytest.raises(KafkaConfigurationError, match="unknown setting 'zzz'$"):
        ProducerConfig.from_kwargs(zzz=1)


@pytest.mark.parametrize("key", ["kafka_client", "selector", "proxy_url", "sasl.jaas.config",
                                 "ssl.truststore.location", "interceptor.classes"])
def test_known_but_unsupported_names_say_why(key):
    with pytest.raises(KafkaConfigurationError, match=f"{key!r} is not supported: "):
        ProducerConfig.from_mapping({key: "x"})


@pytest.mark.parametrize("settings_,fragment", [
    ({"batch_size": -1}, "batch_size=-1: must be between 0 and"),
    ({"batch.size": "-1"}, "batch.size='-1': must be between 0 and"),
    ({"linger_ms": "ten"}, "linger_ms='ten': expected an integer"),
    ({"linger_ms": "1.5"}, "linger_ms='1.5': expected an integer"),
    ({"linger_ms": True}, "linger_ms=True: expected an integer, got a bool"),
    ({"acks": 2}, "acks=2: must be 0, 1, -1 or 'all'"),
    ({"acks": "most"}, "acks='most': must be 0, 1, -1 or 'all'"),
    ({"compression_type": "brotli"}, "compression_type='brotli': must be one of"),
    ({"max_in_flight_requests_per_connection": 0},
     "max_in_flight_requests_per_connection=0: must be between 1"),
    ({"enable.idempotence": "yes"}, "expected True or False"),
    ({"bootstrap_servers": ""}, "needs at least one 'host:port'"),
    ({"bootstrap_servers": "host:99999"}, "port must be 1..65535"),
    ({"bootstrap_servers": 9092}, "expected 'host:port'"),
    ({"security_protocol": "TLS"}, "must be one of 'PLAINTEXT', 'SSL'"),
    ({"sasl_mechanism": "KERBEROS", "security_protocol": "SASL_SSL"}, "must be one of 'PLAIN'"),
    ({"key_serializer": "FooSerializer"}, "is not a Java serializer purekafka knows"),
    ({"key_serializer": 5}, "a serializer must be None, a callable"),
    ({"partitioner": "com.example.MyPartitioner"}, "is not a partitioner purekafka knows"),
    ({"partitioner": lambda a, b: 0}, "takes 2 positional arguments"),
    ({"client_id": 7}, "expected a string or None"),
    ({"api_version": "3.x"}, "expected a version string"),
    ({"retries": -1}, "retries=-1: must be between 0"),
    ({"transaction_timeout_ms": -1}, "must be between 0"),
    ({"acks": "ALL"}, "must be 0, 1, -1 or 'all'"),
    ({"compression_lz4_level": 18}, "must be between 1 and 17"),
])
def test_bad_values_name_the_setting_and_the_allowed_values(settings_, fragment):
    with pytest.raises(KafkaConfigurationError) as info:
        ProducerConfig.from_mapping(settings_)
    assert fragment in str(info.value)


@pytest.mark.parametrize("settings_,fragment", [
    ({"linger_ms": 5, "linger.ms": 6}, "set the same setting linger_ms to different values"),
    ({"enable_idempotence": True, "acks": 1}, "the idempotent producer needs acks='all'"),
    ({"enable.idempotence": "true", "retries": "0"}, "the idempotent producer needs retries > 0"),
    ({"enable_idempotence": True, "max_in_flight_requests_per_connection": 6},
     "at most 5 requests in flight"),
    ({"transactional_id": "tx", "enable_idempotence": False}, "needs idempotence"),
    ({"transactional_id": "tx", "acks": 1}, "needs idempotence"),
    ({"transactional_id": ""}, "must not be empty"),
    ({"delivery_timeout_ms": 1000}, "must be at least linger_ms + request_timeout_ms = 30000"),
    ({"security_protocol": "SASL_PLAINTEXT"}, "needs sasl_mechanism"),
    ({"security_protocol": "SASL_SSL", "sasl_mechanism": "PLAIN", "sasl_plain_username": "u"},
     "needs sasl_plain_password"),
    ({"security_protocol": "SASL_SSL", "sasl_mechanism": "OAUTHBEARER"},
     "needs sasl_oauth_token_provider"),
    ({"compression_level": 3}, "compression_type is None"),
    ({"compression_type": "snappy", "compression_level": 3}, "snappy has no compression levels"),
    ({"compression_type": "gzip", "compression_level": 12}, "gzip levels are 1..9"),
    ({"reconnect_backoff_ms": 100, "reconnect_backoff_max_ms": 50},
     "reconnect_backoff_max_ms=50 is below reconnect_backoff_ms=100"),
    ({"retry.backoff.ms": "100", "retry.backoff.max.ms": "50"},
     "retry.backoff.max.ms=50 is below retry.backoff.ms=100"),
])
def test_contradictions_raise(settings_, fragment):
    with pytest.raises(KafkaConfigurationError) as info:
        ProducerConfig.from_mapping(settings_)
    assert fragment in str(info.value)


def test_java_silently_adjusted_settings():
    # Not set explicitly: idempotence yields to acks / retries (Java logs and disables).
    assert ProducerConfig.from_kwargs(acks=1).enable_idempotence is False
    assert ProducerConfig.from_kwargs(acks=0).acks == 0
    assert ProducerConfig.from_kwargs(retries=0).enable_idempotence is False
    # Not set explicitly: the delivery timeout grows to cover linger + request timeout.
    cfg = ProducerConfig.from_kwargs(linger_ms=100_000, request_timeout_ms=30_000)
    assert cfg.delivery_timeout_ms == 130_000
    # A retry backoff above the default maximum stays constant (kafka-python had no max).
    assert ProducerConfig.from_kwargs(retry_backoff_ms=5000).retry_backoff_max_ms == 5000
    assert ProducerConfig.from_kwargs(retry_backoff_ms=50).retry_backoff_max_ms == 1000
    # Java: a reconnect backoff without a maximum turns exponential growth off.
    assert ProducerConfig.from_kwargs(reconnect_backoff_ms=40_000).reconnect_backoff_max_ms == 40_000
    assert ProducerConfig.from_kwargs(reconnect_backoff_ms=10).reconnect_backoff_max_ms == 10
    assert ProducerConfig.from_kwargs().reconnect_backoff_max_ms == 30_000


def test_transactional_id_with_defaults_is_fine():
    cfg = ProducerConfig.from_mapping({"transactional.id": "tx-1"})
    assert cfg.transactional_id == "tx-1" and cfg.enable_idempotence


def test_other_accepted_forms():
    cfg = ProducerConfig.from_kwargs(
        bootstrap_servers=["a:1", " b:2 "], compression_type="none", retries=float("inf"),
        api_version="2.8.1", security_protocol="sasl_ssl", sasl_mechanism="scram-sha-512",
        sasl_plain_username="u", sasl_plain_password="secret", ssl_cafile="/ca.pem",
        partitioner="org.apache.kafka.clients.producer.RoundRobinPartitioner",
    )
    assert cfg.bootstrap_servers == ("a:1", "b:2")
    assert cfg.compression_type is None and cfg.retries == MAX_INT
    assert cfg.api_version == (2, 8, 1)
    assert (cfg.security_protocol, cfg.sasl_mechanism) == ("SASL_SSL", "SCRAM-SHA-512")
    assert "secret" not in cfg.describe()
    assert ProducerConfig.from_kwargs(bootstrap_servers="[::1]:19092,h").bootstrap_addresses() \
        == [("::1", 19092), ("h", 9092)]
    rr = ProducerConfig.from_mapping({"partitioner.class": "RoundRobinPartitioner"}).partitioner
    assert rr == "RoundRobinPartitioner"
    instance = RoundRobinPartitioner()
    assert ProducerConfig.from_kwargs(partitioner=instance).partitioner is instance


def test_compression_levels():
    assert ProducerConfig.from_kwargs(compression_type="zstd").effective_compression_level() is None
    cfg = ProducerConfig.from_mapping({"compression.type": "zstd", "compression.zstd.level": "7"})
    assert cfg.effective_compression_level() == 7
    cfg = ProducerConfig.from_kwargs(compression_type="gzip", compression_level=9)
    assert cfg.effective_compression_level() == 9
    assert ProducerConfig.from_kwargs(compression_type="lz4", compression_level=17)


def test_originals_and_describe():
    cfg = ProducerConfig.from_mapping(GUIDE)
    assert dict(cfg.originals) == GUIDE
    assert cfg.explicit is not None and "linger_ms" in cfg.explicit
    text = cfg.describe()
    assert "linger_ms = 10  (set as 'linger.ms')" in text
    assert "max_block_ms = 60000\n" in text


def test_direct_construction_validates_and_normalizes():
    cfg = ProducerConfig(acks="all", bootstrap_servers="a:1,b:2", key_serializer=STRING_SERIALIZER)  # type: ignore[arg-type]
    assert cfg.acks == -1 and cfg.bootstrap_servers == ("a:1", "b:2")
    assert cfg.key_serializer("t", None, "x") == b"x"
    with pytest.raises(KafkaConfigurationError, match="linger_ms=-5"):
        ProducerConfig(linger_ms=-5)


# --- serializers ----------------------------------------------------------------------------

def test_user_serializer_shapes():
    plain = make_serializer(lambda v: v.upper())
    assert plain("t", None, b"ab") == b"AB"

    class WithHeaders:
        def serialize(self, topic, headers, data):
            return f"{topic}:{len(headers or [])}:{data}".encode()

    assert make_serializer(WithHeaders())("t", [("h", b"v")], "d") == b"t:1:d"
    from kafka.serializer import JsonSerializer  # kafka-python 3's own serializer classes

    cfg = ProducerConfig.from_kwargs(value_serializer=JsonSerializer())
    assert cfg.value_serializer("t", None, {"a": [1, 2]}) == b'{"a": [1, 2]}'
    with pytest.raises(TypeError, match="is a class"):
        make_serializer(WithHeaders)


@pytest.mark.parametrize("name,value", [
    ("StringSerializer", b"bytes"), ("IntegerSerializer", "1"), ("IntegerSerializer", True),
    ("IntegerSerializer", 2**31), ("LongSerializer", -(2**63) - 1), ("ShortSerializer", 40000),
    ("UUIDSerializer", "123e4567-e89b-12d3-a456-426614174000"), ("VoidSerializer", b""),
    ("FloatSerializer", 1e300), ("BooleanSerializer", 1), ("ByteArraySerializer", "text"),
])
def test_java_serializers_reject_what_java_cannot_take(name, value):
    with pytest.raises(SerializationError):
        make_serializer(name)("t", None, value)


def java_hex_of_string(s: str) -> str:
    return s.encode("utf-16-be", "surrogatepass").hex()


ints = {"int": (32, "IntegerSerializer"), "long": (64, "LongSerializer"),
        "short": (16, "ShortSerializer")}

serializer_cases = st.one_of(
    st.tuples(st.just("string"), st.text(st.characters(exclude_categories=()), max_size=30)),
    *[st.tuples(st.just(t), st.integers(-(2 ** (b - 1)), 2 ** (b - 1) - 1))
      for t, (b, _) in ints.items()],
    st.tuples(st.just("double"), st.integers(0, 2**64 - 1)),
    st.tuples(st.just("float"), st.integers(0, 2**32 - 1).filter(
        lambda bits: not math.isnan(struct.unpack(">f", bits.to_bytes(4, "big"))[0]))),
    st.tuples(st.just("uuid"), st.uuids()),
    st.tuples(st.just("boolean"), st.booleans()),
)


def ours_and_java_line(kind, value):
    if kind == "string":
        ours = make_serializer("StringSerializer")("t", None, value)
        return ours, f"string {java_hex_of_string(value)}"
    if kind in ints:
        return make_serializer(ints[kind][1])("t", None, value), f"{kind} {value}"
    if kind == "double":
        number = struct.unpack(">d", value.to_bytes(8, "big"))[0]
        return DoubleSerializer().serialize("t", None, number), f"double {value:016x}"
    if kind == "float":
        number = struct.unpack(">f", value.to_bytes(4, "big"))[0]
        return FloatSerializer().serialize("t", None, number), f"float {value:08x}"
    if kind == "uuid":
        return make_serializer("UUIDSerializer")("t", None, value), f"uuid {value}"
    return make_serializer("BooleanSerializer")("t", None, value), f"boolean {str(value).lower()}"


FIXED_CASES = [
    ("string", ""), ("string", "héllo wörld"), ("string", "\U0001F600"), ("string", "a\ud800b"),
    ("string", "\udc00"), ("string", "\ud83d\ude00"), ("string", "\x00"),
    ("int", -(2**31)), ("int", 2**31 - 1), ("long", -(2**63)), ("short", -1),
    ("double", 0x7FF8000000000001), ("double", 0xFFF0000000000000), ("double", 0x8000000000000000),
    ("double", 1), ("float", 0x7F800000), ("float", 0x00000001), ("float", 0x80000000),
    ("uuid", uuid.UUID(int=0)), ("uuid", uuid.UUID(int=2**128 - 1)),
    ("boolean", True), ("boolean", False),
]


def run_java_serializers(java, cases):
    pairs = [ours_and_java_line(kind, value) for kind, value in cases]
    stdin = "".join(line + "\n" for _, line in pairs).encode()
    out = java.run("ConfigCrossCheck", "serialize", input=stdin).decode().split("\n")
    assert len(out) == len(pairs) + 1 and out[-1] == ""
    for (ours, line), theirs in zip(pairs, out):
        assert ours is not None and ours.hex() == theirs, line


@pytest.mark.java
def test_serializers_match_java_on_edge_cases(java):
    run_java_serializers(java, FIXED_CASES)


@pytest.mark.java
@settings(max_examples=10)
@given(st.lists(serializer_cases, min_size=1, max_size=200))
def test_serializers_match_java_on_generated_values(java, cases):
    run_java_serializers(java, cases)


def test_nan_serialization():
    assert DoubleSerializer().serialize("t", None, float("nan")) == bytes.fromhex("7ff8000000000000")
    assert math.isnan(struct.unpack(">f", FloatSerializer().serialize("t", None, float("nan")))[0])
    assert IntegerSerializer().serialize("t", None, None) is None


# --- idempotence and transactional rules vs Java's ProducerConfig ----------------------------

IDEMPOTENCE_MATRIX = {
    "enable.idempotence": [None, "true", "false"],
    "acks": [None, "all", "-1", "1", "0"],
    "retries": [None, "0", "3"],
    "max.in.flight.requests.per.connection": [None, "1", "5", "6"],
    "transactional.id": [None, "tx"],
}


@pytest.mark.java
def test_idempotence_rules_match_java_producer_config(java):
    combos = []
    for values in itertools.product(*IDEMPOTENCE_MATRIX.values()):
        combos.append({k: v for k, v in zip(IDEMPOTENCE_MATRIX, values) if v is not None})
    stdin = "".join("\t".join(f"{k}={v}" for k, v in c.items()) + "\n" for c in combos).encode()
    out = java.run("ConfigCrossCheck", "config", input=stdin).decode().splitlines()
    assert len(out) == len(combos)
    for combo, verdict in zip(combos, out):
        try:
            ours = f"OK {str(ProducerConfig.from_mapping(combo).enable_idempotence).lower()}"
        except KafkaConfigurationError as exc:
            ours = f"ERR ({exc})"
        if follows_kafka_python_not_java(combo):
            assert (verdict[:3], ours) == ("ERR", "OK false"), (combo, verdict, ours)
        elif verdict.startswith("ERR"):
            assert ours.startswith("ERR"), (combo, verdict)
        else:
            assert ours == verdict, (combo, verdict)


def follows_kafka_python_not_java(combo):
    """Java 4.x refuses more than 5 in flight even when idempotence is only the default;
    kafka-python 3 (which purekafka follows here) warns and turns idempotence off."""
    return (int(combo.get("max.in.flight.requests.per.connection", 5)) > 5
            and "enable.idempotence" not in combo and "transactional.id" not in combo)


# One setting at a time, spelled as a Java user would; Java's ProducerConfig accepts or
# rejects each, and so must we.
SINGLE_SETTINGS = [
    "batch.size=-1", "batch.size=0", "batch.size=2147483647", "batch.size=2147483648",
    "linger.ms=-1", "linger.ms=0", "linger.ms=1.5", "linger.ms= 5 ", "linger.ms=x",
    "max.in.flight.requests.per.connection=0", "max.in.flight.requests.per.connection=1",
    "buffer.memory=-1", "buffer.memory=0", "max.request.size=0", "max.request.size=-1",
    "metadata.max.idle.ms=4999", "metadata.max.idle.ms=5000", "metadata.max.age.ms=-1",
    "transaction.timeout.ms=0", "transaction.timeout.ms=-1", "request.timeout.ms=-1",
    "delivery.timeout.ms=-1", "retries=-1", "retries=0", "retries=2147483647",
    "acks=2", "acks=ALL", "acks=all", "acks=-1", "acks=0", "acks=1", "acks=",
    "compression.type=none", "compression.type=NONE", "compression.type=brotli",
    "compression.type=zstd", "compression.type=lz4", "compression.type=gzip",
    "compression.type=snappy", "compression.gzip.level=0", "compression.gzip.level=-1",
    "compression.gzip.level=10", "compression.gzip.level=9", "compression.lz4.level=0",
    "compression.lz4.level=18", "compression.lz4.level=17", "compression.zstd.level=23",
    "compression.zstd.level=-131072", "compression.zstd.level=-131073",
    "enable.idempotence=yes", "enable.idempotence=TRUE", "enable.idempotence=false",
    "partitioner.adaptive.partitioning.enable=maybe", "partitioner.ignore.keys=true",
    "security.protocol=ssl", "security.protocol=TLS", "security.protocol=PLAINTEXT",
    "client.dns.lookup=default", "client.dns.lookup=use_all_dns_ips",
    "max.block.ms=-1", "metrics.num.samples=0", "reconnect.backoff.ms=-1",
    "retry.backoff.ms=-1", "receive.buffer.bytes=-2", "receive.buffer.bytes=-1",
    "send.buffer.bytes=-1", "partitioner.availability.timeout.ms=-1", "transactional.id=",
    "transactional.id=tx", "client.id=", "connections.max.idle.ms=-1",
    "metrics.sample.window.ms=-1",
]


# Where we are deliberately stricter than Java: a negative transaction timeout passes
# Java's ProducerConfig but every broker refuses it (INVALID_TRANSACTION_TIMEOUT).
STRICTER_THAN_JAVA = {"transaction.timeout.ms=-1"}


@pytest.mark.java
def test_single_setting_validity_matches_java(java):
    stdin = "".join(case + "\n" for case in SINGLE_SETTINGS).encode()
    out = java.run("ConfigCrossCheck", "config", input=stdin).decode().splitlines()
    assert len(out) == len(SINGLE_SETTINGS)
    for case, verdict in zip(SINGLE_SETTINGS, out):
        key, value = case.split("=", 1)
        try:
            ProducerConfig.from_mapping({key: value})
            ours = "OK"
        except KafkaConfigurationError as exc:
            ours = f"ERR {exc}"
        if case in STRICTER_THAN_JAVA:
            assert (ours[:3], verdict[:2]) == ("ERR", "OK"), case
            continue
        assert ours[:2] == verdict[:2], (case, verdict, ours)
