"""Error-code helpers and sequence arithmetic shared by the exactly-once core.

Codes are ``purekafka.errors.ErrorCode`` members; their retriable flags and exception
classes come from the one error table there. Sequences are 31-bit and wrap to 0 after
2**31-1, as Java's ``DefaultRecordBatch.incrementSequence`` does.
"""
from __future__ import annotations

from purekafka.errors import ErrorCode, KafkaError, for_code
from purekafka.record.batch import increment_sequence  # defined once, beside the batch format

__all__ = [
    "EPOCH_MAX", "FATAL_BATCH_CODES", "INT32_MAX", "MAX_IN_FLIGHT_PER_PARTITION", "NO_OFFSET", "NO_PRODUCER_EPOCH",
    "NO_PRODUCER_ID", "NO_SEQUENCE", "broker_error", "decrement_sequence",
    "increment_sequence", "is_retriable", "maybe_written", "seq_after",
]

NO_PRODUCER_ID = -1
NO_PRODUCER_EPOCH = -1
NO_SEQUENCE = -1
NO_OFFSET = -1
MAX_IN_FLIGHT_PER_PARTITION = 5  # the broker keeps metadata for the last 5 batches
INT32_MAX = 2**31 - 1
EPOCH_MAX = 2**15 - 1


# Java TransactionManager.maybeTransitionToErrorState: these poison the producer.
FATAL_BATCH_CODES = frozenset({
    ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    ErrorCode.PRODUCER_FENCED, ErrorCode.UNSUPPORTED_VERSION, ErrorCode.INVALID_PRODUCER_ID_MAPPING,
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
    ErrorCode.CORRUPT_MESSAGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.LEADER_NOT_AVAILABLE,
    ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.CONCURRENT_TRANSACTIONS,
    ErrorCode.FENCED_LEADER_EPOCH, ErrorCode.UNKNOWN_LEADER_EPOCH, ErrorCode.UNKNOWN_TOPIC_ID,
    ErrorCode.INCONSISTENT_TOPIC_ID,
})


def maybe_written(code: int) -> bool:
    """Could a batch answered with ``code`` have been stored all the same?

    A lost connection, a timeout, NOT_ENOUGH_REPLICAS_AFTER_APPEND or an unknown server
    error leave it open; a refusal before the append (and every non-retriable error
    the broker checks first) does not.
    """
    if code == ErrorCode.UNKNOWN_SERVER_ERROR:
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
