"""Secrets never show: passwords, OAuth tokens, key passwords, SCRAM proofs and salted
passwords, AWS secret keys and session tokens stay out of repr()/str() of the settings,
their kafka-python view, the SASL mechanisms and authenticators, every exception the SASL
core raises (with its cause and context), and every log record down to DEBUG while
exchanges run against an in-test SCRAM server, a failing broker and the other mechanisms.
Hypothesis draws the secrets."""
from __future__ import annotations

import base64
import json
import logging
from typing import Any, Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from purekafka import errors
from purekafka.config import ProducerConfig
from purekafka.config_view import ConfigView
from purekafka.core.sasl import SaslAuthenticator, make_mechanism
from purekafka.core.sasl.msk import AwsCredentials
from purekafka.core.sasl.scram import ScramMechanism
from purekafka.protocol import sasl_authenticate, sasl_handshake
from purekafka.protocol.sasl_authenticate import SaslAuthenticateResponse
from purekafka.protocol.sasl_handshake import SaslHandshakeResponse
from tests.core.sasl.scram_server import ScramCredential, ScramServer

# Long enough that a secret cannot occur in a message by chance; no quotes or backslashes
# so the JAAS form below needs no escaping.
_secret = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E,
                                blacklist_characters='"\\;'), min_size=12, max_size=40)
_token = st.from_regex(r"[A-Za-z0-9_~+/.-]{16,60}", fullmatch=True)
_SETTINGS = settings(max_examples=25, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
HOST = "b-1.demo.abc123.c2.kafka.us-east-1.amazonaws.com"


def _texts(obj: Any) -> Iterator[str]:
    """repr and str of an object; for an exception, of its args, cause and context too."""
    seen: set[int] = set()
    todo = [obj]
    while todo:
        o = todo.pop()
        if o is None or id(o) in seen:
            continue
        seen.add(id(o))
        yield repr(o)
        yield str(o)
        if isinstance(o, BaseException):
            yield from (repr(a) for a in o.args)
            todo += [o.__cause__, o.__context__]


def _assert_hidden(secrets: list[str], *objects: Any, logs: str = "") -> None:
    for obj in objects:
        for text in _texts(obj):
            for s in secrets:
                assert s not in text, (s, text)
    for s in secrets:
        assert s not in logs, s


def _exchange(auth: SaslAuthenticator, broker: Callable[[bytes], tuple[int, str | None, bytes]],
              ) -> list[Any]:
    """Run ``auth`` against ``broker`` (token -> (error_code, error_message, reply)); returns
    what was raised, if anything, and the objects seen on the way."""
    seen: list[Any] = [auth, auth.mechanism]
    try:
        auth.first_request(0)
        request = auth.on_response(17, sasl_handshake.encode_response(
            SaslHandshakeResponse(0, [auth.mechanism.name]), 1), 0)
        while request is not None:
            seen += [auth, auth.mechanism]
            token = sasl_authenticate.decode_request(request[2], 2).auth_bytes
            code, message, reply = broker(token)
            request = auth.on_response(36, sasl_authenticate.encode_response(
                SaslAuthenticateResponse(code, message, reply, 0), 2), 0)
    except errors.KafkaError as exc:
        seen.append(exc)
    return seen + [auth, auth.mechanism]


def _scram_broker(server: ScramServer, echo: str = "") -> Callable[[bytes], tuple[int, str | None, bytes]]:
    step = [0]

    def broker(token: bytes) -> tuple[int, str | None, bytes]:
        step[0] += 1
        if step[0] == 1:
            return 0, None, server.first(token)
        reply = server.final(token)
        if reply.startswith(b"e="):  # as Kafka does: an error code, with a message
            return 58, f"Authentication failed{echo}", b""
        return 0, None, reply
    return broker


@_SETTINGS
@given(password=_secret, wrong=_secret, mech=st.sampled_from(["SCRAM-SHA-256", "SCRAM-SHA-512"]))
def test_scram_exchanges(caplog: pytest.LogCaptureFixture, password: str, wrong: str,
                         mech: str) -> None:
    if password == wrong:
        return
    caplog.clear()
    hash_name = "sha256" if mech.endswith("256") else "sha512"
    cred = ScramCredential.make(hash_name, password, b"salty", 4096)
    seen: list[Any] = []
    secrets = [password, wrong]
    with caplog.at_level(logging.DEBUG):
        for pw, echo in ((password, ""), (wrong, ""), (wrong, f": proof for {wrong}")):
            cfg = ProducerConfig.from_kwargs(security_protocol="SASL_SSL", sasl_mechanism=mech,
                                             sasl_plain_username="alice", sasl_plain_password=pw)
            m = make_mechanism(cfg, "localhost")
            auth = SaslAuthenticator(m, handshake_version=1, authenticate_version=2,
                                     broker="localhost:9093")
            seen += [cfg, ConfigView(cfg, "c"), cfg.describe()]
            seen += _exchange(auth, _scram_broker(ScramServer({"alice": cred}, "srv"), echo))
            assert isinstance(m, ScramMechanism)
            secrets += list(m.secrets())  # the proof and salted password of this run
        # A broker whose signature is wrong, and one that sends garbage.
        for final in (b"v=" + base64.b64encode(b"x" * 64), b"\xff\x00garbage"):
            m = ScramMechanism(mech, "alice", password)
            server = ScramServer({"alice": cred}, "srv")
            auth = SaslAuthenticator(m, handshake_version=1, authenticate_version=2)
            replies = iter([server.first, lambda _t, f=final: f])
            seen += _exchange(auth, lambda t: (0, None, next(replies)(t)))
            secrets += list(m.secrets())
    assert any(isinstance(o, errors.SaslAuthenticationFailedError) for o in seen)
    assert len(secrets) > 2 + 6  # proofs and salted passwords were collected
    _assert_hidden(secrets, *seen, logs=caplog.text)


@_SETTINGS
@given(password=_secret)
def test_plain_and_jaas(caplog: pytest.LogCaptureFixture, password: str) -> None:
    caplog.clear()
    seen: list[Any] = []
    with caplog.at_level(logging.DEBUG):
        jaas = ('org.apache.kafka.common.security.plain.PlainLoginModule required '
                f'username="alice" password="{password}";')
        cfg = ProducerConfig.from_mapping({"security.protocol": "SASL_PLAINTEXT",
                                           "sasl.mechanism": "PLAIN", "sasl.jaas.config": jaas})
        assert cfg.sasl_plain_password == password
        seen += [cfg, ConfigView(cfg, None), cfg.describe()]
        auth = SaslAuthenticator(make_mechanism(cfg, "h"), handshake_version=1,
                                 authenticate_version=2, broker="h:1")
        seen += _exchange(auth, lambda t: (58, f"Invalid password {password} for alice", b""))
        for bad in (jaas.rstrip(";"), jaas.replace("required ", ""), jaas + " extra;"):
            try:
                ProducerConfig.from_mapping({"security.protocol": "SASL_SSL",
                                             "sasl.mechanism": "PLAIN", "sasl.jaas.config": bad})
            except errors.KafkaConfigurationError as exc:
                seen.append(exc)
        try:
            ProducerConfig.from_mapping({"security_protocol": "SASL_SSL", "sasl_mechanism": "PLAIN",
                                         "sasl_plain_password": password + "x",
                                         "sasl.jaas.config": jaas})
        except errors.KafkaConfigurationError as exc:
            seen.append(exc)
    assert sum(isinstance(o, errors.KafkaError) for o in seen) >= 4
    _assert_hidden([password], *seen, logs=caplog.text)


@_SETTINGS
@given(key_password=_secret)
def test_ssl_key_password(caplog: pytest.LogCaptureFixture, key_password: str) -> None:
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        cfg = ProducerConfig.from_mapping({"security.protocol": "SSL",
                                           "ssl.key.password": key_password,
                                           "ssl.keystore.location": "/k.pem"})
        seen: list[Any] = [cfg, ConfigView(cfg, None), cfg.describe()]
        try:
            ProducerConfig.from_mapping({"ssl_password": key_password,
                                         "ssl.key.password": key_password + "y"})
        except errors.KafkaConfigurationError as exc:
            seen.append(exc)
    assert isinstance(seen[-1], errors.KafkaConfigurationError)
    _assert_hidden([key_password], *seen, logs=caplog.text)


class _TokenProvider:
    def __init__(self, token: str) -> None:
        self.access_token = token

    def token(self) -> str:
        return self.access_token

    def extensions(self) -> dict[str, str]:
        return {"traceId": "1"}

    def __repr__(self) -> str:  # a careless provider: its repr shows the token
        return f"_TokenProvider({self.access_token!r})"


@_SETTINGS
@given(token=_token)
def test_oauth_token(caplog: pytest.LogCaptureFixture, token: str) -> None:
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        cfg = ProducerConfig.from_kwargs(security_protocol="SASL_SSL",
                                         sasl_mechanism="OAUTHBEARER",
                                         sasl_oauth_token_provider=_TokenProvider(token))
        seen: list[Any] = [cfg, ConfigView(cfg, None), cfg.describe()]
        challenge = json.dumps({"status": "invalid_token", "token": token}).encode()
        replies = iter([(0, None, challenge), (58, f"token {token} expired", b"")])
        auth = SaslAuthenticator(make_mechanism(cfg, "h"), handshake_version=1,
                                 authenticate_version=2)
        seen += _exchange(auth, lambda _t: next(replies))
        bad = ProducerConfig.from_kwargs(security_protocol="SASL_SSL",
                                         sasl_mechanism="OAUTHBEARER",
                                         sasl_oauth_token_provider=lambda: token + " bad")
        seen += _exchange(SaslAuthenticator(make_mechanism(bad, "h"), handshake_version=1,
                                            authenticate_version=2), lambda _t: (0, None, b""))
    assert sum(isinstance(o, errors.SaslAuthenticationFailedError) for o in seen) == 2
    _assert_hidden([token], *seen, logs=caplog.text)


@_SETTINGS
@given(secret=_secret, session=_token)
def test_aws_secret_key_and_session_token(caplog: pytest.LogCaptureFixture, secret: str,
                                          session: str) -> None:
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        creds = AwsCredentials("AKIAEXAMPLE", secret, session)
        cfg = ProducerConfig.from_kwargs(security_protocol="SASL_SSL",
                                         sasl_mechanism="AWS_MSK_IAM",
                                         sasl_aws_credentials_provider=lambda: creds)
        seen: list[Any] = [creds, cfg, ConfigView(cfg, None), cfg.describe()]
        env = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": secret,
               "AWS_SESSION_TOKEN": session}
        for config, environ in ((cfg, {}), (ProducerConfig.from_kwargs(
                security_protocol="SASL_SSL", sasl_mechanism="AWS_MSK_IAM"), env)):
            m = make_mechanism(config, HOST, environ=environ)
            seen += _exchange(SaslAuthenticator(m, handshake_version=1, authenticate_version=2),
                              lambda _t: (58, f"denied for {secret}", b""))
    assert sum(isinstance(o, errors.SaslAuthenticationFailedError) for o in seen) == 2
    # The session token is sent to the broker (x-amz-security-token) but never shown.
    _assert_hidden([secret, session], *seen, logs=caplog.text)


def test_the_scan_sees_a_leak() -> None:
    """The checker itself fails when a secret is in an exception's context."""
    try:
        try:
            raise ValueError("pw=hunter2-hunter2")
        except ValueError:
            raise errors.KafkaConfigurationError("clean") from None
    except errors.KafkaConfigurationError as exc:
        with pytest.raises(AssertionError):
            _assert_hidden(["hunter2-hunter2"], exc)
    with pytest.raises(AssertionError):
        _assert_hidden(["hunter2-hunter2"], logs="DEBUG token hunter2-hunter2")
