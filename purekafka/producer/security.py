"""The producer's TLS context and SASL authenticator factory, from its settings."""
from __future__ import annotations

import ssl
from typing import Any

from purekafka.config import ProducerConfig
from purekafka.core.sasl.authenticator import SaslAuthenticator
from purekafka.core.sasl.factory import make_mechanism
from purekafka.io.auth import Authenticator, AuthenticatorFactory
from purekafka.io.tls import make_ssl_context

__all__ = ["security_options"]


def security_options(cfg: ProducerConfig, first_host: str) -> dict[str, Any]:
    """``SocketNetwork``'s ``ssl_context`` and ``sasl`` for ``cfg.security_protocol``.
    Settings a mechanism lacks fail here, in the constructor (``KafkaConfigurationError``),
    not on the first connection."""
    proto = cfg.security_protocol
    context: ssl.SSLContext | None = make_ssl_context(cfg) if proto in ("SSL", "SASL_SSL") else None
    sasl: AuthenticatorFactory | None = None
    if proto in ("SASL_PLAINTEXT", "SASL_SSL"):
        make_mechanism(cfg, first_host)  # checked once now; each connection gets a fresh one

        def sasl(host: str, handshake_version: int, authenticate_version: int) -> Authenticator:
            return SaslAuthenticator(make_mechanism(cfg, host), handshake_version=handshake_version,
                                     authenticate_version=authenticate_version, broker=host)

    return {"ssl_context": context, "sasl": sasl}
