"""Telemetry history: raw points and buckets from known data, the automatic bucket, bad
input named, flagged values left out of aggregates."""
from __future__ import annotations

import json
import math
from datetime import timedelta

import pytest

from backend.extensions import redis
from backend.telemetry import ingest, query
from tests.test_telemetry import UTC, now, rows, w  # noqa: F401  (w: fixture)


def test_history_raw_and_buckets_from_known_data(w, client):
    hour = now().replace(minute=0, second=0) - timedelta(hours=3)
    values = [200 + (i % 7) * 1.5 + i / 100 for i in range(720)]   # every 10 s for 2 h
    ingest.ingest([(w["d1"], hour + timedelta(seconds=10 * i), {"voltage_a": v})
                      for i, v in enumerate(values)])
    url = f"/api/v1/devices/{w['d1']}/history?metrics=voltage_a"

    def get(start, end, **params):
        q = "".join(f"&{k}={v}" for k, v in params.items())
        r = client.get(f"{url}&start={start.isoformat()}&end={end.isoformat()}{q}".replace(
            "+00:00", "Z"), headers=w["h"])
        assert r.status_code == 200, r.json
        return r.json

    body = get(hour, hour + timedelta(minutes=5), bucket="raw")
    assert [p["v"] for p in body["series"]["voltage_a"]["points"]] == values[:30]
    for agg, fn in (("avg", lambda xs: sum(xs) / len(xs)), ("min", min), ("max", max)):
        body = get(hour, hour + timedelta(minutes=10), bucket="1m", agg=agg)
        points = body["series"]["voltage_a"]["points"]
        assert len(points) == 10 and all(p["n"] == 6 for p in points)
        for k, p in enumerate(points):
            assert p["ts"] == (hour + timedelta(minutes=k)).strftime("%Y-%m-%dT%H:%M:00.000000Z")
            assert p["v"] == pytest.approx(fn(values[6 * k:6 * k + 6]))
        body = get(hour, hour + timedelta(hours=2), bucket="1h", agg=agg)
        got = [p["v"] for p in body["series"]["voltage_a"]["points"]]
        assert got == pytest.approx([fn(values[:360]), fn(values[360:])])
    # Day buckets start at the site's local midnight (Asia/Shanghai, UTC+8).
    body = get(hour - timedelta(days=2), hour + timedelta(hours=2), bucket="1d")
    assert {p["ts"][10:] for p in body["series"]["voltage_a"]["points"]} == {"T16:00:00.000000Z"}
    assert sum(p["n"] for p in body["series"]["voltage_a"]["points"]) == 720


def test_auto_bucket_choice(w, client):
    assert [query.choose_bucket(timedelta(**kw)) for kw in (
        {"minutes": 10}, {"hours": 6}, {"days": 2}, {"days": 10}, {"days": 90})] == [
        "raw", "1m", "15m", "1h", "1d"]
    end = now()
    for span, want in ((timedelta(minutes=10), "raw"), (timedelta(days=3), "15m")):
        start = (end - span).isoformat().replace("+00:00", "Z")
        r = client.get(f"/api/v1/devices/{w['d1']}/history?metrics=voltage_a&start={start}",
                       headers=w["h"])
        assert r.status_code == 200 and r.json["auto_bucket"] is True
        assert r.json["bucket"] == want


@pytest.mark.parametrize("query, field", [
    ("start=2026-01-02T00:00:00Z&end=2026-01-01T00:00:00Z", "end"),
    ("metrics=voltage_a,nonsense", "metrics"),
    ("start=2026-01-01T00:00:00Z&end=2026-01-05T00:00:00Z&bucket=raw", "bucket"),
    ("bucket=5m", "bucket"),
    ("agg=median", "agg"),
    ("start=2020-01-01T00:00:00Z&end=2026-01-01T00:00:00Z", "start"),
    ("start=yesterday", "start"),
])
def test_history_bad_input_is_422_naming_the_field(w, client, query, field):
    r = client.get(f"/api/v1/devices/{w['d1']}/history?{query}", headers=w["h"])
    assert r.status_code == 422, r.json
    assert field in r.json["errors"], r.json


def test_bad_data_is_flagged_and_left_out_of_aggregates(w, client):
    t = now().replace(minute=0, second=0) - timedelta(hours=1)
    bad = {"voltage_a": 5000, "frequency": 30, "power_factor": 1.5, "humidity": 120,
           "temperature": -80, "current_a": "abc", "mode": "sideways", "voltage_b": math.nan}
    good = {"voltage_a": 230, "frequency": 50, "power_factor": 0.9, "humidity": 40,
            "temperature": 30, "current_a": 10, "mode": "auto", "voltage_b": 231}
    result = ingest.ingest([(w["d1"], t, good), (w["d1"], t + timedelta(seconds=10), bad)])
    assert result.rows == 16 and result.flagged == 8
    assert [r.quality for r in rows(w["d1"], "voltage_a")] == [0, 1]
    assert [r.quality for r in rows(w["d1"], "current_a")] == [0, 4]
    assert math.isnan(rows(w["d1"], "voltage_b")[1].value)
    latest = json.loads(redis.get(f"gw:latest:{w['d1']}"))
    assert latest["frequency"] == {"v": 30.0, "ts": latest["frequency"]["ts"], "q": 1}
    assert latest["voltage_b"]["v"] is None and latest["voltage_b"]["q"] == 4
    start = t.isoformat().replace("+00:00", "Z")
    r = client.get(f"/api/v1/devices/{w['d1']}/history?start={start}&bucket=1h&agg=max&"
                   "metrics=voltage_a,frequency,power_factor,humidity,mode", headers=w["h"])
    got = {k: [p["v"] for p in s["points"]] for k, s in r.json["series"].items()}
    assert got == {"voltage_a": [230], "frequency": [50], "power_factor": [0.9],
                   "humidity": [40], "mode": ["auto"]}
    r = client.get(f"/api/v1/devices/{w['d1']}/history?start={start}&bucket=raw&"
                   "metrics=voltage_a", headers=w["h"])
    assert [p["q"] for p in r.json["series"]["voltage_a"]["points"]] == [0, 1]


