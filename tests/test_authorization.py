"""Walks EVERY registered API route with every role and with an admin of another site.

A route added later is covered automatically: it fails here until its view declares an
``@access`` policy and, when it takes a body, a sample body is added to ``BODIES``.
Expected: a role below the route's policy gets 403; an admin of another site gets 404
for anything of site A (its existence is not revealed); a caller allowed gets 2xx.
"""
from __future__ import annotations

import re

import pytest

from backend.accounts.security import PUBLIC
from tests.authz_world import (
    BODIES,
    CALLER_RANK,
    FIELD_READS,
    HEADERS,
    QUERIES,
    RANK,
    ROLES,
    World,
    build_world,
)


def api_routes(app):
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule, method))
    return out


def policy_of(app, rule, method):
    view = app.view_functions[rule.endpoint]
    fn = getattr(getattr(view, "view_class", None), method.lower(), view)
    return getattr(fn, "_gw_access", None), getattr(fn, "_gw_refresh", False)


def resolve_path(rule, method, world: World) -> str:
    resource = rule.rule.split("/")[3]
    ids = world.leaf if method == "DELETE" else world.main
    path = rule.rule
    for arg in rule.arguments:
        key = {"site_id": "sites", "photo_id": "repair-photos",
               "inspection_photo_id": "inspection-photos",
               "credential_id": "site-credentials"}.get(arg, resource)
        path = re.sub(rf"<(?:\w+:)?{arg}>", str(ids[key]), path)
    return path + QUERIES.get(f"{method} {rule.rule}", lambda w: "")(world)


def expected(policy: str, role: str, path_has_site_a_id: bool) -> set[int]:
    if policy == PUBLIC:
        # login with a wrong password is a 401, never a 403; 503: WeChat login unconfigured
        return {200, 201, 204, 401, 503}
    if CALLER_RANK[role] < RANK[policy]:
        return {403}
    if role == "admin_b" and path_has_site_a_id:
        return {404}
    if role == "admin_b":
        return {200, 201, 202, 204, 403, 404}  # creating in site A: not granted / not found
    return {200, 201, 202, 204}


def test_every_route_declares_a_policy_and_bodies_exist(app):
    missing, no_body = [], []
    for rule, method in api_routes(app):
        policy, _ = policy_of(app, rule, method)
        if policy is None:
            missing.append(f"{method} {rule.rule}")
        if _takes_body(app, rule, method) and f"{method} {rule.rule}" not in BODIES:
            no_body.append(f"{method} {rule.rule}")
    assert not missing, f"routes without an @access policy: {missing}"
    assert not no_body, f"add a sample body to BODIES for: {no_body}"


def _takes_body(app, rule, method) -> bool:
    view = app.view_functions[rule.endpoint]
    fn = getattr(getattr(view, "view_class", None), method.lower(), view)
    params = getattr(fn, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    raw = getattr(fn, "_apidoc", {}).get("manual_doc", {}).get("requestBody")
    return bool(raw) or any(p.get("location") in ("json", "form", "files") for p in params)


@pytest.fixture(scope="module")
def route_cases(app):
    return api_routes(app)


# Reads and refused writes leave the world as they found it, so the world is built again only
# after a write that went through (or a read listed here, which consumes what it reads).
CONSUMING_READS: set[str] = set()


def test_walk_every_route_with_every_role(app, route_cases):
    from backend.accounts.tokens import issue_tokens
    from backend.extensions import db
    from tests.conftest import truncate_all

    failures = []
    client = app.test_client()
    app.config["GW_CONTROL_READBACK_MS"] = 0      # FIELD_READS answer 504 within 2 s
    world = tokens = None
    # the reads first, in one run on one world; then each write on a fresh one
    for rule, method in sorted(route_cases, key=lambda case: case[1] != "GET"):
        policy, refresh = policy_of(app, rule, method)
        key = f"{method} {rule.rule}"
        for role in ROLES:
            with app.app_context():
                if world is None:
                    truncate_all()
                    world = build_world()
                    tokens = {r: issue_tokens(world.users[r]) for r in ROLES}
                    db.session.commit()      # the refresh tokens' family rows
                path = resolve_path(rule, method, world)
                token = tokens[role]["refresh_token" if refresh else "access_token"]
                body = BODIES.get(key)
                sample = body(world) if body else None
                if isinstance(sample, tuple):  # (raw text, content type)
                    kwargs = {"data": sample[0], "content_type": sample[1]}
                else:
                    kwargs = {"json": sample} if sample is not None else {}
            headers = {"Authorization": f"Bearer {token}", **HEADERS.get(key, {})}
            r = client.open(path, method=method, headers=headers, **kwargs)
            # a refused write changed nothing (its transaction rolled back); a public route's
            # refusal may have (the login throttle)
            changed = r.status_code < 400 or policy == PUBLIC
            if (method != "GET" and changed) or key in CONSUMING_READS:
                world = None
            want = expected(policy, role, "<int:" in rule.rule)   # a site-A record's id
            if key in FIELD_READS and want & {200}:
                want = {504}
            if r.status_code not in want:
                failures.append(f"{role:10} {method:6} {path}: {r.status_code} "
                                f"(want {sorted(want)}) {r.get_json()}")
    app.config.pop("GW_CONTROL_READBACK_MS")
    with app.app_context():
        truncate_all()
    assert len(route_cases) >= 30
    assert not failures, "\n".join(failures)


def test_lists_never_show_another_sites_records(app, client):
    from backend.accounts.tokens import issue_tokens
    from tests.conftest import truncate_all

    with app.app_context():
        truncate_all()
        world = build_world()
        header = {"Authorization": f"Bearer {issue_tokens(world.users['admin_b'])['access_token']}"}
    for rule, method in api_routes(app):
        # Reads of one record named in the query string (energy trend, balance) are no lists.
        if method != "GET" or rule.arguments or f"GET {rule.rule}" in QUERIES:
            continue
        if rule.rule in ("/api/v1/uplink/watermark", "/api/v1/uplink/config",
                         "/api/v1/uplink/commands"):                     # a site's token
            continue
        r = client.get(rule.rule, headers=header)
        assert r.status_code == 200, (rule.rule, r.json)
        if not isinstance(r.json, list):
            continue
        for item in r.json:
            if "site_id" in item:
                assert item["site_id"] != world.site, (rule.rule, item)
            if "site_ids" in item:
                assert world.site not in item["site_ids"], (rule.rule, item)
    assert "staff_a" not in str(client.get("/api/v1/users", headers=header).json)
