"""Energy analytics against real PostgreSQL: time-of-use cost, carbon, comparisons,
shares, rankings, KPIs, the capacity check and reports. Every expectation is computed
by hand in the comments.

The world (site A, Asia/Shanghai, UTC+8): board AA1 with the incomer IN (meter M0)
feeding WL1 (breaker B1, area JQ1, category lighting) and WL2 (breaker B2, area BG,
category power). Site B: one breaker DB. Energy is booked either through telemetry
ingest and the rollup job, or as rolled slots (``book``) summed into days and months by
the rollup's own SQL.
"""
from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from backend.energy import periods, rollup
from backend.extensions import db
from backend.models import Area, Board, Circuit, Device, Role, Site
from backend.telemetry import ingest
from tests.factories import auth, make_site, make_user

SH = ZoneInfo("Asia/Shanghai")
TODAY = datetime.now(SH).date()
THIS_MONTH = TODAY.replace(day=1)
LAST_MONTH = (THIS_MONTH - timedelta(days=1)).replace(day=1)


def local(d: date, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hh, mm, tzinfo=SH)


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def build() -> dict:
    a, b = make_site("A", "甲所"), make_site("B", "乙所")
    w = {"site": a.id, "site_b": b.id}

    def add(obj):
        db.session.add(obj)
        db.session.flush()
        return obj.id

    w["jq1"] = add(Area(site_id=a.id, code="JQ1", name="一监区"))
    w["bg"] = add(Area(site_id=a.id, code="BG", name="办公区"))
    w["aa1"] = add(Board(site_id=a.id, code="AA1", name="总柜", level=1))
    w["in"] = add(Circuit(site_id=a.id, code="IN", name="总进线", board_id=w["aa1"],
                          category="incomer"))
    for code, area, cat in (("wl1", "jq1", "lighting"), ("wl2", "bg", "power")):
        w[code] = add(Circuit(site_id=a.id, code=code.upper(), name=code, board_id=w["aa1"],
                              parent_id=w["in"], area_id=w[area], category=cat))
    w["m0"] = add(Device(site_id=a.id, code="M0", name="总表", kind="meter",
                         profile="eastron-sdm630", circuit_id=w["in"]))
    for code, circuit in (("b1", "wl1"), ("b2", "wl2")):
        w[code] = add(Device(site_id=a.id, code=code.upper(), name=code, kind="breaker",
                             profile="gw-breaker", circuit_id=w[circuit], rated_current=63.0))
    bb = add(Board(site_id=b.id, code="AA1", name="总柜", level=1))
    w["cb"] = add(Circuit(site_id=b.id, code="C1", name="总", board_id=bb, category="incomer"))
    w["db"] = add(Device(site_id=b.id, code="DB", name="b", kind="breaker",
                         profile="gw-breaker", circuit_id=w["cb"]))
    db.session.commit()
    w["h"] = auth(make_user("staff_a", Role.staff, [a]))
    w["ha"] = auth(make_user("admin_a", Role.admin, [a]))
    w["hb"] = auth(make_user("admin_b", Role.admin, [b]))
    return w


@pytest.fixture
def w(ctx):
    return build()


def book(device_id: int, kwh_at: dict[datetime, float]) -> None:
    """Rolled slots (15-minute starts -> import kWh), then the device's days and months,
    and its days and months per tariff period, summed from them by the rollup's own SQL."""
    for t, kwh in kwh_at.items():
        db.session.execute(text(
            "INSERT INTO energy_slots VALUES (:d, :t, :k, 0, 0, :k * 4, false)"),
            {"d": device_id, "t": t, "k": kwh})
    first = min(kwh_at).astimezone(SH).date()
    db.session.execute(text(rollup._DAYS_MONTHS), {
        "ds": [device_id], "tz": ["Asia/Shanghai"], "day0": [first],
        "month0": [first.replace(day=1)]})
    site_id = db.session.get(Device, device_id).site_id
    periods.roll([(device_id, site_id, "Asia/Shanghai")], [first])
    db.session.commit()


def quarters(d: date, hh: int, kwhs: list[float], start_mm: int = 0) -> dict:
    """kWh per consecutive 15-minute slot from hh:start_mm local on day d."""
    return {local(d, hh, start_mm) + timedelta(minutes=15 * i): k for i, k in enumerate(kwhs)}


# flat until 10:30, peak from 10:30 (a half-hour boundary), valley 23:00-07:00 (wraps)
HALF_PAST = [{"period": "valley", "start": "23:00", "end": "07:00"},
             {"period": "flat", "start": "07:00", "end": "10:30"},
             {"period": "peak", "start": "10:30", "end": "23:00"}]


def tariff(client, w, valid_from: date, prices: dict, periods=HALF_PAST, headers=None):
    return client.post("/api/v1/energy-tariffs", headers=headers or w["ha"], json={
        "site_id": w["site"], "name": "工商业", "valid_from": valid_from.isoformat(),
        "periods": periods, "prices": prices})


# --- 1. time-of-use cost -----------------------------------------------------------------
def test_a_half_past_boundary_prices_each_slot_by_its_own_period(w, client):
    r = tariff(client, w, LAST_MONTH - timedelta(days=40),
               {"valley": 0.3, "flat": 0.6, "peak": 1.0})
    assert r.status_code == 201, r.get_json()
    # Readings every 15 minutes through ingest from 10:00 local two days ago: the meter
    # climbs 1, 2, 3, 4 kWh: slots 10:00 = 1, 10:15 = 2 (flat, 0.6), 10:30 = 3,
    # 10:45 = 4 (peak, 1.0). Cost = 0.6 + 1.2 + 3.0 + 4.0 = 8.8 (priced by the hour's
    # start it would be 10 x 0.6 = 6.0).
    day = TODAY - timedelta(days=2)
    values = [100.0, 101.0, 103.0, 106.0, 110.0]
    ingest.ingest([(w["m0"], local(day, 10) + timedelta(minutes=15 * i),
                    {"energy_import": v}) for i, v in enumerate(values)])
    rollup.run()
    r = client.get("/api/v1/energy/trend", headers=w["h"], query_string={
        "node": "site", "node_id": w["site"], "interval": "15min",
        "start": iso(local(day, 10)), "end": iso(local(day, 11))})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert [(p["import_kwh"], round(p["cost"], 6)) for p in body["points"]] == [
        (1.0, 0.6), (2.0, 1.2), (3.0, 3.0), (4.0, 4.0)]
    assert round(body["total"]["cost"], 6) == 8.8 and body["total"]["currency"] == "CNY"
    hour = client.get("/api/v1/energy/trend", headers=w["h"], query_string={
        "node": "site", "node_id": w["site"], "interval": "hour",
        "start": iso(local(day, 10)), "end": iso(local(day, 11))}).get_json()
    assert [round(p["cost"], 6) for p in hour["points"]] == [8.8]
    day_trend = client.get("/api/v1/energy/trend", headers=w["h"], query_string={
        "node": "site", "node_id": w["site"], "interval": "day",
        "start": iso(local(day)), "end": iso(local(day + timedelta(days=1)))}).get_json()
    assert [round(p["cost"], 6) for p in day_trend["points"]] == [8.8]


def test_a_tariff_version_change_mid_month(w, client):
    # v1 from the 1st of last month: flat 0.5, peak 1.0; v2 from the 15th: flat 0.8,
    # peak 2.0. On the 3rd slots 10:00-10:45 book 1, 2, 3, 4 kWh: 1 x 0.5 + 2 x 0.5 +
    # 3 x 1.0 + 4 x 1.0 = 8.5; the same on the 20th: 0.8 + 1.6 + 6.0 + 8.0 = 16.4.
    # The month: 20 kWh, 24.9.
    assert tariff(client, w, LAST_MONTH, {"valley": 0.2, "flat": 0.5,
                                          "peak": 1.0}).status_code == 201
    assert tariff(client, w, LAST_MONTH.replace(day=15),
                  {"valley": 0.2, "flat": 0.8, "peak": 2.0}).status_code == 201
    d3, d20 = LAST_MONTH.replace(day=3), LAST_MONTH.replace(day=20)
    book(w["m0"], {**quarters(d3, 10, [1, 2, 3, 4]), **quarters(d20, 10, [1, 2, 3, 4])})
    q = {"node": "site", "node_id": w["site"], "start": iso(local(LAST_MONTH)),
         "end": iso(local(THIS_MONTH))}
    month = client.get("/api/v1/energy/trend", headers=w["h"],
                       query_string={**q, "interval": "month"}).get_json()
    assert [(p["import_kwh"], round(p["cost"], 6)) for p in month["points"]] == [(20.0, 24.9)]
    days = client.get("/api/v1/energy/trend", headers=w["h"],
                      query_string={**q, "interval": "day"}).get_json()
    assert {p["start"][:10]: round(p["cost"], 6) for p in days["points"]} == {
        d3.isoformat(): 8.5, d20.isoformat(): 16.4}
    # Energy before the first version is unpriced, never invented: a slot on the last
    # day of the month before.
    book(w["m0"], {local(LAST_MONTH - timedelta(days=1), 12): 5.0})
    before = client.get("/api/v1/energy/trend", headers=w["h"], query_string={
        "node": "site", "node_id": w["site"], "interval": "day",
        "start": iso(local(LAST_MONTH - timedelta(days=1))),
        "end": iso(local(LAST_MONTH))}).get_json()
    assert before["total"]["cost"] == 0.0 and before["total"]["unpriced_kwh"] == 5.0


@pytest.mark.parametrize("periods, field, code", [
    # peak 10:00-12:00 overlaps flat 07:00-10:30 from 10:00
    ([{"period": "valley", "start": "23:00", "end": "07:00"},
      {"period": "flat", "start": "07:00", "end": "10:30"},
      {"period": "peak", "start": "10:00", "end": "23:00"}], "periods.2.start",
     "tariff_overlap"),
    # 10:30-11:00 has no period
    ([{"period": "valley", "start": "23:00", "end": "07:00"},
      {"period": "flat", "start": "07:00", "end": "10:30"},
      {"period": "peak", "start": "11:00", "end": "23:00"}], "periods", "tariff_uncovered"),
    ([{"period": "flat", "start": "00:00", "end": "10:20"},
      {"period": "peak", "start": "10:20", "end": "24:00"}], "periods.0.end",
     "not_quarter_hour"),
    ([{"period": "flat", "start": "00:00", "end": "25:00"}], "periods.0.end",
     "validation_error"),
])
def test_bad_tariffs_name_the_field(w, client, periods, field, code):
    r = tariff(client, w, TODAY, {"flat": 0.6, "peak": 1.0, "valley": 0.3}, periods=periods)
    assert r.status_code == 422 and r.get_json()["error"] == code, r.get_json()
    assert field in r.get_json()["errors"]


def test_tariff_prices_scoping_and_roles(w, client):
    one = [{"period": "flat", "start": "00:00", "end": "24:00"}]
    r = tariff(client, w, TODAY, {"peak": 1.0}, periods=one)
    assert r.status_code == 422 and r.get_json()["error"] == "price_missing"
    assert "prices.flat" in r.get_json()["errors"]
    r = tariff(client, w, TODAY, {"flat": -1}, periods=one)
    assert r.status_code == 422 and "prices.flat" in r.get_json()["errors"]
    # staff may read, not write; another site's admin sees nothing of it
    assert tariff(client, w, TODAY, {"flat": 0.6}, periods=one,
                  headers=w["h"]).status_code == 403
    r = tariff(client, w, TODAY, {"flat": 0.6}, periods=one)
    assert r.status_code == 201
    tid = r.get_json()["id"]
    assert tariff(client, w, TODAY, {"flat": 0.7}, periods=one).get_json()["error"] == \
        "tariff_exists"
    assert client.get(f"/api/v1/energy-tariffs/{tid}", headers=w["hb"]).status_code == 404
    assert client.get("/api/v1/energy-tariffs", headers=w["hb"]).get_json() == []
    r = client.put(f"/api/v1/energy-tariffs/{tid}", headers=w["ha"], json={
        "periods": [{"period": "flat", "start": "00:00", "end": "12:00"}]})
    assert r.status_code == 422 and r.get_json()["error"] == "tariff_uncovered"
    r = client.put(f"/api/v1/energy-tariffs/{tid}", headers=w["ha"],
                   json={"prices": {"flat": 0.65}})
    assert r.status_code == 200 and r.get_json()["prices"] == {"flat": 0.65}
    assert client.delete(f"/api/v1/energy-tariffs/{tid}", headers=w["ha"]).status_code == 204


# --- 2. carbon -----------------------------------------------------------------------------
def test_carbon_factor_by_year(w, client):
    # 2025: 0.6 kg/kWh, 2026: 0.5 (set for this year and last, whatever they are).
    # 10 kWh in last year's month, 20 kWh in this year's: 6 kg and 10 kg.
    y = TODAY.year
    for year, f in ((y - 1, 0.6), (y, 0.5)):
        r = client.post("/api/v1/carbon-factors", headers=w["ha"],
                        json={"site_id": w["site"], "year": year, "kg_per_kwh": f})
        assert r.status_code == 201, r.get_json()
    then, now = THIS_MONTH.replace(year=y - 1), THIS_MONTH
    book(w["m0"], {local(then, 9): 10.0, local(now, 9): 20.0})
    r = client.get("/api/v1/energy/trend", headers=w["h"], query_string={
        "node": "site", "node_id": w["site"], "interval": "month",
        "start": iso(local(then)), "end": iso(local(now) + timedelta(days=1))}).get_json()
    carbon = {p["start"][:7]: round(p["carbon_kg"], 6) for p in r["points"]
              if p["import_kwh"]}
    assert carbon == {then.isoformat()[:7]: 6.0, now.isoformat()[:7]: 10.0}
    assert round(r["total"]["carbon_kg"], 6) == 16.0
    ov = client.get("/api/v1/energy/overview", headers=w["h"],
                    query_string={"site_id": w["site"]}).get_json()["sites"][0]
    assert ov["month_kwh"] == 20.0 and round(ov["month_carbon_kg"], 6) == 10.0
    # a year with no factor of its own uses the latest earlier year's; none before: null
    assert client.post("/api/v1/carbon-factors", headers=w["ha"], json={
        "site_id": w["site"], "year": y, "kg_per_kwh": 0.4}).get_json()["error"] == \
        "carbon_factor_exists"
    r = client.post("/api/v1/carbon-factors", headers=w["ha"],
                    json={"site_id": w["site"], "year": 1800, "kg_per_kwh": 0.4})
    assert r.status_code == 422 and "year" in r.get_json()["errors"]
    far = client.get("/api/v1/energy/trend", headers=w["h"], query_string={
        "node": "site", "node_id": w["site"], "interval": "month",
        "start": iso(local(then.replace(year=y - 3))),
        "end": iso(local(then.replace(year=y - 2)))}).get_json()
    assert far["total"]["carbon_kg"] is None


def test_overview_cost_today_month_year(w, client):
    # one flat price 0.5 all day from long ago: today 2 kWh -> 1.0; earlier this month
    # 4 kWh -> month 6 kWh, 3.0 (if today is the 1st the earlier booking is today too).
    assert tariff(client, w, date(2000, 1, 1), {"flat": 0.5}, periods=[
        {"period": "flat", "start": "00:00", "end": "24:00"}]).status_code == 201
    book(w["m0"], {local(THIS_MONTH, 0): 4.0, local(TODAY, 1): 2.0})
    ov = client.get("/api/v1/energy/overview", headers=w["h"]).get_json()
    s = ov["sites"][0]
    today_kwh = 6.0 if TODAY == THIS_MONTH else 2.0
    assert (s["today_kwh"], s["month_kwh"]) == (today_kwh, 6.0)
    assert (s["today_cost"], s["month_cost"]) == (today_kwh * 0.5, 3.0)
    assert s["year_cost"] >= 3.0 and ov["total"]["month_cost"] == 3.0


# --- 3. comparison, share, ranking ---------------------------------------------------------
def test_year_on_year_with_last_years_data(w, client):
    # this month: 10 kWh on the 1st (09:00); the same month last year: 8 kWh.
    # YoY: +2 kWh, +25 %. MoM by day: the 1st against the 1st of last month (4 kWh):
    # +6, +150 %.
    last_year = THIS_MONTH.replace(year=THIS_MONTH.year - 1)
    book(w["m0"], {local(last_year, 9): 8.0, local(LAST_MONTH, 9): 4.0,
                   local(THIS_MONTH, 9): 10.0})
    nxt = (THIS_MONTH + timedelta(days=32)).replace(day=1)
    r = client.get("/api/v1/energy/compare", headers=w["h"], query_string={
        "node": "site", "node_id": w["site"], "interval": "month", "compare": "yoy",
        "start": iso(local(THIS_MONTH)), "end": iso(local(nxt))})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert [(p["import_kwh"], p["previous_kwh"], p["change_kwh"], p["change_pct"])
            for p in body["points"]] == [(10.0, 8.0, 2.0, 25.0)]
    assert body["points"][0]["previous_start"][:10] == last_year.isoformat()
    assert body["total"]["change_pct"] == 25.0
    mom = client.get("/api/v1/energy/compare", headers=w["h"], query_string={
        "node": "site", "node_id": w["site"], "interval": "day", "compare": "mom",
        "start": iso(local(THIS_MONTH)),
        "end": iso(local(THIS_MONTH + timedelta(days=1)))}).get_json()
    assert [(p["import_kwh"], p["previous_kwh"], p["change_pct"])
            for p in mom["points"]] == [(10.0, 4.0, 150.0)]
    bad = client.get("/api/v1/energy/compare", headers=w["h"], query_string={
        "node": "site", "node_id": w["site"], "compare": "weekly"})
    assert bad.status_code == 422 and "compare" in bad.get_json()["errors"]
    other = client.get("/api/v1/energy/compare", headers=w["hb"], query_string={
        "node": "site", "node_id": w["site"], "compare": "yoy"})
    assert other.status_code == 404 and other.get_json()["error"] == "site_not_found"


def test_share_and_ranking_by_area_category_and_circuit(w, client):
    # the 5th of last month: M0 (the incomer) 10 kWh, B1 (WL1, JQ1, lighting) 6,
    # B2 (WL2, BG, power) 2: JQ1 6 = 75 %, BG 2 = 25 % of the 8 kWh of the areas;
    # the site 10 (2 kWh losses / unmetered). Lighting 6, power 2.
    d5 = LAST_MONTH.replace(day=5)
    book(w["m0"], {local(d5, 9): 10.0})
    book(w["b1"], {local(d5, 9): 6.0})
    book(w["b2"], {local(d5, 9): 2.0})
    q = {"site_id": w["site"], "start": LAST_MONTH.isoformat(),
         "end": (THIS_MONTH - timedelta(days=1)).isoformat()}
    r = client.get("/api/v1/energy/share", headers=w["h"], query_string={**q, "by": "area"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert {i["code"]: (i["import_kwh"], i["share_pct"]) for i in body["items"]} == {
        "JQ1": (6.0, 75.0), "BG": (2.0, 25.0)}
    assert (body["site_kwh"], body["total_kwh"]) == (10.0, 8.0)
    cat = client.get("/api/v1/energy/share", headers=w["h"],
                     query_string={**q, "by": "category"}).get_json()
    assert {i["category"]: i["share_pct"] for i in cat["items"]} == {"lighting": 75.0,
                                                                    "power": 25.0}
    rank = client.get("/api/v1/energy/ranking", headers=w["h"],
                      query_string={**q, "by": "circuit", "top": 1}).get_json()
    assert rank["count"] == 2 and [(i["rank"], i["code"], i["import_kwh"])
                                   for i in rank["items"]] == [(1, "WL1", 6.0)]
    areas = client.get("/api/v1/energy/ranking", headers=w["h"],
                       query_string={**q, "by": "area"}).get_json()
    assert [(i["rank"], i["code"]) for i in areas["items"]] == [(1, "JQ1"), (2, "BG")]
    # another month: nothing
    empty = client.get("/api/v1/energy/share", headers=w["h"], query_string={
        "site_id": w["site"], "by": "area", "start": "2001-01-01",
        "end": "2001-01-31"}).get_json()
    assert all(i["import_kwh"] == 0.0 and i["share_pct"] is None for i in empty["items"])
    # scoping and bad input
    r = client.get("/api/v1/energy/share", headers=w["hb"], query_string={**q, "by": "area"})
    assert r.status_code == 404 and r.get_json()["error"] == "site_not_found"
    r = client.get("/api/v1/energy/ranking", headers=w["h"], query_string={**q, "by": "x"})
    assert r.status_code == 422 and "by" in r.get_json()["errors"]
    r = client.get("/api/v1/energy/share", headers=w["h"], query_string={
        "site_id": w["site"], "by": "area", "start": "2026-02-01", "end": "2026-01-01"})
    assert r.status_code == 422 and "end" in r.get_json()["errors"]
    r = client.get("/api/v1/energy/share", headers=w["hb"], query_string={
        "site_id": w["site_b"], "by": "area", "parent_area_id": w["jq1"]})
    assert r.status_code == 404 and r.get_json()["error"] == "area_not_found"


def test_share_and_ranking_price_each_item_by_its_periods(w, client):
    # last month's 5th, flat 0.5 until 10:30, peak 1.0 from 10:30: B1 (JQ1, lighting)
    # 1 kWh at 10:00 and 10:15 (flat) and 10:30, 10:45 (peak) -> 2 x 0.5 + 2 x 1.0 = 3.0;
    # B2 (BG, power) 2 kWh at 22:45 (peak 2.0) and 23:00 (valley 0.3 x 2 = 0.6) -> 2.6.
    assert tariff(client, w, LAST_MONTH, {"valley": 0.3, "flat": 0.5,
                                          "peak": 1.0}).status_code == 201
    d5 = LAST_MONTH.replace(day=5)
    book(w["b1"], quarters(d5, 10, [1.0, 1.0, 1.0, 1.0]))
    book(w["b2"], quarters(d5, 22, [2.0, 2.0], start_mm=45))
    q = {"site_id": w["site"], "start": d5.isoformat(), "end": d5.isoformat(), "cost": "true"}
    share = client.get("/api/v1/energy/share", headers=w["h"],
                       query_string={**q, "by": "area"}).get_json()
    assert {i["code"]: i["cost"] for i in share["items"]} == {"JQ1": 3.0, "BG": 2.6}
    assert (share["total_cost"], share["currency"]) == (5.6, "CNY")
    cat = client.get("/api/v1/energy/share", headers=w["h"],
                     query_string={**q, "by": "category"}).get_json()
    assert {i["category"]: i["cost"] for i in cat["items"]} == {"lighting": 3.0,
                                                               "power": 2.6}
    rank = client.get("/api/v1/energy/ranking", headers=w["h"],
                      query_string={**q, "by": "circuit", "top": 1}).get_json()
    assert [(i["code"], i["import_kwh"], i["cost"]) for i in rank["items"]] == [
        ("WL1", 4.0, 3.0)]
    assert rank["total_cost"] == 5.6
    # the day before: no energy, no cost
    d4 = client.get("/api/v1/energy/ranking", headers=w["h"], query_string={
        **q, "by": "area", "start": (d5 - timedelta(days=1)).isoformat(),
        "end": (d5 - timedelta(days=1)).isoformat()}).get_json()
    assert [i["cost"] for i in d4["items"]] == [0.0, 0.0] and d4["total_cost"] == 0.0
    # cost is always there (from the per-period rollups); cost=false is still accepted
    unasked = {k: v for k, v in q.items() if k != "cost"}
    for args in ({**q, "cost": "false"}, unasked):
        plain = client.get("/api/v1/energy/share", headers=w["h"],
                           query_string={**args, "by": "area"}).get_json()
        assert {i["code"]: (i["import_kwh"], i["cost"]) for i in plain["items"]} == {
            "JQ1": (4.0, 3.0), "BG": (4.0, 2.6)}
        assert plain["total_cost"] == 5.6


# --- 4. KPIs and intensity -----------------------------------------------------------------
def test_kpi_per_person_per_m2_per_detainee_day(w, client):
    # Site: 200 persons last month, 300 this month; M0 400 kWh then, 900 now:
    # 2.0 and 3.0 kWh per person; overall 1,300 / mean(200, 300) = 5.2.
    # Area JQ1 last month: 50 persons, 1,000 m², 2,000 detainee-days; B1 100 kWh:
    # 2.0 per person, 0.1 per m², 0.05 per detainee-day.
    hm = auth(make_user("manager_a", Role.manager, [db.session.get(Site, w["site"])]))
    for area, month, kind, value in ((None, LAST_MONTH, "persons", 200),
                                     (None, THIS_MONTH, "persons", 300),
                                     (None, LAST_MONTH, "floor_m2", 5000),
                                     ("jq1", LAST_MONTH, "persons", 50),
                                     ("jq1", LAST_MONTH, "floor_m2", 1000),
                                     ("jq1", LAST_MONTH, "detainee_days", 2000)):
        r = client.post("/api/v1/energy-denominators", headers=hm, json={
            "site_id": w["site"], "area_id": w[area] if area else None,
            "month": month.isoformat(), "kind": kind, "value": value})
        assert r.status_code == 201, r.get_json()
    book(w["m0"], {local(LAST_MONTH, 9): 400.0, local(THIS_MONTH, 9): 900.0})
    book(w["b1"], {local(LAST_MONTH, 9): 100.0})
    r = client.get("/api/v1/energy/kpis", headers=w["h"], query_string={
        "node": "site", "node_id": w["site"], "start": LAST_MONTH.isoformat(),
        "end": THIS_MONTH.isoformat()})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert [(p["import_kwh"], p["kwh_per_person"]) for p in body["points"]] == [
        (400.0, 2.0), (900.0, 3.0)]
    assert body["total"]["kwh_per_person"] == 5.2
    # intensity: 400 kWh / 5,000 m² = 0.08 last month; this month's overview uses the
    # latest floor area entered (5,000): 900 / 5,000 = 0.18
    assert body["points"][0]["kwh_per_m2"] == 0.08 and body["total"]["kwh_per_m2"] == 0.08
    ov = client.get("/api/v1/energy/overview", headers=w["h"],
                    query_string={"site_id": w["site"]}).get_json()["sites"][0]
    assert ov["month_kwh_per_m2"] == 0.18 and ov["month_kwh_per_person"] == 3.0
    area = client.get("/api/v1/energy/kpis", headers=w["h"], query_string={
        "node": "area", "node_id": w["jq1"], "start": LAST_MONTH.isoformat(),
        "end": LAST_MONTH.isoformat()}).get_json()
    p = area["points"][0]
    assert (p["kwh_per_person"], p["kwh_per_m2"], p["kwh_per_detainee_day"]) == (2.0, 0.1,
                                                                                0.05)
    # bad input names the field; writes are managers'; another site's is a 404
    r = client.post("/api/v1/energy-denominators", headers=hm, json={
        "site_id": w["site"], "month": LAST_MONTH.replace(day=2).isoformat(),
        "kind": "persons", "value": 1})
    assert r.status_code == 422 and "month" in r.get_json()["errors"]
    r = client.post("/api/v1/energy-denominators", headers=hm, json={
        "site_id": w["site"], "month": LAST_MONTH.isoformat(), "kind": "persons",
        "value": 1})
    assert r.status_code == 409 and r.get_json()["error"] == "denominator_exists"
    r = client.post("/api/v1/energy-denominators", headers=hm, json={
        "site_id": w["site"], "area_id": 999999, "month": LAST_MONTH.isoformat(),
        "kind": "persons", "value": 1})
    assert r.status_code == 422 and "area_id" in r.get_json()["errors"]
    r = client.post("/api/v1/energy-denominators", headers=hm, json={
        "site_id": w["site"], "month": LAST_MONTH.isoformat(), "kind": "cows", "value": 1})
    assert r.status_code == 422 and "kind" in r.get_json()["errors"]
    assert client.post("/api/v1/energy-denominators", headers=w["h"], json={
        "site_id": w["site"], "month": TODAY.replace(day=1).isoformat(), "kind": "floor_m2",
        "value": 1}).status_code == 403
    r = client.get("/api/v1/energy/kpis", headers=w["hb"],
                   query_string={"node": "area", "node_id": w["jq1"]})
    assert r.status_code == 404 and r.get_json()["error"] == "area_not_found"


# --- 5. capacity check ---------------------------------------------------------------------
def test_a_circuit_over_80_pct_of_in_with_its_evidence(w, client):
    # B1 (In 63 A): 20 readings a minute apart, phase A 30 A except 55 A at minute 7
    # (phase B 20 A throughout, so the load is phase A's): peak 55 A = 87.3 % > 80 %;
    # p95 of [30 x 19, 55] = 30 + 0.05 x 25 = 31.25 (percentile_cont, 0.95 x 19 = 18.05),
    # 49.6 %: not too small; rating ok.
    # B2 (In 63 A): 5 A for 20 readings: peak 7.9 % < 25 %: far too large.
    # B3 (In 16 A, WL1's other breaker): 15 A sustained: 93.75 %, p95 too: too small.
    b3 = Device(site_id=w["site"], code="B3", name="b3", kind="breaker", profile="gw-breaker",
                circuit_id=w["wl2"], rated_current=16.0)
    db.session.add(b3)
    db.session.commit()
    t0 = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)
    batch = []
    for i in range(20):
        t = t0 + timedelta(minutes=i)
        batch += [(w["b1"], t, {"current_a": 55.0 if i == 7 else 30.0, "current_b": 20.0}),
                  (w["b2"], t, {"current_a": 5.0}), (b3.id, t, {"current_c": 15.0})]
    ingest.ingest(batch)
    r = client.get("/api/v1/energy/capacity", headers=w["h"], query_string={
        "site_id": w["site"], "start": iso(t0 - timedelta(minutes=1)),
        "end": iso(t0 + timedelta(hours=1))})
    assert r.status_code == 200, r.get_json()
    items = {i["code"]: i for i in r.get_json()["items"]}
    b1 = items["B1"]
    assert (b1["peak_a"], b1["peak_phase"], round(b1["p95_a"], 6), b1["samples"]) == (
        55.0, "A", 31.25, 20)
    assert b1["peak_at"] == iso(t0 + timedelta(minutes=7)).replace("Z", "+00:00")
    assert b1["over_threshold"] and b1["rating"] == "ok" and round(b1["peak_pct"], 1) == 87.3
    assert (items["B2"]["over_threshold"], items["B2"]["rating"]) == (False, "too_large")
    assert (items["B3"]["over_threshold"], items["B3"]["rating"]) == (True, "too_small")
    assert items["B3"]["peak_phase"] == "C"
    assert r.get_json()["summary"] == {"breakers": 3, "over_threshold": 2, "too_small": 1,
                                       "too_large": 1, "no_data": 0}
    # a higher threshold: B1's 87.3 % passes; flagged leaves out what is fine
    hi = client.get("/api/v1/energy/capacity", headers=w["h"], query_string={
        "site_id": w["site"], "start": iso(t0 - timedelta(minutes=1)),
        "end": iso(t0 + timedelta(hours=1)), "threshold_pct": 90, "flagged": "true"})
    assert [i["code"] for i in hi.get_json()["items"]] == ["B3", "B2"]
    # outside the readings: no data; another site: 404; a bad range names end
    none = client.get("/api/v1/energy/capacity", headers=w["h"], query_string={
        "site_id": w["site"], "start": iso(t0 - timedelta(days=3)),
        "end": iso(t0 - timedelta(days=2))}).get_json()
    assert {i["rating"] for i in none["items"]} == {"no_data"}
    assert client.get("/api/v1/energy/capacity", headers=w["hb"], query_string={
        "site_id": w["site"]}).status_code == 404
    r = client.get("/api/v1/energy/capacity", headers=w["h"], query_string={
        "site_id": w["site"], "start": iso(t0), "end": iso(t0 - timedelta(hours=1))})
    assert r.status_code == 422 and "end" in r.get_json()["errors"]


# --- 6. reports ----------------------------------------------------------------------------
def _month_world(w, client):
    """Last month: tariff flat 0.5 / peak 1.0 from 10:30 (valley 0.3), carbon 0.5; M0
    on the 3rd: 1, 2, 3, 4 kWh at 10:00-10:45 (0.5 + 1.0 + 3.0 + 4.0 = 8.5) and 10 kWh
    at 02:00 on the 9th (valley: 3.0): 20 kWh, 11.5, 10 kg. B1 12, B2 5 on the 9th."""
    assert tariff(client, w, LAST_MONTH, {"valley": 0.3, "flat": 0.5,
                                          "peak": 1.0}).status_code == 201
    assert client.post("/api/v1/carbon-factors", headers=w["ha"], json={
        "site_id": w["site"], "year": LAST_MONTH.year, "kg_per_kwh": 0.5}).status_code == 201
    d3, d9 = LAST_MONTH.replace(day=3), LAST_MONTH.replace(day=9)
    book(w["m0"], {**quarters(d3, 10, [1, 2, 3, 4]), local(d9, 2): 10.0})
    book(w["b1"], {local(d9, 2): 12.0})
    book(w["b2"], {local(d9, 2): 5.0})


def test_the_monthly_job_keeps_an_xlsx_whose_totals_are_the_apis(w, client):
    import openpyxl

    from backend import jobs
    from backend.energy import reports

    spec = jobs.JOBS["energy.monthly_reports"]
    assert spec.func == "workers.jobs.energy.monthly_reports" and spec.every == 3600
    _month_world(w, client)
    assert reports.monthly_job() == {"generated": 4}     # sites A and B, XLSX and CSV
    assert reports.monthly_job() == {"generated": 0}     # kept: nothing again
    api = client.get("/api/v1/energy/trend", headers=w["h"], query_string={
        "node": "site", "node_id": w["site"], "interval": "month",
        "start": iso(local(LAST_MONTH)), "end": iso(local(THIS_MONTH))}).get_json()["total"]
    assert (api["import_kwh"], round(api["cost"], 6), round(api["carbon_kg"], 6)) == (
        20.0, 11.5, 10.0)
    listed = client.get("/api/v1/energy-reports", headers=w["h"],
                        query_string={"kind": "monthly", "format": "xlsx"}).get_json()
    assert [(r["site_id"], r["period_start"]) for r in listed] == [
        (w["site"], LAST_MONTH.isoformat())]           # site B's is not staff_a's
    rid = listed[0]["id"]
    r = client.get(f"/api/v1/energy-reports/{rid}/file", headers=w["h"])
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    summary = {row[0]: row[1] for row in wb["汇总 Summary"].iter_rows(values_only=True)}
    assert summary["用电量 Import"] == api["import_kwh"]
    assert summary["电费 Cost"] == api["cost"]
    assert summary["碳排放 Carbon"] == api["carbon_kg"]
    assert (summary["峰 peak"], summary["平 flat"], summary["谷 valley"]) == (7.0, 3.0, 10.0)
    daily = list(wb["每日 Daily"].iter_rows(values_only=True))
    assert [(d[0], d[1]) for d in daily[1:-1]] == [(LAST_MONTH.replace(day=3).isoformat(),
                                                    10.0),
                                                   (LAST_MONTH.replace(day=9).isoformat(),
                                                    10.0)]
    assert daily[-1][:3] == ("合计 Total", api["import_kwh"], api["cost"])
    circuits = list(wb["回路 Circuits"].iter_rows(values_only=True))[1:]
    assert [(c[0], c[1], c[4]) for c in circuits] == [(1, "WL1", 12.0), (2, "WL2", 5.0)]
    # the CSV twin; another site's report: 404
    csv_row = client.get("/api/v1/energy-reports", headers=w["h"],
                         query_string={"format": "csv"}).get_json()[0]
    body = client.get(f"/api/v1/energy-reports/{csv_row['id']}/file",
                      headers=w["h"]).data.decode("utf-8-sig")
    assert "用电量 Import,20.0,kWh" in body.replace("\r\n", "\n")
    other = client.get("/api/v1/energy-reports", headers=w["hb"]).get_json()
    assert {r["site_id"] for r in other} == {w["site_b"]}
    assert client.get(f"/api/v1/energy-reports/{rid}/file",
                      headers=w["hb"]).status_code == 404
    assert client.get(f"/api/v1/energy-reports/{rid}", headers=w["hb"]).get_json()[
        "error"] == "report_not_found"


def test_daily_area_and_alarm_reports_and_bad_input(w, client):
    from backend.models import Alarm

    _month_world(w, client)
    d9 = LAST_MONTH.replace(day=9)
    # the daily report of area BG on the 9th: B2's 5 kWh at 02:00 (valley 0.3: 1.5)
    r = client.post("/api/v1/energy-reports", headers=w["h"], json={
        "site_id": w["site"], "area_id": w["bg"], "kind": "daily", "day": d9.isoformat(),
        "format": "csv"})
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["totals"]["import_kwh"], r.get_json()["totals"]["cost"]) == (5.0,
                                                                                       1.5)
    body = client.get(f"/api/v1/energy-reports/{r.get_json()['id']}/file",
                      headers=w["h"]).data.decode("utf-8-sig").replace("\r\n", "\n")
    assert f"{d9.isoformat()} 02:00,5.0,1.5" in body
    # alarms: two on the 9th (one alarm, one warning), one outside the period
    for level, rule, day in (("alarm", "overload", d9), ("warning", "over_voltage", d9),
                             ("alarm", "overload", d9 + timedelta(days=5))):
        db.session.add(Alarm(site_id=w["site"], device_id=w["b1"], rule=rule, level=level,
                             state="closed", message=rule, raised_at=local(day, 3)))
    db.session.commit()
    r = client.post("/api/v1/energy-reports", headers=w["h"], json={
        "site_id": w["site"], "kind": "alarms", "start": d9.isoformat(),
        "end": (d9 + timedelta(days=1)).isoformat()})
    assert r.status_code == 201 and r.get_json()["totals"] == {
        "alarms": 2, "by_level": {"alarm": 1, "warning": 1}}
    # the same again replaces it (one row)
    again = client.post("/api/v1/energy-reports", headers=w["h"], json={
        "site_id": w["site"], "kind": "alarms", "start": d9.isoformat(),
        "end": (d9 + timedelta(days=1)).isoformat()}).get_json()
    assert again["id"] == r.get_json()["id"]
    # bad input names the field; another site's: 404
    for body, field in (({"kind": "daily"}, "day"),
                        ({"kind": "monthly", "month": d9.isoformat()}, "month"),
                        ({"kind": "alarms", "start": d9.isoformat()}, "end"),
                        ({"kind": "weekly"}, "kind"),
                        ({"kind": "daily", "day": d9.isoformat(), "format": "pdf"}, "format"),
                        ({"kind": "daily", "day": d9.isoformat(), "area_id": 999999},
                         "area_id")):
        r = client.post("/api/v1/energy-reports", headers=w["h"],
                        json={"site_id": w["site"], **body})
        assert r.status_code in (404, 422), (body, r.get_json())
        if r.status_code == 422:
            assert field in r.get_json()["errors"], (body, r.get_json())
    r = client.post("/api/v1/energy-reports", headers=w["hb"], json={
        "site_id": w["site"], "kind": "daily", "day": d9.isoformat()})
    assert r.status_code == 404 and r.get_json()["error"] == "site_not_found"


def test_the_cached_supply_tree_follows_facility_changes(w, client):
    # The site's devices: M0 (the incomer's meter). A second incomer with a meter added,
    # then WL1 moved under it, then the meter deleted: each answer follows at once.
    q = {"node": "site", "node_id": w["site"], "interval": "hour"}
    assert client.get("/api/v1/energy/trend", headers=w["h"],
                      query_string=q).get_json()["devices"] == [w["m0"]]
    in2 = client.post("/api/v1/circuits", headers=w["ha"], json={
        "site_id": w["site"], "code": "IN2", "name": "二路进线", "board_id": w["aa1"],
        "category": "incomer"}).get_json()["id"]
    m2 = client.post("/api/v1/devices", headers=w["ha"], json={
        "site_id": w["site"], "code": "M2", "name": "二路表", "kind": "meter",
        "profile": "eastron-sdm630", "circuit_id": in2}).get_json()["id"]
    assert client.get("/api/v1/energy/trend", headers=w["h"],
                      query_string=q).get_json()["devices"] == [w["m0"], m2]
    r = client.get("/api/v1/energy/trend", headers=w["h"], query_string={
        "node": "circuit", "node_id": in2, "interval": "hour"}).get_json()
    assert r["devices"] == [m2]
    assert client.delete(f"/api/v1/devices/{m2}", headers=w["ha"]).status_code == 204
    assert client.get("/api/v1/energy/trend", headers=w["h"],
                      query_string=q).get_json()["devices"] == [w["m0"]]


def test_ranking_over_months_and_odd_days_sums_months_and_days(w, client):
    # B1: 1 kWh on the 20th of the month before last, 2 kWh on the 5th of last month,
    # 4 kWh on the 1st of this month. From the 20th to the 1st: 7 (days + a whole month
    # + a day); last month alone: 2; the 21st to the 1st: 6.
    before = (LAST_MONTH - timedelta(days=1)).replace(day=20)
    book(w["b1"], {local(before, 9): 1.0, local(LAST_MONTH.replace(day=5), 9): 2.0,
                   local(THIS_MONTH, 9): 4.0})
    for lo, hi, kwh in ((before, THIS_MONTH, 7.0),
                        (LAST_MONTH, THIS_MONTH - timedelta(days=1), 2.0),
                        (before + timedelta(days=1), THIS_MONTH, 6.0)):
        r = client.get("/api/v1/energy/ranking", headers=w["h"], query_string={
            "site_id": w["site"], "by": "circuit", "start": lo.isoformat(),
            "end": hi.isoformat()}).get_json()
        assert r["items"][0]["code"] == "WL1" and r["items"][0]["import_kwh"] == kwh, (lo, hi)
