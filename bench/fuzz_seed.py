"""What bench/api_fuzz.py fuzzes against: seeded records, and a schemathesis config that
makes path parameters take their real ids part of the time.

Without real ids nearly every case of an operation like ``GET /alarms/{alarm_id}`` is a
404 and the code behind it is never reached. ``seed`` builds, through the services and the
API itself (a Flask test client, so every record passes the same validation):

- the example facility (``examples/facility.yaml``) with alarms raised by the rule engine
  from over-voltage readings, an alarm rule, a maintenance window, a recipient, two repair
  orders with a photo, and other users: what GET, PUT, PATCH and POST cases address;
- a copy of the facility under another code, empty sites, users and a second photo:
  what DELETE cases address, so that a deletion never takes away the records the other
  operations use (or the fuzzing users' own accounts).

``config`` writes schemathesis 4's fuzz dictionaries (``[dictionaries.*]``) and binds each
path parameter of each operation to one (``[[operations]]`` by name, ``parameters`` with
a probability): the rest of the cases stay schema-generated, so unknown ids are still
tried. Site ids in query strings and bodies are bound the same way.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBABILITY = 0.5        # of a case taking a seeded id rather than a generated one
PASSWORD = "fuzz-password-1"
VICTIM_CODE = "DC-FUZZ-DEL"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
       b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05"
       b"\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
# The record kind behind each path parameter name (obj_id: the path's resource).
PARAM_KINDS = {"site_id": "sites", "user_id": "users", "device_id": "devices",
               "circuit_id": "circuits", "alarm_id": "alarms", "photo_id": "photos"}


def seed(settings) -> tuple[dict[str, str], dict[str, dict[str, list[int]]]]:
    """Tokens of a superadmin and a staff user, and the seeded ids: ``{"keep": {kind:
    [ids]}, "delete": {kind: [ids]}}``."""
    from sqlalchemy import select

    from backend import create_app
    from backend.accounts.operations import hash_password, issue_tokens
    from backend.accounts.security import Actor
    from backend.extensions import db
    from backend.facility.transfer import import_yaml
    from backend.models import Device, Role, Site, User

    app = create_app(settings)
    with app.app_context():
        text = (ROOT / "examples" / "facility.yaml").read_text(encoding="utf-8")
        site_id = import_yaml(Actor.system("fuzz"), text)["site_id"]
        victim_id = import_yaml(Actor.system("fuzz"), _victim_facility(text))["site_id"]
        site = db.session.get(Site, site_id)
        victim = db.session.get(Site, victim_id)
        empty = [Site(code=f"FUZZ-EMPTY-{i}", name=f"fuzz empty {i}") for i in range(5)]
        pw = hash_password(PASSWORD)

        def user(name, role, sites, **kw):
            return User(username=name, display_name=name, role=role, password_hash=pw,
                        token_version=1, sites=sites, **kw)
        users = {"admin": user("fuzz-admin", Role.admin, [site, victim], is_superadmin=True),
                 "staff": user("fuzz-staff", Role.staff, [site])}
        others = [user(f"fuzz-other-{i}", Role.staff, [site]) for i in range(3)]
        doomed = [user(f"fuzz-doomed-{i}", Role.staff, [victim]) for i in range(5)]
        db.session.add_all([*empty, *users.values(), *others, *doomed])
        db.session.commit()
        tokens = {role: issue_tokens(u)["access_token"] for role, u in users.items()}
        breakers = db.session.scalars(select(Device.id).where(
            Device.site_id == site_id, Device.kind == "breaker").order_by(Device.id)).all()
        _raise_alarms(breakers[:6])
        client = app.test_client()
        auth = {"Authorization": f"Bearer {tokens['admin']}"}
        _records(client, auth, site_id, others[0].id, keep=True)
        _records(client, auth, victim_id, doomed[0].id, keep=False)
        ids = {"keep": _ids(db, [site_id], [u.id for u in others]),
               "delete": _ids(db, [victim_id], [u.id for u in doomed])}
        ids["delete"]["sites"] = [s.id for s in empty]
        return tokens, ids


def _victim_facility(text: str) -> str:
    """The example facility under another site code, its gateways on other ports."""
    text = text.replace("code: DC-DEMO", f"code: {VICTIM_CODE}", 1)
    return re.sub(r"port: 150(\d\d)", r"port: 160\1", text)


def _raise_alarms(devices: list[int]) -> None:
    """Over-voltage on ``devices``, stored and evaluated as the poll job does, for long
    enough that the rule engine raises alarms."""
    from backend.alarms.evaluate import evaluate
    from backend.telemetry.ingest import ingest
    from backend.telemetry.status import record_poll_results

    values = {"voltage_a": 280.0, "voltage_b": 281.0, "voltage_c": 279.0, "current_a": 20.0,
              "current_b": 21.0, "current_c": 19.0, "temperature": 35.0,
              "leakage_current": 3.0, "frequency": 50.0, "active_power": 13.0,
              "switch_state": "closed", "trip_cause": "none", "mode": "auto"}
    now = datetime.now(timezone.utc).replace(microsecond=0)
    for at in (now - timedelta(seconds=s) for s in (180, 120, 60, 0)):
        ingest([(d, at, values) for d in devices], now=at)
        outcomes = [(d, True, None) for d in devices]
        record_poll_results(outcomes, at=at)
        evaluate(set(devices), outcomes, now=at)


def _records(client, auth: dict, site_id: int, user_id: int, *, keep: bool) -> None:
    """An alarm rule, a maintenance window, a recipient, repair orders and a photo in the
    site, made through the API."""
    from backend.extensions import db
    from backend.models import Alarm, Board

    now = datetime.now(timezone.utc) + timedelta(days=30)   # suppresses nothing today
    board = db.session.query(Board.id).filter_by(site_id=site_id).first().id

    def post(url, body):
        resp = client.post(f"/api/v1{url}", json=body, headers=auth)
        assert resp.status_code == 201, (url, resp.status_code, resp.get_json())
        return resp.get_json()["id"]
    post("/alarm-rules", {"site_id": site_id, "scope": "site", "rule": "over_temperature",
                          "level": "alarm", "threshold": 90})
    post("/maintenance-windows", {"site_id": site_id, "board_id": board, "starts_at": now.isoformat(),
                                  "ends_at": (now + timedelta(days=1)).isoformat(),
                                  "reason": "fuzz"})
    post("/alarm-recipients", {"site_id": site_id, "user_id": user_id, "tier": 1,
                               "min_level": "warning"})
    alarm = db.session.query(Alarm.id).filter_by(site_id=site_id).first()
    orders = [post("/repair-orders", {"site_id": site_id, "title": "fuzz"})]
    if alarm is not None and keep:
        orders.append(post("/repair-orders", {"alarm_id": alarm.id}))
    for order in orders:
        resp = client.post(f"/api/v1/repair-orders/{order}/photos", headers=auth,
                           data={"file": (_png_file(), "p.png", "image/png")},
                           content_type="multipart/form-data")
        assert resp.status_code == 201, (resp.status_code, resp.get_json())


def _png_file():
    import io

    return io.BytesIO(PNG)


def _ids(db, sites: list[int], users: list[int]) -> dict[str, list[int]]:
    from sqlalchemy import select

    from backend import models as m

    kinds = {"areas": m.Area, "rooms": m.DistributionRoom, "boards": m.Board,
             "circuits": m.Circuit, "gateways": m.Gateway, "devices": m.Device,
             "alarms": m.Alarm, "alarm-rules": m.AlarmRule,
             "maintenance-windows": m.MaintenanceWindow, "alarm-recipients": m.AlarmRecipient,
             "repair-orders": m.RepairOrder}
    out = {kind: list(db.session.scalars(select(model.id).where(model.site_id.in_(sites))
                                         .order_by(model.id)).all())
           for kind, model in kinds.items()}
    out["photos"] = list(db.session.scalars(select(m.RepairPhoto.id).where(
        m.RepairPhoto.order_id.in_(out["repair-orders"]))).all())
    out["sites"], out["users"] = list(sites), list(users)
    return out


def config(spec: dict, ids: dict, probability: float = PROBABILITY) -> str:
    """schemathesis.toml: a dictionary per record kind and its use per operation."""
    lines = []
    for use, kinds in ids.items():
        for kind, values in sorted(kinds.items()):
            if values:
                lines += [f"[dictionaries.{use}-{kind}]", f"values = {json.dumps(values)}", ""]
    site = f'{{ dictionary = "keep-sites", probability = {probability} }}'
    lines += ["[parameters]", f'"query.site_id" = {site}', f'"body.site_id" = {site}', ""]
    for path, item in sorted(spec["paths"].items()):
        names = re.findall(r"{(\w+)}", path)
        if not names:
            continue
        resource = path.split("/")[3]
        for method in sorted(m for m in item if m in ("get", "put", "patch", "post", "delete")):
            # A DELETE takes the doomed records, every path parameter from the same set
            # (a photo of a doomed order); the others take the kept ones.
            use = "delete" if method == "delete" else "keep"
            binds = [f'"path.{name}" = {{ dictionary = "{use}-{kind}", '
                     f"probability = {probability} }}"
                     for name in names
                     if ids[use].get(kind := PARAM_KINDS.get(name, resource))]
            if binds:
                lines += ["[[operations]]", f'include-name = "{method.upper()} {path}"',
                          f"parameters = {{ {', '.join(binds)} }}", ""]
    return "\n".join(lines)


def not_found_report(spec: dict, access_log: Path, start: int = 0) -> str:
    """From the API's access log (from byte ``start``): the requests to operations with a
    path parameter whose every id was well formed (1 to 2^31 - 1; the others are rightly
    404), how many of those found no record (404), and the operations where most did."""
    templates = sorted(spec["paths"], key=lambda p: p.count("{"))   # literal paths first
    patterns = [(t, re.compile("^" + re.sub(r"{\w+}", "([^/]+)", t) + "$")) for t in templates
                if "{" in t]
    line = re.compile(r'"([A-Z]+) ([^ ?"]+)[^"]* HTTP/[\d.]+" (\d{3}) ')
    counts: dict[str, list[int]] = {}
    with open(access_log, "rb") as fh:
        fh.seek(start)
        for raw in fh:
            m = line.search(raw.decode("utf-8", "replace"))
            if not m:
                continue
            method, path, status = m.groups()
            op, values = next(((t, rx.match(path).groups()) for t, rx in patterns
                               if rx.match(path)), (None, ()))
            if (op is None or method.lower() not in spec["paths"][op]
                    or not all(v.isdigit() and 1 <= int(v) < 2**31 for v in values)):
                continue
            c = counts.setdefault(f"{method} {op}", [0, 0])
            c[0] += 1
            c[1] += status == "404"
    mostly = sorted(op for op, (n, nf) in counts.items() if nf * 2 > n)
    total, nf = sum(c[0] for c in counts.values()), sum(c[1] for c in counts.values())
    return (f"requests with well-formed ids in the path: {total} to {len(counts)} operations, "
            f"{nf / max(total, 1):.0%} answered 404; mostly 404 ({len(mostly)}): "
            + ", ".join(mostly))
