"""Errors raised by purekafka.

Two roots, as in h11: a ``LocalProtocolError`` is our fault (bad input given to an
encoder), a ``DecodeError`` is the peer's (bytes that do not parse).

The client-side names and the broker error classes carry kafka-python's names, so an
``except`` clause written for kafka-python keeps working when the import changes.

Broker error codes come from one table (the ``_define`` rows at the end of this module):
code, kafka-python class name, Kafka's own name (as in Java's ``Errors`` enum),
flags and Kafka's description. Each row is an assignment, so every class is a real module
attribute that ``from purekafka.errors import MessageSizeTooLargeError`` and type checkers
can see, while the class itself is made by ``_define`` from the row (no hand-written class
per code). Flags: ``r`` retriable, ``m`` invalid metadata (refresh metadata before
retrying), ``a`` authorization failure. Flags follow Kafka 4.x Java (``RetriableException``,
``InvalidMetadataException``), which differs from kafka-python for a few codes: for
example CORRUPT_MESSAGE is retriable and UNKNOWN_LEADER_EPOCH does not invalidate metadata.

``BrokerResponseError.message`` is Kafka's name of the code (``"NOT_LEADER_OR_FOLLOWER"``);
kafka-python used some older spellings there (``"NOT_LEADER_FOR_PARTITION"``).
"""
from __future__ import annotations

from typing import Final


class KafkaError(Exception):
    """Base of every error purekafka raises.

    ``retriable``: the same operation may succeed if tried again.
    ``invalid_metadata``: cluster metadata should be refreshed before retrying.
    """

    retriable: bool = False
    invalid_metadata: bool = False
    description: str | None = None


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


class BrokerResponseError(KafkaError):
    """An error code returned by a broker. ``errno`` is the code, ``message`` its name."""

    errno: int | None = None
    message: str | None = None

    def __str__(self) -> str:
        detail = super().__str__() or self.description or ""
        return f"[Error {self.errno}] {self.message}: {detail}"


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

_BY_CODE: dict[int, type[BrokerResponseError]] = {}
_BY_NAME: dict[str, type[BrokerResponseError]] = {}
_UNRECOGNIZED: dict[int, type[BrokerResponseError]] = {}

_BASES: Final = {
    "": (BrokerResponseError,),
    "r": (RetriableError, BrokerResponseError),
    "rm": (InvalidMetadataError, BrokerResponseError),
    "a": (AuthorizationError,),
}


def _define(code: int, class_name: str, name: str, flags: str, description: str
            ) -> type[BrokerResponseError]:
    """Make (or, for code 35, adopt) the class of one table row and register it."""
    cls: type[BrokerResponseError]
    if code == UnsupportedVersionError.errno:
        # Adopted so that the codec's own UnsupportedVersionError is also code 35.
        cls = UnsupportedVersionError
        cls.description = description
    else:
        cls = type(class_name, _BASES[flags], {
            "errno": code,
            "message": name,
            "description": description,
            "__doc__": f"Kafka error {code} {name}: {description}",
            "__module__": __name__,
            "__qualname__": class_name,
        })
    assert cls.__name__ == class_name and code not in _BY_CODE, class_name
    assert cls.retriable == ("r" in flags) and cls.invalid_metadata == ("m" in flags)
    _BY_CODE[code] = cls
    _BY_NAME[name] = cls
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
    cls = _BY_CODE.get(code)
    return cls.message if cls is not None and cls.message else f"UNKNOWN_ERROR_CODE_{code}"


def for_name(name: str) -> type[BrokerResponseError]:
    """The error class for Kafka's name of a code (``"UNKNOWN_TOPIC_OR_PARTITION"``)."""
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
UnknownError = _define(-1, "UnknownError", "UNKNOWN_SERVER_ERROR", "",
    "The server experienced an unexpected error when processing the request.")
NoError = _define(0, "NoError", "NONE", "", "NONE")
OffsetOutOfRangeError = _define(1, "OffsetOutOfRangeError", "OFFSET_OUT_OF_RANGE", "",
    "The requested offset is not within the range of offsets maintained by the server.")
CorruptRecordError = _define(2, "CorruptRecordError", "CORRUPT_MESSAGE", "r",
    "This message has failed its CRC checksum, exceeds the valid size, has a null key for a "
    "compacted topic, or is otherwise corrupt.")
UnknownTopicOrPartitionError = _define(3, "UnknownTopicOrPartitionError", "UNKNOWN_TOPIC_OR_PARTITION", "rm",
    "This server does not host this topic-partition.")
InvalidFetchRequestError = _define(4, "InvalidFetchRequestError", "INVALID_FETCH_SIZE", "",
    "The requested fetch size is invalid.")
LeaderNotAvailableError = _define(5, "LeaderNotAvailableError", "LEADER_NOT_AVAILABLE", "rm",
    "There is no leader for this topic-partition as we are in the middle of a leadership "
    "election.")
NotLeaderForPartitionError = _define(6, "NotLeaderForPartitionError", "NOT_LEADER_OR_FOLLOWER", "rm",
    "For requests intended only for the leader, this error indicates that the broker is not the"
    " current leader. For requests intended for any replica, this error indicates that the "
    "broker is not a replica of the topic partition.")
RequestTimedOutError = _define(7, "RequestTimedOutError", "REQUEST_TIMED_OUT", "r", "The request timed out.")
BrokerNotAvailableError = _define(8, "BrokerNotAvailableError", "BROKER_NOT_AVAILABLE", "",
    "The broker is not available.")
ReplicaNotAvailableError = _define(9, "ReplicaNotAvailableError", "REPLICA_NOT_AVAILABLE", "rm",
    "The replica is not available for the requested topic-partition. Produce/Fetch requests and"
    " other requests intended only for the leader or follower return NOT_LEADER_OR_FOLLOWER if "
    "the broker is not a replica of the topic-partition.")
MessageSizeTooLargeError = _define(10, "MessageSizeTooLargeError", "MESSAGE_TOO_LARGE", "",
    "The request included a message larger than the max message size the server will accept.")
StaleControllerEpochError = _define(11, "StaleControllerEpochError", "STALE_CONTROLLER_EPOCH", "",
    "The controller moved to another broker.")
OffsetMetadataTooLargeError = _define(12, "OffsetMetadataTooLargeError", "OFFSET_METADATA_TOO_LARGE", "",
    "The metadata field of the offset request was too large.")
NetworkExceptionError = _define(13, "NetworkExceptionError", "NETWORK_EXCEPTION", "rm",
    "The server disconnected before a response was received.")
CoordinatorLoadInProgressError = _define(14, "CoordinatorLoadInProgressError", "COORDINATOR_LOAD_IN_PROGRESS", "r",
    "The coordinator is loading and hence can't process requests.")
CoordinatorNotAvailableError = _define(15, "CoordinatorNotAvailableError", "COORDINATOR_NOT_AVAILABLE", "r",
    "The coordinator is not available.")
NotCoordinatorError = _define(16, "NotCoordinatorError", "NOT_COORDINATOR", "r",
    "This is not the correct coordinator.")
InvalidTopicError = _define(17, "InvalidTopicError", "INVALID_TOPIC_EXCEPTION", "",
    "The request attempted to perform an operation on an invalid topic.")
RecordListTooLargeError = _define(18, "RecordListTooLargeError", "RECORD_LIST_TOO_LARGE", "",
    "The request included message batch larger than the configured segment size on the server.")
NotEnoughReplicasError = _define(19, "NotEnoughReplicasError", "NOT_ENOUGH_REPLICAS", "r",
    "Messages are rejected since there are fewer in-sync replicas than required.")
NotEnoughReplicasAfterAppendError = _define(20, "NotEnoughReplicasAfterAppendError", "NOT_ENOUGH_REPLICAS_AFTER_APPEND", "r",
    "Messages are written to the log, but to fewer in-sync replicas than required.")
InvalidRequiredAcksError = _define(21, "InvalidRequiredAcksError", "INVALID_REQUIRED_ACKS", "",
    "Produce request specified an invalid value for required acks.")
IllegalGenerationError = _define(22, "IllegalGenerationError", "ILLEGAL_GENERATION", "",
    "Specified group generation id is not valid.")
InconsistentGroupProtocolError = _define(23, "InconsistentGroupProtocolError", "INCONSISTENT_GROUP_PROTOCOL", "",
    "The group member's supported protocols are incompatible with those of existing members or "
    "first group member tried to join with empty protocol type or empty protocol list.")
InvalidGroupIdError = _define(24, "InvalidGroupIdError", "INVALID_GROUP_ID", "", "The group id is invalid.")
UnknownMemberIdError = _define(25, "UnknownMemberIdError", "UNKNOWN_MEMBER_ID", "",
    "The coordinator is not aware of this member.")
InvalidSessionTimeoutError = _define(26, "InvalidSessionTimeoutError", "INVALID_SESSION_TIMEOUT", "",
    "The session timeout is not within the range allowed by the broker (as configured by "
    "group.min.session.timeout.ms and group.max.session.timeout.ms).")
RebalanceInProgressError = _define(27, "RebalanceInProgressError", "REBALANCE_IN_PROGRESS", "",
    "The group is rebalancing, so a rejoin is needed.")
InvalidCommitOffsetSizeError = _define(28, "InvalidCommitOffsetSizeError", "INVALID_COMMIT_OFFSET_SIZE", "",
    "The committing offset data size is not valid.")
TopicAuthorizationFailedError = _define(29, "TopicAuthorizationFailedError", "TOPIC_AUTHORIZATION_FAILED", "a",
    "Topic authorization failed.")
GroupAuthorizationFailedError = _define(30, "GroupAuthorizationFailedError", "GROUP_AUTHORIZATION_FAILED", "a",
    "Group authorization failed.")
ClusterAuthorizationFailedError = _define(31, "ClusterAuthorizationFailedError", "CLUSTER_AUTHORIZATION_FAILED", "a",
    "Cluster authorization failed.")
InvalidTimestampError = _define(32, "InvalidTimestampError", "INVALID_TIMESTAMP", "",
    "The timestamp of the message is out of acceptable range.")
UnsupportedSaslMechanismError = _define(33, "UnsupportedSaslMechanismError", "UNSUPPORTED_SASL_MECHANISM", "",
    "The broker does not support the requested SASL mechanism.")
IllegalSaslStateError = _define(34, "IllegalSaslStateError", "ILLEGAL_SASL_STATE", "",
    "Request is not valid given the current SASL state.")
_define(35, "UnsupportedVersionError", "UNSUPPORTED_VERSION", "",
    "The version of API is not supported.")
TopicAlreadyExistsError = _define(36, "TopicAlreadyExistsError", "TOPIC_ALREADY_EXISTS", "",
    "Topic with this name already exists.")
InvalidPartitionsError = _define(37, "InvalidPartitionsError", "INVALID_PARTITIONS", "",
    "Number of partitions is below 1.")
InvalidReplicationFactorError = _define(38, "InvalidReplicationFactorError", "INVALID_REPLICATION_FACTOR", "",
    "Replication factor is below 1 or larger than the number of available brokers.")
InvalidReplicationAssignmentError = _define(39, "InvalidReplicationAssignmentError", "INVALID_REPLICA_ASSIGNMENT", "",
    "Replica assignment is invalid.")
InvalidConfigurationError = _define(40, "InvalidConfigurationError", "INVALID_CONFIG", "",
    "Configuration is invalid.")
NotControllerError = _define(41, "NotControllerError", "NOT_CONTROLLER", "r",
    "This is not the correct controller for this cluster.")
InvalidRequestError = _define(42, "InvalidRequestError", "INVALID_REQUEST", "",
    "This most likely occurs because of a request being malformed by the client library or the "
    "message was sent to an incompatible broker. See the broker logs for more details.")
UnsupportedForMessageFormatError = _define(43, "UnsupportedForMessageFormatError", "UNSUPPORTED_FOR_MESSAGE_FORMAT", "",
    "The message format version on the broker does not support the request.")
PolicyViolationError = _define(44, "PolicyViolationError", "POLICY_VIOLATION", "",
    "Request parameters do not satisfy the configured policy.")
OutOfOrderSequenceNumberError = _define(45, "OutOfOrderSequenceNumberError", "OUT_OF_ORDER_SEQUENCE_NUMBER", "",
    "The broker received an out of order sequence number.")
DuplicateSequenceNumberError = _define(46, "DuplicateSequenceNumberError", "DUPLICATE_SEQUENCE_NUMBER", "",
    "The broker received a duplicate sequence number.")
InvalidProducerEpochError = _define(47, "InvalidProducerEpochError", "INVALID_PRODUCER_EPOCH", "",
    "Producer attempted to produce with an old epoch.")
InvalidTxnStateError = _define(48, "InvalidTxnStateError", "INVALID_TXN_STATE", "",
    "The producer attempted a transactional operation in an invalid state.")
InvalidProducerIdMappingError = _define(49, "InvalidProducerIdMappingError", "INVALID_PRODUCER_ID_MAPPING", "",
    "The producer attempted to use a producer id which is not currently assigned to its "
    "transactional id.")
InvalidTransactionTimeoutError = _define(50, "InvalidTransactionTimeoutError", "INVALID_TRANSACTION_TIMEOUT", "",
    "The transaction timeout is larger than the maximum value allowed by the broker (as "
    "configured by transaction.max.timeout.ms).")
ConcurrentTransactionsError = _define(51, "ConcurrentTransactionsError", "CONCURRENT_TRANSACTIONS", "r",
    "The producer attempted to update a transaction while another concurrent operation on the "
    "same transaction was ongoing.")
TransactionCoordinatorFencedError = _define(52, "TransactionCoordinatorFencedError", "TRANSACTION_COORDINATOR_FENCED", "",
    "Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the "
    "current coordinator for a given producer.")
TransactionalIdAuthorizationFailedError = _define(53, "TransactionalIdAuthorizationFailedError", "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", "a",
    "Transactional Id authorization failed.")
SecurityDisabledError = _define(54, "SecurityDisabledError", "SECURITY_DISABLED", "",
    "Security features are disabled.")
OperationNotAttemptedError = _define(55, "OperationNotAttemptedError", "OPERATION_NOT_ATTEMPTED", "",
    "The broker did not attempt to execute this operation. This may happen for batched RPCs "
    "where some operations in the batch failed, causing the broker to respond without trying "
    "the rest.")
KafkaStorageError = _define(56, "KafkaStorageError", "KAFKA_STORAGE_ERROR", "rm",
    "Disk error when trying to access log file on the disk.")
LogDirNotFoundError = _define(57, "LogDirNotFoundError", "LOG_DIR_NOT_FOUND", "",
    "The user-specified log directory is not found in the broker config.")
SaslAuthenticationFailedError = _define(58, "SaslAuthenticationFailedError", "SASL_AUTHENTICATION_FAILED", "",
    "SASL Authentication failed.")
UnknownProducerIdError = _define(59, "UnknownProducerIdError", "UNKNOWN_PRODUCER_ID", "",
    "This exception is raised by the broker if it could not locate the producer metadata "
    "associated with the producerId in question. This could happen if, for instance, the "
    "producer's records were deleted because their retention time had elapsed. Once the last "
    "records of the producerId are removed, the producer's metadata is removed from the broker,"
    " and future appends by the producer will return this exception.")
ReassignmentInProgressError = _define(60, "ReassignmentInProgressError", "REASSIGNMENT_IN_PROGRESS", "",
    "A partition reassignment is in progress.")
DelegationTokenAuthDisabledError = _define(61, "DelegationTokenAuthDisabledError", "DELEGATION_TOKEN_AUTH_DISABLED", "",
    "Delegation Token feature is not enabled.")
DelegationTokenNotFoundError = _define(62, "DelegationTokenNotFoundError", "DELEGATION_TOKEN_NOT_FOUND", "",
    "Delegation Token is not found on server.")
DelegationTokenOwnerMismatchError = _define(63, "DelegationTokenOwnerMismatchError", "DELEGATION_TOKEN_OWNER_MISMATCH", "",
    "Specified Principal is not valid Owner/Renewer.")
DelegationTokenRequestNotAllowedError = _define(64, "DelegationTokenRequestNotAllowedError", "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", "",
    "Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on "
    "delegation token authenticated channels.")
DelegationTokenAuthorizationFailedError = _define(65, "DelegationTokenAuthorizationFailedError", "DELEGATION_TOKEN_AUTHORIZATION_FAILED", "a",
    "Delegation Token authorization failed.")
DelegationTokenExpiredError = _define(66, "DelegationTokenExpiredError", "DELEGATION_TOKEN_EXPIRED", "",
    "Delegation Token is expired.")
InvalidPrincipalTypeError = _define(67, "InvalidPrincipalTypeError", "INVALID_PRINCIPAL_TYPE", "",
    "Supplied principalType is not supported.")
NonEmptyGroupError = _define(68, "NonEmptyGroupError", "NON_EMPTY_GROUP", "", "The group is not empty.")
GroupIdNotFoundError = _define(69, "GroupIdNotFoundError", "GROUP_ID_NOT_FOUND", "",
    "The group id does not exist.")
FetchSessionIdNotFoundError = _define(70, "FetchSessionIdNotFoundError", "FETCH_SESSION_ID_NOT_FOUND", "r",
    "The fetch session ID was not found.")
InvalidFetchSessionEpochError = _define(71, "InvalidFetchSessionEpochError", "INVALID_FETCH_SESSION_EPOCH", "r",
    "The fetch session epoch is invalid.")
ListenerNotFoundError = _define(72, "ListenerNotFoundError", "LISTENER_NOT_FOUND", "rm",
    "There is no listener on the leader broker that matches the listener on which metadata "
    "request was processed.")
TopicDeletionDisabledError = _define(73, "TopicDeletionDisabledError", "TOPIC_DELETION_DISABLED", "",
    "Topic deletion is disabled.")
FencedLeaderEpochError = _define(74, "FencedLeaderEpochError", "FENCED_LEADER_EPOCH", "rm",
    "The leader epoch in the request is older than the epoch on the broker.")
UnknownLeaderEpochError = _define(75, "UnknownLeaderEpochError", "UNKNOWN_LEADER_EPOCH", "r",
    "The leader epoch in the request is newer than the epoch on the broker.")
UnsupportedCompressionTypeError = _define(76, "UnsupportedCompressionTypeError", "UNSUPPORTED_COMPRESSION_TYPE", "",
    "The requesting client does not support the compression type of given partition.")
StaleBrokerEpochError = _define(77, "StaleBrokerEpochError", "STALE_BROKER_EPOCH", "",
    "Broker epoch has changed.")
OffsetNotAvailableError = _define(78, "OffsetNotAvailableError", "OFFSET_NOT_AVAILABLE", "r",
    "The leader high watermark has not caught up from a recent leader election so the offsets "
    "cannot be guaranteed to be monotonically increasing.")
MemberIdRequiredError = _define(79, "MemberIdRequiredError", "MEMBER_ID_REQUIRED", "",
    "The group member needs to have a valid member id before actually entering a consumer "
    "group.")
PreferredLeaderNotAvailableError = _define(80, "PreferredLeaderNotAvailableError", "PREFERRED_LEADER_NOT_AVAILABLE", "rm",
    "The preferred leader was not available.")
GroupMaxSizeReachedError = _define(81, "GroupMaxSizeReachedError", "GROUP_MAX_SIZE_REACHED", "",
    "The group has reached its maximum size.")
FencedInstanceIdError = _define(82, "FencedInstanceIdError", "FENCED_INSTANCE_ID", "",
    "The broker rejected this static consumer since another consumer with the same "
    "group.instance.id has registered with a different member.id.")
EligibleLeadersNotAvailableError = _define(83, "EligibleLeadersNotAvailableError", "ELIGIBLE_LEADERS_NOT_AVAILABLE", "rm",
    "Eligible topic partition leaders are not available.")
ElectionNotNeededError = _define(84, "ElectionNotNeededError", "ELECTION_NOT_NEEDED", "rm",
    "Leader election not needed for topic partition.")
NoReassignmentInProgressError = _define(85, "NoReassignmentInProgressError", "NO_REASSIGNMENT_IN_PROGRESS", "",
    "No partition reassignment is in progress.")
GroupSubscribedToTopicError = _define(86, "GroupSubscribedToTopicError", "GROUP_SUBSCRIBED_TO_TOPIC", "",
    "Deleting offsets of a topic is forbidden while the consumer group is actively subscribed "
    "to it.")
InvalidRecordError = _define(87, "InvalidRecordError", "INVALID_RECORD", "",
    "This record has failed the validation on broker and hence will be rejected.")
UnstableOffsetCommitError = _define(88, "UnstableOffsetCommitError", "UNSTABLE_OFFSET_COMMIT", "r",
    "There are unstable offsets that need to be cleared.")
ThrottlingQuotaExceededError = _define(89, "ThrottlingQuotaExceededError", "THROTTLING_QUOTA_EXCEEDED", "r",
    "The throttling quota has been exceeded.")
ProducerFencedError = _define(90, "ProducerFencedError", "PRODUCER_FENCED", "",
    "There is a newer producer with the same transactionalId which fences the current one.")
ResourceNotFoundError = _define(91, "ResourceNotFoundError", "RESOURCE_NOT_FOUND", "",
    "A request illegally referred to a resource that does not exist.")
DuplicateResourceError = _define(92, "DuplicateResourceError", "DUPLICATE_RESOURCE", "",
    "A request illegally referred to the same resource twice.")
UnacceptableCredentialError = _define(93, "UnacceptableCredentialError", "UNACCEPTABLE_CREDENTIAL", "",
    "Requested credential would not meet criteria for acceptability.")
InconsistentVoterSetError = _define(94, "InconsistentVoterSetError", "INCONSISTENT_VOTER_SET", "",
    "Indicates that the either the sender or recipient of a voter-only request is not one of "
    "the expected voters.")
InvalidUpdateVersionError = _define(95, "InvalidUpdateVersionError", "INVALID_UPDATE_VERSION", "",
    "The given update version was invalid.")
FeatureUpdateFailedError = _define(96, "FeatureUpdateFailedError", "FEATURE_UPDATE_FAILED", "",
    "Unable to update finalized features due to an unexpected server error.")
PrincipalDeserializationFailureError = _define(97, "PrincipalDeserializationFailureError", "PRINCIPAL_DESERIALIZATION_FAILURE", "",
    "Request principal deserialization failed during forwarding. This indicates an internal "
    "error on the broker cluster security setup.")
SnapshotNotFoundError = _define(98, "SnapshotNotFoundError", "SNAPSHOT_NOT_FOUND", "",
    "Requested snapshot was not found.")
PositionOutOfRangeError = _define(99, "PositionOutOfRangeError", "POSITION_OUT_OF_RANGE", "",
    "Requested position is not greater than or equal to zero, and less than the size of the "
    "snapshot.")
UnknownTopicIdError = _define(100, "UnknownTopicIdError", "UNKNOWN_TOPIC_ID", "rm",
    "This server does not host this topic ID.")
DuplicateBrokerRegistrationError = _define(101, "DuplicateBrokerRegistrationError", "DUPLICATE_BROKER_REGISTRATION", "",
    "This broker ID is already in use.")
BrokerIdNotRegisteredError = _define(102, "BrokerIdNotRegisteredError", "BROKER_ID_NOT_REGISTERED", "",
    "The given broker ID was not registered.")
InconsistentTopicIdError = _define(103, "InconsistentTopicIdError", "INCONSISTENT_TOPIC_ID", "rm",
    "The log's topic ID did not match the topic ID in the request.")
InconsistentClusterIdError = _define(104, "InconsistentClusterIdError", "INCONSISTENT_CLUSTER_ID", "",
    "The clusterId in the request does not match that found on the server.")
TransactionalIdNotFoundError = _define(105, "TransactionalIdNotFoundError", "TRANSACTIONAL_ID_NOT_FOUND", "",
    "The transactionalId could not be found.")
FetchSessionTopicIdError = _define(106, "FetchSessionTopicIdError", "FETCH_SESSION_TOPIC_ID_ERROR", "r",
    "The fetch session encountered inconsistent topic ID usage.")
IneligibleReplicaError = _define(107, "IneligibleReplicaError", "INELIGIBLE_REPLICA", "",
    "The new ISR contains at least one ineligible replica.")
NewLeaderElectedError = _define(108, "NewLeaderElectedError", "NEW_LEADER_ELECTED", "",
    "The AlterPartition request successfully updated the partition state but the leader has "
    "changed.")
OffsetMovedToTieredStorageError = _define(109, "OffsetMovedToTieredStorageError", "OFFSET_MOVED_TO_TIERED_STORAGE", "",
    "The requested offset is moved to tiered storage.")
FencedMemberEpochError = _define(110, "FencedMemberEpochError", "FENCED_MEMBER_EPOCH", "",
    "The member epoch is fenced by the group coordinator. The member must abandon all its "
    "partitions and rejoin.")
UnreleasedInstanceIdError = _define(111, "UnreleasedInstanceIdError", "UNRELEASED_INSTANCE_ID", "",
    "The instance ID is still used by another member in the consumer group. That member must "
    "leave first.")
UnsupportedAssignorError = _define(112, "UnsupportedAssignorError", "UNSUPPORTED_ASSIGNOR", "",
    "The assignor or its version range is not supported by the consumer group.")
StaleMemberEpochError = _define(113, "StaleMemberEpochError", "STALE_MEMBER_EPOCH", "",
    "The member epoch is stale. The member must retry after receiving its updated member epoch "
    "via the ConsumerGroupHeartbeat API.")
MismatchedEndpointTypeError = _define(114, "MismatchedEndpointTypeError", "MISMATCHED_ENDPOINT_TYPE", "",
    "The request was sent to an endpoint of the wrong type.")
UnsupportedEndpointTypeError = _define(115, "UnsupportedEndpointTypeError", "UNSUPPORTED_ENDPOINT_TYPE", "",
    "This endpoint type is not supported yet.")
UnknownControllerIdError = _define(116, "UnknownControllerIdError", "UNKNOWN_CONTROLLER_ID", "",
    "This controller ID is not known.")
UnknownSubscriptionIdError = _define(117, "UnknownSubscriptionIdError", "UNKNOWN_SUBSCRIPTION_ID", "",
    "Client sent a push telemetry request with an invalid or outdated subscription ID.")
TelemetryTooLargeError = _define(118, "TelemetryTooLargeError", "TELEMETRY_TOO_LARGE", "",
    "Client sent a push telemetry request larger than the maximum size the broker will accept.")
InvalidRegistrationError = _define(119, "InvalidRegistrationError", "INVALID_REGISTRATION", "",
    "The controller has considered the broker registration to be invalid.")
TransactionAbortableError = _define(120, "TransactionAbortableError", "TRANSACTION_ABORTABLE", "",
    "The server encountered an error with the transaction. The client can abort the transaction"
    " to continue using this transactional ID.")
InvalidRecordStateError = _define(121, "InvalidRecordStateError", "INVALID_RECORD_STATE", "",
    "The record state is invalid. The acknowledgement of delivery could not be completed.")
ShareSessionNotFoundError = _define(122, "ShareSessionNotFoundError", "SHARE_SESSION_NOT_FOUND", "r",
    "The share session was not found.")
InvalidShareSessionEpochError = _define(123, "InvalidShareSessionEpochError", "INVALID_SHARE_SESSION_EPOCH", "r",
    "The share session epoch is invalid.")
FencedStateEpochError = _define(124, "FencedStateEpochError", "FENCED_STATE_EPOCH", "",
    "The coordinator rejected the request because the state epoch did not match.")
InvalidVoterKeyError = _define(125, "InvalidVoterKeyError", "INVALID_VOTER_KEY", "",
    "The voter key doesn't match the receiving replica's key.")
DuplicateVoterError = _define(126, "DuplicateVoterError", "DUPLICATE_VOTER", "",
    "The voter is already part of the set of voters.")
VoterNotFoundError = _define(127, "VoterNotFoundError", "VOTER_NOT_FOUND", "",
    "The voter is not part of the set of voters.")
InvalidRegularExpressionError = _define(128, "InvalidRegularExpressionError", "INVALID_REGULAR_EXPRESSION", "",
    "The regular expression is not valid.")
RebootstrapRequiredError = _define(129, "RebootstrapRequiredError", "REBOOTSTRAP_REQUIRED", "",
    "Client metadata is stale. The client should rebootstrap to obtain new metadata.")
StreamsInvalidTopologyError = _define(130, "StreamsInvalidTopologyError", "STREAMS_INVALID_TOPOLOGY", "",
    "The supplied topology is invalid.")
StreamsInvalidTopologyEpochError = _define(131, "StreamsInvalidTopologyEpochError", "STREAMS_INVALID_TOPOLOGY_EPOCH", "",
    "The supplied topology epoch is invalid.")
StreamsTopologyFencedError = _define(132, "StreamsTopologyFencedError", "STREAMS_TOPOLOGY_FENCED", "",
    "The supplied topology epoch is outdated.")
ShareSessionLimitReachedError = _define(133, "ShareSessionLimitReachedError", "SHARE_SESSION_LIMIT_REACHED", "r",
    "The limit of share sessions has been reached.")
GroupDeletionFailedError = _define(134, "GroupDeletionFailedError", "GROUP_DELETION_FAILED", "",
    "DeleteGroups could not complete; see the error message on the per-group result for "
    "details.")
StreamsTopologyDescriptionUpdateFailedError = _define(135, "StreamsTopologyDescriptionUpdateFailedError", "STREAMS_TOPOLOGY_DESCRIPTION_UPDATE_FAILED", "",
    "The broker could not process the topology description update; see the error message for "
    "details.")
ControllerIdNotRegisteredError = _define(136, "ControllerIdNotRegisteredError", "CONTROLLER_ID_NOT_REGISTERED", "",
    "The given controller ID was not registered.")


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
    "TransactionAbortedError", "BrokerResponseError", "AuthorizationError",
    "IncompatibleBrokerVersion", "CorruptRecordException", "NotLeaderOrFollowerError",
    "UnknownServerError", "for_code", "for_name", "error_name", "broker_error_codes",
] + sorted({cls.__name__ for cls in _BY_CODE.values()} - {"UnsupportedVersionError"})
