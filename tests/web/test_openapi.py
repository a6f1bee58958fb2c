"""The OpenAPI description at /api/openapi.json: true to the routes, to real answers, and under fuzzing."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from .samples import KITTEN_QUERY

METHODS = {"get", "post", "put", "patch", "delete"}


def described(spec: dict) -> set[tuple[str, str]]:
    return {(path, method) for path, item in spec["paths"].items() for method in item if method in METHODS}


def routed(app) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            out |= {(path, m.lower()) for m in rule.methods if m.lower() in METHODS}
    return out


def check(spec: dict, path: str, method: str, status: int, body: bytes) -> None:
    """The status is described for the operation, and the JSON body fits that status's schema."""
    responses = spec["paths"][path][method]["responses"]
    assert str(status) in responses, (path, method, status)
    content = responses[str(status)].get("content")
    if content is None:
        assert not body
        return
    schema = {**content["application/json"]["schema"], "components": spec["components"]}
    jsonschema.Draft202012Validator(schema).validate(json.loads(body))


def test_every_api_route_is_described_and_nothing_else(app, client):
    response = client.get("/api/openapi.json")

    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"] == "3.1.0"
    assert described(spec) == routed(app)
    jsonschema.Draft202012Validator.check_schema({"components": spec["components"]})


def test_the_description_is_public_but_nothing_else_is(app):
    anonymous = app.test_client()
    assert anonymous.get("/api/openapi.json").status_code == 200
    assert anonymous.get("/api/images").status_code == 401


def test_real_answers_match_the_description(app, client, indexed, cat_jpeg, bike_png):
    spec = client.get("/api/openapi.json").json
    ids = indexed(("cat.jpg", cat_jpeg), ("bike.png", bike_png))
    cat = ids["cat.jpg"]
    calls = [
        ("/api/images", "get", client.get("/api/images")),
        ("/api/images", "get", client.get(f"/api/images?ids={cat},nope")),
        ("/api/images", "get", client.get("/api/images?status=lost")),
        ("/api/images/{image_id}", "get", client.get(f"/api/images/{cat}")),
        ("/api/images/{image_id}", "get", client.get("/api/images/nope")),
        ("/api/images/{image_id}/similar", "get", client.get(f"/api/images/{cat}/similar")),
        ("/api/images/{image_id}/duplicates", "get", client.get(f"/api/images/{cat}/duplicates")),
        ("/api/duplicates", "get", client.get("/api/duplicates")),
        ("/api/search", "get", client.get("/api/search", query_string={"q": KITTEN_QUERY, "all": 1})),
        ("/api/search", "get", client.get("/api/search?q=")),
        ("/api/images/{image_id}/retry", "post", client.post(f"/api/images/{cat}/retry")),
        ("/api/images/{image_id}/redescribe", "post", client.post(f"/api/images/{cat}/redescribe")),
        ("/api/uploads", "post", client.post("/api/uploads", json={"files": []})),
        ("/api/images", "post", client.post("/api/images", data={}, content_type="multipart/form-data")),
        ("/api/images", "get", app.test_client().get("/api/images")),
        ("/api/images/{image_id}", "delete", client.delete(f"/api/images/{ids['bike.png']}")),
    ]
    expected = [200, 200, 400, 200, 404, 200, 200, 200, 200, 400, 409, 202, 404, 400, 401, 204]
    assert [c[2].status_code for c in calls] == expected
    for path, method, response in calls:
        check(spec, path, method, response.status_code, response.data)


@pytest.fixture
def fuzzed(make_app, web_settings, client_for, cat_jpeg, ingest_bytes):
    """An app with one photo, its limits lifted (429s are described, but they would end the fuzzing early)."""
    app = make_app({"START_WORKER": False}, settings=web_settings.with_overrides(searches_per_minute=0))
    app.fuzz_headers = {"Authorization": client_for(app).environ_base["HTTP_AUTHORIZATION"]}
    return app


def test_fuzzing_the_api_gives_no_server_error_and_only_described_answers(fuzzed):
    # A bounded property-based run: a few generated requests per operation, each answer checked.
    spec = fuzzed.test_client().get("/api/openapi.json").json
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", fuzzed)
    operations = [result.ok() for result in schema.get_all_operations()]
    answered: set[int] = set()
    for operation in operations:
        fuzz(operation, spec, fuzzed.fuzz_headers, answered)
    assert len(operations) >= 11 and {200, 400, 404} <= answered


def fuzz(operation, spec: dict, headers: dict, answered: set[int]) -> None:
    """A few generated requests to one operation; each answer checked by schemathesis and against the spec."""
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    path, method = operation.path, operation.method.lower()

    @given(case=operation.as_strategy())
    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def call(case):
        response = case.call_and_validate(headers=headers, checks=checks)
        check(spec, path, method, response.status_code, response.content)
        answered.add(response.status_code)

    call()
