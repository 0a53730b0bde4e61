"""Secrets never show: passwords, OAuth tokens, key passwords, SCRAM proofs and salted
passwords, AWS secret keys and session tokens stay out of repr()/str() of the settings,
their kafka-python view, the SASL mechanisms and authenticators, every exception the SASL
core raises (with its cause and context), and every log record down to DEBUG while
exchanges run against an in-test SCRAM server, a failing broker and the other mechanisms.
What a token or credentials provider, a mechanism or the authenticator factory raises is
shown by its type alone, in the core and through the I/O layer's ``NodeAuth``.
Hypothesis draws the secrets."""
from __future__ import annotations

import base64
import json
import logging
import traceback
from typing import Any, Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from purekafka import errors
from purekafka.config import ProducerConfig
from purekafka.config_view import ConfigView
from purekafka.core.sasl import SaslAuthenticator, make_mechanism
from purekafka.core.sasl.msk import AwsCredentials
from purekafka.core.sasl.scram import ScramMechanism
from purekafka.io.auth import Authenticator, NodeAuth
from purekafka.producer.security import security_options
from purekafka.protocol import sasl_authenticate, sasl_handshake
from purekafka.protocol.sasl_authenticate import SaslAuthenticateResponse
from purekafka.protocol.sasl_handshake import SaslHandshakeResponse
from tests.support.scram_server import ScramCredential, ScramServer

# A fixed odd prefix and suffix around the drawn part, so that a secret cannot occur in a
# message by chance (a drawn "enable_idemp" would), and no quotes or backslashes, so the
# JAAS form below needs no escaping.
_secret = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E,
                                blacklist_characters='"\\;'), min_size=4, max_size=30).map(
    lambda s: f"Zq#{s}#7")
_token = st.from_regex(r"[A-Za-z0-9_~+/.-]{8,50}", fullmatch=True).map(lambda s: f"Zq9x{s}Q7")

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


class _Raises:
    """Whatever is asked of it (a provider, a session, a mechanism, an authenticator, the
    factory) raises ``error``, whose message holds the secret."""

    name = "PLAIN"
    done = False
    session_lifetime_ms = 0
    complete = False

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __call__(self, *_: Any) -> Any:
        raise self.error

    get_credentials = token = extensions = start = step = on_response = __call__

    def first_request(self, wall_time_s: float) -> tuple[int, int, bytes]:
        return sasl_handshake.API_KEY, 1, b""  # as an authenticator: raises at the answer


class _GoodToken:
    def __init__(self, token: str, extensions: Callable[[], Any]) -> None:
        self.access_token, self.extensions = token, extensions

    def token(self) -> str:
        return self.access_token


_VERSIONS = {sasl_handshake.API_KEY: 1, sasl_authenticate.API_KEY: 2}


def _through_node_auth(factory: Callable[[str, int, int], Authenticator], mech: str) -> BaseException:
    """Start an exchange with ``factory`` as the I/O layer does and answer its handshake;
    the error that ends it."""
    auth = NodeAuth()
    with pytest.raises(errors.KafkaError) as info:
        auth.start(factory, "b1:9093", _VERSIONS, 0.0, False)
        body = sasl_handshake.encode_response(SaslHandshakeResponse(0, [mech]), 1)
        auth.on_response("b1:9093", sasl_handshake.API_KEY, body, 0.0, 0.0, 0.5)
    return info.value


@_SETTINGS
@given(secret=_token, kind=st.sampled_from([RuntimeError, ValueError, errors.KafkaConfigurationError]))
def test_what_providers_and_mechanisms_raise_shows_only_its_type(
        caplog: pytest.LogCaptureFixture, secret: str, kind: type[Exception]) -> None:
    caplog.clear()
    leak = _Raises(kind(f"could not refresh: token={secret} password={secret}"))
    seen: list[tuple[BaseException, str]] = []
    with caplog.at_level(logging.DEBUG):
        # Providers: an object with token() / a plain callable / a good token whose
        # extensions() raises; an AWS session whose get_credentials() raises / a callable.
        for mech, setting, providers in (
                ("OAUTHBEARER", "sasl_oauth_token_provider",
                 [leak, leak.__call__, _GoodToken(secret, leak)]),
                ("AWS_MSK_IAM", "sasl_aws_credentials_provider", [leak, leak.__call__])):
            for provider in providers:
                cfg = ProducerConfig.from_kwargs(security_protocol="SASL_SSL", sasl_mechanism=mech,
                                                 sasl_aws_region="us-east-1", **{setting: provider})
                seen.append((_through_node_auth(security_options(cfg, "b1")["sasl"], mech),
                             f"SASL {mech} on broker b1:9093: {setting}"))
        # A mechanism that raises (turned in the core); in the I/O layer the factory, and an
        # authenticator of another make at the handshake's answer. (They are ours, and pass a
        # KafkaError on as it is: theirs here is another error.)
        ours = _Raises(OSError(leak.error.args[0]))
        core = SaslAuthenticator(ours, handshake_version=1, authenticate_version=2,  # type: ignore[arg-type]
                                 broker="b1:9093")
        seen.append((_exchange(core, lambda _t: (0, None, b""))[-3],
                     "SASL PLAIN on broker b1:9093: the mechanism"))
        seen.append((_through_node_auth(ours, "PLAIN"), "SASL authentication with broker b1:9093"))
        seen.append((_through_node_auth(lambda *_: ours, "PLAIN"),
                     "SASL authentication with broker b1:9093"))
    for exc, where in seen:
        assert isinstance(exc, errors.SaslAuthenticationFailedError), exc
        text = str(exc)
        assert where in text and "(its message is not shown" in text, text
        assert kind.__name__ in text or "OSError" in text, text
        assert "; check" in text or "outside the producer" in text, text
        assert exc.__cause__ is None and exc.__context__ is None, text
        shown = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        _assert_hidden([secret], exc, logs=caplog.text + shown)


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
