"""Bulk import/export of a site's device list (CSV), and the command line."""
from __future__ import annotations

import csv
import io
from importlib import import_module

import yaml
from click.testing import CliRunner
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import Device, Site
from tests.test_transfer import ERRORS_FILE, ROOT, audit_count, import_example, table_counts

EXAMPLE_CSV = (ROOT / "examples" / "devices.csv").read_text(encoding="utf-8")


def csv_text(r) -> str:
    assert r.status_code == 200, r.json
    assert r.mimetype == "text/csv"
    body = r.get_data(as_text=True)
    assert body.startswith("\ufeff")               # spreadsheets read it as UTF-8
    return body[1:]


def post_csv(client, headers, site_id, body: str, **query):
    return client.post(f"/api/v1/sites/{site_id}/devices.csv", data=body.encode(),
                       content_type="text/csv", headers=headers, query_string=query)


def test_csv_export_import_round_trip(client, root):
    site_id = import_example(client, root)["site_id"]
    r = client.get(f"/api/v1/sites/{site_id}/devices.csv", headers=root)
    exported = csv_text(r)
    assert r.headers["Content-Disposition"] == 'attachment; filename="DC-DEMO-devices.csv"'
    assert exported == EXAMPLE_CSV                  # examples/devices.csv is the export
    audits = audit_count()
    r = post_csv(client, root, site_id, exported)
    assert r.status_code == 200, r.json
    assert r.json["unchanged"] == {"devices": 25} and r.json["created"] == {"devices": 0}
    assert audit_count() == audits
    dry = post_csv(client, root, site_id, exported.replace(",3P,160,C,", ",3P,125,C,"),
                   dry_run="true")
    assert dry.status_code == 200 and dry.json["updated"] == {"devices": 1}, dry.json
    assert audit_count() == audits and csv_text(client.get(
        f"/api/v1/sites/{site_id}/devices.csv", headers=root)) == exported

    rows = list(csv.DictReader(io.StringIO(exported)))
    qf = next(row for row in rows if row["code"] == "QF-JQ1-WL2")
    qf["rated_current"], qf["trip_curve"] = "32", "D"
    rows.append({**qf, "code": "QF-JQ1-WL9", "name": "备用回路断路器", "unit_id": "9",
                 "circuit": "", "rated_residual_current": "30"})
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    r = post_csv(client, root, site_id, buf.getvalue())
    assert r.status_code == 200, r.json
    assert (r.json["created"], r.json["updated"]) == ({"devices": 1}, {"devices": 1})
    assert r.json["unchanged"] == {"devices": 24}
    again = csv_text(client.get(f"/api/v1/sites/{site_id}/devices.csv", headers=root))
    assert list(csv.DictReader(io.StringIO(again))) == sorted(rows, key=lambda x: x["code"])
    # the stream URL and attributes (not CSV columns) were left alone
    cam = db.session.scalar(select(Device).where(Device.code == "CAM-JQ1-01"))
    assert cam.stream_url == "rtsp://127.0.0.1:8554/jq1-corridor-01"
    pump = db.session.scalar(select(Device).where(Device.code == "LC-PDF-PUMP"))
    assert pump.attributes == {"role": "pump"}

    # a spreadsheet's GB18030 file and a partial column set
    partial = "code,name,kind,unit_id\nQF-JQ1-WL9,备用断路器,breaker,9\n".encode("gb18030")
    r = client.post(f"/api/v1/sites/{site_id}/devices.csv", data=partial,
                    content_type="text/csv", headers=root)
    assert r.status_code == 200 and r.json["updated"] == {"devices": 1}, r.json
    dev = db.session.scalar(select(Device).where(Device.code == "QF-JQ1-WL9"))
    assert (dev.name, dev.poles, dev.gateway_id is not None) == ("备用断路器", "3P", True)


def test_csv_errors_carry_the_line_and_nothing_is_written(client, root):
    site_id = import_example(client, root)["site_id"]
    before = table_counts()
    body = ("code,name,kind,circuit,gateway,unit_id,poles\n"
            "N1,新断路器1,breaker,AA1-WL1,GW-LV,40,3P\n"
            "N2,新断路器2,toaster,AA1-WL1,GW-LV,41,3P\n"
            "\n"
            "N3,新断路器3,breaker,NOPE,GW-LV,42,3P\n"
            "N4,新断路器4,breaker,AA1-WL1,GW-LV,2,3P\n"
            "N5,新电表,meter,AA1-WL1,GW-LV,43,3P\n"
            "N6,只有两格\n"
            "N1,重复,breaker,,,,\n")
    r = post_csv(client, root, site_id, body)
    assert r.status_code == 422 and r.json["error"] == "import_invalid", r.json
    got = [(e["line"], e.get("field"), e["message"]) for e in r.json["errors"]]
    assert [(line, field) for line, field, _ in got] == [
        (3, "kind"), (5, "circuit"), (6, "unit_id"), (7, "poles"), (8, None), (9, "code")], got
    assert "QF-AA1-WL1" in got[2][2] and "breakers only" in got[3][2]
    assert table_counts() == before
    r = post_csv(client, root, site_id, "code,name,colour\nX,y,red\n")
    assert r.status_code == 422
    assert [(e["line"], e["message"]) for e in r.json["errors"]] == [
        (1, "unknown column 'colour'; expected " + ",".join(
            import_module("backend.facility.transfer").CSV_COLUMNS)), (1, "missing column 'kind'")]
    assert post_csv(client, root, site_id, "").status_code == 422


def test_cli_import_and_export(app, urls, tmp_path):
    from backend.cli import main
    from backend.cli.transfer import register

    if "import" not in main.commands:
        register(main)
    env = {"DATABASE_URL": urls["database_url"], "REDIS_URL": urls["redis_url"],
           "GW_ENV": "test", "GW_DATA_DIR": str(tmp_path), "GW_SECRET_KEY": "s" * 40}
    runner = CliRunner(env=env)
    example = str(ROOT / "examples" / "facility.yaml")
    r = runner.invoke(main, ["import", example, "--dry-run"])
    assert r.exit_code == 0, r.output
    assert "dry run" in r.output and "20 circuits" in r.output
    r = runner.invoke(main, ["import", example])
    assert r.exit_code == 0, r.output
    assert "created  : 1 site, 8 areas, 4 rooms, 2 gateways, 1 knx gateways, 6 boards, 20 circuits, " \
           "25 devices" in r.output
    r = runner.invoke(main, ["import", example])
    assert r.exit_code == 0 and "created  : nothing" in r.output, r.output

    bad = tmp_path / "bad.yaml"
    bad.write_text(ERRORS_FILE, encoding="utf-8")
    r = runner.invoke(main, ["import", str(bad)])
    assert r.exit_code == 1
    assert f"{bad}:7: areas[1].kind: Must be one of" in r.output
    assert f"{bad}:21: devices[1].unit_id" in r.output and "nothing was written" in r.output

    out = tmp_path / "out.yaml"
    r = runner.invoke(main, ["export", "DC-DEMO", "-o", str(out)])
    assert r.exit_code == 0, r.output
    r2 = runner.invoke(main, ["export", "DC-DEMO"])
    assert r2.exit_code == 0 and r2.stdout == out.read_text(encoding="utf-8")
    assert yaml.safe_load(r2.stdout)["site"]["name"] == "示范看守所"
    assert runner.invoke(main, ["export", "NOPE"]).exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Site)) == 1
