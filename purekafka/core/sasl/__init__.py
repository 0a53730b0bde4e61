"""Sans-I/O SASL: the mechanisms and the SaslHandshake/SaslAuthenticate exchange.

No sockets and no clock: the I/O layer passes wall time in and moves the bytes. See
``authenticator`` for the state machine and ``factory.make_mechanism`` for the settings.
"""
from __future__ import annotations

from purekafka.core.sasl.authenticator import SaslAuthenticator, reauth_delay_ms
from purekafka.core.sasl.factory import MECHANISMS, make_mechanism
from purekafka.core.sasl.mechanism import AuthenticationFailedError, SaslMechanism
from purekafka.core.sasl.plain import PlainMechanism

__all__ = [
    "MECHANISMS",
    "AuthenticationFailedError",
    "PlainMechanism",
    "SaslAuthenticator",
    "SaslMechanism",
    "make_mechanism",
    "reauth_delay_ms",
]
