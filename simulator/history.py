"""``gridwarden demo history --days N``: N days of energy history for a site, so trends,
year-on-year and reports show something at once (the demo's, or any site's).

What it writes: every energy counter (``energy_import`` of breakers and meters) at
15-minute spacing, through the real ingest path (``backend.telemetry.ingest.ingest``:
COPY into the monthly partitions, quality checks), then the energy rollup
(``backend.energy.rollup.roll_all``: slots, local days and months). Counters only: 300
devices x 96 readings a day x 365 days is already 10.6 million rows; power curves at that
spacing would be ten times that.

The load is the simulator's own model: the site's supply tree exported from the
database and built into ``simulator.grid.Grid`` (the same peaks, power factors and
phases for the same seed), each circuit's daily curve in the site's time zone
(``simulator.loads.load_factor``: meals, nights, the weather of the day of the year for
air conditioning, pumps' duty cycles) with a little noise; a feeder's energy is its own
load plus its children's, so energy balances across the levels as it does live.

The history ends where each device's stored readings begin (or now), and its counter
values end at the device's first stored value, so the live readings carry on from it
without a reset; a counter too small for that much history is scaled down to fit.
"""
from __future__ import annotations

import math
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from simulator.fleet import from_facility
from simulator.grid import Grid
from simulator.loads import ac_demand, curve, outdoor_temperature, pump_on

COUNTER = "energy_import"
NOMINAL_V = 230.0
DEMO_SITE = "DC-JSZ"
def _slot_factors(local: datetime) -> dict[str, float]:
    """Each category's load fraction at a local time (AC with that day's weather)."""
    sod = local.hour * 3600 + local.minute * 60 + local.second
    hour = sod / 3600.0
    doy = local.timetuple().tm_yday
    factors = {c: curve(c, hour) for c in ("lighting", "kitchen", "ac", "heating", "fan",
                                           "power", "socket", "it", "security_critical",
                                           "fire", "elevator", "other", "incomer")}
    factors["ac"] *= ac_demand(outdoor_temperature(doy, hour))
    return factors


def node_energies(grid: Grid, slots: list[datetime], zone, interval: float,
                  seed: int = 1, open_nodes=frozenset()) -> dict[str, list[float]]:
    """kWh per node per slot (own load plus its children's), slot ``k`` being the
    ``interval`` seconds ending at ``slots[k]``; nothing through ``open_nodes`` (circuits
    whose breaker is normally open)."""
    rnd = random.Random(seed)
    order = grid.order                     # parents before children
    out = {n.code: [0.0] * len(slots) for n in order}
    hours = interval / 3600.0
    own_kw = {n.code: n.peak * NOMINAL_V * len(n.phases) * n.pf / 1000.0 for n in order}
    epoch = slots[0].timestamp() if slots else 0.0
    for k, end in enumerate(slots):
        mid = end - timedelta(seconds=interval / 2)
        factors = _slot_factors(mid.astimezone(zone))
        t = mid.timestamp() - epoch
        power: dict[str, float] = {}
        for n in reversed(order):          # children first
            if n.code in open_nodes:       # a normally-open breaker (an ATS's standby)
                power[n.code] = out[n.code][k] = 0.0
                continue
            if n.category == "pump":
                f = 1.0 if pump_on(t, n.pump_phase) else 0.02
            else:
                f = factors.get(n.category, 0.4)
            p = own_kw[n.code] * f * (1.0 + rnd.gauss(0, 0.03))
            for ch in n.children:
                p += power[ch.code]
            power[n.code] = max(p, 0.0)
            out[n.code][k] = power[n.code] * hours
    return out


def _fleet_of(actor, site_id: int):
    from backend.facility.transfer import export_yaml

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "site.yaml"
        path.write_text(export_yaml(actor, site_id), encoding="utf-8")
        return from_facility(path)


def generate(site_code: str | None, days: int, *, interval: int = 900, seed: int = 1,
             echo=print) -> dict:
    """Write the history (inside an app context); returns counts and timings."""
    from sqlalchemy import select, text

    from backend.accounts.security import Actor
    from backend.extensions import db
    from backend.models import Device, Site
    from backend.settings import setting
    from backend.telemetry.ingest import ingest

    site = (db.session.scalar(select(Site).where(Site.code == site_code)) if site_code
            else db.session.scalar(select(Site).where(Site.code == DEMO_SITE))
            or db.session.scalar(select(Site).order_by(Site.id)))
    if site is None:
        raise click.ClickException(f"no site {site_code or DEMO_SITE!r} (import one first)")
    keep = int(setting("telemetry_retention_days"))
    if days >= keep:
        raise click.ClickException(f"--days must be below the retention, {keep} days "
                                   "(GW_TELEMETRY_RETENTION_DAYS)")
    fleet = _fleet_of(Actor.system("demo"), site.id)
    by_circuit: dict[str, list] = {}
    for d in fleet.devices:
        by_circuit.setdefault(d.circuit, []).append(d)
    grid = Grid(fleet.circuits, by_circuit, random.Random(seed))
    open_nodes = {d.circuit for d in fleet.devices if d.kind == "breaker" and d.normally_open}
    devices = {d.code: d for d in db.session.scalars(select(Device).where(
        Device.site_id == site.id, Device.enabled.is_(True), Device.circuit_id.is_not(None),
        Device.kind.in_(("breaker", "meter"))))}
    on_node = {code: spec.circuit for code, spec in ((d.code, d) for d in fleet.devices)
               if code in devices and spec.circuit in grid.nodes}
    ids = {devices[code].id: code for code in on_node}
    if not ids:
        raise click.ClickException(f"site {site.code} has no breaker or meter on a circuit")
    first = {d: (ts, v) for d, ts, v in db.session.execute(text(
        "SELECT DISTINCT ON (device_id) device_id, ts, value FROM readings "
        "WHERE device_id = ANY(:ids) AND metric_id = :mid AND quality = 0 "
        "ORDER BY device_id, ts"), {"ids": list(ids), "mid": _metric_id(COUNTER)})}
    now = datetime.now(UTC)
    end = min([now] + [ts for ts, _v in first.values()])
    end = datetime.fromtimestamp(math.floor(end.timestamp() / interval) * interval - interval,
                                 UTC)
    slots = [end - timedelta(seconds=interval * k) for k in range(days * 86400 // interval, -1, -1)]
    zone = ZoneInfo(fleet.timezone or "Asia/Shanghai")
    started = time.perf_counter()
    energy = node_energies(grid, slots[1:], zone, interval, seed, open_nodes)
    modelled = time.perf_counter() - started
    series: dict[int, list[float]] = {}
    for dev_id, code in ids.items():
        e = energy[on_node[code]]
        total = sum(e)
        v_end = first[dev_id][1] if dev_id in first else 1000.0 + 1.2 * total
        scale = min(1.0, 0.9 * v_end / total) if total > 0 else 1.0
        # the last generated reading is one slot's energy below the first stored one (the
        # interval between them is about a slot long)
        values = [v_end - (e[-1] * scale if e else 0.0)] if dev_id in first else [v_end]
        for kwh in reversed(e):            # backwards from the end value
            values.append(values[-1] - kwh * scale)
        series[dev_id] = [round(v, 2) for v in reversed(values)]
    rows = 0
    t_ingest = time.perf_counter()
    per_batch = max(1, 86400 // interval)      # one day of every device per ingest call
    for i in range(0, len(slots), per_batch):
        batch = [(dev_id, slots[k], {COUNTER: vals[k]})
                 for dev_id, vals in series.items() for k in range(i, min(i + per_batch,
                                                                          len(slots)))]
        rows += ingest(batch).stored
        if i // per_batch % 30 == 29:
            echo(f"  {slots[min(i + per_batch, len(slots) - 1)].date()}: {rows} readings")
    ingested = time.perf_counter() - t_ingest
    t_roll = time.perf_counter()
    from backend.energy.rollup import roll_all

    slots_written = roll_all(sorted(ids))   # bounded batches (see there)
    rolled = time.perf_counter() - t_roll
    return {"site": site.code, "devices": len(ids), "days": days, "from": slots[0],
            "to": slots[-1], "readings": rows, "energy_slots": slots_written,
            "model_s": round(modelled, 1), "ingest_s": round(ingested, 1),
            "rollup_s": round(rolled, 1)}


def _metric_id(name: str) -> int:
    from backend.models.telemetry import METRICS

    return METRICS[name].id


@click.group("demo")
def demo() -> None:
    """Demo data tools (development only)."""


@demo.command("history")
@click.option("--days", type=click.IntRange(1, 3650), default=30, show_default=True,
              help="Days of history before the site's first readings (or now).")
@click.option("--site", "site_code", default=None,
              help=f"Site code (default {DEMO_SITE}, the demo's, or the first site).")
@click.option("--interval", type=click.Choice(["900", "1800", "3600"]), default="900",
              show_default=True, help="Seconds between generated counter readings.")
@click.option("--seed", type=int, default=1, show_default=True)
def history(days: int, site_code: str | None, interval: str, seed: int) -> None:
    """Generate DAYS of energy history (counters at 15 minutes, the real ingest path,
    then the energy rollup), so trends, year-on-year and reports show at once."""
    from backend.cli import _settings
    from backend.runtime.context import platform_context

    settings = _settings()
    if settings.is_production:
        raise click.ClickException("demo history is refused in production (GW_ENV=production)")
    with platform_context(settings):
        started = time.perf_counter()
        out = generate(site_code, days, interval=int(interval), seed=seed, echo=click.echo)
    click.echo(f"history of {out['site']}: {out['devices']} devices, {out['days']} days "
               f"({out['from']:%Y-%m-%d %H:%M} .. {out['to']:%Y-%m-%d %H:%M} UTC), "
               f"{out['readings']} readings, {out['energy_slots']} energy slots in "
               f"{time.perf_counter() - started:.0f} s (model {out['model_s']} s, ingest "
               f"{out['ingest_s']} s, rollup {out['rollup_s']} s)")
