"""Broker error codes and sequence arithmetic shared by the exactly-once core.

``Code`` names the error codes that ``IdempotenceState`` and ``TransactionManager``
reason about; retriable flags and exception classes come from the one error table
in ``purekafka.errors``. Sequences are 31-bit and wrap to 0 after 2**31-1, as
Java's ``DefaultRecordBatch.incrementSequence`` does.
"""
from __future__ import annotations

from enum import IntEnum

from purekafka.errors import KafkaError, for_code
from purekafka.record.batch import increment_sequence  # defined once, beside the batch format

__all__ = [
    "Code", "EPOCH_MAX", "FATAL_BATCH_CODES", "INT32_MAX", "MAX_IN_FLIGHT_PER_PARTITION", "NO_OFFSET", "NO_PRODUCER_EPOCH",
    "NO_PRODUCER_ID", "NO_SEQUENCE", "TopicPartition", "broker_error", "decrement_sequence",
    "increment_sequence", "is_retriable", "maybe_written", "seq_after",
]

TopicPartition = tuple[str, int]

NO_PRODUCER_ID = -1
NO_PRODUCER_EPOCH = -1
NO_SEQUENCE = -1
NO_OFFSET = -1
MAX_IN_FLIGHT_PER_PARTITION = 5  # the broker keeps metadata for the last 5 batches
INT32_MAX = 2**31 - 1
EPOCH_MAX = 2**15 - 1


class Code(IntEnum):
    """The broker error codes the exactly-once machinery reasons about."""

    NONE = 0
    UNKNOWN_SERVER_ERROR = -1
    CORRUPT_MESSAGE = 2
    UNKNOWN_TOPIC_OR_PARTITION = 3
    LEADER_NOT_AVAILABLE = 5
    NOT_LEADER_OR_FOLLOWER = 6
    REQUEST_TIMED_OUT = 7
    MESSAGE_TOO_LARGE = 10
    NETWORK_EXCEPTION = 13
    COORDINATOR_LOAD_IN_PROGRESS = 14
    COORDINATOR_NOT_AVAILABLE = 15
    NOT_COORDINATOR = 16
    RECORD_LIST_TOO_LARGE = 18
    NOT_ENOUGH_REPLICAS = 19
    NOT_ENOUGH_REPLICAS_AFTER_APPEND = 20
    ILLEGAL_GENERATION = 22
    UNKNOWN_MEMBER_ID = 25
    TOPIC_AUTHORIZATION_FAILED = 29
    GROUP_AUTHORIZATION_FAILED = 30
    CLUSTER_AUTHORIZATION_FAILED = 31
    INVALID_TIMESTAMP = 32
    UNSUPPORTED_VERSION = 35
    UNSUPPORTED_FOR_MESSAGE_FORMAT = 43
    OUT_OF_ORDER_SEQUENCE_NUMBER = 45
    DUPLICATE_SEQUENCE_NUMBER = 46
    INVALID_PRODUCER_EPOCH = 47
    INVALID_TXN_STATE = 48
    INVALID_PRODUCER_ID_MAPPING = 49
    INVALID_TRANSACTION_TIMEOUT = 50
    CONCURRENT_TRANSACTIONS = 51
    TRANSACTION_COORDINATOR_FENCED = 52
    TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53
    OPERATION_NOT_ATTEMPTED = 55
    KAFKA_STORAGE_ERROR = 56
    UNKNOWN_PRODUCER_ID = 59
    FENCED_INSTANCE_ID = 82
    INVALID_RECORD = 87
    THROTTLING_QUOTA_EXCEEDED = 89
    PRODUCER_FENCED = 90
    UNKNOWN_TOPIC_ID = 100
    TRANSACTION_ABORTABLE = 120


# Java TransactionManager.maybeTransitionToErrorState: these poison the producer.
FATAL_BATCH_CODES = frozenset({
    Code.CLUSTER_AUTHORIZATION_FAILED, Code.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    Code.PRODUCER_FENCED, Code.UNSUPPORTED_VERSION, Code.INVALID_PRODUCER_ID_MAPPING,
})


def is_retriable(code: int) -> bool:
    """True when Kafka classes ``code`` as retriable (the shared error table)."""
    return bool(for_code(code).retriable)


def broker_error(code: int, message: str = "") -> KafkaError:
    """The purekafka exception instance for a broker error code."""
    cls = for_code(code)
    return cls(message) if message else cls()


# Retriable answers that prove nothing was appended (the leader refused the batch first).
_NOT_APPENDED = frozenset({
    Code.CORRUPT_MESSAGE, Code.UNKNOWN_TOPIC_OR_PARTITION, Code.LEADER_NOT_AVAILABLE,
    Code.NOT_LEADER_OR_FOLLOWER, Code.NOT_ENOUGH_REPLICAS, Code.CONCURRENT_TRANSACTIONS,
    74, 75, Code.UNKNOWN_TOPIC_ID, 103,  # FENCED/UNKNOWN_LEADER_EPOCH, INCONSISTENT_TOPIC_ID
})


def maybe_written(code: int) -> bool:
    """Could a batch answered with ``code`` have been stored all the same?

    A lost connection, a timeout, NOT_ENOUGH_REPLICAS_AFTER_APPEND or an unknown server
    error leave it open; a refusal before the append (and every non-retriable error
    the broker checks first) does not.
    """
    if code == Code.UNKNOWN_SERVER_ERROR:
        return True
    return is_retriable(code) and code not in _NOT_APPENDED


def decrement_sequence(sequence: int, decrement: int) -> int:
    """Inverse of ``increment_sequence``."""
    if sequence < decrement:
        return INT32_MAX - (decrement - sequence) + 1
    return sequence - decrement


def seq_after(a: int, b: int) -> bool:
    """True if sequence ``a`` comes after ``b`` (modulo 2**31, window of 2**30)."""
    return 0 < ((a - b) & INT32_MAX) < 2**30
