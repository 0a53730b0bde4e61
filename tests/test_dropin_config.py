"""Settings as kafka-python 3 has them: ``producer.config``, ``DEFAULT_CONFIG``, its warnings,
its error messages, and settings that once were accepted and ignored (issue 11, items 1, 2, 11).

kafka-python's own ``KafkaProducer`` is the reference where it can run offline: given an
``api_version`` it does not bootstrap, so its constructor's rules can be checked here.
"""
from __future__ import annotations

import copy
import itertools
import logging
import math
import select
import socket
import time
import warnings
from typing import Any, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purekafka import KafkaProducer
from purekafka.config import ProducerConfig
from purekafka.config_view import KAFKA_PYTHON_KEYS, ConfigView, default_config
from purekafka.core.cluster import Cluster
from purekafka.core.versions import negotiate, release_caps
from purekafka.errors import KafkaConfigurationError, UnrecognizedBrokerVersion
from purekafka.io.network import SocketNetwork
from purekafka.protocol import api_versions as av
from purekafka.protocol.apis import API_BY_KEY

OFFLINE = {"bootstrap_servers": "127.0.0.1:1", "api_version": (4, 0)}


def kafka_python_producer(**configs: Any) -> Any:
    """kafka-python 3's KafkaProducer, offline (an api_version skips its bootstrap)."""
    import kafka

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return kafka.KafkaProducer(**{**OFFLINE, **configs})


def ours(**configs: Any) -> ConfigView:
    return ConfigView(ProducerConfig.from_kwargs(**{**OFFLINE, **configs}), "the-client")


def same_class(exc: BaseException) -> type[BaseException]:
    """purekafka's class of kafka-python's ``exc`` (the same name in purekafka.errors)."""
    import purekafka.errors

    if type(exc).__module__.startswith("kafka"):
        return getattr(purekafka.errors, type(exc).__name__)  # type: ignore[no-any-return]
    return type(exc)


# --- producer.config and DEFAULT_CONFIG (item 1) -----------------------------------------------

def test_default_config_has_kafka_pythons_keys_and_defaults() -> None:
    import kafka

    theirs = kafka.KafkaProducer.DEFAULT_CONFIG
    mine = KafkaProducer.DEFAULT_CONFIG
    assert list(mine)[:len(KAFKA_PYTHON_KEYS)] == list(theirs) == list(KAFKA_PYTHON_KEYS)
    # partitioner: None is the built-in (Java) partitioner; kafka_client: we have no such class.
    differ = {"partitioner", "kafka_client"}
    for key in set(theirs) - differ:
        assert mine[key] == theirs[key], key
    assert mine["partitioner"] is None and mine["kafka_client"] is None
    assert mine["retries"] == math.inf and mine["acks"] == -1
    extras = set(mine) - set(theirs)
    assert {"retry_backoff_max_ms", "compression_level", "metadata_max_idle_ms"} <= extras


def test_default_config_round_trips_through_the_constructor_rules() -> None:
    assert ProducerConfig.from_kwargs(**KafkaProducer.DEFAULT_CONFIG) == ProducerConfig()
    assert default_config() == KafkaProducer.DEFAULT_CONFIG
    # kafka-python's values for the settings we have no use for are accepted too.
    import kafka

    theirs = kafka.KafkaProducer.DEFAULT_CONFIG
    ProducerConfig.from_kwargs(selector=theirs["selector"], proxy_url=None, socks5_proxy=None)
    with pytest.raises(KafkaConfigurationError, match="'kafka_client' is not supported.*None is accepted"):
        ProducerConfig.from_kwargs(kafka_client=theirs["kafka_client"])


# Values kafka-python takes as they are (no Java strings: kafka-python has none).
KP_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "acks": st.sampled_from([0, 1, -1, "all"]),
    "retries": st.sampled_from([0, 1, 5, math.inf]),
    "linger_ms": st.one_of(st.integers(0, 1000), st.floats(0, 1000).filter(lambda f: f != int(f))),
    "batch_size": st.integers(0, 10**6),
    "compression_type": st.sampled_from([None, "gzip", "snappy", "lz4", "zstd"]),
    "max_in_flight_requests_per_connection": st.integers(1, 10),
    "enable_idempotence": st.booleans(),
    "request_timeout_ms": st.integers(1, 60_000),
    "metadata_max_age_ms": st.integers(0, 10**6),
    "send_buffer_bytes": st.sampled_from([None, -1, 0, 65536]),
    "receive_buffer_bytes": st.sampled_from([None, -1, 131072]),
    "bootstrap_servers": st.sampled_from(["127.0.0.1:1", ["127.0.0.1:1", "127.0.0.1:2"]]),
    "client_dns_lookup": st.sampled_from(["use_all_dns_ips", "resolve_canonical_bootstrap_servers_only"]),
    "security_protocol": st.just("PLAINTEXT"),
    "ssl_cafile": st.sampled_from([None, "/ca.pem"]),
    "sasl_mechanism": st.sampled_from([None, "PLAIN"]),
    "socket_options": st.just([(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]),
}
# client_id: each side names its own default; serializers: kafka-python wraps plain
# callables; partitioner: see the test above; compression_attrs: kafka-python's internals.
NOT_COMPARED = {"client_id", "key_serializer", "value_serializer", "partitioner", "kafka_client"}


# kafka-python's network threads draw from the global random, which Hypothesis notices.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
@settings(max_examples=60, deadline=None)
@given(st.fixed_dictionaries({}, optional=KP_VALUES))
def test_config_view_holds_what_kafka_python_holds(chosen: dict[str, Any]) -> None:
    chosen.setdefault("delivery_timeout_ms", 10**6)  # kafka-python refuses less than linger+request
    try:
        theirs = kafka_python_producer(**chosen)
    except Exception as exc:  # noqa: BLE001 - whatever kafka-python raises, we raise the same class
        with pytest.raises(same_class(exc)):
            ours(**chosen)
        return
    try:
        view = ours(**chosen)
        for key in set(theirs.config) - NOT_COMPARED - {"compression_attrs"}:
            assert view[key] == theirs.config[key], (key, view[key], theirs.config[key])
        assert set(view) >= set(theirs.config) - {"compression_attrs"}
    finally:
        theirs.close(0)


def test_the_view_is_read_only_and_reads_the_typed_config_by_attribute() -> None:
    view = ours(acks="all", linger_ms=5, sasl_plain_password="hunter2")
    assert view["acks"] == -1 and view.linger_ms == 5 and view.producer_config.linger_ms == 5
    with pytest.raises(TypeError):
        view["acks"] = 1  # type: ignore[index]
    assert dict(view)["linger_ms"] == 5 and "acks" in view and view.get("nope") is None
    assert "hunter2" not in repr(view) and "'linger_ms': 5" in repr(view)
    assert copy.copy(view)["acks"] == -1
    with pytest.raises(AttributeError):
        view.not_a_setting  # noqa: B018


def test_view_reads_java_spellings_in_kafka_pythons_form() -> None:
    view = ConfigView(ProducerConfig.from_mapping(
        {"linger.ms": "10", "acks": "1", "retries": "3", "bootstrap.servers": "a:1,b:2"}), "c")
    assert (view["linger_ms"], view["acks"], view["retries"]) == (10, 1, 3)
    assert view["bootstrap_servers"] == "a:1,b:2" and view["client_id"] == "c"
    assert view["enable_idempotence"] is False  # acks=1 turned the default off


# --- warn where kafka-python warns (item 2) ------------------------------------------------------

MATRIX = {
    "enable_idempotence": [None, True, False],
    "acks": [None, "all", -1, 1, 0],
    "retries": [None, 0, 3],
    "max_in_flight_requests_per_connection": [None, 1, 5, 6],
    "transactional_id": [None, "tx"],
}


def test_idempotence_rules_are_kafka_pythons() -> None:
    for values in itertools.product(*MATRIX.values()):
        combo = {k: v for k, v in zip(MATRIX, values) if v is not None}
        try:
            theirs = kafka_python_producer(**combo)
        except Exception as exc:  # noqa: BLE001
            with pytest.raises(same_class(exc)) as info:
                ours(**combo)
            if "user-provided" in str(exc):  # every conflicting setting, named as kafka-python does
                assert str(exc).split("user-provided ")[1] in str(info.value), combo
            continue
        try:
            assert ours(**combo)["enable_idempotence"] == theirs.config["enable_idempotence"], combo
        finally:
            theirs.close(0)


def test_too_many_in_flight_turns_default_idempotence_off_with_a_warning(caplog) -> None:
    with caplog.at_level(logging.WARNING, "purekafka.config"):
        cfg = ProducerConfig.from_kwargs(max_in_flight_requests_per_connection=10)
    assert cfg.enable_idempotence is False and cfg.max_in_flight_requests_per_connection == 10
    assert "Idempotence will be disabled" in caplog.text
    assert "max_in_flight_requests_per_connection=10" in caplog.text
    with pytest.raises(KafkaConfigurationError,
                       match=r"^KafkaConfigurationError: enable_idempotence=True is incompatible with user-provided "
                             r"max_in_flight_requests_per_connection=10 "):
        ProducerConfig.from_kwargs(max_in_flight_requests_per_connection=10, enable_idempotence=True)


def test_every_conflicting_setting_is_named_as_kafka_python_names_it() -> None:
    with pytest.raises(KafkaConfigurationError) as info:
        ProducerConfig.from_mapping({"enable.idempotence": "true", "acks": "1", "retries": "0",
                                     "max.in.flight.requests.per.connection": "6"})
    assert "user-provided acks=1, retries=0, max.in.flight.requests.per.connection=6" in str(info.value)
    with pytest.raises(KafkaConfigurationError) as info:
        ProducerConfig.from_kwargs(batch_size=-1, linger_ms="soon", acks=3)
    text = str(info.value)
    assert "batch_size=-1" in text and "linger_ms='soon'" in text and "acks=3" in text
    assert "'acks'" not in text
    with pytest.raises(KafkaConfigurationError,
                       match="^KafkaConfigurationError: Cannot set transactional_id without enable_idempotence"):
        ProducerConfig.from_kwargs(transactional_id="tx", enable_idempotence=False)
    with pytest.raises(KafkaConfigurationError,
                       match="sasl_mechanism='PLAIN' needs sasl_plain_username and sasl_plain_password"):
        ProducerConfig.from_kwargs(security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN")


@pytest.mark.parametrize("settings_", [
    {"ssl_cafile": "/ca.pem"}, {"sasl_mechanism": "PLAIN"},
    {"ssl_cafile": "/ca.pem", "ssl_password": "x", "sasl_plain_username": "u",
     "sasl_plain_password": "p", "sasl_mechanism": "SCRAM-SHA-256"},
    {"security_protocol": "SSL", "sasl_mechanism": "PLAIN"},
    {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN", "sasl_plain_username": "u",
     "sasl_plain_password": "p", "ssl_certfile": "/c.pem"},
])
def test_tls_and_sasl_settings_without_their_protocol_are_ignored(settings_, caplog) -> None:
    with caplog.at_level(logging.INFO, "purekafka.config"):
        cfg = ProducerConfig.from_kwargs(**settings_)
    assert "not used with security_protocol" in caplog.text
    for name, value in settings_.items():
        assert getattr(cfg, name) == value
    theirs = kafka_python_producer(**settings_) if "security_protocol" not in settings_ else None
    if theirs is not None:
        theirs.close(0)


@pytest.mark.parametrize("linger", [0.5, 2.25, 1e-3])
def test_a_float_linger_is_accepted(linger: float) -> None:
    cfg = ProducerConfig.from_kwargs(linger_ms=linger)
    assert cfg.linger_ms == linger and ours(linger_ms=linger)["linger_ms"] == linger
    assert ProducerConfig.from_kwargs(linger_ms=3.0).linger_ms == 3
    assert cfg.delivery_timeout_ms == 120_000


@pytest.mark.parametrize("bad", [math.inf, math.nan, -0.5, "0.5"])
def test_a_linger_that_is_no_duration_is_refused(bad: Any) -> None:
    with pytest.raises(KafkaConfigurationError, match="^KafkaConfigurationError: linger_ms="):
        ProducerConfig.from_kwargs(linger_ms=bad)


# --- settings once accepted and ignored (item 11) -------------------------------------------------

def test_partitioner_availability_timeout_is_refused_but_at_zero() -> None:
    assert ProducerConfig.from_mapping({"partitioner.availability.timeout.ms": "0"})
    with pytest.raises(KafkaConfigurationError,
                       match=r"^KafkaConfigurationError: partitioner.availability.timeout.ms='100': not supported: "):
        ProducerConfig.from_mapping({"partitioner.availability.timeout.ms": "100"})


def test_api_version_below_what_purekafka_can_write_is_refused() -> None:
    assert ProducerConfig.from_kwargs(api_version=(0, 11)).api_version == (0, 11)
    with pytest.raises(KafkaConfigurationError, match=r"^KafkaConfigurationError: api_version=\(0, 10, 2\): .*RecordBatch v2"):
        ProducerConfig.from_kwargs(api_version=(0, 10, 2))
    with pytest.raises(UnrecognizedBrokerVersion):
        ProducerConfig.from_kwargs(api_version=(0, 7))
    import kafka.errors

    with pytest.raises(kafka.errors.UnrecognizedBrokerVersion):
        kafka_python_producer(api_version=(0, 7))


def test_api_version_as_a_string_is_taken_with_kafka_pythons_warning(caplog) -> None:
    with caplog.at_level(logging.WARNING, "purekafka.config"):
        assert ProducerConfig.from_kwargs(api_version="2.8.1").api_version == (2, 8, 1)
        assert ProducerConfig.from_kwargs(api_version="auto").api_version is None
    assert caplog.text.count("as str is deprecated") == 2
    caplog.clear()
    with caplog.at_level(logging.WARNING, "purekafka.config"):
        ProducerConfig.from_kwargs(api_version=(2, 8, 1))
    assert "deprecated" not in caplog.text


def test_release_caps_are_the_releases_api_versions() -> None:
    # Cross-check with the table kafka-python keeps of each release's ApiVersions.
    from kafka.protocol.broker_version_data import BROKER_API_VERSIONS

    checked = 0
    for release, theirs in BROKER_API_VERSIONS.items():
        if not (0, 11) <= release <= (4, 1):
            continue
        caps = release_caps(release)
        assert set(caps) == set(API_BY_KEY)
        for key, cap in caps.items():
            assert cap == (theirs[key][1] if key in theirs else -1), (release, key)
            checked += 1
    assert checked > 100
    assert release_caps((4, 4)) == {} and release_caps((4, 1, 2)) == release_caps((4, 1))


releases = st.tuples(st.integers(0, 5), st.integers(0, 12)).filter(lambda r: r >= (0, 11))


@given(releases, releases)
def test_release_caps_never_fall_as_releases_rise(a: tuple[int, int], b: tuple[int, int]) -> None:
    lo, hi = sorted([a, b])
    low, high = release_caps(lo), release_caps(hi)
    for key in API_BY_KEY:
        assert low.get(key, 10**6) <= high.get(key, 10**6)
        assert low.get(key, 0) <= API_BY_KEY[key].MAX_VERSION


def _api_versions_body(features: dict[str, int]) -> bytes:
    keys = [av.ApiVersion(k, 0, 99) for k in API_BY_KEY]
    resp = av.ApiVersionsResponse(api_keys=keys, finalized_features=[
        av.FinalizedFeatureKey(name, level, level) for name, level in features.items()])
    return av.encode_response(resp, 3)


def test_a_capped_negotiation_offers_nothing_newer_than_the_release() -> None:
    body = _api_versions_body({"transaction.version": 2})
    full = negotiate(body, 3, API_BY_KEY)
    assert full.versions == {k: m.MAX_VERSION for k, m in API_BY_KEY.items()}
    assert full.finalized_features["transaction.version"] == 2
    capped = negotiate(body, 3, API_BY_KEY, release_caps((2, 5)))
    assert capped.versions[0] == 8 and capped.versions[3] == 9 and capped.versions[22] == 3
    assert capped.finalized_features["transaction.version"] == 1  # 2.5 had no transactions v2
    # SASL_AUTHENTICATE did not exist in 0.11: it is left out, not offered.
    assert 36 not in negotiate(body, 3, API_BY_KEY, release_caps((0, 11))).versions


# --- sockets: buffer sizes and the largest response --------------------------------------------------

@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.create_server(("127.0.0.1", 0))
    yield server
    server.close()


def _connected_socket(listener: socket.socket, **options: Any) -> socket.socket:
    addr = [("127.0.0.1", listener.getsockname()[1])]
    net = SocketNetwork(addr, Cluster(addr), client_id=None, **options)
    net.maybe_connect(-1, time.monotonic() * 1000.0)
    sock = net.nodes[-1].sock
    assert sock is not None
    return sock


def test_buffer_size_minus_one_leaves_the_os_default(listener: socket.socket, monkeypatch) -> None:
    calls: list[tuple[int, int, Any]] = []

    class Recording(socket.socket):
        def setsockopt(self, level: int, option: int, value: Any, *rest: Any) -> None:  # type: ignore[override]
            calls.append((level, option, value))
            super().setsockopt(level, option, value, *rest)

    monkeypatch.setattr(socket, "socket", Recording)
    cfg = ProducerConfig.from_mapping({"send.buffer.bytes": "-1", "receive.buffer.bytes": "-1"})
    _connected_socket(listener, send_buffer_bytes=cfg.send_buffer_bytes,
                      receive_buffer_bytes=cfg.receive_buffer_bytes)
    buffers = {socket.SO_SNDBUF, socket.SO_RCVBUF}
    assert calls and not [c for c in calls if c[0] == socket.SOL_SOCKET and c[1] in buffers]
    sized = _connected_socket(listener, send_buffer_bytes=32768, receive_buffer_bytes=0)
    assert (socket.SOL_SOCKET, socket.SO_SNDBUF, 32768) in calls
    assert (socket.SOL_SOCKET, socket.SO_RCVBUF, 0) in calls  # 0 is a size (the OS's smallest)
    # Linux doubles what it is given (for its bookkeeping): the size took effect.
    assert sized.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) in (32768, 65536)


def test_a_response_larger_than_receive_message_max_bytes_closes_the_connection(
        listener: socket.socket, caplog) -> None:
    addr = [("127.0.0.1", listener.getsockname()[1])]
    net = SocketNetwork(addr, Cluster(addr), client_id=None, receive_message_max_bytes=1000)
    net.maybe_connect(-1, time.monotonic() * 1000.0)
    listener.settimeout(5)
    peer, _ = listener.accept()
    deadline = time.monotonic() + 5
    while not select.select([peer], [], [], 0)[0]:  # until the ApiVersions request is out
        assert time.monotonic() < deadline
        net.poll(10)
    peer.sendall((1001).to_bytes(4, "big") + bytes(1001))
    with caplog.at_level(logging.WARNING, "purekafka.io"):
        while net.nodes[-1].sock is not None and time.monotonic() < deadline:
            net.poll(10)
    assert net.nodes[-1].sock is None
    assert "invalid response frame size 1001 (accepted: 4 to 1000, receive_message_max_bytes)" \
        in caplog.text
    peer.close()
    net.close()


# --- metadata_max_idle_ms -------------------------------------------------------------------------

def test_a_topic_idle_for_metadata_max_idle_ms_is_no_longer_asked_for() -> None:
    cluster = Cluster([("h", 1)], metadata_max_idle_ms=5000)
    cluster.add_topic("busy")
    cluster.add_topic("idle")
    assert cluster.update_started(0) == ["busy", "idle"]
    cluster.touch("busy", 4000)
    assert cluster.update_started(5000) == ["busy", "idle"]  # idle for exactly the limit: kept
    assert cluster.update_started(5001) == ["busy"]
    cluster.touch("busy", 9000)
    assert cluster.update_started(14_000) == ["busy"]
    assert cluster.update_started(14_001) == []
    assert cluster.add_topic("idle")  # sent to again: asked for again, its clock restarted
    assert cluster.update_started(20_000) == ["idle"]
    assert cluster.update_started(25_000) == ["idle"]
    assert Cluster([("h", 1)]).metadata_max_idle_ms == 300_000


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=30))
def test_no_password_in_the_reprs_of_the_config(token: str) -> None:
    secret = f"pw:{token}:pw"  # a shape no other field's repr can contain
    # Both passwords, under any protocol the config accepts: neither repr shows them.
    cfg = ProducerConfig.from_kwargs(sasl_plain_username="u", sasl_plain_password=secret,
                                     ssl_password=secret)
    assert secret not in repr(cfg) and secret not in str(cfg)
    assert cfg.sasl_plain_password == secret and cfg.ssl_password == secret
