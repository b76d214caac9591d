"""Large imports: set-based (the statements do not grow with the records), bounded (413
above the limits, 503 past the time limit, nothing written), and the same rules and
answers as the services record by record (backend/facility/transfer_rules.py)."""
from __future__ import annotations

import csv
import io
import threading

import pytest
from sqlalchemy import create_engine, event, func, select, text

from backend.extensions import db
from backend.models import AuditEntry, Device, Gateway, Site
from tests.test_transfer import import_example, post_yaml, table_counts
from tests.test_transfer_csv import post_csv

HEADER = "code,name,kind,circuit,gateway,unit_id,poles,rated_current\n"


def devices(n: int, *, start: int = 100, name: str = "断路器", units: bool = True) -> str:
    """``n`` breakers on the example site; with ``units``, the first 440 on its two gateways
    (unit ids 20-239, free there)."""
    rows = []
    for i in range(n):
        gw, unit = (("GW-LV", "GW-JQ1")[i % 2], 20 + i // 2) if units and i < 440 else ("", "")
        rows.append(f"N{start + i:05d},{name}{i},breaker,AA1-WL1,{gw},{unit},3P,63\n")
    return HEADER + "".join(rows)


@pytest.fixture
def site_id(client, root):
    return import_example(client, root)["site_id"]


class Statements:
    """Counts the SQL statements the app's engine sends (executemany batches count once)."""

    def __init__(self):
        self.n = 0

    def __call__(self, *args):
        self.n += 1

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self)


def test_statements_do_not_grow_with_the_records(client, root, site_id):
    counts = {}
    for n, start in ((20, 100), (400, 1000)):
        with Statements() as stmts:
            r = post_csv(client, root, site_id, devices(n, start=start, units=False))
        assert r.status_code == 200 and r.json["created"] == {"devices": n}, r.json
        counts[n] = stmts.n
    assert counts[20] == counts[400], counts
    with Statements() as stmts:            # every row updated: the same again
        r = post_csv(client, root, site_id, devices(400, start=1000, name="新名", units=False))
    assert r.json["updated"] == {"devices": 400} and stmts.n <= counts[400] + 2, stmts.n


def test_a_large_import_creates_updates_and_audits_every_record(client, root, site_id):
    body = devices(3000)
    audits = db.session.scalar(select(func.count()).select_from(AuditEntry))
    dry = post_csv(client, root, site_id, body, dry_run="true")
    assert dry.status_code == 200 and dry.json["created"] == {"devices": 3000}, dry.json
    r = post_csv(client, root, site_id, body)
    assert r.status_code == 200 and r.json == {**dry.json, "dry_run": False}
    db.session.expire_all()
    creates = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "create", AuditEntry.entity_type == "device").order_by(AuditEntry.id.desc()).limit(1)).one()
    dev = db.session.get(Device, creates.entity_id)
    assert creates.after["code"] == dev.code and creates.after["rated_current"] == 63
    assert creates.site_id == site_id and "created_at" not in creates.after
    # one create entry per device and one import summary
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audits + 3001
    again = post_csv(client, root, site_id, body)
    assert again.json["unchanged"] == {"devices": 3000}, again.json
    renamed = body.replace(",断路器", ",新断路器")
    r = post_csv(client, root, site_id, renamed)
    assert r.json["updated"] == {"devices": 3000}, r.json
    upd = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "update")
                             .order_by(AuditEntry.id.desc()).limit(1)).one()
    assert set(upd.before) == set(upd.after) == {"name"}
    assert upd.after["name"].startswith("新断路器")


def test_errors_of_a_large_file_keep_their_lines(client, root, site_id):
    rows = devices(2500).splitlines(keepends=True)
    rows[1200] = rows[1200].replace("breaker,AA1-WL1", "breaker,NOPE")      # line 1201
    rows[2400] = rows[2400].replace(",3P,63", ",9P,63")                      # line 2401
    rows.append(rows[5].replace("断路器", "另一个"))                          # line 2502
    before = table_counts()
    r = post_csv(client, root, site_id, "".join(rows))
    assert r.status_code == 422 and r.json["error"] == "import_invalid", r.json
    assert [(e["line"], e["field"]) for e in r.json["errors"]] == [
        (1201, "circuit"), (2401, "poles"), (2502, "code")], r.json["errors"]
    assert table_counts() == before


def test_a_file_above_the_limits_is_413_naming_it(client, root, site_id, app, monkeypatch):
    monkeypatch.setitem(app.config, "GW_IMPORT_MAX_RECORDS", 10)
    before = table_counts()
    r = post_csv(client, root, site_id, devices(11))
    assert r.status_code == 413, r.json
    assert r.json["error"] == "import_too_large" and list(r.json["errors"]) == \
        ["import_max_records"]
    assert "10" in r.json["message"] and "GW_IMPORT_MAX_RECORDS" in r.json["message"]
    assert post_csv(client, root, site_id, devices(10)).status_code == 200
    many = "version: 1\nsite: {code: BIG, name: 大}\nareas:\n" + "".join(
        f"  - {{code: A{i}, name: a}}\n" for i in range(11))
    r = post_yaml(client, root, many.encode())
    assert (r.status_code, r.json["error"]) == (413, "import_too_large"), r.json
    monkeypatch.setitem(app.config, "GW_IMPORT_MAX_BYTES", 100)
    r = post_csv(client, root, site_id, devices(5))
    assert (r.status_code, r.json["error"]) == (413, "import_too_large"), r.json
    assert list(r.json["errors"]) == ["import_max_bytes"]
    r = client.post("/api/v1/facility/import", headers=root, content_type="multipart/form-data",
                    data={"file": (io.BytesIO(many.encode()), "big.yaml")})
    assert (r.status_code, r.json["error"]) == (413, "import_too_large"), r.json
    assert table_counts()["devices"] == before["devices"] + 10
    assert db.session.scalar(select(func.count()).select_from(Site)) == 1


def test_an_import_past_its_time_is_rolled_back(client, root, site_id, app, monkeypatch):
    monkeypatch.setitem(app.config, "GW_IMPORT_MAX_SECONDS", 0)
    before = table_counts()
    r = post_csv(client, root, site_id, devices(5))
    assert (r.status_code, r.json["error"]) == (503, "import_timeout"), r.json
    assert "GW_IMPORT_MAX_SECONDS" in r.json["message"] and r.headers["Retry-After"]
    assert table_counts() == before


def test_a_blocked_import_is_cancelled_by_the_database(client, root, site_id, app, urls,
                                                       monkeypatch):
    """Another transaction holds the row: PostgreSQL's statement_timeout (the time left)
    cancels the UPDATE; the import answers 503 and writes nothing."""
    monkeypatch.setitem(app.config, "GW_IMPORT_MAX_SECONDS", 2)
    exported = client.get(f"/api/v1/sites/{site_id}/devices.csv", headers=root)
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    rows[0]["name"] = "改名"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    other = create_engine(urls["database_url"])
    locked, release = threading.Event(), threading.Event()

    def hold():
        with other.begin() as conn:
            conn.execute(text("SELECT id FROM devices WHERE code = :c FOR UPDATE"),
                         {"c": rows[0]["code"]})
            locked.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        r = post_csv(client, root, site_id, buf.getvalue())
    finally:
        release.set()
        holder.join()
        other.dispose()
    assert (r.status_code, r.json["error"]) == (503, "import_timeout"), r.json
    db.session.expire_all()
    assert db.session.scalar(select(Device.name).where(Device.code == rows[0]["code"])) != "改名"


@pytest.mark.parametrize("body, csv_row", [
    ({"kind": "meter", "poles": "3P"}, "meter,,,,3P"),
    ({"kind": "meter", "gateway_id": "GW-LV"}, "meter,,GW-LV,,"),
    ({"kind": "camera", "unit_id": 5}, "camera,,,5,"),
])
def test_the_import_and_the_api_say_the_same(client, root, site_id, body, csv_row):
    """One mistake through POST /devices and through the import: the same field, message."""
    gateways = dict(db.session.execute(select(Gateway.code, Gateway.id)).all())
    payload = {"site_id": site_id, "code": "X1", "name": "x", **body}
    if "gateway_id" in payload:
        payload["gateway_id"] = gateways[payload["gateway_id"]]
    api = client.post("/api/v1/devices", headers=root, json=payload)
    assert api.status_code == 422, api.json
    (field, msgs), = api.json["errors"].items()
    r = post_csv(client, root, site_id, f"code,name,kind,circuit,gateway,unit_id,poles\n"
                                        f"X1,x,{csv_row}\n")
    assert r.status_code == 422, r.json
    (err,) = r.json["errors"]
    assert (err["field"], err["message"]) == (field.replace("_id", "") if field != "unit_id"
                                              else field, msgs[0])
