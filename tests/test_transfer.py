"""Bulk import/export of a site's whole description (YAML); permissions.

The CSV device list and the command line: tests/test_transfer_csv.py.
"""
from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select, text

from backend.extensions import db
from backend.models import AuditEntry, Device, Role, Site
from tests.conftest import TABLES, truncate_all
from tests.factories import auth, make_site, make_user

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = (ROOT / "examples" / "facility.yaml").read_text(encoding="utf-8")
YAML = "application/yaml"
EXAMPLE_COUNTS = {"site": 1, "areas": 8, "rooms": 4, "gateways": 2, "knx_gateways": 1,
                  "boards": 6, "circuits": 20, "devices": 25}




def post_yaml(client, headers, body, **query):
    return client.post("/api/v1/facility/import", data=body, content_type=YAML,
                       headers=headers, query_string=query)


def table_counts() -> dict:
    return {t: db.session.scalar(text(f"SELECT count(*) FROM {t}")) for t in TABLES}


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


def import_example(client, headers) -> dict:
    r = post_yaml(client, headers, EXAMPLE.encode())
    assert r.status_code == 200, r.json
    return r.json


def find(nodes, code, key="circuits"):
    """Depth-first search of a topology tree (boards -> circuits -> boards ...)."""
    for node in nodes:
        if node["code"] == code:
            return node
        for child_key in ("circuits", "boards"):
            hit = find(node.get(child_key, []), code, key)
            if hit:
                return hit
    return None


def test_import_example_then_topology(client, root):
    result = import_example(client, root)
    assert result["created"] == EXAMPLE_COUNTS and not any(result["updated"].values())
    assert result["dry_run"] is False
    site = db.session.get(Site, result["site_id"])
    assert (site.code, site.name, site.floor_area_m2) == ("DC-DEMO", "示范看守所", 18500)

    topo = client.get(f"/api/v1/sites/{site.id}/topology", headers=root).json
    assert [b["code"] for b in topo["boards"]] == ["AA1"]          # the only utility-fed root
    wl1 = find(topo["boards"], "AA1-WL1")
    assert [b["code"] for b in wl1["boards"]] == ["AP-JQ1"]        # level 2 under its feeder
    assert find(topo["boards"], "AA1-IN")["circuits"][0]["code"].startswith("AA1-WL")
    assert [b["code"] for b in find(topo["boards"], "AP-JQ1-WL1")["boards"]] == ["AL-JQ1-1"]
    assert find(wl1["boards"], "AL-JQ1-1")["level"] == 3
    assert [d["code"] for d in wl1["devices"]] == ["QF-AA1-WL1"]
    assert {d["code"] for d in find(topo["boards"], "AA1-IN")["devices"]} == {"PM-AA1-IN",
                                                                             "TS-AA1"}
    corridor = find(topo["boards"], "AL-JQ1-1-WL1")["devices"]
    assert {d["code"] for d in corridor} == {"KNX-JQ1-L1", "QF-AL1-WL1"}
    assert {d["code"] for d in topo["unattached_devices"]} == {
        "CAM-JQ1-01", "CAM-PDF-LV", "ENV-PDF-LV", "ENV-PDJ-JQ1", "LC-PDF-PUMP", "LC-PDF-SIREN",
        "LC-PDF-LIGHT", "LV-PDF-PIT", "KNX-JQ1-L3"}
    knx = db.session.scalar(select(Device).where(Device.code == "KNX-JQ1-L1"))
    assert knx.attributes == {"switch": "1/2/3", "switch_state": "1/2/4"}
    assert knx.knx_gateway_id is not None
    qf = db.session.scalar(select(Device).where(Device.code == "QF-AL1-WL2"))
    assert (qf.poles, qf.rated_current, qf.rated_residual_current, qf.unit_id) == \
        ("1P+N", 20, 30, 6)
    imports = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "import")).all()
    assert len(imports) == 1 and imports[0].entity_type == "site"
    assert imports[0].after["created"]["circuits"] == 20
    # the per-record entries of the services were written too
    assert audit_count() > sum(EXAMPLE_COUNTS.values())


def test_importing_twice_changes_nothing(client, root):
    first = import_example(client, root)
    before = audit_count()
    r = client.post("/api/v1/facility/import", headers=root, content_type="multipart/form-data",
                    data={"file": (io.BytesIO(EXAMPLE.encode()), "facility.yaml")})
    assert r.status_code == 200, r.json
    assert r.json["site_id"] == first["site_id"]
    assert not any(r.json["created"].values()) and not any(r.json["updated"].values())
    assert r.json["unchanged"] == EXAMPLE_COUNTS
    assert audit_count() == before

    # one changed field: one update, one audit entry for it and one import summary
    changed = EXAMPLE.replace("rated_current: 250, trip_curve: C, rated_power: 120}\n  - {code: "
                              "QF-AA1-WL2", "rated_current: 200, trip_curve: C, rated_power: 120}"
                              "\n  - {code: QF-AA1-WL2", 1)
    assert changed != EXAMPLE
    r = post_yaml(client, root, changed.encode())
    assert r.status_code == 200 and r.json["updated"]["devices"] == 1, r.json
    assert r.json["unchanged"]["devices"] == 24
    assert audit_count() == before + 2


def test_export_round_trips_through_an_empty_database(client, root, app):
    site_id = import_example(client, root)["site_id"]
    r = client.get(f"/api/v1/sites/{site_id}/export", headers=root)
    assert r.status_code == 200 and r.mimetype == "application/yaml"
    assert r.headers["Content-Disposition"] == 'attachment; filename="DC-DEMO.yaml"'
    exported = r.get_data(as_text=True)
    assert "示范看守所" in exported and "\\u" not in exported
    doc = yaml.safe_load(exported)
    assert [c["code"] for c in doc["circuits"]] == sorted(c["code"] for c in doc["circuits"])
    assert doc["boards"][0] == {"code": "AA1", "name": "低压总配电柜", "level": 1,
                                "room": "PDF-LV", "area": "SBQ"}

    truncate_all()
    headers = auth(make_user("root2", Role.admin, superadmin=True))
    r = post_yaml(client, headers, exported.encode())
    assert r.status_code == 200 and r.json["created"] == EXAMPLE_COUNTS, r.json
    again = client.get(f"/api/v1/sites/{r.json['site_id']}/export", headers=headers)
    assert again.get_data(as_text=True) == exported


ERRORS_FILE = """\
version: 1
site: {code: DC-ERR, name: 错误示范所}
areas:
  - {code: A1, name: 一监区}
  - code: A2
    name: 二监区
    kind: prison
rooms:
  - {code: R1, kind: low_voltage}
gateways:
  - {code: GW1, name: 网关, host: 127.0.0.1}
boards:
  - {code: B1, name: 总柜, room: R404}
  - {code: B2, name: 分柜, level: 2, feeder: C3}
circuits:
  - {code: C1, name: 回路1, board: B2, parent: C2}
  - {code: C2, name: 回路2, board: B2, parent: C1}
  - {code: C3, name: 回路3, board: B2}
devices:
  - {code: D1, name: 断路器1, kind: breaker, circuit: C3, gateway: GW1, unit_id: 5}
  - {code: D2, name: 断路器2, kind: breaker, circuit: C3, gateway: GW1, unit_id: 5}
  - {code: D3, name: 电表, kind: meter, circuit: C404}
"""


def test_every_error_is_listed_with_its_line_and_nothing_is_written(client, root):
    make_site("OTHER", "别的所")
    before = table_counts()
    r = post_yaml(client, root, ERRORS_FILE.encode())
    assert r.status_code == 422 and r.json["error"] == "import_invalid", r.json
    got = [(e["line"], e["path"], e["message"]) for e in r.json["errors"]]
    assert [(line, path) for line, path, _ in got] == [
        (7, "areas[1].kind"),                 # a bad enum value: the line of the field
        (9, "rooms[0].name"),                 # a missing required field: the record's line
        (13, "boards[0].room"),               # an unknown reference
        (14, "boards[1].feeder"),             # a board fed by its own circuit: a cycle
        (16, "circuits[0].parent"),           # a cycle: both members
        (17, "circuits[1].parent"),
        (21, "devices[1].unit_id"),           # a duplicate unit id on a gateway
        (22, "devices[2].circuit"),           # an unknown reference
    ], got
    msgs = dict(((line, path), m) for line, path, m in got)
    assert "Must be one of" in msgs[(7, "areas[1].kind")]
    assert "R404" in msgs[(13, "boards[0].room")]
    assert "cycle" in msgs[(16, "circuits[0].parent")]
    assert "D1" in msgs[(21, "devices[1].unit_id")] and "GW1" in msgs[(21, "devices[1].unit_id")]
    assert "line 7" in r.json["message"]
    assert table_counts() == before


@pytest.mark.parametrize("body, line, words", [
    ("site:\n  code: X\n  name: [unclosed\n", 4, "YAML syntax"),
    ("site: {code: X, name: x}\nareas:\n  - {code: A\n", 4, "YAML syntax"),
    ("", 1, "empty"),
    ("   \n", 1, "empty"),
    ("- a\n- b\n", 1, "mapping"),
    ("just text", 1, "mapping"),
    ("site: {code: X, name: x}\nsite: {code: Y, name: y}\n", 2, "duplicate key"),
    ("a: &x 1\nb: *x\n", 2, "aliases"),
])
def test_unreadable_files_are_422_with_a_line(client, root, body, line, words):
    r = post_yaml(client, root, body.encode())
    assert r.status_code == 422, r.json
    assert r.json["error"] == "import_invalid"
    assert r.json["errors"][0]["line"] == line and words in r.json["errors"][0]["message"], r.json
    assert table_counts()["sites"] == 0


def test_not_utf8_and_odd_shapes_are_422(client, root):
    r = post_yaml(client, root, "site: {code: X, name: 看守所}".encode("gbk"))
    assert r.status_code == 422 and "UTF-8" in r.json["message"]
    r = post_yaml(client, root, b"site: {code: X, name: x}\nareas: {code: A}\nfoo: 1\n")
    assert r.status_code == 422
    assert {(e["line"], e["path"]) for e in r.json["errors"]} == {(2, "areas"), (3, "foo")}
    r = post_yaml(client, root, "site: {code: X, name: x}\nareas:\n  - 一监区\n"
                                "  - {code: 101, name: x, parent: [A]}\n".encode())
    assert [(e["line"], e["path"]) for e in r.json["errors"]] == [
        (3, "areas[0]"), (4, "areas[1].code"), (4, "areas[1].parent")], r.json
    r = client.post("/api/v1/facility/import", headers=root, content_type="multipart/form-data",
                    data={"other": (io.BytesIO(b"x"), "f.yaml")})
    assert r.status_code == 422 and "file" in r.json["message"]


def test_dry_run_writes_nothing(client, root):
    r = post_yaml(client, root, EXAMPLE.encode(), dry_run="true")
    assert r.status_code == 200, r.json
    assert r.json["dry_run"] is True and r.json["site_id"] is None
    assert r.json["created"] == EXAMPLE_COUNTS
    # The caller and its token (a refresh family) exist; nothing else does.
    assert all(n == 0 for t, n in table_counts().items() if t not in ("users", "refresh_families"))

    site_id = import_example(client, root)["site_id"]
    before, audits = table_counts(), audit_count()
    changed = EXAMPLE.replace("name: 示范看守所", "name: 示范看守所（新）")
    r = post_yaml(client, root, changed.encode(), dry_run="1")
    assert r.status_code == 200 and r.json["site_id"] == site_id
    assert r.json["updated"]["site"] == 1 and r.json["unchanged"]["devices"] == 25
    assert table_counts() == before and audit_count() == audits
    db.session.expire_all()
    assert db.session.get(Site, site_id).name == "示范看守所"
    # a dry run reports errors exactly like the real thing
    r = post_yaml(client, root, ERRORS_FILE.encode(), dry_run="true")
    assert r.status_code == 422 and len(r.json["errors"]) == 8


def test_permissions(client, ctx):
    a, b = make_site("A", "甲所"), make_site("B", "乙所")
    manager = auth(make_user("manager_a", Role.manager, [a]))
    admin_a = auth(make_user("admin_a", Role.admin, [a]))
    admin_b = auth(make_user("admin_b", Role.admin, [b]))
    own = "version: 1\nsite: {code: A, name: 甲所}\nareas:\n  - {code: AR1, name: 一监区}\n"
    for method, path in (("post", "/api/v1/facility/import"),
                         ("get", f"/api/v1/sites/{a.id}/export"),
                         ("get", f"/api/v1/sites/{a.id}/devices.csv"),
                         ("post", f"/api/v1/sites/{a.id}/devices.csv")):
        r = getattr(client, method)(path, headers=manager, data=own.encode(),
                                    content_type=YAML)
        assert r.status_code == 403, (path, r.json)
        if "sites" in path:   # an admin of another site: site A is not revealed
            r = getattr(client, method)(path, headers=admin_b, data=b"code,name,kind\n",
                                        content_type="text/csv")
            assert r.status_code == 404, (path, r.json)
    # Another admin's site and a new code get the same answer: no code is revealed.
    r = post_yaml(client, admin_b, own.encode())
    taken = (r.status_code, r.json["error"], r.json["message"])
    assert taken[:2] == (403, "superadmin_required")
    r = post_yaml(client, admin_a, own.replace("code: A,", "code: NEW,").encode())
    assert (r.status_code, r.json["error"], r.json["message"]) == taken
    r = post_yaml(client, admin_a, own.encode())
    assert r.status_code == 200 and r.json["created"]["areas"] == 1, r.json
    assert r.json["unchanged"]["site"] == 1
    assert table_counts()["sites"] == 2
