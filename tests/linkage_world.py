"""The example facility imported (no simulator) with a manager and an admin of it, and a
second site: what the linkage save checks run against."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from backend.accounts.security import Actor
from backend.extensions import db
from backend.facility.transfer import import_yaml
from backend.models import Area, Device, Role, Site
from tests.factories import auth, make_user

FACILITY = Path(__file__).resolve().parent.parent / "examples" / "facility.yaml"


@pytest.fixture
def facility(app):
    with app.app_context():
        result = import_yaml(Actor.system("test"), FACILITY.read_text(encoding="utf-8"))
        other = Site(code="S2", name="另一监所")
        db.session.add(other)
        db.session.flush()
        other_area = Area(site_id=other.id, code="X1", name="外所区")
        db.session.add(other_area)
        db.session.flush()
        db.session.add(Device(site_id=other.id, code="LC-X1", name="外所排水泵", kind="load",
                              area_id=other_area.id))
        db.session.commit()
        site = db.session.get(Site, result["site_id"])
        users = {"m1": make_user("m1", Role.manager, [site]),
                 "ad": make_user("ad", Role.admin, [site]),
                 "s1": make_user("s1", Role.staff, [site])}
        return {"site": site.id, "other": other.id, "other_area": other_area.id,
                "ids": {d.code: d.id for d in db.session.scalars(select(Device))},
                "areas": {a.code: a.id for a in db.session.scalars(select(Area))},
                "h": {k: auth(u) for k, u in users.items()}}


def leak_rule(w, **over) -> dict:
    ids = w["ids"]
    body = {"site_id": w["site"], "name": "配电房水浸联动", "enabled": True,
            "condition": {"device_id": ids["ENV-PDF-LV"], "metric": "water_leak", "op": "==",
                          "value": True},
            "actions": [{"kind": "alarm", "level": "alarm", "message": "配电房水浸"},
                        {"kind": "command", "device_id": ids["LC-PDF-PUMP"], "action": "on"},
                        {"kind": "command", "device_id": ids["LC-PDF-SIREN"], "action": "on"},
                        {"kind": "command", "device_id": ids["LC-PDF-LIGHT"], "action": "on"},
                        {"kind": "popup"}],
            "clear_actions": [{"kind": "command", "device_id": ids["LC-PDF-SIREN"],
                               "action": "off"}],
            "cooldown_seconds": 60}
    body.update(over)
    return body
