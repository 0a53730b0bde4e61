"""purekafka.serializer and purekafka.future against kafka-python's classes of the same names."""
from __future__ import annotations

import logging

import kafka.errors as ke
import kafka.future as kf
import kafka.serializer as ks
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import purekafka.errors as pe
from purekafka.future import Future
from purekafka.futures import FutureRecordMetadata
from purekafka.serializer import (
    DefaultSerializer,
    DeserializeWrapper,
    Deserializer,
    JsonSerializer,
    SerializeWrapper,
    Serializer,
)
from purekafka.serializers import make_serializer

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10)
plain = st.none() | st.text() | st.binary() | st.binary().map(bytearray)


def test_abstract_bases():
    for base in (Serializer, Deserializer):
        with pytest.raises(TypeError):
            base()  # type: ignore[abstract]
    assert issubclass(JsonSerializer, DefaultSerializer)
    assert issubclass(DefaultSerializer, Serializer) and issubclass(DefaultSerializer, Deserializer)
    assert DefaultSerializer().close() is None


@given(json_values)
def test_json_serializer_bytes_match_kafka_python(value):
    ours, theirs = JsonSerializer(), ks.JsonSerializer()
    data = ours.serialize("t", None, value)
    assert data == theirs.serialize("t", None, value)
    assert ours.deserialize("t", None, data) == theirs.deserialize("t", None, data)
    # The producer calls it as any serialize(topic, headers, data) object.
    assert make_serializer(ours)("t", [], value) == data


@given(plain, st.sampled_from(["utf-8", "latin-1", "utf-16"]))
def test_default_serializer_matches_kafka_python(value, encoding):
    ours, theirs = DefaultSerializer(encoding), ks.DefaultSerializer(encoding)
    try:
        expected = theirs.serialize("t", None, value)
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            ours.serialize("t", None, value)
        return
    got = ours.serialize("t", None, value)
    assert got == expected and type(got) is type(expected)
    if isinstance(value, str):
        assert ours.deserialize("t", None, got) == theirs.deserialize("t", None, got) == value
    assert ours.deserialize("t", None, None) is None


@given(st.text())
def test_wrappers_call_the_function_or_pass_through(value):
    def fn(v):
        return ("<" + v + ">").encode()

    assert SerializeWrapper(fn).serialize("t", None, value) == ks.SerializeWrapper(fn).serialize("t", None, value)
    assert SerializeWrapper(None).serialize("t", None, value) == value
    assert DeserializeWrapper(len).deserialize("t", None, value.encode()) == len(value.encode())
    assert DeserializeWrapper(None).deserialize("t", None, b"x") == b"x"


# --- Future ----------------------------------------------------------------------------

_ops = st.lists(st.one_of(
    st.tuples(st.sampled_from(["callback", "errback", "both"]), st.integers(0, 9), st.booleans()),
    st.tuples(st.just("success"), st.integers(0, 9), st.booleans()),
    st.tuples(st.just("failure"), st.sampled_from([0, 1, 2]), st.booleans()),
), max_size=12)
_ERRORS = [(pe.KafkaTimeoutError, ke.KafkaTimeoutError), (pe.IllegalStateError, ke.IllegalStateError),
           (ValueError, ValueError)]


def _drive(future_cls, errors, ops, log):
    f = future_cls()
    done = False
    for op, arg, with_args in ops:
        if op in ("callback", "errback", "both"):
            def record(*a, _tag=arg, **kw):
                log.append((_tag, tuple(type(x).__name__ if isinstance(x, BaseException) else x for x in a),
                            tuple(sorted(kw.items()))))
            adder = getattr(f, "add_" + op)
            adder(record, "extra", k=1) if with_args else adder(record)
        elif not done:
            done = True
            if op == "success":
                f.success(arg)
            else:
                exc = errors[arg]
                f.failure(exc if with_args else exc("boom"))
    return f


@settings(max_examples=300)
@given(_ops)
def test_future_behaves_as_kafka_pythons(ops):
    ours_log: list = []
    theirs_log: list = []
    ours = _drive(Future, [e for e, _ in _ERRORS], ops, ours_log)
    theirs = _drive(kf.Future, [e for _, e in _ERRORS], ops, theirs_log)
    assert ours_log == theirs_log
    assert (ours.is_done, ours.succeeded(), ours.failed(), ours.retriable()) == \
        (theirs.is_done, theirs.succeeded(), theirs.failed(), theirs.retriable())
    assert ours.value == theirs.value
    assert type(ours.exception).__name__ == type(theirs.exception).__name__


def test_future_chain_and_failing_callbacks(caplog):
    a, b = Future(), Future()
    a.chain(b)
    got = []
    b.add_callback(got.append)
    a.add_callback(lambda v: 1 / 0)  # logged; the others still run
    with caplog.at_level(logging.ERROR, logger="purekafka.future"):
        a.success(3)
    assert b.value == 3 and got == [3] and "Error processing callback" in caplog.text
    with pytest.raises(TypeError):
        Future().failure("not an exception")  # type: ignore[arg-type]
    class Strict(Future):
        error_on_callbacks = True  # kafka-python's switch is a class attribute

    c = Strict()
    c.add_errback(lambda e: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        c.failure(pe.KafkaTimeoutError)
    assert isinstance(c.exception, pe.KafkaTimeoutError) and c.retriable()


def test_send_futures_are_futures():
    fut = FutureRecordMetadata("t", 0, 0, 1, 1, -1)
    assert isinstance(fut, Future)
    for method in ("add_callback", "add_errback", "add_both", "succeeded", "failed", "retriable", "get"):
        assert callable(getattr(fut, method)), method


@given(st.one_of(st.none(), st.text()), st.one_of(st.none(), st.integers(), st.text()))
def test_our_deserializers_work_in_kafka_pythons_consumer(text, value):
    # kafka-python's consumer wraps a deserializer that is not its own Deserializer in
    # DeserializeWrapper, which calls it with the bytes alone.
    data = None if text is None else text.encode()
    assert (ks.DeserializeWrapper(DefaultSerializer()).deserialize("t", None, data)
            == ks.DefaultSerializer().deserialize("t", None, data))
    encoded = ks.JsonSerializer().serialize("t", None, value)
    assert (ks.DeserializeWrapper(JsonSerializer()).deserialize("t", None, encoded)
            == ks.JsonSerializer().deserialize("t", None, encoded))
