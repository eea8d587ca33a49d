"""The Alexa web service over real HTTP on loopback: verification matrix with real signatures from a test CA,
edge limits, logging, and `hamstring serve` itself (gunicorn) started as a user would."""

from __future__ import annotations

import http.client
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from werkzeug.serving import make_server

from skill.conversation import LOCAL_APPLICATION_ID
from skill.envelope import MAX_BODY_BYTES
from skill.web.app import create_app
from skill.web.verify import FETCH_TIMEOUT_S, MAX_CHAIN_BYTES, RequestVerifier, VerificationFailed, fetch_chain
from tests.kit.ca import CHAIN_URL, PrivateCA, body_bytes, now_timestamp, sign
from tests.kit.project import DATA, ROOT

SKILL_ID = LOCAL_APPLICATION_ID
CA = PrivateCA.create()
LEAF, LEAF_KEY = CA.leaf()


def launch(timestamp_offset: float = 0, application_id: str = SKILL_ID) -> dict:
    envelope = json.loads((DATA / "envelopes" / "launch.json").read_text())
    envelope["request"]["timestamp"] = now_timestamp(timestamp_offset)
    envelope["context"]["System"]["application"]["applicationId"] = application_id
    envelope["session"]["application"]["applicationId"] = application_id
    return envelope


@contextmanager
def serving(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()


def post(port: int, body: bytes, headers: dict[str, str], method: str = "POST", path: str = "/"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, (json.loads(data) if data else None)


class CountingFetcher:
    def __init__(self, pem: bytes):
        self.pem, self.calls = pem, 0

    def __call__(self, url: str) -> bytes:
        self.calls += 1
        return self.pem


def verifier_for(pem: bytes, **kwargs) -> RequestVerifier:
    return RequestVerifier([SKILL_ID], roots=[CA.root], fetch=kwargs.pop("fetch", CountingFetcher(pem)), **kwargs)


@pytest.fixture(scope="module")
def good_server():
    with serving(create_app(verifier_for(CA.chain_pem(LEAF)))) as port:
        yield port


# -- verification matrix: one passing case, one failing case per rule ------------------------------------------------
def _other_ca_chain() -> bytes:
    other = PrivateCA.create()
    leaf, _ = other.leaf()
    return other.chain_pem(leaf)


EXPIRED, EXPIRED_KEY = CA.leaf(days_valid=(-30, -1))
FUTURE, FUTURE_KEY = CA.leaf(days_valid=(1, 30))
WRONG_SAN, WRONG_SAN_KEY = CA.leaf(san="echo-api.example.com")

MATRIX = [
    # name, chain pem, signing key, header changes, envelope changes, expected status, error fragment
    ("valid request", None, None, {}, {}, 200, None),
    ("host is case-insensitive", None, None, {"SignatureCertChainUrl": CHAIN_URL.replace("s3.amazonaws.com",
                                                                                           "S3.AmAzOnAwS.CoM")},
     {}, 200, None),
    ("explicit port 443", None, None, {"SignatureCertChainUrl": CHAIN_URL.replace(".com/", ".com:443/")}, {}, 200,
     None),
    ("dot segments that stay inside /echo.api/", None, None,
     {"SignatureCertChainUrl": "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem"}, {}, 200, None),
    ("chain url header missing", None, None, {"SignatureCertChainUrl": None}, {}, 400, "SignatureCertChainUrl"),
    ("signature header missing", None, None, {"Signature-256": None}, {}, 400, "Signature-256 header missing"),
    ("chain url over http", None, None, {"SignatureCertChainUrl": CHAIN_URL.replace("https", "http")}, {}, 400,
     "https"),
    ("chain url on another host", None, None,
     {"SignatureCertChainUrl": CHAIN_URL.replace("s3.amazonaws.com", "s3.amazonaws.com.evil.example")}, {}, 400,
     "host"),
    ("chain url on another port", None, None, {"SignatureCertChainUrl": CHAIN_URL.replace(".com/", ".com:563/")},
     {}, 400, "port"),
    ("chain url path in other case", None, None,
     {"SignatureCertChainUrl": CHAIN_URL.replace("/echo.api/", "/ECHO.API/")}, {}, 400, "/echo.api/"),
    ("chain url path escaping with ..", None, None,
     {"SignatureCertChainUrl": "https://s3.amazonaws.com/echo.api/../evil/echo-api-cert.pem"}, {}, 400,
     "/echo.api/"),
    ("chain from an untrusted CA", _other_ca_chain(), None, {}, {}, 400, "not trusted"),
    ("signing certificate expired", CA.chain_pem(EXPIRED), EXPIRED_KEY, {}, {}, 400, "expired"),
    ("signing certificate not yet valid", CA.chain_pem(FUTURE), FUTURE_KEY, {}, {}, 400, "not yet valid"),
    ("signing certificate for another name", CA.chain_pem(WRONG_SAN), WRONG_SAN_KEY, {}, {}, 400,
     "echo-api.amazon.com"),
    ("chain is not PEM", b"not a certificate", None, {}, {}, 400, "PEM"),
    ("signature is not base64", None, None, {"Signature-256": "***"}, {}, 400, "base64"),
    ("signature by another key", None, CA.leaf()[1], {}, {}, 400, "does not match"),
    ("body changed after signing", None, None, {"tamper": "1"}, {}, 400, "does not match"),
    ("timestamp 140 s old", None, None, {}, {"timestamp_offset": -140}, 200, None),
    ("timestamp 151 s old", None, None, {}, {"timestamp_offset": -151}, 400, "150 seconds"),
    ("timestamp 151 s ahead", None, None, {}, {"timestamp_offset": 151}, 400, "150 seconds"),
    ("another skill's request", None, None, {}, {"application_id": "amzn1.ask.skill.someone-else"}, 400,
     "another skill"),
]


@pytest.mark.parametrize("name,pem,key,headers,envelope_changes,status,fragment", MATRIX, ids=[m[0] for m in MATRIX])
def test_verification(name, pem, key, headers, envelope_changes, status, fragment):
    app = create_app(verifier_for(pem or CA.chain_pem(LEAF)))
    body = body_bytes(launch(**envelope_changes))
    sent = sign(body, key or LEAF_KEY)
    for header, value in headers.items():
        if header == "tamper":
            body = body.replace(b'"en-US"', b'"en-GB"')  # still a valid envelope: only the signature fails
        elif value is None:
            del sent[header]
        else:
            sent[header] = value
    with serving(app) as port:
        code, payload = post(port, body, sent)
    assert code == status, payload
    if fragment:
        assert fragment in payload["error"]
    else:
        assert payload["response"]["outputSpeech"]["ssml"]


def test_chain_is_cached_until_expiry_and_cache_is_bounded():
    fetcher = CountingFetcher(CA.chain_pem(LEAF))
    verifier = verifier_for(b"", fetch=fetcher, cache_size=2)
    body = body_bytes(launch())
    for _ in range(3):
        verifier.verify_signature(sign(body, LEAF_KEY), body)
    assert fetcher.calls == 1
    urls = [CHAIN_URL.replace("test.pem", f"{n}.pem") for n in range(3)]
    for url in urls:
        verifier.verify_signature(sign(body, LEAF_KEY, url), body)
    verifier.verify_signature(sign(body, LEAF_KEY, urls[0]), body)  # evicted by the bound: fetched again
    assert fetcher.calls == 5


def test_cached_chain_is_rechecked_against_the_clock():
    fetcher = CountingFetcher(CA.chain_pem(LEAF))
    now = [LEAF.not_valid_before_utc]
    verifier = verifier_for(b"", fetch=fetcher, clock=lambda: now[0])
    body = body_bytes(launch())
    verifier.verify_signature(sign(body, LEAF_KEY), body)
    now[0] = LEAF.not_valid_after_utc.replace(year=LEAF.not_valid_after_utc.year + 1)
    with pytest.raises(VerificationFailed, match="expired"):
        verifier.verify_signature(sign(body, LEAF_KEY), body)


@pytest.mark.parametrize("listening", [False, True], ids=["connection refused", "server never answers"])
def test_unreachable_chain_url_fails_fast(listening):
    """The real fetcher (pointed at loopback: tests never leave this machine) gives a quick 400, never a hang."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        if listening:
            sock.listen(1)  # accepts the connection in the backlog, never replies
        port = sock.getsockname()[1]
        if not listening:
            sock.close()
        verifier = RequestVerifier([SKILL_ID], roots=[CA.root],
                                   fetch=lambda url: fetch_chain(f"http://127.0.0.1:{port}/echo.api/cert.pem"))
        body = body_bytes(launch())
        started = time.monotonic()
        with serving(create_app(verifier)) as server_port:
            code, payload = post(server_port, body, sign(body, LEAF_KEY))
    assert code == 400 and "could not be fetched" in payload["error"]
    assert time.monotonic() - started < FETCH_TIMEOUT_S + 3


class _ChainHandler(BaseHTTPRequestHandler):
    payload = b""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.payload)))
        self.end_headers()
        self.wfile.write(self.payload)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("size,ok", [(2000, True), (MAX_CHAIN_BYTES + 10, False)], ids=["small", "over the cap"])
def test_fetcher_caps_the_download(size, ok):
    handler = type("Handler", (_ChainHandler,), {"payload": b"x" * size})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/echo.api/cert.pem"
        if ok:
            assert len(fetch_chain(url)) == size
        else:
            with pytest.raises(VerificationFailed, match="too large"):
                fetch_chain(url)
    finally:
        server.shutdown()


# -- limits at the edge ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def open_server():
    with serving(create_app(None)) as port:
        yield port


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    "method,path,body,headers,status",
    [
        ("POST", "/", b"{" + b" " * (MAX_BODY_BYTES + 1) + b"}", JSON, 413),
        ("POST", "/", b"{not json", JSON, 400),
        ("POST", "/", b'{"request": {}}', JSON, 400),
        ("POST", "/", b"[]", JSON, 400),
        ("POST", "/", b"\xff\xfe", JSON, 400),
        ("POST", "/", b"{}", {"Content-Type": "text/plain"}, 415),
        ("GET", "/", None, {}, 405),
        ("PUT", "/", b"{}", JSON, 405),
        ("GET", "/nowhere", None, {}, 404),
    ],
    ids=["body over 128 KiB", "malformed JSON", "not an envelope", "array", "not UTF-8", "wrong content type",
         "GET /", "PUT /", "unknown path"],
)
def test_edge_limits(open_server, method, path, body, headers, status):
    code, payload = post(open_server, body, headers, method=method, path=path)
    assert code == status and isinstance(payload["error"], str)


def test_health(open_server):
    assert post(open_server, None, {}, method="GET", path="/health") == (200, {"status": "ok", "verify": False})


def test_unknown_request_type_is_graceful(open_server):
    body = (DATA / "envelopes" / "future_request_type.json").read_bytes()
    assert post(open_server, body, JSON) == (200, {"version": "1.0", "response": {}})


def test_one_log_line_per_request_without_ids_in_clear(open_server, caplog):
    caplog.set_level(logging.INFO, logger="hamstring.access")
    body = (DATA / "envelopes" / "intent_go_to_step.json").read_bytes()
    post(open_server, body, JSON)
    post(open_server, b"{oops", JSON)
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "hamstring.access"]
    assert len(lines) == 2
    ok, bad = lines
    assert ok["type"] == "IntentRequest" and ok["intent"] == "GoToStepIntent" and ok["status"] == 200
    assert ok["request_id"].startswith("amzn1.echo-api.request") and isinstance(ok["latency_ms"], float)
    assert bad["status"] == 400 and "invalid JSON" in bad["error"]
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "TESTUSER" not in text and "TESTDEVICE" not in text


def test_session_attributes_round_trip_over_http(open_server):
    """Any Alexa simulator drives the server: the attributes it got back are all the state it needs to send."""
    envelope = json.loads((DATA / "envelopes" / "intent_one_shot_treatment.json").read_text())
    _, first = post(open_server, json.dumps(envelope).encode(), JSON)
    envelope["session"].update(new=False, attributes=first["sessionAttributes"])
    envelope["request"].update(requestId="amzn1.echo-api.request.second",
                               intent={"name": "AMAZON.NextIntent", "confirmationStatus": "NONE", "slots": {}})
    _, second = post(open_server, json.dumps(envelope).encode(), JSON)
    assert second["sessionAttributes"]["step"] == 2 and "Step 2" in second["response"]["outputSpeech"]["ssml"]


# -- `hamstring serve` itself ------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(*args: str, env: dict | None = None):
    # The state store is off unless a test gives one: never the real user's data directory.
    environment = {k: v for k, v in os.environ.items() if k != "ALEXA_SKILL_ID"}
    environment |= {"HAMSTRING_STATE": "off"} | (env or {})
    return subprocess.Popen([sys.executable, "-m", "hamstring", "serve", *args], cwd=ROOT, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_healthy(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()
        try:
            if post(port, None, {}, method="GET", path="/health")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("server did not become healthy")


def test_hamstring_serve_no_verify_answers_over_http():
    port = _free_port()
    process = serve("--no-verify", "--port", str(port), "--workers", "2")
    try:
        wait_healthy(port, process)
        code, payload = post(port, (DATA / "envelopes" / "launch.json").read_bytes(), JSON)
        assert code == 200 and "not a doctor" in payload["response"]["outputSpeech"]["ssml"]
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert "verification is OFF" in process.stderr.read().decode()


def test_hamstring_serve_resumes_across_sessions_with_several_workers(tmp_path):
    """Two gunicorn workers share one SQLite file: each new session continues where the last one stopped, whichever
    worker answers it."""
    port = _free_port()
    state = tmp_path / "state.sqlite3"
    process = serve("--no-verify", "--port", str(port), "--workers", "2", "--state", str(state))
    try:
        wait_healthy(port, process)
        envelope = json.loads((DATA / "envelopes" / "intent_one_shot_treatment.json").read_text())
        code, payload = post(port, json.dumps(envelope).encode(), JSON)
        assert code == 200 and payload["sessionAttributes"]["step"] == 1
        for expected in range(2, 8):  # each a one-shot "ask hamstring helper for the next step": a new session
            envelope["session"]["sessionId"] = f"amzn1.echo-api.session.resume-{expected}"
            envelope["request"]["requestId"] = f"amzn1.echo-api.request.resume-{expected}"
            envelope["request"]["intent"] = {"name": "AMAZON.NextIntent", "confirmationStatus": "NONE", "slots": {}}
            code, payload = post(port, json.dumps(envelope).encode(), JSON)
            assert code == 200 and payload["sessionAttributes"]["step"] == expected, payload
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert state.exists() and "state: SQLite at" in process.stdout.read().decode()


def test_hamstring_serve_with_verification_refuses_unsigned_requests():
    port = _free_port()
    process = serve("--port", str(port), "--workers", "1", env={"ALEXA_SKILL_ID": SKILL_ID})
    try:
        wait_healthy(port, process)
        code, payload = post(port, (DATA / "envelopes" / "launch.json").read_bytes(), JSON)
        assert code == 400 and "150 seconds" in payload["error"]  # the cheap checks come first
        code, payload = post(port, body_bytes(launch()), JSON)
        assert code == 400 and "header missing" in payload["error"]
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.mark.parametrize(
    "args,env,message",
    [
        ([], {}, "set ALEXA_SKILL_ID"),
        (["--no-verify", "--host", "0.0.0.0"], {}, "only allowed on a loopback host"),
        (["--workers", "0"], {"ALEXA_SKILL_ID": SKILL_ID}, "--workers"),
        (["--port", "eighty"], {}, "invalid int value"),
    ],
    ids=["no skill id", "no-verify off loopback", "zero workers", "bad port"],
)
def test_serve_misconfiguration_is_one_line(args, env, message):
    process = serve(*args, env=env)
    _, err = process.communicate(timeout=30)
    lines = err.decode().strip().splitlines()
    assert process.returncode != 0 and len(lines) == 1 and message in lines[0], lines
