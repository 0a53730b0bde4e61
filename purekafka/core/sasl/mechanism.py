"""The SASL mechanism seam: one client side of one SASL exchange, without I/O.

A mechanism turns server tokens into client tokens. The authenticator frames them in
SaslAuthenticate requests; the I/O layer moves the bytes. Wall time is passed in (SCRAM
does not need it; AWS_MSK_IAM signs with it), randomness is injected where a mechanism
needs it, so every exchange can be replayed in a test.
"""
from __future__ import annotations

from typing import Iterable, Protocol

from purekafka.errors import KafkaError, SaslAuthenticationFailedError

__all__ = ["AuthenticationFailedError", "SaslMechanism", "raised", "redact"]

# kafka-python 3 raises SaslAuthenticationFailedError for every authentication failure; the
# interface's "AuthenticationFailedError" is that class.
AuthenticationFailedError = SaslAuthenticationFailedError


class SaslMechanism(Protocol):
    """The client side of one SASL exchange; a fresh one per connection and re-authentication."""

    name: str  # the mechanism's SASL name: "PLAIN", "SCRAM-SHA-256", "OAUTHBEARER", ...

    def start(self, wall_time_s: float) -> bytes:
        """The first client token."""
        ...

    def step(self, server_token: bytes, wall_time_s: float) -> bytes | None:
        """The next client token, or None once the exchange is complete.

        Raises ``AuthenticationFailedError`` on a bad server message; the message says what
        is wrong and never holds a secret.
        """
        ...

    @property
    def complete(self) -> bool:
        """Whether the server's final message has been received and verified."""
        ...


def redact(text: str, secrets: Iterable[str | bytes | None]) -> str:
    """``text`` with every non-empty secret replaced by ``********``."""
    for secret in secrets:
        if isinstance(secret, bytes):
            secret = secret.decode("utf-8", "replace")
        if secret:
            text = text.replace(secret, "********")
    return text


def raised(what: str, exc: BaseException, hint: str) -> KafkaError:
    """A SaslAuthenticationFailedError for ``exc``, which ``what`` raised: its type and
    ``hint``, never its text.

    A token provider's or a mechanism's message may hold the token or password it handled,
    and no list of secrets can catch one the provider had not yet returned. Raise the result
    after the ``except`` block, not in it, so that ``exc`` is not kept as its context either
    (``from None`` only hides it from tracebacks); nor is its text logged.
    """
    kind = type(exc).__qualname__
    if type(exc).__module__ not in ("builtins", "__main__"):
        kind = f"{type(exc).__module__}.{kind}"
    return AuthenticationFailedError(
        f"{what} raised {kind} (its message is not shown: it may hold a secret); {hint}")
