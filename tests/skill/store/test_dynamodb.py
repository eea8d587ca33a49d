"""The DynamoDB store as the skill uses it (choose_store, open_store, the Lambda entry point), through both adapters:
our own where the credentials are in the environment (Lambda's case), the official ask-sdk adapter where they come
from elsewhere (here: a shared credentials file). Against moto's DynamoDB in server mode on loopback (the local
stand-in, since DynamoDB Local cannot be installed here), an endpoint that refuses connections, and a server that
answers every call with DynamoDB's throttling errors. Nothing here reaches AWS."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kit import tools

tools.require_module("ask_sdk_dynamodb")
boto3 = tools.require_module("boto3")
tools.require_module("moto.server")

from skill.store import (  # noqa: E402
    DynamoDbSettings,
    FailSoftAdapter,
    StoreConfigError,
    choose_store,
    dynamodb_adapter,
    hash_user_id,
    open_store,
)
from skill.store.dynamodb_boto import PlainNumbers  # noqa: E402
from skill.store.dynamodb_store import DynamoDbStore  # noqa: E402
from tests.kit.dynamodb import (  # noqa: E402
    FAKE_CREDENTIALS,
    NO_AWS_FILES,
    REGION,
    Reply,
    closed_port,
    moto_dynamodb,
    scripted_dynamodb,
)
from tests.kit.envelopes import Lines, capture, envelope  # noqa: E402
from tests.kit.project import ROOT  # noqa: E402

USER = "amzn1.ask.account.DYNAMOUSER"
ADAPTERS = {"own": DynamoDbStore, "official": PlainNumbers}


@pytest.fixture(scope="module", autouse=True, params=sorted(ADAPTERS))
def adapter(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """"own": the credentials in the environment, as Lambda gives them. "official": in a shared credentials file
    (as on a laptop with a profile), which only boto reads. Either way no real credentials are looked for."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", *FAKE_CREDENTIALS):
            patch.delenv(name, raising=False)
        for name, value in NO_AWS_FILES.items():
            patch.setenv(name, value)
        if request.param == "own":
            for name, value in FAKE_CREDENTIALS.items():
                patch.setenv(name, value)
        else:
            path: Path = tmp_path_factory.mktemp("aws") / "credentials"
            path.write_text("[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
            patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(path))
        yield request.param


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_dynamodb() as endpoint:
        yield endpoint


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = capture()
    yield handler
    logging.getLogger("skill.store").removeHandler(handler)


def _env(endpoint: str, table: str, **extra: str) -> dict[str, str]:
    return {"HAMSTRING_DYNAMODB_TABLE": table, "HAMSTRING_DYNAMODB_ENDPOINT": endpoint,
            "HAMSTRING_DYNAMODB_REGION": REGION, **extra}


def _client(endpoint: str):
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION)


def test_round_trip_against_local_dynamodb(adapter: str, moto_endpoint: str, lines: Lines) -> None:
    table = f"roundtrip-{adapter}"
    choice = choose_store(environ=_env(moto_endpoint, table, HAMSTRING_DYNAMODB_CREATE_TABLE="1"))
    assert choice.kind == "dynamodb" and table in choice.reason
    store = open_store(choice)
    assert isinstance(store, FailSoftAdapter) and isinstance(store.inner, ADAPTERS[adapter])
    alice = envelope(USER, "r1")
    assert store.get_attributes(alice) == {}
    place = {"position": 3, "topic": "treatment", "saved_at": 1_790_000_000, "ratio": 0.25}
    store.save_attributes(alice, place)
    got = store.get_attributes(alice)
    # Exact types: boto3 returns Decimal; the skill's state checks `type(v) is int`, so they must come back plain.
    assert got == place and type(got["position"]) is int and type(got["ratio"]) is float
    item = _client(moto_endpoint).scan(TableName=table)["Items"]
    assert [row["id"]["S"] for row in item] == [hash_user_id(USER)]  # hashed key, never the user id
    assert USER not in json.dumps(item)
    store.delete_attributes(alice)
    assert store.get_attributes(alice) == {}
    assert lines.warnings() == []


def test_table_creation_is_off_by_default(moto_endpoint: str, lines: Lines) -> None:
    store = open_store(choose_store(environ=_env(moto_endpoint, "never-created")))
    assert "never-created" not in _client(moto_endpoint).list_tables()["TableNames"]
    assert store.get_attributes(envelope(USER, "r1")) == {}
    store.save_attributes(envelope(USER, "r1"), {"position": 1})  # skipped: the load of this request failed
    assert len(lines.warnings()) == 1
    assert "ResourceNotFoundException" in lines.warnings()[0] or "doesn't exist" in lines.warnings()[0]


def test_unreachable_endpoint_fails_soft_and_fast(lines: Lines) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    store = open_store(choose_store(environ=_env(endpoint, "t", HAMSTRING_DYNAMODB_MAX_ATTEMPTS="2",
                                                 HAMSTRING_DYNAMODB_TIMEOUT="0.5")))
    began = time.perf_counter()
    assert store.get_attributes(envelope(USER, "r1")) == {}
    store.save_attributes(envelope(USER, "r1"), {"position": 1})
    store.delete_attributes(envelope(USER, "r2"))
    assert time.perf_counter() - began < 5
    warnings = lines.warnings()
    assert len(warnings) == 2 and "load failed" in warnings[0] and "delete failed" in warnings[1]
    assert all("Could not connect" in line and "\n" not in line for line in warnings)


def test_table_creation_failure_is_a_warning_not_a_crash(lines: Lines) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    store = open_store(choose_store(environ=_env(endpoint, "t", HAMSTRING_DYNAMODB_CREATE_TABLE="yes",
                                                 HAMSTRING_DYNAMODB_MAX_ATTEMPTS="1")))
    assert store is not None
    assert len(lines.warnings()) == 1 and "could not create the table" in lines.warnings()[0]


@pytest.mark.parametrize("error", ["ProvisionedThroughputExceededException", "ThrottlingException"])
def test_throttling_fails_soft_after_few_quick_retries(error: str, lines: Lines) -> None:
    """Every call answered as DynamoDB answers when a table is over its capacity."""
    with scripted_dynamodb(Reply.error(400, error, "The level of configured provisioned throughput for the table "
                                                   "was exceeded.")) as (endpoint, script):
        store = open_store(choose_store(environ=_env(endpoint, "t", HAMSTRING_DYNAMODB_MAX_ATTEMPTS="3")))
        began = time.perf_counter()
        assert store.get_attributes(envelope(USER, "r1")) == {}
        elapsed = time.perf_counter() - began
    assert len(script.requests) == 3  # retried, as throttling should be, and no more than configured
    assert elapsed < 2, f"throttled load took {elapsed:.2f} s"  # DynamoDB's 50 ms backoff, not 1 s
    assert len(lines.warnings()) == 1 and error in lines.warnings()[0]


def test_settings_from_environment() -> None:
    settings = DynamoDbSettings.from_env({"HAMSTRING_DYNAMODB_TABLE": " cramps ", "AWS_REGION": "us-west-2",
                                          "AWS_DEFAULT_REGION": "eu-central-1"})
    assert settings == DynamoDbSettings(table="cramps", region="us-west-2")  # creation off, no endpoint
    assert DynamoDbSettings.from_env({}) is None
    assert DynamoDbSettings.from_env({"HAMSTRING_DYNAMODB_TABLE": "t", "HAMSTRING_DYNAMODB_REGION": "x",
                                      "AWS_REGION": "y"}).region == "x"
    for name, bad in (("HAMSTRING_DYNAMODB_TIMEOUT", "soon"), ("HAMSTRING_DYNAMODB_MAX_ATTEMPTS", "0")):
        with pytest.raises(StoreConfigError):
            DynamoDbSettings.from_env({"HAMSTRING_DYNAMODB_TABLE": "t", name: bad})


def test_no_region_is_a_clear_error() -> None:
    with pytest.raises(StoreConfigError, match="region"):
        dynamodb_adapter(DynamoDbSettings(table="t", region=None))


def test_official_adapter_imports_where_no_region_is_configured(moto_endpoint: str) -> None:
    """ask-sdk-dynamodb builds a boto3 resource when imported, which fails without a region: a fresh process with
    no AWS region anywhere must still get a working adapter from the settings."""
    script = (
        "from skill.store import DynamoDbSettings\n"
        "from skill.store.dynamodb_boto import official_adapter\n"
        f"a = official_adapter(DynamoDbSettings(table='fresh', region='{REGION}', endpoint_url='{moto_endpoint}',"
        " create_table=True))\n"
        "import os; assert 'AWS_DEFAULT_REGION' not in os.environ\n"
        "print('ok')\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_REGION", "AWS_DEFAULT_REGION")}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_lambda_resumes_across_sessions_through_local_dynamodb(adapter: str, moto_endpoint: str,
                                                               lines: Lines) -> None:
    """The Lambda entry point built at import with the DynamoDB store from the environment: a one-shot "next step"
    in a new session continues from the saved place."""
    import importlib

    from skill import lambda_function
    from tests.kit.project import DATA

    with pytest.MonkeyPatch.context() as patch:
        table = f"lambda-resume-{adapter}"
        for name, value in _env(moto_endpoint, table, HAMSTRING_DYNAMODB_CREATE_TABLE="1").items():
            patch.setenv(name, value)
        module = importlib.reload(lambda_function)
        try:
            assert table in repr(module._SKILL.persistence_adapter)
            assert isinstance(module._SKILL.persistence_adapter.inner, ADAPTERS[adapter])
            event = json.loads((DATA / "envelopes" / "intent_one_shot_treatment.json").read_text())
            assert module.handler(event)["sessionAttributes"]["step"] == 1
            event["session"]["sessionId"] = "amzn1.echo-api.session.lambda-2"
            event["request"]["requestId"] = "amzn1.echo-api.request.lambda-2"
            event["request"]["intent"] = {"name": "AMAZON.NextIntent", "confirmationStatus": "NONE", "slots": {}}
            response = module.handler(event)
            assert response["sessionAttributes"]["step"] == 2
            assert "step 1 of 8" in response["response"]["outputSpeech"]["ssml"]
            (item,) = _client(moto_endpoint).scan(TableName=table)["Items"]
            assert json.dumps(item).count("position") == 1
        finally:
            patch.undo()
            importlib.reload(lambda_function)
    assert lines.warnings() == []
    assert lambda_function._SKILL.persistence_adapter is None


def test_lambda_without_a_region_answers_without_the_store(caplog) -> None:
    import importlib

    from skill import lambda_function
    from tests.kit.project import DATA

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HAMSTRING_DYNAMODB_TABLE", "no-region")
        for name in ("HAMSTRING_DYNAMODB_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"):
            patch.delenv(name, raising=False)
        with caplog.at_level(logging.ERROR):
            module = importlib.reload(lambda_function)
        try:
            assert module._SKILL.persistence_adapter is None
            assert any("state store not used" in r.getMessage() for r in caplog.records)
            event = json.loads((DATA / "envelopes" / "launch.json").read_text())
            assert module.handler(event)["response"]["outputSpeech"]
        finally:
            patch.undo()
            importlib.reload(lambda_function)
