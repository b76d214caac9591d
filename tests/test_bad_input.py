"""Bad input gets a clear 4xx in the error shape naming the field, never a 5xx (issue 18).

Every write route and every list's query parameters are taken from the app (url_map and
the OpenAPI document), so a new route or a new field is covered the day it is added; a
write route without a case here fails ``test_every_write_route_has_cases``. Cases:
tests/bad_inputs.py. Requests are made as a system administrator, so every answer is the
input check's, not the authorization's.
"""
from __future__ import annotations

import io
import json
import re

import pytest

from tests.authz_world import BODIES, PNG, build_world
from tests.bad_inputs import Case, body_cases, query_cases, resolve, upload_cases
from tests.test_authorization import api_routes, resolve_path

WRITE = {"POST", "PUT", "PATCH", "DELETE"}
NO_BODY = {"POST /api/v1/auth/refresh", "POST /api/v1/auth/logout",
           "POST /api/v1/alarms/<int:alarm_id>/take", "POST /api/v1/stream/ticket",
           "POST /api/v1/sites/<int:site_id>/linkage-rules/defaults",
           "POST /api/v1/uplink/resume", "POST /api/v1/sites/<int:site_id>/credentials"}


@pytest.fixture
def world(app):
    from backend.accounts.operations import issue_tokens
    from tests.conftest import truncate_all

    with app.app_context():
        truncate_all()
        w = build_world()
        w.header = {"Authorization": "Bearer "
                    + issue_tokens(w.users["superadmin"])["access_token"]}
    return w


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/api/openapi.json").json


def openapi_op(spec, rule, method) -> dict:
    path = rule.rule
    for arg in rule.arguments:
        path = re.sub(rf"<(?:\w+:)?{arg}>", "{" + arg + "}", path)
    return spec["paths"][path][method.lower()]


def check(r, case: Case, where: str) -> str | None:
    """None when the answer is right, else what is wrong with it."""
    label = f"{where} [{case.name}]: {r.status_code}"
    body = r.get_json(silent=True)
    if r.status_code >= 500 or not r.is_json or not isinstance(body, dict):
        return f"{label} {r.data[:300]!r}"
    if not (isinstance(body.get("error"), str) and body.get("code") == r.status_code
            and isinstance(body.get("message"), str)) and r.status_code >= 400:
        return f"{label} not the error shape: {body}"
    if case.statuses and r.status_code not in case.statuses:
        return f"{label} (want {case.statuses}) {body}"
    if case.field and r.status_code == 422 and case.field not in json.dumps(body["errors"]):
        return f"{label} does not name {case.field!r}: {body}"
    return None


def send(client, method, path, case: Case, header):
    if case.content_type == "multipart/form-data":
        data = {"file": (io.BytesIO(PNG), "a\x00.png")}
        return client.open(path, method=method, headers=header, data=data,
                           content_type=case.content_type)
    if isinstance(case.data, dict):        # a query string
        return client.open(path, method=method, headers=header, query_string=case.data)
    return client.open(path, method=method, headers=header, data=case.data,
                       content_type=case.content_type)


def write_routes(app):
    return [(rule, method) for rule, method in api_routes(app) if method in WRITE]


def test_every_write_route_has_cases(app, spec):
    missing = []
    for rule, method in write_routes(app):
        key = f"{method} {rule.rule}"
        op = openapi_op(spec, rule, method)
        takes_json = "application/json" in op.get("requestBody", {}).get("content", {})
        if takes_json and key not in BODIES:
            missing.append(f"{key}: no sample body in tests/authz_world.BODIES")
        if method != "DELETE" and not op.get("requestBody") and key not in NO_BODY:
            missing.append(f"{key}: takes nothing; add it to NO_BODY")
    assert not missing, "\n".join(missing)


def test_every_write_route_refuses_bad_bodies(app, spec, world):
    client, failures, count = app.test_client(), [], 0
    for rule, method in write_routes(app):
        op = openapi_op(spec, rule, method)
        content = op.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            cases = body_cases(spec, op, BODIES[f"{method} {rule.rule}"](world))
        elif content:
            cases = upload_cases(rule.rule)
        else:
            continue
        path = resolve_path(rule, method, world)
        for case in cases:
            count += 1
            failure = check(send(client, method, path, case, world.header), case,
                            f"{method} {path}")
            if failure:
                failures.append(failure)
    assert count > 500
    assert not failures, f"{len(failures)} of {count}:\n" + "\n".join(failures)


def test_every_query_parameter_refuses_bad_values(app, spec, world):
    client, failures, count = app.test_client(), [], 0
    for rule, method in api_routes(app):
        op = openapi_op(spec, rule, method)
        path = resolve_path(rule, method, world).split("?")[0]
        for case in query_cases(spec, op.get("parameters", [])):
            count += 1
            r = send(client, method, path, case, {**world.header, "Accept": "application/json"})
            failure = check(r, case, f"{method} {path}")
            r.close()
            if failure:
                failures.append(failure)
    assert count > 200
    assert not failures, f"{len(failures)} of {count}:\n" + "\n".join(failures)


def test_path_ids_past_the_id_column_are_404(app, world):
    client, failures = app.test_client(), []
    for rule, method in api_routes(app):
        if not rule.arguments or "<int:" not in rule.rule:
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<int:{arg}>", str(2**63))
        r = client.open(path, method=method, headers=world.header, json={})
        if r.status_code != 404 or not r.is_json or r.json.get("error") != "not_found":
            failures.append(f"{method} {path}: {r.status_code} {r.data[:200]!r}")
    assert not failures, "\n".join(failures)


def test_openapi_bounds_every_request_integer_and_string(spec):
    """Schema bounds show in the document: maximum on integers, maxLength on strings
    (an enum or a date-time format bounds a string too)."""
    unbounded = []

    def visit(where, schema):
        schema = resolve(spec, schema)
        kind = schema.get("type")
        if kind == "integer" and "maximum" not in schema:
            unbounded.append(where)
        if kind == "string" and not ({"maxLength", "enum"} & set(schema)
                                     or schema.get("format") in ("date-time", "binary")):
            unbounded.append(where)
        if kind == "array":
            visit(f"{where}[]", schema.get("items", {}))
        for name, prop in schema.get("properties", {}).items():
            if not prop.get("readOnly"):
                visit(f"{where}.{name}", prop)

    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method == "parameters":
                continue
            for p in op.get("parameters", []):
                visit(f"{method.upper()} {path} ?{p['name']}", p.get("schema", {}))
            json_body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if json_body:
                visit(f"{method.upper()} {path} body", json_body["schema"])
    assert not unbounded, "\n".join(unbounded)
