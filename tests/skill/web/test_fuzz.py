"""Hypothesis: generated and mutated envelopes, random bytes, random headers and mutated raw HTTP never produce a
5xx, never a 200 for what is not a well-formed envelope, never an echo of the input, and the server keeps answering.
The simulator's API and session attributes through `hamstring simulate` (issue 23) likewise, with no traceback in any
log line and well-formed SSML in every reply."""

from __future__ import annotations

import io
import json
import logging
import tempfile
import xml.etree.ElementTree as ET
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from functools import partial
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.conversation import LOCAL_APPLICATION_ID
from skill.web.app import create_app
from skill.web.verify import RequestVerifier
from tests.kit.ca import CHAIN_URL, PrivateCA
from tests.kit.project import DATA

ENVELOPES = [json.loads(p.read_text()) for p in sorted((DATA / "envelopes").glob("*.json"))]
APP = create_app(None).test_client()
CA = PrivateCA.create()
LEAF, _ = CA.leaf()
VERIFYING = create_app(
    RequestVerifier([LOCAL_APPLICATION_ID], roots=[CA.root], fetch=lambda url: CA.chain_pem(LEAF))
).test_client()
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


def paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, prefix + (index,))


@st.composite
def mutated_envelopes(draw):
    envelope = json.loads(json.dumps(draw(st.sampled_from(ENVELOPES))))
    for _ in range(draw(st.integers(1, 3))):
        candidates = [p for p in paths(envelope) if p]
        if not candidates:
            break
        path = draw(st.sampled_from(candidates))
        parent = envelope
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return envelope


def assert_no_server_error(response):
    assert response.status_code < 500, response.data
    if response.status_code == 200:
        assert response.get_json()["version"] == "1.0"


@FUZZ
@given(mutated_envelopes())
def test_mutated_envelopes(envelope):
    assert_no_server_error(APP.post("/", data=json.dumps(envelope), content_type="application/json"))


@FUZZ
@given(json_values)
def test_arbitrary_json(value):
    assert_no_server_error(APP.post("/", data=json.dumps(value), content_type="application/json"))


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_bytes(data):
    assert_no_server_error(APP.post("/", data=data, content_type="application/json"))


@FUZZ
@given(st.dictionaries(st.sampled_from(["SignatureCertChainUrl", "Signature-256"]),
                       st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80)),
       mutated_envelopes())
def test_random_signature_headers_are_rejected_cleanly(headers, envelope):
    headers.setdefault("SignatureCertChainUrl", CHAIN_URL)
    response = VERIFYING.post("/", data=json.dumps(envelope), content_type="application/json", headers=headers)
    assert response.status_code == 400


# -- issue 9: the oracle is stricter -----------------------------------------------------------------------------------
MARKER = "amzn1.ask.account.FUZZMARKER"  # planted in every envelope; must never come back in a refusal


class _Errors(logging.Handler):
    """Errors logged by the skill's catch-all ("skill error") or the server's ("unexpected error"): a 200 that went
    through either is the crash handler's apology, not an answer."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


ERRORS = _Errors()
logging.getLogger().addHandler(ERRORS)

# Every field the skill reads, with its JSON type (independent of skill/envelope.py, which it checks).
TYPED: dict[tuple, type] = {
    ("version",): str, ("session",): dict, ("session", "new"): bool, ("session", "sessionId"): str,
    ("session", "attributes"): dict, ("session", "user"): dict, ("session", "user", "userId"): str,
    ("session", "application"): dict, ("session", "application", "applicationId"): str,
    ("context",): dict, ("context", "System"): dict, ("context", "System", "user"): dict,
    ("context", "System", "application"): dict, ("context", "System", "device"): dict,
    ("context", "System", "device", "deviceId"): str, ("context", "System", "apiEndpoint"): str,
    ("request",): dict, ("request", "type"): str, ("request", "requestId"): str, ("request", "timestamp"): str,
    ("request", "locale"): str, ("request", "intent"): dict, ("request", "intent", "name"): str,
    ("request", "intent", "slots"): dict,
}
INTENT_ENVELOPES = [e for e in ENVELOPES if e["request"]["type"] == "IntentRequest"]
JSON_KINDS = {
    dict: st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    list: st.lists(st.integers(), max_size=2),
    str: st.text(max_size=10),
    bool: st.booleans(),
    int: st.integers(),
    float: st.floats(allow_nan=False, allow_infinity=False),
}


def _wrong_value(expected: type):
    kinds = [k for k in JSON_KINDS if k is not expected and not (expected is float and k is int)]
    return st.sampled_from(kinds).flatmap(lambda k: JSON_KINDS[k])


def _dig(value, *keys):
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _planted(envelope):
    envelope = json.loads(json.dumps(envelope))
    for holder in (_dig(envelope, "session", "user"), _dig(envelope, "context", "System", "user")):
        if isinstance(holder, dict):
            holder["userId"] = MARKER
    return envelope


def _set(envelope: dict, path: tuple, value) -> bool:
    holder = envelope
    for key in path[:-1]:
        holder = holder.get(key) if isinstance(holder, dict) else None
    if not isinstance(holder, dict) or path[-1] not in holder:
        return False
    holder[path[-1]] = value
    return True


def assert_refused_cleanly(response, status: int = 400):
    assert response.status_code == status, (response.status_code, response.data[:300])
    assert MARKER.encode() not in response.data
    payload = response.get_json()
    assert isinstance(payload["error"], str) and len(payload["error"]) < 120


@FUZZ
@given(st.sampled_from(INTENT_ENVELOPES), st.sampled_from(sorted(TYPED, key=str)), st.data())
def test_a_field_of_the_wrong_type_is_a_400(envelope, path, data):
    envelope = _planted(envelope)
    if not _set(envelope, path, data.draw(_wrong_value(TYPED[path]))):
        return
    assert_refused_cleanly(APP.post("/", data=json.dumps(envelope), content_type="application/json"))


@st.composite
def hostile_bodies(draw):
    """A real envelope, with one hostile value put somewhere, or its bytes damaged."""
    envelope = _planted(draw(st.sampled_from(ENVELOPES)))
    text = json.dumps(envelope)
    kind = draw(st.sampled_from(["deep", "huge int", "surrogate", "bad bytes", "utf-16", "bom", "nan"]))
    if kind == "deep":
        depth = draw(st.integers(40, 3000))
        return text.replace('"version": "1.0"', '"x": ' + "[" * depth + "]" * depth + ', "version": "1.0"').encode()
    if kind == "huge int":
        digits = draw(st.integers(21, 6000))
        return text.replace('"version": "1.0"', f'"x": {"9" * digits}, "version": "1.0"').encode()
    if kind == "surrogate":
        surrogate = "\\u" + format(draw(st.integers(0xD800, 0xDFFF)), "x")
        return text.replace('"amzn1.echo-api.', '"' + surrogate + "amzn1.echo-api.", 1).encode()
    if kind == "bad bytes":
        raw = text.encode()
        at = draw(st.integers(0, len(raw) - 1))
        return raw[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"])) + raw[at:]
    if kind == "utf-16":
        return text.encode(draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32"])))
    if kind == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    return text.replace('"version": "1.0"', f'"x": {draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999"]))}, '
                                             '"version": "1.0"').encode()


@FUZZ
@given(hostile_bodies())
def test_hostile_bodies_are_a_400(body):
    response = APP.post("/", data=body, content_type="application/json")
    # "bad bytes" inside a string outside what we read would still be refused: the body must be UTF-8 throughout.
    assert_refused_cleanly(response)


@FUZZ
@given(mutated_envelopes())
def test_a_200_is_always_a_real_answer(envelope):
    envelope = _planted(envelope)
    before = ERRORS.count
    response = APP.post("/", data=json.dumps(envelope), content_type="application/json")
    assert response.status_code in (200, 400), response.data[:300]
    if response.status_code == 200:
        assert ERRORS.count == before, "a 200 that went through the crash handler"
        assert "something went wrong" not in response.get_data(as_text=True)
    else:
        assert MARKER.encode() not in response.data


# -- raw HTTP against the real server ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real():
    from tests.kit.servers import real_server

    with real_server() as (port, process):
        yield port


GOOD_BODY = json.dumps(_planted(next(e for e in ENVELOPES if e["request"]["type"] == "LaunchRequest"))).encode()
token = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":"), min_size=1,
                max_size=12)


@st.composite
def raw_requests(draw):
    """(bytes, well_formed): a POST of a real envelope, with its framing, encoding, headers or request line
    mutated, or left alone."""
    body = GOOD_BODY
    good = True
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "bom"]))
    if encoding == "utf-16":
        body, good = body.decode().encode("utf-16"), False
    elif encoding == "bom":
        body, good = b"\xef\xbb\xbf" + body, False
    headers = [("Host", "127.0.0.1"), ("Content-Type", draw(st.sampled_from(
        ["application/json", "application/json; charset=utf-8", "text/plain", "application/json" + MARKER])))]
    good &= headers[1][1].startswith("application/json") and MARKER not in headers[1][1]
    framing = draw(st.sampled_from(["length", "length", "chunked", "short length", "long length", "none",
                                    "bad chunks", "both", "oversize chunked"]))
    if framing in ("length", "both", "short length", "long length"):
        length = len(body) + {"length": 0, "both": 0, "short length": -5, "long length": 7}[framing]
        headers.append(("Content-Length", str(length)))
    if framing in ("chunked", "both", "bad chunks", "oversize chunked"):
        headers.append(("Transfer-Encoding", "chunked"))
    if framing == "oversize chunked":
        body = body[:-1] + b', "pad": "' + b"x" * (130 * 1024) + b'"}'
    if framing in ("chunked", "both", "oversize chunked"):
        size = draw(st.integers(1, 70000))
        payload = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size])
                           for i in range(0, len(body), size)) + b"0\r\n\r\n"
    elif framing == "bad chunks":
        payload = draw(st.sampled_from([b"zz\r\n", b"5\r\nab", b"3;x\r\nabcQQ", b"-1\r\n"])) + body
    else:
        payload = body
    good &= framing in ("length", "chunked")
    for _ in range(draw(st.integers(0, 3))):
        headers.append((draw(token), draw(st.sampled_from([MARKER, "x" * draw(st.integers(0, 10000)), "\x01"]))))
    line = draw(st.sampled_from(["POST / HTTP/1.1", "POST / HTTP/1.1", "POST / HTTP/1.0", "POST /" + MARKER +
                                 " HTTP/1.1", "POST / HTTP/2.0", "PO ST / HTTP/1.1", "POST  HTTP/1.1"]))
    good &= line in ("POST / HTTP/1.1", "POST / HTTP/1.0")
    head = line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return head.encode("utf-8", "surrogateescape") + payload, good


RAW_FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.function_scoped_fixture])


@RAW_FUZZ
@given(raw_requests())
def test_mutated_raw_http(real, case):
    from tests.kit.servers import exchange, healthy

    data, good = case
    status, payload, raw = exchange(real, data)
    if status is not None:
        assert status < 500, raw[:300]
        assert status != 200 or good, raw[:300]
        assert MARKER.encode() not in raw
        if status != 200:
            assert b"application/json" in raw and isinstance(payload["error"], str)
    assert healthy(real)


# -- issue 23: the simulator's API, and session attributes through `hamstring simulate` -----------------------------
# The oracle: a 200 only for a body built well-formed, never a 5xx, no log line with a traceback (or at ERROR) while
# a request runs, and every reply's speech well-formed SSML.
API_FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class _Log(logging.Handler):
    """Every log line, any level, of the requests run under `recorded()`."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def recorded():
    handler, root = _Log(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def assert_clean_log(records: list[logging.LogRecord]) -> None:
    for record in records:
        line = record.getMessage()
        assert record.levelno < logging.ERROR and record.exc_info is None, line[:300]
        assert "Traceback" not in line and 'File "' not in line, line[:300]


def assert_well_formed_speech(ssml: str | None) -> None:
    if ssml:
        ET.fromstring(ssml)  # raises on a torn entity, a stray & or <


def speech_of(response: dict) -> list[str | None]:
    body = response.get("response") or {}
    return [(body.get("outputSpeech") or {}).get("ssml"),
            ((body.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml")]


def _simulator():
    from local_voice.web import SpokenTurns
    from skill.builder import build_skill
    from skill.invoke import invoke_checked
    from skill.store import choose_store

    skill = build_skill(choose_store(str(Path(tempfile.mkdtemp()) / "state.sqlite3"), False, {}))
    return create_app(None, skill=partial(invoke_checked, skill=skill), simulator=True,
                      store=skill.persistence_adapter, voice=SpokenTurns()).test_client()


SIMULATOR = _simulator()
OPEN_SESSION = {"id": "amzn1.echo-api.session.fuzz", "attributes": {"topic": "treatment", "step": 2, "position": 2}}
SAYABLE = st.sampled_from(["what causes hamstring cramps", "next", "repeat that", "yes", "no", "go to step 3",
                           "more", "start over", "forget me", "stop", "help", "what is the weather"])
GARBAGE = st.one_of(json_values, st.text(max_size=5).map(lambda t: t + "\ud800"))  # surrogates become \\ud800


@st.composite
def turn_bodies(draw):
    """(body, kind): a typed turn built well-formed ("ok"; "needs session" when it is a touch or an end without an
    open one) or with one thing wrong ("bad")."""
    body: dict = {}
    session_ok = draw(st.sampled_from(["open", "none", "absent", "bad"]))
    if session_ok == "open":
        body["session"] = OPEN_SESSION
    elif session_ok == "none":
        body["session"] = draw(st.sampled_from([None, {"id": None, "attributes": {}}]))
    elif session_ok == "bad":
        body["session"] = draw(st.sampled_from([[1], "x", {"id": "not ours"}, {"id": 5}, {"extra": 1},
                                                {"id": "amzn1.echo-api.session.x", "attributes": [1]}]))
    device = draw(st.sampled_from(["absent", "speaker", "screen", "bad"]))
    if device == "bad":
        body["device"] = draw(GARBAGE.filter(lambda v: v not in ("speaker", "screen")))
    elif device != "absent":
        body["device"] = device
    action = draw(st.sampled_from(["utterance", "touch", "end", "none", "two"]))
    good = session_ok != "bad" and device != "bad" and action not in ("none", "two")
    if action in ("utterance", "two"):
        if draw(st.booleans()):
            body["utterance"] = draw(SAYABLE)
        else:
            body["utterance"] = draw(GARBAGE)
            good &= isinstance(body["utterance"], str) and bool(body["utterance"].strip()) \
                and len(body["utterance"]) <= 300 and "\ud800" not in body["utterance"]
        if draw(st.booleans()):
            body["speak"] = draw(st.sampled_from([False, "yes", 1]))
            good &= body["speak"] is False
    if action in ("touch", "two"):
        body["touch"] = draw(st.sampled_from(["next", "previous", "repeat"]) | GARBAGE)
        good &= body["touch"] in ("next", "previous", "repeat")
        if draw(st.booleans()):
            body["token"] = draw(st.sampled_from(["hamstring.step", "hamstring.answer"]) | GARBAGE)
            good &= body["token"] in ("hamstring.step", "hamstring.answer")
    if action == "end":
        body["end"] = draw(st.sampled_from([True, False, 1, "yes"]))
        good &= body["end"] is True
    if draw(st.integers(0, 9)) == 0:
        body[draw(st.sampled_from(["audio", "surprise", "Utterance", ""]))] = draw(json_values)
        good = False
    if not good:
        return body, "bad"
    return body, "needs session" if action in ("touch", "end") and session_ok != "open" else "ok"


def _turn_speech(answer: dict) -> list[str | None]:
    turn = answer.get("turn")
    return [] if turn is None else [turn["ssml"], *speech_of(turn["response"])]


@API_FUZZ
@given(turn_bodies())
def test_simulator_turns_answer_only_what_is_well_formed(case):
    body, kind = case
    with recorded() as records:
        response = SIMULATOR.post("/simulator/api/turn", data=json.dumps(body), content_type="application/json")
    assert response.status_code < 500, response.data[:300]
    expected = {"ok": {200}, "needs session": {409}, "bad": {400, 413}}[kind]
    assert response.status_code in expected, (body, response.status_code, response.data[:300])
    answer = response.get_json()
    if response.status_code == 200:
        assert "something went wrong" not in response.get_data(as_text=True)
        for ssml in _turn_speech(answer):
            assert_well_formed_speech(ssml)
    else:
        assert set(answer) == {"error"} and len(answer["error"]) < 120
    assert_clean_log(records)


@API_FUZZ
@given(st.sampled_from(["/simulator/api/turn", "/simulator/api/voice", "/simulator/api/forget"]),
       st.one_of(json_values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=200),
                 st.dictionaries(st.sampled_from(["audio", "session", "device", "pending", "utterance", "touch"]),
                                 json_values, max_size=4).map(lambda v: json.dumps(v).encode())))
def test_simulator_endpoints_take_any_body_without_a_5xx(path, body):
    with recorded() as records:
        response = SIMULATOR.post(path, data=body, content_type="application/json")
    assert response.status_code < 500, response.data[:300]
    if response.status_code == 200:
        # Only a forget ({}) or a typed turn can pass these bodies; a recording never does (none is a WAV).
        assert path != "/simulator/api/voice", body
        for ssml in _turn_speech(response.get_json()):
            assert_well_formed_speech(ssml)
    assert_clean_log(records)


# Session attributes as a client may send them back: the state's own fields with values that fit, that nearly fit,
# or that are anything at all, and keys of its own.
plain_json = st.recursive(  # JSON an envelope may hold (the edge refuses NaN, Infinity and 21-digit numbers)
    st.none() | st.booleans() | st.integers(-10**18, 10**18) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
STATE_VALUES = {
    "topic": st.sampled_from(["causes", "treatment", "overview", "nowhere", ""]),
    "offer": st.sampled_from(["steps", "next_step", "resume", "causes", "treatment", "see_doctor", "x"]),
    "step": st.integers(-2, 12), "position": st.integers(-2, 12),
    "answer": st.sampled_from(["not_covered", "rf_injury", "bananas", ""]),
    "disclaimed": st.booleans(),
    "last_speech": st.text(alphabet="ab &<>;.!? \u00e9", max_size=60).map(lambda t: t * 150),
    "last_reprompt": st.text(alphabet="ab &<>;.", max_size=20),
}
attributes = st.dictionaries(st.text(max_size=8), plain_json, max_size=3).flatmap(
    lambda junk: st.fixed_dictionaries({}, optional={k: v | plain_json for k, v in STATE_VALUES.items()}).map(
        lambda fitting: {**junk, **fitting}))
INTENTS = sorted({"AMAZON.YesIntent", "AMAZON.NoIntent", "MoreIntent", "AMAZON.RepeatIntent", "AMAZON.NextIntent",
                  "AMAZON.PreviousIntent", "GoToStepIntent", "ResumeIntent", "AMAZON.StartOverIntent",
                  "AMAZON.FallbackIntent", "AMAZON.HelpIntent", "CausesIntent", "TreatmentIntent"})
BASE_ENVELOPE = next(e for e in ENVELOPES if e["request"]["type"] == "IntentRequest")


def simulate(envelope: dict) -> tuple[int, str, str]:
    """`hamstring simulate FILE`, the real command, run in this process: (exit code, stdout, stderr)."""
    from hamstring.main import main

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(envelope, handle)
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["simulate", handle.name])
    finally:
        Path(handle.name).unlink()
    return code, out.getvalue(), err.getvalue()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(attributes, st.sampled_from(INTENTS), st.none() | st.sampled_from(["3", "²", "③", "twelve", "0", "999"]))
def test_any_session_attributes_through_simulate_get_a_real_answer(state, intent, step):
    envelope = json.loads(json.dumps(BASE_ENVELOPE))
    envelope["session"].update(new=False, attributes=state)
    envelope["request"]["intent"] = {"name": intent, "confirmationStatus": "NONE", "slots": {} if step is None else {
        "step": {"name": "step", "value": step, "confirmationStatus": "NONE"}}}
    with recorded() as records:
        code, out, err = simulate(envelope)
    assert code == 0 and "Traceback" not in err, err[-500:]
    response = json.loads(out)
    text = out.lower()
    assert "went wrong" not in text and "had trouble" not in text, speech_of(response)
    for ssml in speech_of(response):
        assert_well_formed_speech(ssml)
    assert_clean_log(records)
