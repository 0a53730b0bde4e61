"""The transaction states and the one table of moves between them.

``State`` and ``TRANSITIONS`` are Kafka 4.x's ``TransactionManager.State`` and
its ``isTransitionValid`` (checked against Java in the tests). They sit in a
module of their own, beside each other, so that both halves of the manager
(``core.transactions`` and the response handlers in ``core.txn_responses``) use
them without importing each other; ``core.transactions`` re-exports both.
"""
from __future__ import annotations

from enum import Enum

__all__ = ["State", "TRANSITIONS"]


class State(Enum):
    UNINITIALIZED = "UNINITIALIZED"
    INITIALIZING = "INITIALIZING"
    READY = "READY"
    IN_TRANSACTION = "IN_TRANSACTION"
    PREPARED_TRANSACTION = "PREPARED_TRANSACTION"  # KIP-939; listed for the table, never entered
    COMMITTING_TRANSACTION = "COMMITTING_TRANSACTION"
    ABORTING_TRANSACTION = "ABORTING_TRANSACTION"
    ABORTABLE_ERROR = "ABORTABLE_ERROR"
    FATAL_ERROR = "FATAL_ERROR"


_S = State
# source -> the states it may move to (Java TransactionManager.State.isTransitionValid).
TRANSITIONS: dict[State, frozenset[State]] = {
    _S.UNINITIALIZED: frozenset({_S.INITIALIZING, _S.FATAL_ERROR}),
    _S.INITIALIZING: frozenset({_S.READY, _S.PREPARED_TRANSACTION, _S.ABORTABLE_ERROR, _S.FATAL_ERROR}),
    _S.READY: frozenset({_S.UNINITIALIZED, _S.IN_TRANSACTION, _S.FATAL_ERROR}),
    _S.IN_TRANSACTION: frozenset({_S.PREPARED_TRANSACTION, _S.COMMITTING_TRANSACTION,
                                  _S.ABORTING_TRANSACTION, _S.ABORTABLE_ERROR, _S.FATAL_ERROR}),
    _S.PREPARED_TRANSACTION: frozenset({_S.COMMITTING_TRANSACTION, _S.ABORTING_TRANSACTION, _S.FATAL_ERROR}),
    _S.COMMITTING_TRANSACTION: frozenset({_S.INITIALIZING, _S.READY, _S.ABORTABLE_ERROR, _S.FATAL_ERROR}),
    _S.ABORTING_TRANSACTION: frozenset({_S.INITIALIZING, _S.READY, _S.FATAL_ERROR}),
    _S.ABORTABLE_ERROR: frozenset({_S.UNINITIALIZED, _S.ABORTING_TRANSACTION, _S.ABORTABLE_ERROR,
                                   _S.FATAL_ERROR}),
    _S.FATAL_ERROR: frozenset({_S.FATAL_ERROR}),
}
