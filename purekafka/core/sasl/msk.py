"""AWS_MSK_IAM (kafka-python's name): the aws-msk-iam-auth mechanism, signed with SigV4.

One client message, a JSON object (aws-msk-iam-auth's published format, version
"2020_10_22")::

    {"version": "2020_10_22", "host": <broker host>, "user-agent": ..., "action":
     "kafka-cluster:Connect", "x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-credential":
     <key id>/<date>/<region>/kafka-cluster/aws4_request, "x-amz-date": <YYYYMMDDTHHMMSSZ>,
     "x-amz-signedheaders": "host", "x-amz-expires": "900", "x-amz-signature": <hex>,
     ["x-amz-security-token": <session token>]}

The signature is SigV4 query signing of ``GET /?Action=kafka-cluster%3AConnect&X-Amz-...``
with the single header ``host`` and the empty payload, for service "kafka-cluster"; only
``hmac`` and ``hashlib``. The broker answers with a non-empty JSON (version, request id).

Credentials: ``sasl_aws_credentials_provider`` (see ``credentials_from``), else
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN. Region:
``sasl_aws_region``, else AWS_REGION / AWS_DEFAULT_REGION, else the region in the MSK broker
host name (``b-1.x.y.c2.kafka.<region>.amazonaws.com``). kafka-python 3 has no settings for
either (it asks botocore); these two are purekafka's.
"""
from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Mapping

from purekafka.config import ProducerConfig
from purekafka.core.sasl.mechanism import AuthenticationFailedError, raised
from purekafka.errors import KafkaConfigurationError
from purekafka.version import __version__

__all__ = ["AwsCredentials", "MskIamMechanism", "credentials_from", "region_from_host", "sign"]

VERSION = "2020_10_22"
SERVICE = "kafka-cluster"
ACTION = "kafka-cluster:Connect"
ALGORITHM = "AWS4-HMAC-SHA256"
EXPIRES_S = 900
USER_AGENT = f"purekafka/{__version__}"
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_MSK_HOST = re.compile(r"\.kafka(?:-serverless)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$")


@dataclass(frozen=True)
class AwsCredentials:
    """An AWS access key (and session token, for temporary credentials)."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        token = ", session_token='********'" if self.session_token else ""
        return (f"AwsCredentials(access_key_id={self.access_key_id!r}, "
                f"secret_access_key='********'{token})")


def region_from_host(host: str) -> str | None:
    """The AWS region in an MSK broker host name, or None."""
    match = _MSK_HOST.search(host.lower().rstrip("."))
    return match.group(1) if match else None


def credentials_from(source: Any, what: str = "SASL AWS_MSK_IAM: sasl_aws_credentials_provider",
                     ) -> AwsCredentials:
    """Credentials from a provider: a callable returning one of the below, a botocore-style
    session (``get_credentials()``) or credentials object (``get_frozen_credentials()``,
    or ``access_key``/``secret_key``/``token``), an ``AwsCredentials``, a mapping with the
    environment variables' names, or a tuple (key id, secret[, token]). A provider that
    raises gives a SaslAuthenticationFailedError naming ``what`` and the exception's type."""
    for _ in range(4):  # unwrap callables and sessions, a bounded number of times
        if isinstance(source, AwsCredentials):
            return source
        if callable(getattr(source, "get_frozen_credentials", None)):
            ask = source.get_frozen_credentials
        elif callable(getattr(source, "get_credentials", None)):
            ask = source.get_credentials
        elif callable(source) and not isinstance(source, type):
            ask = source
        else:
            break
        source = _ask(ask, what)
    if isinstance(source, AwsCredentials):
        return source
    if source is None:
        raise KafkaConfigurationError("the AWS credentials provider returned no credentials")
    if isinstance(source, Mapping):
        key, secret = source.get("AWS_ACCESS_KEY_ID"), source.get("AWS_SECRET_ACCESS_KEY")
        token = source.get("AWS_SESSION_TOKEN")
    elif isinstance(source, tuple) and len(source) in (2, 3):
        key, secret = source[0], source[1]
        token = source[2] if len(source) == 3 else None
    else:
        key = getattr(source, "access_key", None)
        secret = getattr(source, "secret_key", None)
        token = getattr(source, "token", None)
    if not isinstance(key, str) or not isinstance(secret, str) or not key or not secret:
        raise KafkaConfigurationError(
            f"AWS credentials from a {type(source).__name__}: need an access key id and a "
            "secret access key (strings)")
    if token is not None and not isinstance(token, str):
        raise KafkaConfigurationError("the AWS session token must be a string")
    return AwsCredentials(key, secret, token or None)


def _ask(provider: Any, what: str) -> Any:
    # Whatever the user's provider raises, even a KafkaError, is shown by its type alone.
    try:
        return provider()
    except Exception as exc:  # noqa: BLE001 - the user's provider failed
        failure = raised(what, exc, "call it outside the producer to see its error")
    raise failure  # outside the except block: the provider's exception is not its context


def _quote(text: str) -> str:
    # SigV4 URI encoding: everything but A-Z a-z 0-9 - . _ ~ as %XX (upper case).
    return urllib.parse.quote(text, safe="-._~")


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def sign(host: str, region: str, credentials: AwsCredentials, wall_time_s: float,
         expires_s: int = EXPIRES_S) -> dict[str, str]:
    """The SigV4 query parameters (``X-Amz-*`` and ``Action``) including X-Amz-Signature."""
    now = datetime.datetime.fromtimestamp(int(wall_time_s), tz=datetime.timezone.utc)
    date = now.strftime("%Y%m%d")
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    scope = f"{date}/{region}/{SERVICE}/aws4_request"
    params = {
        "Action": ACTION,
        "X-Amz-Algorithm": ALGORITHM,
        "X-Amz-Credential": f"{credentials.access_key_id}/{scope}",
        "X-Amz-Date": stamp,
        "X-Amz-Expires": str(expires_s),
        "X-Amz-SignedHeaders": "host",
    }
    if credentials.session_token:
        params["X-Amz-Security-Token"] = credentials.session_token
    query = "&".join(f"{k}={v}" for k, v in
                     sorted((_quote(k), _quote(v)) for k, v in params.items()))
    canonical = "\n".join(("GET", "/", query, f"host:{host.strip()}\n", "host",
                           _EMPTY_SHA256))
    to_sign = "\n".join((ALGORITHM, stamp, scope,
                         hashlib.sha256(canonical.encode("utf-8")).hexdigest()))
    key = _hmac(("AWS4" + credentials.secret_access_key).encode("utf-8"), date)
    for part in (region, SERVICE, "aws4_request"):
        key = _hmac(key, part)
    params["X-Amz-Signature"] = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return params


def payload(host: str, region: str, credentials: AwsCredentials, wall_time_s: float) -> bytes:
    """The aws-msk-iam-auth client message (compact JSON, UTF-8)."""
    p = sign(host, region, credentials, wall_time_s)
    msg = {
        "version": VERSION,
        "host": host,
        "user-agent": USER_AGENT,
        "action": ACTION,
        "x-amz-algorithm": p["X-Amz-Algorithm"],
        "x-amz-credential": p["X-Amz-Credential"],
        "x-amz-date": p["X-Amz-Date"],
        "x-amz-signedheaders": p["X-Amz-SignedHeaders"],
        "x-amz-expires": p["X-Amz-Expires"],
        "x-amz-signature": p["X-Amz-Signature"],
    }
    if credentials.session_token:
        msg["x-amz-security-token"] = credentials.session_token
    return json.dumps(msg, separators=(",", ":")).encode("utf-8")


class MskIamMechanism:
    """One AWS_MSK_IAM exchange; credentials are fetched when it starts."""

    name = "AWS_MSK_IAM"

    def __init__(self, host: str, region: str, provider: Any) -> None:
        self.host = host
        self.region = region
        self._provider = provider
        self._credentials: AwsCredentials | None = None
        self._state = "initial"
        self.request_id: str | None = None

    def __repr__(self) -> str:
        return f"MskIamMechanism(host={self.host!r}, region={self.region!r}, state={self._state!r})"

    @classmethod
    def from_settings(cls, config: ProducerConfig, host: str, environ: Mapping[str, str]
                      ) -> MskIamMechanism:
        """From the settings and the environment; KafkaConfigurationError says what is missing."""
        if config.security_protocol != "SASL_SSL":
            raise KafkaConfigurationError(
                f"sasl_mechanism='AWS_MSK_IAM' needs security_protocol='SASL_SSL' (MSK's IAM "
                f"listeners are TLS), not {config.security_protocol!r}")
        region = (getattr(config, "sasl_aws_region", None) or environ.get("AWS_REGION")
                  or environ.get("AWS_DEFAULT_REGION") or region_from_host(host))
        if not region:
            raise KafkaConfigurationError(
                f"AWS_MSK_IAM: no AWS region for broker {host!r}: set sasl_aws_region, or "
                "AWS_REGION / AWS_DEFAULT_REGION in the environment")
        provider = getattr(config, "sasl_aws_credentials_provider", None)
        if provider is None:
            if not environ.get("AWS_ACCESS_KEY_ID") or not environ.get("AWS_SECRET_ACCESS_KEY"):
                raise KafkaConfigurationError(
                    "AWS_MSK_IAM: no AWS credentials: set AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials) "
                    "in the environment, or sasl_aws_credentials_provider")
            provider = {k: environ[k] for k in
                        ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
                        if environ.get(k)}
        return cls(host, region, provider)

    @property
    def complete(self) -> bool:
        """Whether the broker accepted the signed request."""
        return self._state == "complete"

    def secrets(self) -> tuple[str, ...]:
        """The secret key and session token, which must never be shown."""
        c = self._credentials
        return () if c is None else tuple(s for s in (c.secret_access_key, c.session_token) if s)

    def start(self, wall_time_s: float) -> bytes:
        """Fetch the credentials and sign the connect request at ``wall_time_s``."""
        if self._state != "initial":
            raise AuthenticationFailedError("SASL AWS_MSK_IAM: the exchange already started")
        self._credentials = credentials_from(
            self._provider, f"SASL AWS_MSK_IAM on broker {self.host}: sasl_aws_credentials_provider")
        self._state = "sent"
        return payload(self.host, self.region, self._credentials, wall_time_s)

    def step(self, server_token: bytes, wall_time_s: float) -> bytes | None:
        """Accept the broker's JSON answer."""
        if self._state != "sent":
            raise AuthenticationFailedError(
                f"SASL AWS_MSK_IAM: unexpected server message in state {self._state!r}")
        if not server_token:
            raise AuthenticationFailedError("SASL AWS_MSK_IAM: the broker sent an empty "
                                            "response; expected its JSON answer")
        try:
            answer = json.loads(server_token.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise AuthenticationFailedError(
                "SASL AWS_MSK_IAM: the broker's response is not JSON") from None
        if isinstance(answer, dict) and isinstance(answer.get("request-id"), str):
            self.request_id = answer["request-id"]
        self._state = "complete"
        return None
