"""``aiokafka.errors``' names, for code that moves to ``purekafka.aio``.

Every ``purekafka.errors`` name is here. Where aiokafka spells a broker error
differently (``ProducerFenced``, ``OutOfOrderSequenceNumber``, ...), the aiokafka
name is an alias of purekafka's class for the same error code, so ``except`` clauses
written for aiokafka catch what purekafka raises. aiokafka's client-side errors that
purekafka has no class for are subclasses of the nearest purekafka error.
"""
from __future__ import annotations

from purekafka.errors import *  # noqa: F403 - the point of this module is the full set
from purekafka import errors as _e
from purekafka.errors import __all__ as _pure_all

# aiokafka's client-side errors, each under purekafka's nearest class.


class IllegalOperation(_e.IllegalStateError):
    """aiokafka's: an operation not allowed in the producer's state (e.g. send outside a
    transaction on a transactional producer)."""


class ProducerClosed(_e.IllegalStateError):
    """aiokafka's: the producer is stopped (or was never started)."""


class KafkaUnavailableError(_e.KafkaConnectionError):
    """aiokafka's: no broker could be reached."""


class ConsumerStoppedError(Exception):
    """aiokafka's consumer error (the name only: purekafka has no consumer)."""


AuthenticationFailedError: type[_e.KafkaError] = getattr(
    _e, "AuthenticationFailedError", _e.SaslAuthenticationFailedError)
AuthenticationMethodNotSupported: type[_e.KafkaError] = _e.UnsupportedSaslMechanismError

# aiokafka's names for broker errors purekafka names after Java.
ProducerFenced = _e.ProducerFencedError
ConcurrentTransactions = _e.ConcurrentTransactionsError
DuplicateSequenceNumber = _e.DuplicateSequenceNumberError
OutOfOrderSequenceNumber = _e.OutOfOrderSequenceNumberError
InvalidProducerEpoch = _e.InvalidProducerEpochError
InvalidProducerIdMapping = _e.InvalidProducerIdMappingError
InvalidTransactionTimeout = _e.InvalidTransactionTimeoutError
InvalidTxnState = _e.InvalidTxnStateError
TransactionCoordinatorFenced = _e.TransactionCoordinatorFencedError
TransactionalIdAuthorizationFailed = _e.TransactionalIdAuthorizationFailedError
UnknownProducerId = _e.UnknownProducerIdError
OperationNotAttempted = _e.OperationNotAttemptedError
RecordTooLargeError = _e.MessageSizeTooLargeError
InvalidMessageError = _e.CorruptRecordError
GroupCoordinatorNotAvailableError = _e.CoordinatorNotAvailableError
GroupLoadInProgressError = _e.CoordinatorLoadInProgressError
NotCoordinatorForGroupError = _e.NotCoordinatorError
StaleLeaderEpochCodeError = _e.NetworkExceptionError
SaslAuthenticationFailed = _e.SaslAuthenticationFailedError
SecurityDisabled = _e.SecurityDisabledError
GroupIdNotFound = _e.GroupIdNotFoundError
NonEmptyGroup = _e.NonEmptyGroupError
MemberIdRequired = _e.MemberIdRequiredError
ListenerNotFound = _e.ListenerNotFoundError
LogDirNotFound = _e.LogDirNotFoundError
ReassignmentInProgress = _e.ReassignmentInProgressError
InvalidPrincipalType = _e.InvalidPrincipalTypeError
FetchSessionIdNotFound = _e.FetchSessionIdNotFoundError
InvalidFetchSessionEpoch = _e.InvalidFetchSessionEpochError
DelegationTokenAuthDisabled = _e.DelegationTokenAuthDisabledError
DelegationTokenAuthorizationFailed = _e.DelegationTokenAuthorizationFailedError
DelegationTokenExpired = _e.DelegationTokenExpiredError
DelegationTokenNotFound = _e.DelegationTokenNotFoundError
DelegationTokenOwnerMismatch = _e.DelegationTokenOwnerMismatchError
DelegationTokenRequestNotAllowed = _e.DelegationTokenRequestNotAllowedError

__all__ = [*_pure_all, "IllegalOperation", "ProducerClosed", "KafkaUnavailableError",
           "ConsumerStoppedError", "AuthenticationFailedError", "AuthenticationMethodNotSupported",
           "ProducerFenced", "ConcurrentTransactions", "DuplicateSequenceNumber",
           "OutOfOrderSequenceNumber", "InvalidProducerEpoch", "InvalidProducerIdMapping",
           "InvalidTransactionTimeout", "InvalidTxnState", "TransactionCoordinatorFenced",
           "TransactionalIdAuthorizationFailed", "UnknownProducerId", "OperationNotAttempted",
           "RecordTooLargeError", "InvalidMessageError", "GroupCoordinatorNotAvailableError",
           "GroupLoadInProgressError", "NotCoordinatorForGroupError", "StaleLeaderEpochCodeError",
           "SaslAuthenticationFailed", "SecurityDisabled", "GroupIdNotFound", "NonEmptyGroup",
           "MemberIdRequired", "ListenerNotFound", "LogDirNotFound", "ReassignmentInProgress",
           "InvalidPrincipalType", "FetchSessionIdNotFound", "InvalidFetchSessionEpoch",
           "DelegationTokenAuthDisabled", "DelegationTokenAuthorizationFailed",
           "DelegationTokenExpired", "DelegationTokenNotFound", "DelegationTokenOwnerMismatch",
           "DelegationTokenRequestNotAllowed"]
