"""Our DynamoDB adapter (skill/store/dynamodb_store.py) on its own: the same items as the official adapter, in both
directions, through moto's real DynamoDB server; requests botocore verifies as signed; and every way a DynamoDB
endpoint can fail (refused, silent, throttled, 5xx, damaged, oversized or malformed answers, a closed keep-alive
connection), each a PersistenceException, soon, or a success after retries, against a scripted server on loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from ask_sdk_core.exceptions import PersistenceException

from tests.kit import tools

tools.require_module("ask_sdk_dynamodb")
boto3 = tools.require_module("boto3")
tools.require_module("moto.server")

from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials as BotoCredentials  # noqa: E402

from skill.store import DynamoDbSettings, hash_user_id  # noqa: E402
from skill.store.dynamodb_api import MAX_RESPONSE_BYTES  # noqa: E402
from skill.store.dynamodb_boto import official_adapter  # noqa: E402
from skill.store.dynamodb_store import DynamoDbStore, create_table  # noqa: E402
from skill.store.settings import BOTO_ONLY_ENV, uses_own_adapter  # noqa: E402
from tests.kit.dynamodb import (  # noqa: E402
    FAKE_CREDENTIALS,
    NO_AWS_FILES,
    REGION,
    Reply,
    closed_port,
    moto_dynamodb,
    scripted_dynamodb,
    silent_server,
)
from tests.kit.envelopes import envelope  # noqa: E402

USER = "amzn1.ask.account.STOREUSER"
TABLE = "cramps"
ENV = {**FAKE_CREDENTIALS, **NO_AWS_FILES}


@pytest.fixture(scope="module", autouse=True)
def credentials() -> Iterator[None]:
    """The official adapter (boto3) reads os.environ; ours is given ENV. Neither looks for real credentials."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
            patch.delenv(name, raising=False)
        for name, value in ENV.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_dynamodb() as endpoint:
        create_table(DynamoDbSettings(TABLE, REGION, endpoint), ENV)
        yield endpoint


def _settings(endpoint: str, **changes: Any) -> DynamoDbSettings:
    return DynamoDbSettings(**{"table": TABLE, "region": REGION, "endpoint_url": endpoint, **changes})


def _ours(endpoint: str, environ: dict[str, str] | None = None, **changes: Any) -> DynamoDbStore:
    return DynamoDbStore(_settings(endpoint, **changes), ENV if environ is None else environ)


def _stored_item(endpoint: str, user: str) -> dict:
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION)
    return client.get_item(TableName=TABLE, Key={"id": {"S": hash_user_id(user)}}, ConsistentRead=True)["Item"]


PLACES = [
    {"position": 3, "topic": "treatment", "saved_at": 1_790_000_000},
    {"position": None, "topic": "causes", "saved_at": 0},
    {"ratio": 0.25, "tiny": 1e-07, "negative": -2.5, "big": 10**20, "third": 1 / 3},
    {"nested": {"list": [1, None, True, "x", {"a": 1.5}], "empty list": [], "empty map": {}}, "empty": "",
     "unicode": "stra\u00dfe \u2713 \U0001f600"},
    {"yes": True, "no": False},
    {},
]


@pytest.mark.parametrize("place", PLACES, ids=range(len(PLACES)))
def test_round_trip_keeps_values_and_exact_types(moto_endpoint: str, place: dict) -> None:
    store = _ours(moto_endpoint)
    request = envelope(USER, "r1")
    store.save_attributes(request, place)
    got = store.get_attributes(request)
    assert got == place
    assert _types(got) == _types(place)  # int stays int and float float: the skill's state checks `type(v) is int`


@pytest.mark.parametrize("place", PLACES, ids=range(len(PLACES)))
def test_each_adapter_reads_what_the_other_wrote(moto_endpoint: str, place: dict) -> None:
    ours, official = _ours(moto_endpoint), official_adapter(_settings(moto_endpoint))
    mine, theirs = envelope(USER + "-OURS", "r1"), envelope(USER + "-OFFICIAL", "r1")
    ours.save_attributes(mine, place)
    official.save_attributes(theirs, place)
    # The very same item either way, and each reads the other's as its own.
    assert _stored_item(moto_endpoint, USER + "-OURS")["attributes"] == \
        _stored_item(moto_endpoint, USER + "-OFFICIAL")["attributes"]
    assert ours.get_attributes(theirs) == official.get_attributes(theirs) == place
    assert official.get_attributes(mine) == ours.get_attributes(mine) == place
    ours.delete_attributes(theirs)
    official.delete_attributes(mine)
    assert ours.get_attributes(mine) == official.get_attributes(theirs) == {}


def test_a_whole_float_comes_back_an_int_through_either_adapter(moto_endpoint: str) -> None:
    """DynamoDB keeps numbers as decimal text: 2.0 is 2. The official adapter (through PlainNumbers) says so too."""
    ours, official = _ours(moto_endpoint), official_adapter(_settings(moto_endpoint))
    request = envelope(USER + "-WHOLE", "r1")
    ours.save_attributes(request, {"n": 2.0})
    assert ours.get_attributes(request) == official.get_attributes(request) == {"n": 2}
    assert type(ours.get_attributes(request)["n"]) is int


def test_the_item_is_keyed_by_the_hashed_user_id(moto_endpoint: str) -> None:
    _ours(moto_endpoint).save_attributes(envelope(USER, "r1"), {"position": 2})
    item = _stored_item(moto_endpoint, USER)
    assert set(item) == {"id", "attributes"} and item["id"] == {"S": hash_user_id(USER)}
    assert USER not in json.dumps(item)


def test_creates_the_table_the_official_adapter_creates() -> None:
    with moto_dynamodb() as endpoint:
        create_table(_settings(endpoint, table="ours"), ENV)
        create_table(_settings(endpoint, table="ours"), ENV)  # there already: nothing to do, no error
        official_adapter(_settings(endpoint, table="theirs", create_table=True))
        client = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION)
        ours, theirs = (client.describe_table(TableName=name)["Table"] for name in ("ours", "theirs"))
    for part in ("KeySchema", "AttributeDefinitions"):
        assert ours[part] == theirs[part]
    for units in ("ReadCapacityUnits", "WriteCapacityUnits"):
        assert ours["ProvisionedThroughput"][units] == theirs["ProvisionedThroughput"][units]


def test_what_is_sent_is_what_is_signed_as_botocore_checks_it() -> None:
    """The request as the server received it, verified with botocore's signer: the signed headers and the body
    on the wire are the ones the signature covers."""
    with scripted_dynamodb(Reply(body=b"{}")) as (endpoint, script):
        _ours(endpoint).get_attributes(envelope(USER, "r1"))
    ((headers, body),) = script.requests
    received = {name.lower(): value for name, value in headers.items()}
    credential, signed, signature = (part.split("=", 1)[1] for part in received["authorization"].split(", "))
    assert credential.endswith(f"/{REGION}/dynamodb/aws4_request") and credential.startswith("testing/")
    assert received["x-amz-target"] == "DynamoDB_20120810.GetItem" and received["x-amz-security-token"] == "testing"
    request = AWSRequest(method="POST", url=f"{endpoint}/", data=body,
                         headers={name: received[name] for name in signed.split(";")})
    request.context["timestamp"] = received["x-amz-date"]
    auth = SigV4Auth(BotoCredentials("testing", "testing", "testing"), "dynamodb", REGION)
    assert auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request) == signature
    assert json.loads(body) == {"TableName": TABLE, "Key": {"id": {"S": hash_user_id(USER)}}, "ConsistentRead": True}


# -- failures ----------------------------------------------------------------------------------------------------
def test_unreachable_endpoint_is_a_persistence_exception_soon() -> None:
    store = _ours(f"http://127.0.0.1:{closed_port()}", max_attempts=2)
    began = time.perf_counter()
    with pytest.raises(PersistenceException, match="Could not connect"):
        store.get_attributes(envelope(USER, "r1"))
    assert time.perf_counter() - began < 2  # refused at once, retried once after 50 ms


def test_a_silent_endpoint_times_out_each_attempt() -> None:
    with silent_server() as endpoint:
        store = _ours(endpoint, timeout_s=0.2, max_attempts=2)
        began = time.perf_counter()
        with pytest.raises(PersistenceException, match="Timeout"):
            store.save_attributes(envelope(USER, "r1"), {"position": 1})
        elapsed = time.perf_counter() - began
    assert 0.4 <= elapsed < 3, elapsed  # two attempts of 0.2 s each, then given up


@pytest.mark.parametrize("replies,requests,outcome", [
    ([Reply.error(500, "InternalServerError"), Reply.item({"M": {"position": {"N": "4"}}})], 2, {"position": 4}),
    ([Reply.error(503, "ServiceUnavailable"), Reply.error(503, "ServiceUnavailable")], 3, "ServiceUnavailable"),
    ([Reply(502, b"<html>bad gateway</html>"), Reply.item({"M": {}})], 2, {}),
    ([Reply(crc=False), Reply.item({"M": {"topic": {"S": "causes"}}})], 2, {"topic": "causes"}),
    ([Reply(crc=False)], 3, "CRC32"),
    ([Reply.error(400, "ValidationException", "One or more parameter values were invalid")], 1,
     "ValidationException"),
    ([Reply.error(400, "ResourceNotFoundException", "Requested resource not found")], 1, "ResourceNotFoundException"),
    ([Reply.error(403, "UnrecognizedClientException", "The security token included in the request is invalid")], 1,
     "UnrecognizedClientException"),
    ([Reply(418, b"")], 1, "HTTP 418"),
], ids=["500 then item", "503 throughout", "502 html then item", "damaged then item", "damaged throughout",
        "validation", "no table", "bad credentials", "no error body"])
def test_retries_what_may_pass_and_nothing_else(replies: list[Reply], requests: int, outcome: dict | str) -> None:
    with scripted_dynamodb(*replies) as (endpoint, script):
        store = _ours(endpoint, max_attempts=3)
        if isinstance(outcome, dict):
            assert store.get_attributes(envelope(USER, "r1")) == outcome
        else:
            with pytest.raises(PersistenceException, match=outcome):
                store.get_attributes(envelope(USER, "r1"))
    assert len(script.requests) == requests


@pytest.mark.parametrize("reply,reason", [
    (Reply(200, b"<html>not json</html>"), "not a JSON object"),
    (Reply(200, b"[1, 2, 3]"), "not a JSON object"),
    (Reply(200, b"[" * 100_000 + b"]" * 100_000), "not a JSON object"),
    (Reply(200, b" " * (MAX_RESPONSE_BYTES + 1)), "more than"),
    (Reply(200, json.dumps({"Item": {"id": {"S": "k"}}}).encode()), "no 'attributes'"),
    (Reply(200, json.dumps({"Item": "an item?"}).encode()), "no 'attributes'"),
    (Reply.item({"X": "1"}), "unreadable X"),
    (Reply.item({"M": {"a": {"S": "x", "N": "1"}}}), "does not send"),
    (Reply.item({"N": "1e999999999"}), "unreadable N"),
    (Reply.item({"N": "NaN"}), "unreadable N"),
    (Reply.item({"N": "1" * 39}), "unreadable N"),
    (Reply.item({"N": "twelve"}), "unreadable N"),
    (Reply.item({"B": "not base64!"}), "unreadable B"),
    (Reply.item({"BOOL": "yes"}), "unreadable BOOL"),
    (Reply.item(json.loads('{"L": [' * 40 + '{"NULL": true}' + "]}" * 40)), "does not send"),
], ids=["html", "a list", "deep json", "oversized", "no attributes", "not an item", "unknown type", "two types",
        "huge exponent", "nan", "39 digits", "not a number", "bad binary", "bool as text", "too deep"])
def test_a_bad_answer_is_a_persistence_exception_and_not_retried(reply: Reply, reason: str) -> None:
    with scripted_dynamodb(reply) as (endpoint, script):
        with pytest.raises(PersistenceException, match=reason):
            _ours(endpoint).get_attributes(envelope(USER, "r1"))
    assert len(script.requests) == 1


def test_reads_every_type_dynamodb_sends() -> None:
    """Sets and binaries never come from the skill, but an item another tool wrote may hold them."""
    attributes = {"M": {"s": {"SS": ["a", "b"]}, "n": {"NS": ["1", "2.5"]}, "b": {"B": "aGk="},
                        "bs": {"BS": ["aGk=", "eW8="]}, "null": {"NULL": True}}}
    with scripted_dynamodb(Reply.item(attributes)) as (endpoint, _):
        got = _ours(endpoint).get_attributes(envelope(USER, "r1"))
    assert got == {"s": {"a", "b"}, "n": {1, 2.5}, "b": b"hi", "bs": {b"hi", b"yo"}, "null": None}


@pytest.mark.parametrize("attributes,reason", [
    ({"when": float("nan")}, "NaN"),
    ({"when": float("inf")}, "NaN or infinity"),
    ({1: "a number as a key"}, "keys must be strings"),
    ({"a set": {1, 2}}, "cannot store a set"),
    ({"bytes": b"raw"}, "cannot store a bytes"),
])
def test_what_dynamodb_cannot_hold_is_refused_before_sending(attributes: dict, reason: str) -> None:
    with scripted_dynamodb() as (endpoint, script):
        with pytest.raises(PersistenceException, match=reason):
            _ours(endpoint).save_attributes(envelope(USER, "r1"), attributes)
    assert script.requests == []


def test_a_keep_alive_connection_the_server_closed_is_opened_again_without_an_attempt() -> None:
    """A warm Lambda's connection may have been closed by DynamoDB while the instance was frozen: the next call
    opens a new one at once (one attempt allowed here, and it is not spent on the dead connection)."""
    first, second = Reply.item({"M": {}}), Reply.item({"M": {"position": {"N": "2"}}})
    first.close = True
    with scripted_dynamodb(first, second) as (endpoint, script):
        store = _ours(endpoint, max_attempts=1)
        assert store.get_attributes(envelope(USER, "r1")) == {}
        assert store.get_attributes(envelope(USER, "r2")) == {"position": 2}
    assert len(script.requests) == 2 and len(script.connections) == 2


def test_one_connection_serves_many_calls() -> None:
    with scripted_dynamodb(Reply.item({"M": {}})) as (endpoint, script):
        store = _ours(endpoint)
        for n in range(5):
            store.get_attributes(envelope(USER, f"r{n}"))
    assert len(script.requests) == 5 and len(script.connections) == 1


def test_no_credentials_at_call_time_is_a_persistence_exception_and_nothing_is_sent() -> None:
    with scripted_dynamodb() as (endpoint, script):
        with pytest.raises(PersistenceException, match="AWS_ACCESS_KEY_ID"):
            _ours(endpoint, environ={}).get_attributes(envelope(USER, "r1"))
    assert script.requests == []


def test_a_request_without_a_user_id_is_a_persistence_exception() -> None:
    with scripted_dynamodb() as (endpoint, script):
        with pytest.raises(PersistenceException, match="no user id"):
            _ours(endpoint).get_attributes(envelope(None, "r1"))
    assert script.requests == []


# -- which adapter -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("settings,environ,own", [
    (DynamoDbSettings("t", "eu-west-1"), FAKE_CREDENTIALS, True),
    (DynamoDbSettings("t", "cn-north-1"), FAKE_CREDENTIALS, True),
    (DynamoDbSettings("t", "local", "http://127.0.0.1:8000"), FAKE_CREDENTIALS, True),
    (DynamoDbSettings("t", "eu-west-1"), {**FAKE_CREDENTIALS, "AWS_PROFILE": "dev"}, True),  # botocore: env first
    (DynamoDbSettings("t", "eu-west-1"), {**FAKE_CREDENTIALS, "AWS_CA_BUNDLE": "/etc/ca.pem"}, True),
    (DynamoDbSettings("t", "eu-west-1"), {"AWS_PROFILE": "dev"}, False),
    (DynamoDbSettings("t", "eu-west-1"), {"AWS_ACCESS_KEY_ID": "AKID"}, False),
    (DynamoDbSettings("t", "eu-west-1"), {}, False),
    (DynamoDbSettings("t", None), FAKE_CREDENTIALS, False),  # the region may be in a config file: boto reads it
    (DynamoDbSettings("t", "us-iso-east-1"), FAKE_CREDENTIALS, False),
    (DynamoDbSettings("t", "not a region"), FAKE_CREDENTIALS, False),
    *((DynamoDbSettings("t", "eu-west-1"), {**FAKE_CREDENTIALS, name: "x"}, False) for name in BOTO_ONLY_ENV),
])
def test_our_adapter_where_the_environment_has_all_it_needs(settings: DynamoDbSettings, environ: dict[str, str],
                                                             own: bool) -> None:
    assert uses_own_adapter(settings, environ) is own


@pytest.mark.parametrize("region,url", [
    ("eu-west-1", "https://dynamodb.eu-west-1.amazonaws.com"),
    ("us-gov-west-1", "https://dynamodb.us-gov-west-1.amazonaws.com"),
    ("cn-northwest-1", "https://dynamodb.cn-northwest-1.amazonaws.com.cn"),
    ("eu-west-1.evil.example/", None),
    ("", None),
])
def test_the_endpoint_of_a_region(region: str, url: str | None) -> None:
    assert DynamoDbSettings("t", region).url() == url


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _types(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_types(item) for item in value]
    return type(value).__name__

