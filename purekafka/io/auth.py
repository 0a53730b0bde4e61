"""The SASL sub-state of one connection: the exchange in progress and when to re-authenticate.

``SocketNetwork`` moves a connection from NEGOTIATING to AUTHENTICATING once ApiVersions
has said which SaslHandshake and SaslAuthenticate versions the broker speaks, and hands the
responses of the requests ``NodeAuth`` asks for to ``on_response``. When the exchange ends
with a session lifetime (KIP-368, SaslAuthenticate v1+), ``reauth_at_ms`` is set at a random
85..95 % of it; a new exchange then runs on the READY connection (``reauthenticating``),
during which no other request is sent, while answers to earlier ones still arrive.
"""
from __future__ import annotations

from typing import Callable, Protocol

from purekafka.core.sasl.authenticator import raise_hint, reauth_delay_ms
from purekafka.core.sasl.mechanism import raised
from purekafka.errors import IncompatibleBrokerVersion, KafkaError, SaslAuthenticationFailedError
from purekafka.protocol import sasl_authenticate, sasl_handshake

__all__ = ["Authenticator", "AuthenticatorFactory", "NodeAuth"]


class Authenticator(Protocol):
    """``core.sasl.SaslAuthenticator`` as the I/O layer uses it."""

    done: bool
    session_lifetime_ms: int

    def first_request(self, wall_time_s: float) -> tuple[int, int, bytes]: ...

    def on_response(self, api_key: int, body: bytes, wall_time_s: float
                    ) -> tuple[int, int, bytes] | None: ...


# (broker host, SaslHandshake version, SaslAuthenticate version) -> a fresh authenticator
# with a fresh mechanism (OAUTHBEARER fetches a new token for each).
AuthenticatorFactory = Callable[[str, int, int], Authenticator]


class NodeAuth:
    """One connection's SASL state (see the module doc)."""

    __slots__ = ("authenticator", "reauth_at_ms", "reauthenticating")

    def __init__(self) -> None:
        self.authenticator: Authenticator | None = None
        self.reauth_at_ms: float | None = None
        self.reauthenticating = False

    def reset(self) -> None:
        """The connection is gone."""
        self.authenticator = None
        self.reauth_at_ms = None
        self.reauthenticating = False

    def start(self, factory: AuthenticatorFactory, host: str, versions: dict[int, int],
              wall_time_s: float, reauth: bool) -> tuple[int, int, bytes]:
        """Begin an exchange; returns the first request (api key, version, body)."""
        hv = versions.get(sasl_handshake.API_KEY)
        if hv is None:
            raise IncompatibleBrokerVersion(
                f"broker {host} offers no SaslHandshake version purekafka speaks: is its "
                "listener really SASL_PLAINTEXT/SASL_SSL (check security_protocol)?")
        av = versions.get(sasl_authenticate.API_KEY, 0)
        self.reauthenticating = reauth
        self.reauth_at_ms = None
        try:
            self.authenticator = factory(host, min(hv, 1), min(av, 2))
            return self.authenticator.first_request(wall_time_s)
        except KafkaError:
            raise
        except Exception as e:  # noqa: BLE001 - a token provider's failure, say
            failure = _failed(host, e, self.authenticator)
        raise failure  # outside the except block: ``e`` is not its context

    def on_response(self, host: str, api_key: int, body: bytes, wall_time_s: float,
                    now_ms: float, rand: float) -> tuple[int, int, bytes] | None:
        """The next request, or None once authenticated (``reauth_at_ms`` then set)."""
        a = self.authenticator
        if a is None:
            raise SaslAuthenticationFailedError(f"broker {host}: SASL response with no exchange in progress")
        failure: KafkaError | None = None
        try:
            nxt = a.on_response(api_key, body, wall_time_s)
        except KafkaError:
            raise
        except Exception as e:  # noqa: BLE001
            failure = _failed(host, e, a)
        if failure is not None:
            raise failure  # outside the except block: ``e`` is not its context
        if nxt is not None:
            return nxt
        delay = reauth_delay_ms(a.session_lifetime_ms, rand)
        self.reauth_at_ms = None if delay is None else now_ms + delay
        self.authenticator = None
        self.reauthenticating = False
        return None

    def reauth_due(self, now_ms: float) -> bool:
        return (self.authenticator is None and self.reauth_at_ms is not None
                and now_ms >= self.reauth_at_ms)


def _failed(host: str, e: Exception, authenticator: Authenticator | None) -> KafkaError:
    """The error for what an authenticator, its mechanism or the user's provider raised: its
    type and a hint, never its text (it may hold a token or password; see ``raised``)."""
    # SaslAuthenticator has a mechanism (and turns its exceptions into KafkaErrors itself);
    # the factory may have failed before there was one.
    mechanism: str | None = getattr(getattr(authenticator, "mechanism", None), "name", None)
    what = f"SASL {mechanism} authentication" if mechanism else "SASL authentication"
    return raised(f"{what} with broker {host} failed: the client side", e, raise_hint(mechanism))
