"""Hypothesis: generated and mutated envelopes, random bytes and random headers never produce a 5xx."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.conversation import LOCAL_APPLICATION_ID
from skill.server import create_app
from skill.verify import RequestVerifier

from .alexa_ca import CHAIN_URL, PrivateCA
from .support import DATA

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
