"""Kafka's own SASL classes as the oracle (tests/java/SaslCrossCheck.java): our SCRAM client
against Java's ScramSaslServer holding a credential made by Java's ScramFormatter, our
OAUTHBEARER message parsed by Java's OAuthBearerClientInitialResponse, and our reading of
sasl.jaas.config against Java's JaasContext. One JVM for the module, in conversation."""
from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from purekafka import errors
from purekafka.config_rules import parse_jaas
from purekafka.core.sasl.oauth import client_initial_response
from purekafka.core.sasl.scram import ScramMechanism
from tests.support.java_runner import JavaRunner

pytestmark = pytest.mark.java
_SETTINGS = settings(max_examples=40, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


def _b64(data: str | bytes) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> str:
    return base64.b64decode(text).decode("utf-8")


class Oracle:
    """The SaslCrossCheck process: one command line in, one answer line out."""

    def __init__(self, java: JavaRunner) -> None:
        self.proc = subprocess.Popen(
            ["java", "-XX:TieredStopAtLevel=1", "-Xmx256m", "-cp",
             f"{java.build_dir}{os.pathsep}{java.classpath}", "SaslCrossCheck"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8")

    def ask(self, *words: str) -> list[str]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(" ".join(words) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "SaslCrossCheck exited"
        return line.rstrip("\n").split(" ")

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


@pytest.fixture(scope="module")
def oracle(java: JavaRunner) -> Iterator[Oracle]:
    o = Oracle(java)
    try:
        yield o
    finally:
        o.close()


def _scram_against_java(oracle: Oracle, mech: str, user: str, password: str, sent_password: str,
                        iterations: int) -> tuple[ScramMechanism, list[str]]:
    assert oracle.ask("scram-new", mech, _b64(user), _b64(password), str(iterations)) == ["OK"]
    client = ScramMechanism(mech, user, sent_password)
    answer = oracle.ask("scram-step", _b64(client.start(0)))
    assert answer[0] == "OK" and answer[2] == "false", answer
    final = client.step(base64.b64decode(answer[1]), 0)
    assert final is not None
    return client, oracle.ask("scram-step", _b64(final))


# Java's ClientFirstMessage accepts only ASCII sasl names; any password (UTF-8 both sides).
_users = st.text(st.characters(min_codepoint=0x01, max_codepoint=0x7F), min_size=1, max_size=16)
_passwords = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=24)
_mechs = st.sampled_from(["SCRAM-SHA-256", "SCRAM-SHA-512"])


@_SETTINGS
@given(mech=_mechs, user=_users, password=_passwords, iterations=st.sampled_from([4096, 5000, 8192]))
def test_scram_client_against_javas_server(oracle: Oracle, mech: str, user: str, password: str,
                                           iterations: int) -> None:
    client, answer = _scram_against_java(oracle, mech, user, password, password, iterations)
    assert answer[0] == "OK" and answer[2] == "true", answer
    assert _unb64(answer[3]) == user  # Java read our escaped saslname back
    assert client.step(base64.b64decode(answer[1]), 0) is None  # Java's signature verified
    assert client.complete


@_SETTINGS
@given(mech=_mechs, password=_passwords, wrong=_passwords)
def test_javas_server_refuses_a_wrong_password(oracle: Oracle, mech: str, password: str,
                                               wrong: str) -> None:
    if password == wrong:
        return
    _, answer = _scram_against_java(oracle, mech, "alice", password, wrong, 4096)
    assert answer[:2] == ["ERR", "SaslException:"] and "Invalid client credentials" in " ".join(answer)


def test_java_server_signature_mismatch_is_caught(oracle: Oracle) -> None:
    assert oracle.ask("scram-new", "SCRAM-SHA-256", _b64("u"), _b64("p"), "4096") == ["OK"]
    client = ScramMechanism("SCRAM-SHA-256", "u", "p")
    answer = oracle.ask("scram-step", _b64(client.start(0)))
    final = client.step(base64.b64decode(answer[1]), 0)
    assert final is not None
    answer = oracle.ask("scram-step", _b64(final))
    forged = base64.b64decode(answer[1]).replace(b"v=", b"v=AAAA", 1)
    with pytest.raises(errors.SaslAuthenticationFailedError):
        client.step(forged, 0)


_tokens = st.from_regex(r"[-_~+/.a-zA-Z0-9]{1,40}={0,2}", fullmatch=True)
_ext = st.dictionaries(st.from_regex(r"[A-Za-z]{1,8}", fullmatch=True).filter(lambda k: k != "auth"),
                       st.from_regex(r"[\x21-\x7E \t\r\n]{1,12}", fullmatch=True), max_size=4)


@_SETTINGS
@given(token=_tokens, ext=_ext)
def test_oauth_message_as_java_parses_it(oracle: Oracle, token: str, ext: dict[str, str]) -> None:
    answer = oracle.ask("oauth", _b64(client_initial_response(token, ext)))
    assert answer[0] == "OK", answer
    assert _unb64(answer[1]) == token
    pairs = [_unb64(a) for a in answer[2:]]
    assert dict(zip(pairs[::2], pairs[1::2])) == ext


_MODULES = ["org.apache.kafka.common.security.plain.PlainLoginModule",
            "org.apache.kafka.common.security.scram.ScramLoginModule"]
# Line ends end a quoted string in Java's tokenizer, so values hold none.
_values = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
                  max_size=20)
_words = st.from_regex(r"[A-Za-z_$][A-Za-z0-9_$.\-]{0,12}", fullmatch=True)


def _quote(v: str, q: str) -> str:
    return q + v.replace("\\", "\\\\").replace(q, "\\" + q) + q


@_SETTINGS
@given(module=st.sampled_from(_MODULES), flag=st.sampled_from(["required", "Required", "optional"]),
       user=_values | _words, password=_values | _words, q=st.sampled_from(['"', "'"]),
       bare=st.booleans(), raw_escape=st.sampled_from(["", "\\n", "\\t", "\\101", "\\x", "\\\\"]),
       comment=st.booleans())
def test_jaas_reading_matches_java(oracle: Oracle, module: str, flag: str, user: str,
                                   password: str, q: str, bare: bool, raw_escape: str,
                                   comment: bool) -> None:
    shown_user = user if bare and _is_word(user) else _quote(user, q)
    text = (f"{module} {flag} username={shown_user}"
            f"{' /* note */' if comment else ''} password={_quote(password, q)[:-1]}{raw_escape}{q};")
    answer = oracle.ask("jaas", _b64(text))
    try:
        _, ours = parse_jaas(text)
    except ValueError as exc:
        assert answer[0] == "ERR", (text, exc, answer)
        return
    assert answer[0] == "OK", (text, answer)
    assert answer[1] == "1" and _unb64(answer[2]) == module
    pairs = [_unb64(a) for a in answer[4:]]
    assert dict(zip(pairs[::2], pairs[1::2])) == ours


def _is_word(v: str) -> bool:
    import re

    return re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$.\-]*", v) is not None


@pytest.mark.parametrize("text", [
    "x",
    "org.apache.kafka.common.security.plain.PlainLoginModule required username=1 password=p;",
    "org.apache.kafka.common.security.plain.PlainLoginModule username=u password=p;",
    'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p"',
])
def test_jaas_java_refuses_what_we_refuse(oracle: Oracle, text: str) -> None:
    with pytest.raises(ValueError):
        parse_jaas(text)
    assert oracle.ask("jaas", _b64(text))[0] == "ERR"
