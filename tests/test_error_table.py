"""The error tree and the broker error-code table.

Checked against Kafka's own ``Errors`` enum (Java) and against kafka-python's class names,
so that Java's semantics and kafka-python users' ``except`` clauses both hold.
"""
from __future__ import annotations

import inspect

import kafka.errors as kp
import pytest
from hypothesis import given
from hypothesis import strategies as st

import purekafka.errors as pe

# Where kafka-python's ``message`` is not Kafka's name of the code (ours follows kafka-python).
KAFKA_PYTHON_MESSAGE = {
    "UNKNOWN_SERVER_ERROR": "UNKNOWN",
    "NONE": "NO_ERROR",
    "NOT_LEADER_OR_FOLLOWER": "NOT_LEADER_FOR_PARTITION",
    "MESSAGE_TOO_LARGE": "MESSAGE_SIZE_TOO_LARGE",
    "INVALID_TOPIC_EXCEPTION": "INVALID_TOPIC",
    "INVALID_REPLICA_ASSIGNMENT": "INVALID_REPLICATION_ASSIGNMENT",
}


def table() -> dict[int, type[pe.BrokerResponseError]]:
    return pe.broker_error_codes()


@pytest.mark.java
def test_table_matches_kafka_errors_enum(java):
    rows = java.run("ErrorsCrossCheck").decode().splitlines()
    assert len(rows) > 100
    java_codes = set()
    for row in rows:
        code_s, name, retriable, invalid_md, authz, description = row.split("\t")
        code = int(code_s)
        java_codes.add(code)
        cls = pe.for_code(code)
        assert cls in table().values(), f"code {code} {name} missing from the table"
        assert (cls.errno, cls.message) == (code, KAFKA_PYTHON_MESSAGE.get(name, name))
        assert pe.error_name(code) == name
        assert pe.for_name(name) is cls
        assert pe.ErrorCode(code).name == name and pe.ErrorCode[name] == code
        assert cls.retriable is (retriable == "true"), name
        assert cls.invalid_metadata is (invalid_md == "true"), name
        assert issubclass(cls, pe.AuthorizationError) is (authz == "true"), name
        assert cls.description == description, name
    # Nothing invented: every code we know, Java knows.
    assert set(table()) == java_codes
    assert {int(c) for c in pe.ErrorCode} == java_codes


def test_kafka_python_broker_error_names_and_codes():
    theirs = {
        name: obj for name, obj in vars(kp).items()
        if isinstance(obj, type) and issubclass(obj, kp.BrokerResponseError)
        and obj.errno is not None
    }
    assert len(theirs) > 120
    for name, cls in theirs.items():
        ours = getattr(pe, name, None)
        assert ours is not None, f"kafka-python's {name} has no counterpart"
        assert issubclass(ours, pe.BrokerResponseError), name
        assert ours.errno == cls.errno, name
    # Same code, same class name (kafka-python's index also holds its errno-less bases).
    for code, cls in kp.kafka_errors.items():
        if code is None:
            continue
        assert pe.for_code(code).__name__ == cls.__name__, code


def test_kafka_python_client_error_names():
    theirs = {
        name: obj for name, obj in vars(kp).items()
        if isinstance(obj, type) and issubclass(obj, kp.KafkaError)
        and not issubclass(obj, kp.BrokerResponseError)
    }
    for name, cls in theirs.items():
        ours = getattr(pe, name, None)
        assert ours is not None, f"kafka-python's {name} has no counterpart"
        assert issubclass(ours, pe.KafkaError)
        assert ours.retriable == cls.retriable, name
        assert ours.invalid_metadata == cls.invalid_metadata, name
    assert pe.CorruptRecordException is pe.CorruptRecordError  # kafka-python's alias


def test_retriable_bases_catch_broker_codes():
    with pytest.raises(pe.RetriableError):
        raise pe.NotLeaderForPartitionError("moved")
    with pytest.raises(pe.InvalidMetadataError):
        raise pe.for_code(3)()
    with pytest.raises(pe.AuthorizationError):
        raise pe.for_code(29)()
    assert issubclass(pe.ConcurrentTransactionsError, pe.RetriableError)
    assert not issubclass(pe.ProducerFencedError, pe.RetriableError)


def test_every_row_is_a_module_attribute_of_its_own_name():
    codes = table()
    assert len(codes) == len({cls.__name__ for cls in codes.values()})
    for code, cls in codes.items():
        assert getattr(pe, cls.__name__) is cls
        assert cls.__name__ in pe.__all__
        assert cls.__module__ == "purekafka.errors"


def test_all_lists_only_real_names():
    for name in pe.__all__:
        assert hasattr(pe, name), name


def test_static_import_of_common_names():
    from purekafka.errors import (  # noqa: F401 - the import is the test
        ConcurrentTransactionsError, CoordinatorLoadInProgressError, DuplicateSequenceNumberError,
        InvalidProducerEpochError, InvalidTxnStateError, MessageSizeTooLargeError,
        NotCoordinatorError, NotLeaderForPartitionError, OutOfOrderSequenceNumberError,
        ProducerFencedError, TopicAuthorizationFailedError, TransactionAbortableError,
        TransactionalIdAuthorizationFailedError, UnknownProducerIdError,
        UnknownTopicOrPartitionError,
    )
    assert MessageSizeTooLargeError.message == "MESSAGE_SIZE_TOO_LARGE"  # kafka-python's spelling
    assert pe.error_name(MessageSizeTooLargeError.errno) == "MESSAGE_TOO_LARGE"


def test_unsupported_version_error_is_code_35_and_keeps_its_signature():
    assert pe.for_code(35) is pe.UnsupportedVersionError
    err = pe.UnsupportedVersionError("ApiVersions v9 not supported")
    assert isinstance(err, pe.KafkaError)
    assert "ApiVersions v9" in str(err)
    assert issubclass(pe.IncompatibleBrokerVersion, pe.UnsupportedVersionError)


def test_original_roots_keep_their_signatures():
    err = pe.DecodeError("short read", offset=7, field="records")
    assert (err.offset, err.field) == (7, "records")
    assert str(err) == "short read (field 'records', byte offset 7)"
    assert str(pe.DecodeError("bad")) == "bad"
    assert issubclass(pe.LocalProtocolError, pe.KafkaError)
    assert issubclass(pe.UnsupportedCodecError, pe.KafkaError)
    params = list(inspect.signature(pe.DecodeError).parameters)
    assert params == ["message", "offset", "field"]


def test_broker_error_str_names_code_and_detail():
    # kafka-python's format: the code, the class name, then the args if any.
    assert str(pe.MessageSizeTooLargeError("10 MB")) == "[Error 10] MessageSizeTooLargeError: 10 MB"
    assert str(pe.for_code(6)()) == "[Error 6] NotLeaderForPartitionError"


@given(st.integers(-(2**15), 2**15 - 1))
def test_for_code_never_loses_a_code(code):
    cls = pe.for_code(code)
    assert cls.errno == code
    assert issubclass(cls, pe.BrokerResponseError)
    assert pe.for_code(code) is cls  # stable, so `except for_code(n)` works
    name = pe.error_name(code)
    if code in table():
        assert cls.message == KAFKA_PYTHON_MESSAGE.get(name, name)
        assert pe.for_name(cls.message) is cls
    else:
        assert issubclass(cls, pe.UnknownError)
        assert name == f"UNKNOWN_ERROR_CODE_{code}"


def test_for_name_unknown():
    with pytest.raises(KeyError, match="NO_SUCH_ERROR"):
        pe.for_name("NO_SUCH_ERROR")


# ---------------------------------------------------------------------------------------
# ErrorCode: the one vocabulary of codes.

def test_error_code_enum_and_table_agree():
    assert {int(c) for c in pe.ErrorCode} == set(table())
    for member in pe.ErrorCode:
        cls = pe.for_code(member)
        assert (cls.errno, cls.message) == (int(member), KAFKA_PYTHON_MESSAGE.get(member.name, member.name))
        assert pe.error_name(member) == member.name
        assert pe.for_name(member.name) is cls
        assert type(cls.errno) is int  # the table's errno stays a plain int
    assert pe.ErrorCode.NOT_LEADER_OR_FOLLOWER == 6 and pe.ErrorCode.NONE == 0
    assert pe.ErrorCode.UNSUPPORTED_VERSION == pe.UnsupportedVersionError.errno
    assert "ErrorCode" in pe.__all__


@given(st.integers(-(2**15), 2**15 - 1))
def test_error_code_members_are_the_ints_on_the_wire(code):
    # Responses carry plain ints: they must compare, hash and look up as the members do.
    if code in table():
        member = pe.ErrorCode(code)
        assert member == code and hash(member) == hash(code)
        assert code in frozenset({member}) and {member: 1}[code] == 1
    else:
        with pytest.raises(ValueError):
            pe.ErrorCode(code)


def _bare_code_comparisons(path):
    """``x.error_code == 3``-style comparisons of an error code with a number literal."""
    import ast

    def is_code(node):
        name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
        return name in ("code", "error_code", "errno") or name.endswith("_code") and "error" in name

    def is_number(node):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return any(is_number(e) for e in node.elts)
        if isinstance(node, ast.UnaryOp):
            node = node.operand
        return isinstance(node, ast.Constant) and type(node.value) is int

    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Compare) and all(
                isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)) for op in node.ops):
            sides = [node.left, *node.comparators]
            if any(is_code(s) for s in sides) and any(is_number(s) for s in sides):
                found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_module_compares_error_codes_with_bare_numbers():
    # Where broker answers are interpreted: the core, the sockets and the facade. (The
    # codecs only check fields against their defaults; pcap "codes" are option tags.)
    from pathlib import Path

    root = Path(pe.__file__).parent
    paths = [*(root / "core").glob("*.py"), *(root / "io").glob("*.py"),
             *root.glob("*.py")]
    found = [hit for path in sorted(paths) if path.name != "errors.py"
             for hit in _bare_code_comparisons(path)]
    assert len(paths) > 15
    assert found == [], "compare with purekafka.errors.ErrorCode members instead"


def test_the_bare_number_check_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("if resp.error_code != 0:\n    pass\nok = code in (74, 75)\n"
                   "fine = n == 3\nalso = code >= 0\n")
    assert _bare_code_comparisons(bad) == ["bad.py:1", "bad.py:3"]
