"""purekafka.errors against kafka-python's kafka.errors: names, messages, str(), flags.

Every class kafka.errors defines is checked against ours of the same name. Retriable and
invalid-metadata flags follow Java; the few places where kafka-python disagrees are
listed in JAVA_OVER_KAFKA_PYTHON, and any other disagreement fails.
"""
from __future__ import annotations

import inspect

import kafka.errors as kp
import pytest
from hypothesis import given
from hypothesis import strategies as st

import purekafka.errors as pe

# (class, attribute) where we keep Java's flag and kafka-python has another.
JAVA_OVER_KAFKA_PYTHON = {
    ("CorruptRecordError", "retriable"),  # Java: CorruptRecordException is a RetriableException
    ("CorruptRecordException", "retriable"),  # kafka-python's alias of the same class
    ("UnknownLeaderEpochError", "invalid_metadata"),  # Java: a plain RetriableException
}

THEIR_CLASSES = sorted(
    (name, obj) for name, obj in vars(kp).items()
    if isinstance(obj, type) and issubclass(obj, kp.KafkaError))
# Classes whose constructor needs more than the message (or supplies a default one).
CUSTOM_INIT = {"LogTruncationError", "CommitFailedError"}


def ours(name: str) -> type[pe.KafkaError]:
    cls = getattr(pe, name, None)
    assert cls is not None, f"kafka-python's {name} has no counterpart"
    assert isinstance(cls, type) and issubclass(cls, pe.KafkaError), name
    return cls


def test_every_kafka_python_error_exists_under_its_name():
    assert len(THEIR_CLASSES) > 140
    for name, _ in THEIR_CLASSES:
        ours(name)


@pytest.mark.parametrize("name,theirs", THEIR_CLASSES, ids=[n for n, _ in THEIR_CLASSES])
def test_message_errno_and_flags_match(name, theirs):
    cls = ours(name)
    assert getattr(cls, "message", None) == getattr(theirs, "message", None), name
    assert getattr(cls, "errno", None) == getattr(theirs, "errno", None), name
    for attr in ("retriable", "invalid_metadata"):
        if (name, attr) in JAVA_OVER_KAFKA_PYTHON:
            assert getattr(cls, attr) != getattr(theirs, attr), f"{name}.{attr} now agrees: drop the entry"
        else:
            assert getattr(cls, attr) == getattr(theirs, attr), f"{name}.{attr}"


def test_documented_differences_are_java_flags():
    # What we keep: Java's RetriableException / InvalidMetadataException for these codes.
    assert pe.CorruptRecordError.retriable and not kp.CorruptRecordError.retriable
    assert not issubclass(pe.UnknownLeaderEpochError, pe.InvalidMetadataError)
    assert issubclass(pe.UnknownLeaderEpochError, pe.RetriableError)


def test_kafka_python_subclass_relations_hold():
    """An ``except Base`` written for kafka-python catches the same classes here."""
    skipped = {"UnknownLeaderEpochError"}  # not InvalidMetadataError, as in Java (above)
    for name, theirs in THEIR_CLASSES:
        for base in theirs.__mro__[1:]:
            if base.__module__ != kp.__name__ or (name in skipped and base is kp.InvalidMetadataError):
                continue
            assert issubclass(ours(name), ours(base.__name__)), (name, base.__name__)


_args = st.lists(st.one_of(st.text(max_size=12), st.integers(), st.none()), max_size=3)


@given(args=_args)
def test_str_and_repr_match_for_every_class(args):
    for name, theirs in THEIR_CLASSES:
        cls = ours(name)
        if name == "LogTruncationError":
            a, b = theirs({"t": 1}, *args), cls({"t": 1}, *args)
            assert b.divergent_offsets == {"t": 1}
        else:
            a, b = theirs(*args), cls(*args)
        assert str(b) == str(a), name
        assert repr(b) == repr(a), name
        assert b.args == a.args, name


@given(args=_args, other=_args)
def test_equality_is_class_and_args(args, other):
    for name in ("KafkaTimeoutError", "MessageSizeTooLargeError", "IllegalStateError"):
        theirs, cls = getattr(kp, name), ours(name)
        assert (cls(*args) == cls(*other)) == (theirs(*args) == theirs(*other))
        assert cls(*args) != pe.KafkaError(*args)
        assert hash(cls(*args)) == hash(cls(*args))  # ours stay hashable


def test_str_examples():
    assert str(pe.KafkaTimeoutError()) == "KafkaTimeoutError"
    assert str(pe.KafkaTimeoutError("Batch expired")) == "KafkaTimeoutError: Batch expired"
    assert str(pe.MessageSizeTooLargeError()) == "[Error 10] MessageSizeTooLargeError"
    assert str(pe.for_code(3)("t")) == "[Error 3] UnknownTopicOrPartitionError: t"
    assert str(pe.CommitFailedError()).startswith("CommitFailedError: Commit cannot be completed")
    assert str(pe.LogTruncationError({})) == "LogTruncationError: Detected truncated partitions: {}"


def test_consumer_side_classes_and_signatures():
    for name in CUSTOM_INIT | {"NoOffsetForPartitionError"}:
        assert issubclass(ours(name), pe.KafkaError) and not ours(name).retriable
    assert list(inspect.signature(pe.LogTruncationError).parameters) == ["divergent_offsets", "args"]
    assert pe.CommitFailedError().args == kp.CommitFailedError().args


def test_kafka_errors_index():
    assert isinstance(pe.kafka_errors, dict)
    for code, cls in kp.kafka_errors.items():
        if code is None:
            continue  # kafka-python's index also picks up its errno-less AuthorizationError
        assert pe.kafka_errors[code].__name__ == cls.__name__, code
        assert pe.kafka_errors[code] is pe.for_code(code)
    # Codes newer than kafka-python's list are indexed too, each under its own errno.
    assert all(cls.errno == code for code, cls in pe.kafka_errors.items())
    assert set(pe.kafka_errors) >= {c for c in kp.kafka_errors if c is not None}


def test_kafka_names_stay_reachable():
    # Kafka's name of each code stays available next to kafka-python's message.
    assert pe.error_name(6) == "NOT_LEADER_OR_FOLLOWER" and pe.for_code(6).message == "NOT_LEADER_FOR_PARTITION"
    assert pe.for_name("NOT_LEADER_OR_FOLLOWER") is pe.for_name("NOT_LEADER_FOR_PARTITION")
    assert pe.error_name(0) == "NONE" and pe.NoError.message == "NO_ERROR"
    assert pe.TransactionAbortedError.message == kp.TransactionAbortedError.message
