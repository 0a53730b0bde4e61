"""The security settings: kafka-python's names validated per mechanism, and Java's aliases
(security.protocol, sasl.mechanism, sasl.jaas.config, PEM trust/key stores)."""
from __future__ import annotations

import logging

import pytest
from hypothesis import given, strategies as st

from purekafka.config import ProducerConfig
from purekafka.config_rules import parse_jaas
from purekafka.config_view import ConfigView
from purekafka.errors import KafkaConfigurationError

PLAIN = "org.apache.kafka.common.security.plain.PlainLoginModule"
SCRAM = "org.apache.kafka.common.security.scram.ScramLoginModule"


def test_java_block_for_scram_over_sasl_ssl() -> None:
    cfg = ProducerConfig.from_mapping({
        "bootstrap.servers": "b1:9093",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.jaas.config": f'{SCRAM} required username="alice" password="alice-secret";',
        "ssl.truststore.location": "/etc/kafka/ca.pem",
        "ssl.truststore.type": "PEM",
    })
    assert (cfg.security_protocol, cfg.sasl_mechanism) == ("SASL_SSL", "SCRAM-SHA-512")
    assert (cfg.sasl_plain_username, cfg.sasl_plain_password) == ("alice", "alice-secret")
    assert cfg.ssl_cafile == "/etc/kafka/ca.pem"


@pytest.mark.parametrize("jaas,user,password", [
    (f'{PLAIN} required username="alice" password="alice-secret";', "alice", "alice-secret"),
    (f"{PLAIN}   required\n  username=alice\n  password=pw ;", "alice", "pw"),
    (f'{PLAIN} required username="a\\"b" password="x\\\\y";', 'a"b', "x\\y"),
    (f'{PLAIN} REQUIRED password="p;=q" username="u";', "u", "p;=q"),
    (f'{SCRAM} required username="alice" password="s" tokenauth="false";', "alice", "s"),
])
def test_jaas_forms(jaas: str, user: str, password: str) -> None:
    mech = "PLAIN" if "plain" in jaas else "SCRAM-SHA-256"
    cfg = ProducerConfig.from_mapping({"security.protocol": "SASL_PLAINTEXT",
                                       "sasl.mechanism": mech, "sasl.jaas.config": jaas})
    assert (cfg.sasl_plain_username, cfg.sasl_plain_password) == (user, password)


@pytest.mark.parametrize("jaas,fragment", [
    ("x", "is not supported: purekafka reads only"),
    ("org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
     "is not supported: purekafka reads only"),
    (f'{PLAIN} username="u" password="secretpw";', "must be followed by one of required"),
    (f'{PLAIN} required username="u" password="secretpw"', "ending in ';'"),
    (f'{PLAIN} required username="u" password="secretpw;', "not closed"),
    (f'{PLAIN} required username="u";', "password missing"),
    (f'{PLAIN} required username="u" password="secretpw" user_bob="secretpw";',
     "unknown option(s) user_bob"),
    (f'{SCRAM} required username="u" password="secretpw" tokenauth=true;', "delegation tokens"),
    (f'{PLAIN} required username="u" password="secretpw"; {PLAIN} required;',
     "exactly one login module"),
])
def test_bad_jaas_is_refused_without_quoting_the_password(jaas: str, fragment: str) -> None:
    with pytest.raises(KafkaConfigurationError) as info:
        ProducerConfig.from_mapping({"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN",
                                     "sasl.jaas.config": jaas})
    assert "'sasl.jaas.config'" in str(info.value) and fragment in str(info.value)
    assert "secretpw" not in str(info.value)


def test_jaas_module_must_match_the_mechanism() -> None:
    with pytest.raises(KafkaConfigurationError, match="login module for PLAIN, but sasl.mechanism"):
        ProducerConfig.from_mapping({
            "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-256",
            "sasl.jaas.config": f'{PLAIN} required username="u" password="p";'})


def test_jaas_and_kafka_python_names_must_agree() -> None:
    with pytest.raises(KafkaConfigurationError, match="different values") as info:
        ProducerConfig.from_mapping({
            "security_protocol": "SASL_SSL", "sasl_mechanism": "PLAIN",
            "sasl_plain_password": "one-secret",
            "sasl.jaas.config": f'{PLAIN} required username="u" password="two-secret";'})
    assert "one-secret" not in str(info.value) and "two-secret" not in str(info.value)


_jaas_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)


@given(_jaas_text, _jaas_text)
def test_jaas_quoting_round_trip(user: str, password: str) -> None:
    def quote(v: str) -> str:
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'

    mechanisms, options = parse_jaas(
        f"{SCRAM} required username={quote(user)} password={quote(password)};")
    assert mechanisms == ("SCRAM-SHA-256", "SCRAM-SHA-512")
    assert options == {"username": user, "password": password}


@pytest.mark.parametrize("settings_,cafile", [
    ({"ssl.truststore.location": "/x/ca.pem"}, "/x/ca.pem"),
    ({"ssl.truststore.location": "/x/ca.crt"}, "/x/ca.crt"),
    ({"ssl.truststore.location": "/x/trust", "ssl.truststore.type": "pem"}, "/x/trust"),
])
def test_pem_truststore_is_ssl_cafile(settings_: dict[str, str], cafile: str) -> None:
    cfg = ProducerConfig.from_mapping({"security.protocol": "SSL", **settings_})
    assert cfg.ssl_cafile == cafile


def test_pem_keystore_is_certfile_and_keyfile() -> None:
    cfg = ProducerConfig.from_mapping({"security.protocol": "SSL",
                                       "ssl.keystore.location": "/x/client.pem",
                                       "ssl.keystore.type": "PEM", "ssl.key.password": "kp"})
    assert (cfg.ssl_certfile, cfg.ssl_keyfile, cfg.ssl_password) == (
        "/x/client.pem", "/x/client.pem", "kp")


@pytest.mark.parametrize("settings_,fragment", [
    ({"ssl.truststore.location": "/x/trust.jks"}, "Java key stores (JKS) are not read"),
    ({"ssl.truststore.location": "/x/t.pem", "ssl.truststore.type": "JKS"},
     "Java key stores (JKS) are not read"),
    ({"ssl.truststore.location": "/x/t.p12", "ssl.truststore.type": "PKCS12"}, "(PKCS12)"),
    ({"ssl.keystore.location": "/x/k.jks"}, "ssl_certfile and ssl_keyfile"),
    ({"ssl.truststore.type": "PEM"}, "used only with 'ssl.truststore.location'"),
    ({"ssl.truststore.password": "changeit"}, "PEM trust stores have no password"),
])
def test_java_keystores_are_refused_clearly(settings_: dict[str, str], fragment: str) -> None:
    with pytest.raises(KafkaConfigurationError) as info:
        ProducerConfig.from_mapping({"security.protocol": "SSL", **settings_})
    assert fragment in str(info.value)
    assert "changeit" not in str(info.value)


@pytest.mark.parametrize("settings_,fragment", [
    ({"security_protocol": "SASL_SSL"}, "needs sasl_mechanism (one of PLAIN, GSSAPI"),
    ({"security_protocol": "SASL_SSL", "sasl_mechanism": "DIGEST-MD5"},
     "must be one of 'PLAIN', 'GSSAPI', 'OAUTHBEARER', 'SCRAM-SHA-256', 'SCRAM-SHA-512', "
     "'AWS_MSK_IAM'"),
    ({"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-256"},
     "needs sasl_plain_username and sasl_plain_password"),
    ({"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN", "sasl_plain_username": "u"},
     "sasl.mechanism='PLAIN' needs sasl_plain_password"),
    ({"security_protocol": "SASL_SSL", "sasl_mechanism": "OAUTHBEARER",
      "sasl_oauth_token_provider": "a-token-string"}, "expected an object with a token() method"),
    ({"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "AWS_MSK_IAM"},
     "needs security_protocol='SASL_SSL'"),
])
def test_mechanism_needs(settings_: dict[str, object], fragment: str) -> None:
    with pytest.raises(KafkaConfigurationError) as info:
        ProducerConfig.from_mapping(settings_)
    assert fragment in str(info.value)


def test_mechanism_names_are_case_insensitive() -> None:
    cfg = ProducerConfig.from_kwargs(security_protocol="sasl_ssl", sasl_mechanism="aws_msk_iam")
    assert cfg.sasl_mechanism == "AWS_MSK_IAM"


def test_credentials_in_the_clear_are_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="purekafka.config"):
        ProducerConfig.from_kwargs(security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN",
                                   sasl_plain_username="u", sasl_plain_password="pw-in-clear")
    assert "in the clear" in caplog.text and "pw-in-clear" not in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="purekafka.config"):
        ProducerConfig.from_kwargs(security_protocol="SASL_SSL", sasl_mechanism="PLAIN",
                                   sasl_plain_username="u", sasl_plain_password="p")
    assert "in the clear" not in caplog.text


class _Provider:
    def __init__(self) -> None:
        self.secret_token = "tok-internal-123"

    def token(self) -> str:
        return self.secret_token

    def __repr__(self) -> str:
        return f"_Provider(token={self.secret_token!r})"


def test_providers_are_shown_by_type_only() -> None:
    cfg = ProducerConfig.from_kwargs(security_protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER",
                                     sasl_oauth_token_provider=_Provider(),
                                     sasl_aws_credentials_provider=_Provider())
    for text in (repr(cfg), str(cfg), cfg.describe(), repr(ConfigView(cfg, "c"))):
        assert "tok-internal-123" not in text
        assert "<_Provider>" in text


def test_a_callable_is_an_oauth_provider() -> None:
    cfg = ProducerConfig.from_kwargs(security_protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER",
                                     sasl_oauth_token_provider=lambda: "t")
    assert callable(cfg.sasl_oauth_token_provider)


def test_kafka_python_abstract_token_provider_is_accepted() -> None:
    from kafka.net.sasl.oauth import AbstractTokenProvider

    class P(AbstractTokenProvider):
        def token(self) -> str:
            return "t"

    ProducerConfig.from_kwargs(security_protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER",
                               sasl_oauth_token_provider=P())
