"""AWS_MSK_IAM: the SigV4 signature equals botocore's SigV4QueryAuth on the same inputs,
and the payload has aws-msk-iam-auth's published fields."""
from __future__ import annotations

import datetime
import json
import urllib.parse
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings, strategies as st

from purekafka import errors
from purekafka.config import ProducerConfig
from purekafka.core.sasl import make_mechanism
from purekafka.core.sasl.msk import (
    AwsCredentials,
    MskIamMechanism,
    credentials_from,
    region_from_host,
    sign,
)

botocore_auth = pytest.importorskip("botocore.auth")
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

HOST = "b-1.demo.abc123.c2.kafka.eu-west-1.amazonaws.com"
T0 = 1_700_000_000  # 2023-11-14T22:13:20Z


def _botocore_params(host: str, region: str, creds: AwsCredentials, wall: int) -> dict[str, str]:
    when = datetime.datetime.fromtimestamp(wall, tz=datetime.timezone.utc).replace(tzinfo=None)
    request = AWSRequest(method="GET", url=f"https://{host}/",
                         params={"Action": "kafka-cluster:Connect"})
    signer = botocore_auth.SigV4QueryAuth(
        Credentials(creds.access_key_id, creds.secret_access_key, creds.session_token),
        "kafka-cluster", region, expires=900)
    with mock.patch.object(botocore_auth, "get_current_datetime", return_value=when):
        signer.add_auth(request)
    query = urllib.parse.urlsplit(request.prepare().url).query
    return dict(urllib.parse.parse_qsl(query, keep_blank_values=True))


def test_signature_equals_botocore_on_a_fixed_input() -> None:
    creds = AwsCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    assert sign(HOST, "eu-west-1", creds, T0) == _botocore_params(HOST, "eu-west-1", creds, T0)


_key_id = st.from_regex(r"(AKIA|ASIA)[A-Z0-9]{16}", fullmatch=True)
_secret = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40)
_token = st.none() | st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E),
                             min_size=1, max_size=60)
_region = st.sampled_from(["us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1",
                           "us-gov-west-1", "me-central-1"])
_host = st.from_regex(r"b-[1-9]\.[a-z][a-z0-9-]{0,10}\.[a-z0-9]{6}\.c[1-9]\.kafka\.[a-z0-9-]{4,14}"
                      r"\.amazonaws\.com", fullmatch=True)


@settings(max_examples=80, deadline=None)
@given(_key_id, _secret, _token, _region, _host, st.integers(0, 4_000_000_000))
def test_signature_equals_botocore(key: str, secret: str, token: str | None, region: str,
                                   host: str, wall: int) -> None:
    creds = AwsCredentials(key, secret, token)
    assert sign(host, region, creds, wall) == _botocore_params(host, region, creds, wall)


def test_payload_has_the_published_fields() -> None:
    creds = AwsCredentials("AKIDEXAMPLE", "secret", "session-token")
    m = MskIamMechanism(HOST, "eu-west-1", creds)
    msg = json.loads(m.start(T0))
    assert list(msg) == ["version", "host", "user-agent", "action", "x-amz-algorithm",
                         "x-amz-credential", "x-amz-date", "x-amz-signedheaders",
                         "x-amz-expires", "x-amz-signature", "x-amz-security-token"]
    assert msg["version"] == "2020_10_22" and msg["host"] == HOST
    assert msg["action"] == "kafka-cluster:Connect"
    assert msg["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert msg["x-amz-credential"] == "AKIDEXAMPLE/20231114/eu-west-1/kafka-cluster/aws4_request"
    assert msg["x-amz-date"] == "20231114T221320Z"
    assert msg["x-amz-signedheaders"] == "host" and msg["x-amz-expires"] == "900"
    assert msg["x-amz-security-token"] == "session-token"
    assert msg["x-amz-signature"] == _botocore_params(HOST, "eu-west-1", creds, T0)["X-Amz-Signature"]
    assert msg["user-agent"].startswith("purekafka/")
    assert not m.complete
    assert m.step(b'{"version":"2020_10_22","request-id":"r-1"}', T0) is None
    assert m.complete and m.request_id == "r-1"


def test_no_session_token_no_field() -> None:
    msg = json.loads(MskIamMechanism(HOST, "eu-west-1", AwsCredentials("AKID", "s")).start(T0))
    assert "x-amz-security-token" not in msg


@pytest.mark.parametrize("answer,match", [(b"", "empty"), (b"\xffnot json", "not JSON")])
def test_bad_server_answers(answer: bytes, match: str) -> None:
    m = MskIamMechanism(HOST, "eu-west-1", AwsCredentials("AKID", "s"))
    m.start(T0)
    with pytest.raises(errors.SaslAuthenticationFailedError, match=match):
        m.step(answer, T0)


@pytest.mark.parametrize("host,region", [
    (HOST, "eu-west-1"),
    ("b-2-public.x.y.c3.kafka.us-east-1.amazonaws.com", "us-east-1"),
    ("boot-abc.c1.kafka-serverless.ap-south-1.amazonaws.com", "ap-south-1"),
    ("b-1.x.y.c1.kafka.cn-north-1.amazonaws.com.cn", "cn-north-1"),
    ("localhost", None), ("kafka.example.com", None),
])
def test_region_from_host(host: str, region: str | None) -> None:
    assert region_from_host(host) == region


def _cfg(**kw: Any) -> ProducerConfig:
    return ProducerConfig.from_kwargs(security_protocol="SASL_SSL", sasl_mechanism="AWS_MSK_IAM",
                                      **kw)


def test_factory_reads_the_environment() -> None:
    env = {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s3cr3t",
           "AWS_SESSION_TOKEN": "tok", "AWS_REGION": "us-west-2"}
    m = make_mechanism(_cfg(), HOST, environ=env)
    assert isinstance(m, MskIamMechanism) and m.region == "us-west-2"
    msg = json.loads(m.start(T0))
    assert msg["x-amz-credential"].startswith("AKID/20231114/us-west-2/")
    assert msg["x-amz-security-token"] == "tok"


def test_factory_region_order() -> None:
    env = {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s"}
    assert make_mechanism(_cfg(), HOST, environ=env).region == "eu-west-1"  # type: ignore[attr-defined]
    env2 = dict(env, AWS_DEFAULT_REGION="sa-east-1")
    assert make_mechanism(_cfg(), HOST, environ=env2).region == "sa-east-1"  # type: ignore[attr-defined]
    m = make_mechanism(_cfg(sasl_aws_region="ca-central-1"), HOST, environ=env2)
    assert m.region == "ca-central-1"  # type: ignore[attr-defined]


def test_factory_errors_say_what_to_set() -> None:
    with pytest.raises(errors.KafkaConfigurationError, match="AWS_ACCESS_KEY_ID"):
        make_mechanism(_cfg(), HOST, environ={})
    with pytest.raises(errors.KafkaConfigurationError, match="AWS_REGION"):
        make_mechanism(_cfg(), "localhost", environ={"AWS_ACCESS_KEY_ID": "a",
                                                     "AWS_SECRET_ACCESS_KEY": "b"})
    with pytest.raises(errors.KafkaConfigurationError, match="SASL_SSL"):
        ProducerConfig.from_kwargs(security_protocol="SASL_PLAINTEXT", sasl_mechanism="AWS_MSK_IAM")


def test_provider_shapes() -> None:
    expected = AwsCredentials("AKID", "sec", "tok")
    frozen = Credentials("AKID", "sec", "tok")
    session = mock.Mock(spec=["get_credentials"])
    session.get_credentials.return_value = frozen
    for source in (expected, lambda: expected, ("AKID", "sec", "tok"), frozen, session,
                   {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "sec",
                    "AWS_SESSION_TOKEN": "tok"}):
        assert credentials_from(source) == expected, source
    with pytest.raises(errors.KafkaConfigurationError):
        credentials_from(lambda: None)
    with pytest.raises(errors.KafkaConfigurationError):
        credentials_from(("AKID",))


def test_a_provider_is_asked_per_mechanism_and_its_failure_is_clear() -> None:
    calls: list[int] = []

    def provider() -> tuple[str, str]:
        calls.append(1)
        return ("AKID", "sec")

    cfg = _cfg(sasl_aws_credentials_provider=provider, sasl_aws_region="us-east-1")
    for _ in range(2):
        make_mechanism(cfg, HOST, environ={}).start(T0)
    assert len(calls) == 2

    def broken() -> Any:
        raise RuntimeError("sts unreachable")

    m = make_mechanism(_cfg(sasl_aws_credentials_provider=broken, sasl_aws_region="us-east-1"),
                       HOST, environ={})
    # Its type and where to look, not its message (which may hold a secret).
    with pytest.raises(errors.SaslAuthenticationFailedError,
                       match="sasl_aws_credentials_provider raised RuntimeError .*outside the producer") as info:
        m.start(T0)
    assert "sts unreachable" not in str(info.value)


def test_repr_hides_the_secret() -> None:
    c = AwsCredentials("AKID", "very-secret-key", "session-tok")
    assert "very-secret-key" not in repr(c) and "session-tok" not in repr(c) and "AKID" in repr(c)
