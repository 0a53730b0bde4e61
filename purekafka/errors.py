"""Errors raised by purekafka.

Two roots, as in h11: a ``LocalProtocolError`` is our fault (bad input given to an
encoder), a ``DecodeError`` is the peer's (bytes that do not parse).

The client-side names and the broker error classes carry kafka-python's names, so an
``except`` clause written for kafka-python keeps working when the import changes.

Broker error codes have one vocabulary, ``ErrorCode``: an ``IntEnum`` of every code by
Kafka's own name (as in Java's ``Errors`` enum), which the rest of purekafka compares
against instead of bare numbers. One table (the ``_define`` rows at the end of this
module) gives each ``ErrorCode`` its kafka-python class name, flags and Kafka's
description. Each row is an assignment, so every class is a real module
attribute that ``from purekafka.errors import MessageSizeTooLargeError`` and type checkers
can see, while the class itself is made by ``_define`` from the row (no hand-written class
per code). Flags: ``r`` retriable, ``m`` invalid metadata (refresh metadata before
retrying), ``a`` authorization failure. Flags follow Kafka 4.x Java (``RetriableException``,
``InvalidMetadataException``), which differs from kafka-python for a few codes: for
example CORRUPT_MESSAGE is retriable and UNKNOWN_LEADER_EPOCH does not invalidate metadata.

``BrokerResponseError.message`` is kafka-python's string for the code: Kafka's name of it
(``"UNKNOWN_TOPIC_OR_PARTITION"``) except for the seven codes where kafka-python kept an
older spelling (``"NOT_LEADER_FOR_PARTITION"``; ``_KAFKA_PYTHON_MESSAGES``). Kafka's own
name is always ``ErrorCode(code).name``, also ``error_name(code)``; ``for_name`` takes either.

``str(e)`` is kafka-python's: ``"ClassName: args"`` (just the class name without args), and
``"[Error 10] MessageSizeTooLargeError: ..."`` for broker codes; two errors are equal when
class and args are.
"""
from __future__ import annotations

from typing import Final

from purekafka.error_codes import ErrorCode as ErrorCode  # re-exported: the one code vocabulary


class KafkaError(Exception):
    """Base of every error purekafka raises.

    ``retriable``: the same operation may succeed if tried again.
    ``invalid_metadata``: cluster metadata should be refreshed before retrying.
    """

    retriable: bool = False
    invalid_metadata: bool = False
    description: str | None = None

    def __str__(self) -> str:
        if not self.args:
            return type(self).__name__
        return f"{type(self).__name__}: {super().__str__()}"

    def __eq__(self, other: object) -> bool:
        # kafka-python compares errors by class and args (tests compare raised errors so).
        return type(self) is type(other) and self.args == other.args

    def __hash__(self) -> int:
        # kafka-python's errors are unhashable; ours stay usable in sets, consistent with __eq__.
        return hash(type(self))


class LocalProtocolError(KafkaError):
    """Something we were asked to encode cannot be encoded (value out of range, ...)."""


class DecodeError(KafkaError):
    """Bytes that do not parse. Carries the byte ``offset`` and the ``field`` being read."""

    def __init__(self, message: str, offset: int | None = None, field: str | None = None) -> None:
        self.offset = offset
        self.field = field
        where = []
        if field is not None:
            where.append(f"field {field!r}")
        if offset is not None:
            where.append(f"byte offset {offset}")
        super().__init__(f"{message} ({', '.join(where)})" if where else message)

    def __str__(self) -> str:
        # The decode tool prints these as the reason itself; no class-name prefix.
        return str(self.args[0]) if self.args else ""


class UnsupportedCodecError(KafkaError):
    """A compression codec that is not available."""


# ---------------------------------------------------------------------------------------
# Client-side errors (kafka-python names).

class RetriableError(KafkaError):
    """Base of errors after which the same operation may succeed."""

    retriable = True


class InvalidMetadataError(RetriableError):
    """Retriable, and cluster metadata should be refreshed first."""

    invalid_metadata = True


class IllegalArgumentError(KafkaError):
    """An argument outside what the operation accepts."""


class IllegalStateError(KafkaError):
    """The operation is not allowed in the current state (closed producer, wrong
    transaction state, ...)."""


class KafkaConfigurationError(KafkaError, ValueError):
    """A setting that is unknown, has the wrong type or range, or conflicts with another.

    Also a ``ValueError``: kafka-python raises ValueError for unknown settings.
    """


class KafkaConnectionError(InvalidMetadataError):
    """A connection to a broker failed or was lost."""


class SslAuthenticationError(KafkaConnectionError):
    """The TLS handshake with a broker failed (untrusted certificate, hostname mismatch,
    refused client certificate): Java's SslAuthenticationException. Not retriable: the
    settings or the certificates must change."""

    retriable = False


class KafkaProtocolError(KafkaError):
    """The broker sent something the protocol does not allow."""


class CorrelationIdError(RetriableError, KafkaProtocolError):
    """A response's correlation id does not match the oldest in-flight request."""


class InvalidReceiveError(KafkaProtocolError):
    """A response frame that cannot be read (bad size prefix, ...)."""


class Cancelled(RetriableError):
    """A request was cancelled before its response arrived (connection closed)."""


class MetadataEmptyBrokerList(RetriableError):
    """Metadata named no brokers."""


class UnknownBrokerIdError(KafkaError):
    """A node id that the cluster metadata does not list."""


class UnrecognizedBrokerVersion(KafkaError):
    """The broker's API versions match no known Kafka release."""


class QuotaViolationError(KafkaError):
    """A client quota was exceeded."""


class KafkaTimeoutError(RetriableError):
    """An operation did not finish in time (metadata wait, full buffer, flush, ...)."""


class ProducerClosedForcefullyError(KafkaTimeoutError, IllegalStateError):
    """``close(timeout)`` ran out with records undelivered.

    A ``KafkaTimeoutError``, as for a batch that expired, and an ``IllegalStateError``,
    which kafka-python 3 raises here: handlers written for either catch it.
    """


class CommitFailedError(KafkaError):
    """An offset commit failed because the group rebalanced (a consumer's error; kafka-python
    exports it and ``except`` clauses name it)."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(args or ("Commit cannot be completed since the group has already "
                                    "rebalanced and assigned the partitions to another member.",)))


class NoOffsetForPartitionError(KafkaError):
    """A consumer has no position for a partition and no reset policy (consumer-side)."""


class LogTruncationError(KafkaError):
    """A consumer read past the leader's log end for its epoch (KIP-320; consumer-side).

    ``divergent_offsets`` maps each partition to the offset to seek back to, or None
    when the broker knows none.
    """

    def __init__(self, divergent_offsets: object, *args: object) -> None:
        self.divergent_offsets = divergent_offsets
        super().__init__(*(args or (f"Detected truncated partitions: {divergent_offsets}",)))


class NoBrokersAvailable(KafkaError):
    """None of the bootstrap servers could be reached."""


class NodeNotReadyError(RetriableError):
    """The broker connection is not ready to take a request yet."""


class TooManyInFlightRequests(RetriableError):
    """The connection already has max_in_flight_requests_per_connection requests out."""


class StaleMetadata(InvalidMetadataError):
    """Cached metadata is too old to route the request."""


class SerializationError(KafkaError, ValueError):
    """A key or value serializer cannot serialize the value it was given."""


class TransactionAbortedError(KafkaError):
    """A batch failed because the user aborted its transaction (KIP-654).

    Not fatal: the producer can start the next transaction.
    """

    description = "Failing batch since transaction was aborted"
    message = description  # kafka-python's attribute


class BrokerResponseError(KafkaError):
    """An error code returned by a broker. ``errno`` is the code, ``message`` its name."""

    errno: int | None = None
    message: str | None = None

    def __str__(self) -> str:
        return f"[Error {self.errno}] {super().__str__()}"


class AuthorizationError(BrokerResponseError):
    """The principal is not authorized for the requested resource."""


class UnsupportedVersionError(BrokerResponseError):
    """An API version outside what this codec (or the broker) supports.

    Also Kafka's error code 35 (UNSUPPORTED_VERSION), as in kafka-python.
    """

    errno = 35
    message = "UNSUPPORTED_VERSION"
    description = "The version of API is not supported."


class IncompatibleBrokerVersion(UnsupportedVersionError):
    """The broker is too old for a feature the client was asked to use."""


# ---------------------------------------------------------------------------------------
# The broker error-code table.

# ``ErrorCode`` (purekafka/error_codes.py) names every code; the rows below give each
# its class.

_BY_CODE: dict[int, type[BrokerResponseError]] = {}
# kafka-python's ``message`` where it is not Kafka's name of the code.
_KAFKA_PYTHON_MESSAGES: Final = {
    ErrorCode.UNKNOWN_SERVER_ERROR: "UNKNOWN",
    ErrorCode.NONE: "NO_ERROR",
    ErrorCode.NOT_LEADER_OR_FOLLOWER: "NOT_LEADER_FOR_PARTITION",
    ErrorCode.MESSAGE_TOO_LARGE: "MESSAGE_SIZE_TOO_LARGE",
    ErrorCode.INVALID_TOPIC_EXCEPTION: "INVALID_TOPIC",
    ErrorCode.INVALID_REPLICA_ASSIGNMENT: "INVALID_REPLICATION_ASSIGNMENT",
}
_BY_NAME: dict[str, type[BrokerResponseError]] = {}
_UNRECOGNIZED: dict[int, type[BrokerResponseError]] = {}

_BASES: Final = {
    "": (BrokerResponseError,),
    "r": (RetriableError, BrokerResponseError),
    "rm": (InvalidMetadataError, BrokerResponseError),
    "a": (AuthorizationError,),
}


def _define(code: ErrorCode, class_name: str, flags: str, description: str
            ) -> type[BrokerResponseError]:
    """Make (or, for code 35, adopt) the class of one table row and register it."""
    cls: type[BrokerResponseError]
    name = code.name
    if code == UnsupportedVersionError.errno:
        # Adopted so that the codec's own UnsupportedVersionError is also code 35.
        cls = UnsupportedVersionError
        cls.description = description
    else:
        cls = type(class_name, _BASES[flags], {
            "errno": int(code),
            "message": _KAFKA_PYTHON_MESSAGES.get(code, name),
            "description": description,
            "__doc__": f"Kafka error {int(code)} {name}: {description}",
            "__module__": __name__,
            "__qualname__": class_name,
        })
    assert cls.__name__ == class_name and code not in _BY_CODE, class_name
    assert cls.retriable == ("r" in flags) and cls.invalid_metadata == ("m" in flags)
    _BY_CODE[code] = cls
    _BY_NAME[name] = cls
    _BY_NAME.setdefault(cls.message or name, cls)
    return cls


def for_code(code: int) -> type[BrokerResponseError]:
    """The error class of a broker error code.

    A code missing from the table (a newer broker) gets an ``UnknownError`` subclass
    carrying that code, so it is never lost.
    """
    cls = _BY_CODE.get(code) or _UNRECOGNIZED.get(code)
    if cls is not None:
        return cls
    # Cached, so that the same code always maps to the same class.
    cls = _UNRECOGNIZED[code] = type("UnrecognizedBrokerError", (UnknownError,), {
        "errno": code,
        "message": f"UNKNOWN_ERROR_CODE_{code}",
        "description": f"Error code {code} is not known to this client.",
        "__module__": __name__,
    })
    return cls


def error_name(code: int) -> str:
    """Kafka's name of a broker error code (``"NONE"``, ``"MESSAGE_TOO_LARGE"``, ...);
    ``"UNKNOWN_ERROR_CODE_<n>"`` for a code missing from the table."""
    try:
        return ErrorCode(code).name
    except ValueError:
        return f"UNKNOWN_ERROR_CODE_{code}"


def for_name(name: str) -> type[BrokerResponseError]:
    """The error class for Kafka's name of a code (``"UNKNOWN_TOPIC_OR_PARTITION"``) or
    kafka-python's ``message`` for it (``"NOT_LEADER_FOR_PARTITION"``)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no Kafka error code is named {name!r}") from None


def broker_error_codes() -> dict[int, type[BrokerResponseError]]:
    """A copy of the whole table, code to class."""
    return dict(_BY_CODE)


# One row per code of Kafka 4.x ``org.apache.kafka.common.protocol.Errors``; names and
# descriptions are Kafka's, class names kafka-python's (codes past 127 are named here in
# the same style). Code 35 adopts the UnsupportedVersionError class defined above.
UnknownError = _define(ErrorCode.UNKNOWN_SERVER_ERROR, "UnknownError", "",
    "The server experienced an unexpected error when processing the request.")
NoError = _define(ErrorCode.NONE, "NoError", "", "NONE")
OffsetOutOfRangeError = _define(ErrorCode.OFFSET_OUT_OF_RANGE, "OffsetOutOfRangeError", "",
    "The requested offset is not within the range of offsets maintained by the server.")
CorruptRecordError = _define(ErrorCode.CORRUPT_MESSAGE, "CorruptRecordError", "r",
    "This message has failed its CRC checksum, exceeds the valid size, has a null key for a "
    "compacted topic, or is otherwise corrupt.")
UnknownTopicOrPartitionError = _define(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "UnknownTopicOrPartitionError", "rm",
    "This server does not host this topic-partition.")
InvalidFetchRequestError = _define(ErrorCode.INVALID_FETCH_SIZE, "InvalidFetchRequestError", "",
    "The requested fetch size is invalid.")
LeaderNotAvailableError = _define(ErrorCode.LEADER_NOT_AVAILABLE, "LeaderNotAvailableError", "rm",
    "There is no leader for this topic-partition as we are in the middle of a leadership "
    "election.")
NotLeaderForPartitionError = _define(ErrorCode.NOT_LEADER_OR_FOLLOWER, "NotLeaderForPartitionError", "rm",
    "For requests intended only for the leader, this error indicates that the broker is not the"
    " current leader. For requests intended for any replica, this error indicates that the "
    "broker is not a replica of the topic partition.")
RequestTimedOutError = _define(ErrorCode.REQUEST_TIMED_OUT, "RequestTimedOutError", "r", "The request timed out.")
BrokerNotAvailableError = _define(ErrorCode.BROKER_NOT_AVAILABLE, "BrokerNotAvailableError", "",
    "The broker is not available.")
ReplicaNotAvailableError = _define(ErrorCode.REPLICA_NOT_AVAILABLE, "ReplicaNotAvailableError", "rm",
    "The replica is not available for the requested topic-partition. Produce/Fetch requests and"
    " other requests intended only for the leader or follower return NOT_LEADER_OR_FOLLOWER if "
    "the broker is not a replica of the topic-partition.")
MessageSizeTooLargeError = _define(ErrorCode.MESSAGE_TOO_LARGE, "MessageSizeTooLargeError", "",
    "The request included a message larger than the max message size the server will accept.")
StaleControllerEpochError = _define(ErrorCode.STALE_CONTROLLER_EPOCH, "StaleControllerEpochError", "",
    "The controller moved to another broker.")
OffsetMetadataTooLargeError = _define(ErrorCode.OFFSET_METADATA_TOO_LARGE, "OffsetMetadataTooLargeError", "",
    "The metadata field of the offset request was too large.")
NetworkExceptionError = _define(ErrorCode.NETWORK_EXCEPTION, "NetworkExceptionError", "rm",
    "The server disconnected before a response was received.")
CoordinatorLoadInProgressError = _define(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, "CoordinatorLoadInProgressError", "r",
    "The coordinator is loading and hence can't process requests.")
CoordinatorNotAvailableError = _define(ErrorCode.COORDINATOR_NOT_AVAILABLE, "CoordinatorNotAvailableError", "r",
    "The coordinator is not available.")
NotCoordinatorError = _define(ErrorCode.NOT_COORDINATOR, "NotCoordinatorError", "r",
    "This is not the correct coordinator.")
InvalidTopicError = _define(ErrorCode.INVALID_TOPIC_EXCEPTION, "InvalidTopicError", "",
    "The request attempted to perform an operation on an invalid topic.")
RecordListTooLargeError = _define(ErrorCode.RECORD_LIST_TOO_LARGE, "RecordListTooLargeError", "",
    "The request included message batch larger than the configured segment size on the server.")
NotEnoughReplicasError = _define(ErrorCode.NOT_ENOUGH_REPLICAS, "NotEnoughReplicasError", "r",
    "Messages are rejected since there are fewer in-sync replicas than required.")
NotEnoughReplicasAfterAppendError = _define(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, "NotEnoughReplicasAfterAppendError", "r",
    "Messages are written to the log, but to fewer in-sync replicas than required.")
InvalidRequiredAcksError = _define(ErrorCode.INVALID_REQUIRED_ACKS, "InvalidRequiredAcksError", "",
    "Produce request specified an invalid value for required acks.")
IllegalGenerationError = _define(ErrorCode.ILLEGAL_GENERATION, "IllegalGenerationError", "",
    "Specified group generation id is not valid.")
InconsistentGroupProtocolError = _define(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, "InconsistentGroupProtocolError", "",
    "The group member's supported protocols are incompatible with those of existing members or "
    "first group member tried to join with empty protocol type or empty protocol list.")
InvalidGroupIdError = _define(ErrorCode.INVALID_GROUP_ID, "InvalidGroupIdError", "", "The group id is invalid.")
UnknownMemberIdError = _define(ErrorCode.UNKNOWN_MEMBER_ID, "UnknownMemberIdError", "",
    "The coordinator is not aware of this member.")
InvalidSessionTimeoutError = _define(ErrorCode.INVALID_SESSION_TIMEOUT, "InvalidSessionTimeoutError", "",
    "The session timeout is not within the range allowed by the broker (as configured by "
    "group.min.session.timeout.ms and group.max.session.timeout.ms).")
RebalanceInProgressError = _define(ErrorCode.REBALANCE_IN_PROGRESS, "RebalanceInProgressError", "",
    "The group is rebalancing, so a rejoin is needed.")
InvalidCommitOffsetSizeError = _define(ErrorCode.INVALID_COMMIT_OFFSET_SIZE, "InvalidCommitOffsetSizeError", "",
    "The committing offset data size is not valid.")
TopicAuthorizationFailedError = _define(ErrorCode.TOPIC_AUTHORIZATION_FAILED, "TopicAuthorizationFailedError", "a",
    "Topic authorization failed.")
GroupAuthorizationFailedError = _define(ErrorCode.GROUP_AUTHORIZATION_FAILED, "GroupAuthorizationFailedError", "a",
    "Group authorization failed.")
ClusterAuthorizationFailedError = _define(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "ClusterAuthorizationFailedError", "a",
    "Cluster authorization failed.")
InvalidTimestampError = _define(ErrorCode.INVALID_TIMESTAMP, "InvalidTimestampError", "",
    "The timestamp of the message is out of acceptable range.")
UnsupportedSaslMechanismError = _define(ErrorCode.UNSUPPORTED_SASL_MECHANISM, "UnsupportedSaslMechanismError", "",
    "The broker does not support the requested SASL mechanism.")
IllegalSaslStateError = _define(ErrorCode.ILLEGAL_SASL_STATE, "IllegalSaslStateError", "",
    "Request is not valid given the current SASL state.")
_define(ErrorCode.UNSUPPORTED_VERSION, "UnsupportedVersionError", "",
    "The version of API is not supported.")
TopicAlreadyExistsError = _define(ErrorCode.TOPIC_ALREADY_EXISTS, "TopicAlreadyExistsError", "",
    "Topic with this name already exists.")
InvalidPartitionsError = _define(ErrorCode.INVALID_PARTITIONS, "InvalidPartitionsError", "",
    "Number of partitions is below 1.")
InvalidReplicationFactorError = _define(ErrorCode.INVALID_REPLICATION_FACTOR, "InvalidReplicationFactorError", "",
    "Replication factor is below 1 or larger than the number of available brokers.")
InvalidReplicationAssignmentError = _define(ErrorCode.INVALID_REPLICA_ASSIGNMENT, "InvalidReplicationAssignmentError", "",
    "Replica assignment is invalid.")
InvalidConfigurationError = _define(ErrorCode.INVALID_CONFIG, "InvalidConfigurationError", "",
    "Configuration is invalid.")
NotControllerError = _define(ErrorCode.NOT_CONTROLLER, "NotControllerError", "r",
    "This is not the correct controller for this cluster.")
InvalidRequestError = _define(ErrorCode.INVALID_REQUEST, "InvalidRequestError", "",
    "This most likely occurs because of a request being malformed by the client library or the "
    "message was sent to an incompatible broker. See the broker logs for more details.")
UnsupportedForMessageFormatError = _define(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, "UnsupportedForMessageFormatError", "",
    "The message format version on the broker does not support the request.")
PolicyViolationError = _define(ErrorCode.POLICY_VIOLATION, "PolicyViolationError", "",
    "Request parameters do not satisfy the configured policy.")
OutOfOrderSequenceNumberError = _define(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, "OutOfOrderSequenceNumberError", "",
    "The broker received an out of order sequence number.")
DuplicateSequenceNumberError = _define(ErrorCode.DUPLICATE_SEQUENCE_NUMBER, "DuplicateSequenceNumberError", "",
    "The broker received a duplicate sequence number.")
InvalidProducerEpochError = _define(ErrorCode.INVALID_PRODUCER_EPOCH, "InvalidProducerEpochError", "",
    "Producer attempted to produce with an old epoch.")
InvalidTxnStateError = _define(ErrorCode.INVALID_TXN_STATE, "InvalidTxnStateError", "",
    "The producer attempted a transactional operation in an invalid state.")
InvalidProducerIdMappingError = _define(ErrorCode.INVALID_PRODUCER_ID_MAPPING, "InvalidProducerIdMappingError", "",
    "The producer attempted to use a producer id which is not currently assigned to its "
    "transactional id.")
InvalidTransactionTimeoutError = _define(ErrorCode.INVALID_TRANSACTION_TIMEOUT, "InvalidTransactionTimeoutError", "",
    "The transaction timeout is larger than the maximum value allowed by the broker (as "
    "configured by transaction.max.timeout.ms).")
ConcurrentTransactionsError = _define(ErrorCode.CONCURRENT_TRANSACTIONS, "ConcurrentTransactionsError", "r",
    "The producer attempted to update a transaction while another concurrent operation on the "
    "same transaction was ongoing.")
TransactionCoordinatorFencedError = _define(ErrorCode.TRANSACTION_COORDINATOR_FENCED, "TransactionCoordinatorFencedError", "",
    "Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the "
    "current coordinator for a given producer.")
TransactionalIdAuthorizationFailedError = _define(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, "TransactionalIdAuthorizationFailedError", "a",
    "Transactional Id authorization failed.")
SecurityDisabledError = _define(ErrorCode.SECURITY_DISABLED, "SecurityDisabledError", "",
    "Security features are disabled.")
OperationNotAttemptedError = _define(ErrorCode.OPERATION_NOT_ATTEMPTED, "OperationNotAttemptedError", "",
    "The broker did not attempt to execute this operation. This may happen for batched RPCs "
    "where some operations in the batch failed, causing the broker to respond without trying "
    "the rest.")
KafkaStorageError = _define(ErrorCode.KAFKA_STORAGE_ERROR, "KafkaStorageError", "rm",
    "Disk error when trying to access log file on the disk.")
LogDirNotFoundError = _define(ErrorCode.LOG_DIR_NOT_FOUND, "LogDirNotFoundError", "",
    "The user-specified log directory is not found in the broker config.")
SaslAuthenticationFailedError = _define(ErrorCode.SASL_AUTHENTICATION_FAILED, "SaslAuthenticationFailedError", "",
    "SASL Authentication failed.")
UnknownProducerIdError = _define(ErrorCode.UNKNOWN_PRODUCER_ID, "UnknownProducerIdError", "",
    "This exception is raised by the broker if it could not locate the producer metadata "
    "associated with the producerId in question. This could happen if, for instance, the "
    "producer's records were deleted because their retention time had elapsed. Once the last "
    "records of the producerId are removed, the producer's metadata is removed from the broker,"
    " and future appends by the producer will return this exception.")
ReassignmentInProgressError = _define(ErrorCode.REASSIGNMENT_IN_PROGRESS, "ReassignmentInProgressError", "",
    "A partition reassignment is in progress.")
DelegationTokenAuthDisabledError = _define(ErrorCode.DELEGATION_TOKEN_AUTH_DISABLED, "DelegationTokenAuthDisabledError", "",
    "Delegation Token feature is not enabled.")
DelegationTokenNotFoundError = _define(ErrorCode.DELEGATION_TOKEN_NOT_FOUND, "DelegationTokenNotFoundError", "",
    "Delegation Token is not found on server.")
DelegationTokenOwnerMismatchError = _define(ErrorCode.DELEGATION_TOKEN_OWNER_MISMATCH, "DelegationTokenOwnerMismatchError", "",
    "Specified Principal is not valid Owner/Renewer.")
DelegationTokenRequestNotAllowedError = _define(ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED, "DelegationTokenRequestNotAllowedError", "",
    "Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on "
    "delegation token authenticated channels.")
DelegationTokenAuthorizationFailedError = _define(ErrorCode.DELEGATION_TOKEN_AUTHORIZATION_FAILED, "DelegationTokenAuthorizationFailedError", "a",
    "Delegation Token authorization failed.")
DelegationTokenExpiredError = _define(ErrorCode.DELEGATION_TOKEN_EXPIRED, "DelegationTokenExpiredError", "",
    "Delegation Token is expired.")
InvalidPrincipalTypeError = _define(ErrorCode.INVALID_PRINCIPAL_TYPE, "InvalidPrincipalTypeError", "",
    "Supplied principalType is not supported.")
NonEmptyGroupError = _define(ErrorCode.NON_EMPTY_GROUP, "NonEmptyGroupError", "", "The group is not empty.")
GroupIdNotFoundError = _define(ErrorCode.GROUP_ID_NOT_FOUND, "GroupIdNotFoundError", "",
    "The group id does not exist.")
FetchSessionIdNotFoundError = _define(ErrorCode.FETCH_SESSION_ID_NOT_FOUND, "FetchSessionIdNotFoundError", "r",
    "The fetch session ID was not found.")
InvalidFetchSessionEpochError = _define(ErrorCode.INVALID_FETCH_SESSION_EPOCH, "InvalidFetchSessionEpochError", "r",
    "The fetch session epoch is invalid.")
ListenerNotFoundError = _define(ErrorCode.LISTENER_NOT_FOUND, "ListenerNotFoundError", "rm",
    "There is no listener on the leader broker that matches the listener on which metadata "
    "request was processed.")
TopicDeletionDisabledError = _define(ErrorCode.TOPIC_DELETION_DISABLED, "TopicDeletionDisabledError", "",
    "Topic deletion is disabled.")
FencedLeaderEpochError = _define(ErrorCode.FENCED_LEADER_EPOCH, "FencedLeaderEpochError", "rm",
    "The leader epoch in the request is older than the epoch on the broker.")
UnknownLeaderEpochError = _define(ErrorCode.UNKNOWN_LEADER_EPOCH, "UnknownLeaderEpochError", "r",
    "The leader epoch in the request is newer than the epoch on the broker.")
UnsupportedCompressionTypeError = _define(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, "UnsupportedCompressionTypeError", "",
    "The requesting client does not support the compression type of given partition.")
StaleBrokerEpochError = _define(ErrorCode.STALE_BROKER_EPOCH, "StaleBrokerEpochError", "",
    "Broker epoch has changed.")
OffsetNotAvailableError = _define(ErrorCode.OFFSET_NOT_AVAILABLE, "OffsetNotAvailableError", "r",
    "The leader high watermark has not caught up from a recent leader election so the offsets "
    "cannot be guaranteed to be monotonically increasing.")
MemberIdRequiredError = _define(ErrorCode.MEMBER_ID_REQUIRED, "MemberIdRequiredError", "",
    "The group member needs to have a valid member id before actually entering a consumer "
    "group.")
PreferredLeaderNotAvailableError = _define(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, "PreferredLeaderNotAvailableError", "rm",
    "The preferred leader was not available.")
GroupMaxSizeReachedError = _define(ErrorCode.GROUP_MAX_SIZE_REACHED, "GroupMaxSizeReachedError", "",
    "The group has reached its maximum size.")
FencedInstanceIdError = _define(ErrorCode.FENCED_INSTANCE_ID, "FencedInstanceIdError", "",
    "The broker rejected this static consumer since another consumer with the same "
    "group.instance.id has registered with a different member.id.")
EligibleLeadersNotAvailableError = _define(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, "EligibleLeadersNotAvailableError", "rm",
    "Eligible topic partition leaders are not available.")
ElectionNotNeededError = _define(ErrorCode.ELECTION_NOT_NEEDED, "ElectionNotNeededError", "rm",
    "Leader election not needed for topic partition.")
NoReassignmentInProgressError = _define(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, "NoReassignmentInProgressError", "",
    "No partition reassignment is in progress.")
GroupSubscribedToTopicError = _define(ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, "GroupSubscribedToTopicError", "",
    "Deleting offsets of a topic is forbidden while the consumer group is actively subscribed "
    "to it.")
InvalidRecordError = _define(ErrorCode.INVALID_RECORD, "InvalidRecordError", "",
    "This record has failed the validation on broker and hence will be rejected.")
UnstableOffsetCommitError = _define(ErrorCode.UNSTABLE_OFFSET_COMMIT, "UnstableOffsetCommitError", "r",
    "There are unstable offsets that need to be cleared.")
ThrottlingQuotaExceededError = _define(ErrorCode.THROTTLING_QUOTA_EXCEEDED, "ThrottlingQuotaExceededError", "r",
    "The throttling quota has been exceeded.")
ProducerFencedError = _define(ErrorCode.PRODUCER_FENCED, "ProducerFencedError", "",
    "There is a newer producer with the same transactionalId which fences the current one.")
ResourceNotFoundError = _define(ErrorCode.RESOURCE_NOT_FOUND, "ResourceNotFoundError", "",
    "A request illegally referred to a resource that does not exist.")
DuplicateResourceError = _define(ErrorCode.DUPLICATE_RESOURCE, "DuplicateResourceError", "",
    "A request illegally referred to the same resource twice.")
UnacceptableCredentialError = _define(ErrorCode.UNACCEPTABLE_CREDENTIAL, "UnacceptableCredentialError", "",
    "Requested credential would not meet criteria for acceptability.")
InconsistentVoterSetError = _define(ErrorCode.INCONSISTENT_VOTER_SET, "InconsistentVoterSetError", "",
    "Indicates that the either the sender or recipient of a voter-only request is not one of "
    "the expected voters.")
InvalidUpdateVersionError = _define(ErrorCode.INVALID_UPDATE_VERSION, "InvalidUpdateVersionError", "",
    "The given update version was invalid.")
FeatureUpdateFailedError = _define(ErrorCode.FEATURE_UPDATE_FAILED, "FeatureUpdateFailedError", "",
    "Unable to update finalized features due to an unexpected server error.")
PrincipalDeserializationFailureError = _define(ErrorCode.PRINCIPAL_DESERIALIZATION_FAILURE, "PrincipalDeserializationFailureError", "",
    "Request principal deserialization failed during forwarding. This indicates an internal "
    "error on the broker cluster security setup.")
SnapshotNotFoundError = _define(ErrorCode.SNAPSHOT_NOT_FOUND, "SnapshotNotFoundError", "",
    "Requested snapshot was not found.")
PositionOutOfRangeError = _define(ErrorCode.POSITION_OUT_OF_RANGE, "PositionOutOfRangeError", "",
    "Requested position is not greater than or equal to zero, and less than the size of the "
    "snapshot.")
UnknownTopicIdError = _define(ErrorCode.UNKNOWN_TOPIC_ID, "UnknownTopicIdError", "rm",
    "This server does not host this topic ID.")
DuplicateBrokerRegistrationError = _define(ErrorCode.DUPLICATE_BROKER_REGISTRATION, "DuplicateBrokerRegistrationError", "",
    "This broker ID is already in use.")
BrokerIdNotRegisteredError = _define(ErrorCode.BROKER_ID_NOT_REGISTERED, "BrokerIdNotRegisteredError", "",
    "The given broker ID was not registered.")
InconsistentTopicIdError = _define(ErrorCode.INCONSISTENT_TOPIC_ID, "InconsistentTopicIdError", "rm",
    "The log's topic ID did not match the topic ID in the request.")
InconsistentClusterIdError = _define(ErrorCode.INCONSISTENT_CLUSTER_ID, "InconsistentClusterIdError", "",
    "The clusterId in the request does not match that found on the server.")
TransactionalIdNotFoundError = _define(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, "TransactionalIdNotFoundError", "",
    "The transactionalId could not be found.")
FetchSessionTopicIdError = _define(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR, "FetchSessionTopicIdError", "r",
    "The fetch session encountered inconsistent topic ID usage.")
IneligibleReplicaError = _define(ErrorCode.INELIGIBLE_REPLICA, "IneligibleReplicaError", "",
    "The new ISR contains at least one ineligible replica.")
NewLeaderElectedError = _define(ErrorCode.NEW_LEADER_ELECTED, "NewLeaderElectedError", "",
    "The AlterPartition request successfully updated the partition state but the leader has "
    "changed.")
OffsetMovedToTieredStorageError = _define(ErrorCode.OFFSET_MOVED_TO_TIERED_STORAGE, "OffsetMovedToTieredStorageError", "",
    "The requested offset is moved to tiered storage.")
FencedMemberEpochError = _define(ErrorCode.FENCED_MEMBER_EPOCH, "FencedMemberEpochError", "",
    "The member epoch is fenced by the group coordinator. The member must abandon all its "
    "partitions and rejoin.")
UnreleasedInstanceIdError = _define(ErrorCode.UNRELEASED_INSTANCE_ID, "UnreleasedInstanceIdError", "",
    "The instance ID is still used by another member in the consumer group. That member must "
    "leave first.")
UnsupportedAssignorError = _define(ErrorCode.UNSUPPORTED_ASSIGNOR, "UnsupportedAssignorError", "",
    "The assignor or its version range is not supported by the consumer group.")
StaleMemberEpochError = _define(ErrorCode.STALE_MEMBER_EPOCH, "StaleMemberEpochError", "",
    "The member epoch is stale. The member must retry after receiving its updated member epoch "
    "via the ConsumerGroupHeartbeat API.")
MismatchedEndpointTypeError = _define(ErrorCode.MISMATCHED_ENDPOINT_TYPE, "MismatchedEndpointTypeError", "",
    "The request was sent to an endpoint of the wrong type.")
UnsupportedEndpointTypeError = _define(ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, "UnsupportedEndpointTypeError", "",
    "This endpoint type is not supported yet.")
UnknownControllerIdError = _define(ErrorCode.UNKNOWN_CONTROLLER_ID, "UnknownControllerIdError", "",
    "This controller ID is not known.")
UnknownSubscriptionIdError = _define(ErrorCode.UNKNOWN_SUBSCRIPTION_ID, "UnknownSubscriptionIdError", "",
    "Client sent a push telemetry request with an invalid or outdated subscription ID.")
TelemetryTooLargeError = _define(ErrorCode.TELEMETRY_TOO_LARGE, "TelemetryTooLargeError", "",
    "Client sent a push telemetry request larger than the maximum size the broker will accept.")
InvalidRegistrationError = _define(ErrorCode.INVALID_REGISTRATION, "InvalidRegistrationError", "",
    "The controller has considered the broker registration to be invalid.")
TransactionAbortableError = _define(ErrorCode.TRANSACTION_ABORTABLE, "TransactionAbortableError", "",
    "The server encountered an error with the transaction. The client can abort the transaction"
    " to continue using this transactional ID.")
InvalidRecordStateError = _define(ErrorCode.INVALID_RECORD_STATE, "InvalidRecordStateError", "",
    "The record state is invalid. The acknowledgement of delivery could not be completed.")
ShareSessionNotFoundError = _define(ErrorCode.SHARE_SESSION_NOT_FOUND, "ShareSessionNotFoundError", "r",
    "The share session was not found.")
InvalidShareSessionEpochError = _define(ErrorCode.INVALID_SHARE_SESSION_EPOCH, "InvalidShareSessionEpochError", "r",
    "The share session epoch is invalid.")
FencedStateEpochError = _define(ErrorCode.FENCED_STATE_EPOCH, "FencedStateEpochError", "",
    "The coordinator rejected the request because the state epoch did not match.")
InvalidVoterKeyError = _define(ErrorCode.INVALID_VOTER_KEY, "InvalidVoterKeyError", "",
    "The voter key doesn't match the receiving replica's key.")
DuplicateVoterError = _define(ErrorCode.DUPLICATE_VOTER, "DuplicateVoterError", "",
    "The voter is already part of the set of voters.")
VoterNotFoundError = _define(ErrorCode.VOTER_NOT_FOUND, "VoterNotFoundError", "",
    "The voter is not part of the set of voters.")
InvalidRegularExpressionError = _define(ErrorCode.INVALID_REGULAR_EXPRESSION, "InvalidRegularExpressionError", "",
    "The regular expression is not valid.")
RebootstrapRequiredError = _define(ErrorCode.REBOOTSTRAP_REQUIRED, "RebootstrapRequiredError", "",
    "Client metadata is stale. The client should rebootstrap to obtain new metadata.")
StreamsInvalidTopologyError = _define(ErrorCode.STREAMS_INVALID_TOPOLOGY, "StreamsInvalidTopologyError", "",
    "The supplied topology is invalid.")
StreamsInvalidTopologyEpochError = _define(ErrorCode.STREAMS_INVALID_TOPOLOGY_EPOCH, "StreamsInvalidTopologyEpochError", "",
    "The supplied topology epoch is invalid.")
StreamsTopologyFencedError = _define(ErrorCode.STREAMS_TOPOLOGY_FENCED, "StreamsTopologyFencedError", "",
    "The supplied topology epoch is outdated.")
ShareSessionLimitReachedError = _define(ErrorCode.SHARE_SESSION_LIMIT_REACHED, "ShareSessionLimitReachedError", "r",
    "The limit of share sessions has been reached.")
GroupDeletionFailedError = _define(ErrorCode.GROUP_DELETION_FAILED, "GroupDeletionFailedError", "",
    "DeleteGroups could not complete; see the error message on the per-group result for "
    "details.")
StreamsTopologyDescriptionUpdateFailedError = _define(ErrorCode.STREAMS_TOPOLOGY_DESCRIPTION_UPDATE_FAILED, "StreamsTopologyDescriptionUpdateFailedError", "",
    "The broker could not process the topology description update; see the error message for "
    "details.")
ControllerIdNotRegisteredError = _define(ErrorCode.CONTROLLER_ID_NOT_REGISTERED, "ControllerIdNotRegisteredError", "",
    "The given controller ID was not registered.")


# kafka-python's index of the table, code to class.
kafka_errors: dict[int, type[BrokerResponseError]] = dict(_BY_CODE)

# Other spellings users may know: kafka-python's older alias, Kafka's current names.
CorruptRecordException = CorruptRecordError
NotLeaderOrFollowerError = NotLeaderForPartitionError
UnknownServerError = UnknownError

__all__ = [
    "KafkaError", "LocalProtocolError", "DecodeError", "UnsupportedVersionError",
    "UnsupportedCodecError", "RetriableError", "InvalidMetadataError", "IllegalArgumentError",
    "IllegalStateError", "KafkaConfigurationError", "KafkaConnectionError",
    "KafkaProtocolError", "CorrelationIdError", "InvalidReceiveError", "Cancelled",
    "MetadataEmptyBrokerList", "UnknownBrokerIdError", "UnrecognizedBrokerVersion",
    "QuotaViolationError", "KafkaTimeoutError", "ProducerClosedForcefullyError", "NoBrokersAvailable",
    "NodeNotReadyError", "TooManyInFlightRequests", "StaleMetadata", "SerializationError",
    "TransactionAbortedError", "BrokerResponseError", "AuthorizationError", "SslAuthenticationError",
    "IncompatibleBrokerVersion", "CorruptRecordException", "NotLeaderOrFollowerError",
    "UnknownServerError", "ErrorCode", "for_code", "for_name", "error_name", "broker_error_codes",
    "CommitFailedError", "NoOffsetForPartitionError", "LogTruncationError", "kafka_errors",
] + sorted({cls.__name__ for cls in _BY_CODE.values()} - {"UnsupportedVersionError"})
