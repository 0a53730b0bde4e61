"""``make_mechanism``: the SASL mechanism a connection uses, built from the settings.

A fresh mechanism per connection and per re-authentication, so OAUTHBEARER asks its provider
for a token each time and SCRAM draws a new nonce. GSSAPI lives in ``gssapi.py`` (which
imports the optional ``gssapi`` package lazily); it is imported here only when asked for.
"""
from __future__ import annotations

import importlib
import os
from typing import Any, Callable, Mapping

from purekafka.config import ProducerConfig
from purekafka.errors import KafkaConfigurationError
from purekafka.core.sasl.mechanism import SaslMechanism
from purekafka.core.sasl.plain import PlainMechanism

__all__ = ["MECHANISMS", "make_mechanism"]

MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "AWS_MSK_IAM", "GSSAPI")


def make_mechanism(config: ProducerConfig, host: str, *,
                   environ: Mapping[str, str] | None = None,
                   random_bytes: Callable[[int], bytes] | None = None) -> SaslMechanism:
    """The mechanism ``config.sasl_mechanism`` names, for a connection to broker ``host``.

    ``environ`` (default ``os.environ``) is where AWS_MSK_IAM finds credentials and region;
    ``random_bytes`` (default ``os.urandom``) is SCRAM's nonce source. Raises
    ``KafkaConfigurationError`` when a setting the mechanism needs is missing.
    """
    name = config.sasl_mechanism
    if name is None:
        raise KafkaConfigurationError(
            f"security_protocol={config.security_protocol!r} needs sasl_mechanism "
            f"(one of {', '.join(MECHANISMS)})")
    if name == "PLAIN":
        username, password = _user(config, name)
        return PlainMechanism(username, password)
    if name in ("SCRAM-SHA-256", "SCRAM-SHA-512"):
        from purekafka.core.sasl.scram import ScramMechanism

        username, password = _user(config, name)
        return ScramMechanism(name, username, password, random_bytes=random_bytes or os.urandom)
    if name == "OAUTHBEARER":
        from purekafka.core.sasl.oauth import OAuthBearerMechanism

        if config.sasl_oauth_token_provider is None:
            raise KafkaConfigurationError(
                "sasl_mechanism='OAUTHBEARER' needs sasl_oauth_token_provider")
        return OAuthBearerMechanism(config.sasl_oauth_token_provider, host)
    if name == "AWS_MSK_IAM":
        from purekafka.core.sasl.msk import MskIamMechanism

        msk: SaslMechanism = MskIamMechanism.from_settings(
            config, host, os.environ if environ is None else environ)
        return msk
    if name == "GSSAPI":
        return _gssapi(config, host)
    raise KafkaConfigurationError(
        f"sasl_mechanism={name!r} is not supported; use one of {', '.join(MECHANISMS)}")


def _user(config: ProducerConfig, name: str) -> tuple[str, str]:
    missing = [n for n in ("sasl_plain_username", "sasl_plain_password")
               if getattr(config, n) is None]
    if missing:
        raise KafkaConfigurationError(f"sasl_mechanism={name!r} needs {' and '.join(missing)}")
    assert config.sasl_plain_username is not None and config.sasl_plain_password is not None
    return config.sasl_plain_username, config.sasl_plain_password


def _gssapi(config: ProducerConfig, host: str) -> SaslMechanism:
    # gssapi.py (branch gssapi) provides GssapiMechanism(config, host).
    try:
        module = importlib.import_module("purekafka.core.sasl.gssapi")
    except ModuleNotFoundError as exc:
        if exc.name != "purekafka.core.sasl.gssapi":
            raise
        raise KafkaConfigurationError(
            "sasl_mechanism='GSSAPI' is not available in this build of purekafka") from None
    cls: Any = getattr(module, "GssapiMechanism")
    mechanism: SaslMechanism = cls(config, host)
    return mechanism
