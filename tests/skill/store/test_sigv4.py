"""Our Signature Version 4 against botocore's own signer (SigV4Auth) on the same requests, and our reading of the
environment's credentials against botocore's environment provider."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.kit import tools

tools.require_module("botocore")

from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials as BotoCredentials  # noqa: E402
from botocore.credentials import EnvProvider  # noqa: E402
from botocore.exceptions import PartialCredentialsError  # noqa: E402

from skill.store.sigv4 import Credentials, sign  # noqa: E402

JSON = "application/x-amz-json-1.0"
GET_ITEM = {"Content-Type": JSON, "X-Amz-Target": "DynamoDB_20120810.GetItem"}


@pytest.mark.parametrize("url", [
    "https://dynamodb.eu-west-1.amazonaws.com",
    "https://dynamodb.eu-west-1.amazonaws.com/",
    "http://127.0.0.1:8000",
    "http://localhost:80/",
    "https://Dynamo.Example.COM:443/",
    "https://dynamodb.example:8443/prefix/a path/",
    "http://[::1]:8000/",
])
@pytest.mark.parametrize("token", [None, "session-token/with+odd=chars"])
def test_same_authorization_as_botocore_for_each_endpoint(url: str, token: str | None) -> None:
    body = b'{"TableName":"cramps","Key":{"id":{"S":"0f3a"}},"ConsistentRead":true}'
    _same_as_botocore(url, dict(GET_ITEM), body, BotoCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG", token),
                      "eu-west-1", "dynamodb")


@pytest.mark.parametrize("headers,body,region,service", [
    (GET_ITEM, b"", "us-east-1", "dynamodb"),
    ({"Content-Type": JSON, "X-Amz-Target": "DynamoDB_20120810.PutItem"},
     '{"Item":{"attributes":{"M":{"topic":{"S":"stra\u00dfe \u2713"}}}}}'.encode(), "cn-north-1", "dynamodb"),
    ({**GET_ITEM, "X-Custom": "  spaced   out\tvalue  ", "User-Agent": "never signed"}, b"{}", "eu-central-2",
     "dynamodb"),
    ({"content-type": JSON, "x-amz-target": "DynamoDB_20120810.DeleteItem", "X-AMZ-Meta": "Mixed Case"}, b"{}",
     "us-gov-west-1", "dynamodb"),
    ({"Content-Type": "application/x-www-form-urlencoded"}, b"Action=GetCallerIdentity&Version=2011-06-15",
     "ap-southeast-2", "sts"),
], ids=["empty body", "unicode body, China", "spaces and an unsigned header", "lower and mixed case",
        "another service"])
def test_same_authorization_as_botocore_for_each_request(headers: dict[str, str], body: bytes, region: str,
                                                         service: str) -> None:
    _same_as_botocore("https://host.example/", dict(headers), body, BotoCredentials("AKID", "SECRET", None), region,
                      service)


def _same_as_botocore(url: str, headers: dict[str, str], body: bytes, credentials: BotoCredentials, region: str,
                      service: str) -> None:
    request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
    SigV4Auth(credentials, service, region).add_auth(request)
    # botocore signs at its own clock: sign at the moment it chose, then every header must agree.
    moment = datetime.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    ours = sign("POST", url, headers, body, Credentials(credentials.access_key, credentials.secret_key,
                                                        credentials.token), region, service, moment)
    assert ours["Authorization"] == request.headers["Authorization"]
    assert ours["X-Amz-Date"] == request.headers["X-Amz-Date"]
    assert ours.get("X-Amz-Security-Token") == request.headers.get("X-Amz-Security-Token")


@pytest.mark.parametrize("environ", [
    {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET"},
    {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET", "AWS_SESSION_TOKEN": "TOKEN"},
    {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET", "AWS_SECURITY_TOKEN": "OLD-TOKEN"},
    {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET", "AWS_SESSION_TOKEN": "",
     "AWS_SECURITY_TOKEN": "OLD-TOKEN"},
    {"AWS_ACCESS_KEY_ID": "AKID"},
    {"AWS_SECRET_ACCESS_KEY": "SECRET"},
    {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "SECRET"},
    {},
], ids=["key and secret", "session token", "legacy token name", "empty session token", "no secret", "no key",
        "empty key", "nothing"])
def test_credentials_from_the_environment_as_botocore_reads_them(environ: dict[str, str]) -> None:
    ours = Credentials.from_env(environ)
    try:
        theirs = EnvProvider(environ=environ).load()
    except PartialCredentialsError:  # botocore refuses half a pair; we take none, and the call then says so
        theirs = None
    if theirs is None:
        assert ours is None
    else:
        assert ours is not None and ours.access_key == theirs.access_key and ours.secret_key == theirs.secret_key
        assert ours.token == theirs.token


def test_credentials_never_show_their_secret() -> None:
    credentials = Credentials("AKID", "VERY-SECRET", "VERY-SECRET-TOKEN")
    assert "VERY-SECRET" not in repr(credentials) and "VERY-SECRET" not in str(credentials)
