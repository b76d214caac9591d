"""What the alarm engine needs to know about devices, cached per process.

For each device: kind, ratings, site, circuit, category, area, board, gateway, and its
*upstream chain* (the circuits that feed it, nearest first: a circuit's parent, else the
feeder circuit of its board), used to group loss-of-supply alarms under the upstream
trip and to find the maintenance windows that cover it. Loaded per site in three
queries and kept ``TTL`` seconds (as the poll job keeps its device list), so a poll
cycle does not re-read the facility model.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select

from backend.alarms.catalogue import Device as RuleDevice
from backend.extensions import db
from backend.models import Board, Circuit, Device, Gateway
from backend.vocabulary import nominal_phase_voltage

TTL = 15.0


@dataclass(frozen=True)
class DeviceCtx:
    id: int
    site_id: int
    code: str
    name: str
    kind: str
    circuit_id: int | None
    circuit_name: str | None
    category: str | None
    area_id: int | None
    board_id: int | None
    board_name: str | None
    gateway_id: int | None
    upstream: tuple[int, ...]          # circuits feeding this one, nearest first
    boards: tuple[int, ...]            # its board and every upstream board
    rule_device: RuleDevice

    @property
    def depth(self) -> int:
        return len(self.upstream)

    @property
    def location(self) -> str:
        parts = [p for p in (self.board_name, self.circuit_name or self.name) if p]
        return " / ".join(parts) or self.code


@dataclass
class SiteCtx:
    devices: dict[int, DeviceCtx]
    by_circuit: dict[int, list[int]]   # circuit -> devices on it
    gateway_devices: dict[int, list[int]]
    gateway_names: dict[int, str]
    loaded_at: float


_sites: dict[int, SiteCtx] = {}
_site_of_device: dict[int, int] = {}


def forget() -> None:
    _sites.clear()
    _site_of_device.clear()


def _load_site(site_id: int) -> SiteCtx:
    s = db.session
    circuits = {c.id: c for c in s.execute(select(
        Circuit.id, Circuit.parent_id, Circuit.board_id, Circuit.category, Circuit.area_id,
        Circuit.name).where(Circuit.site_id == site_id))}
    boards = {b.id: b for b in s.execute(select(Board.id, Board.feeder_circuit_id, Board.name,
                                                Board.area_id).where(Board.site_id == site_id))}
    gateways = dict(s.execute(select(Gateway.id, Gateway.name)
                              .where(Gateway.site_id == site_id, Gateway.enabled)).all())

    def chain(circuit_id):
        out, seen, cur = [], {circuit_id}, circuits.get(circuit_id)
        while cur is not None:
            nxt = cur.parent_id
            if nxt is None and cur.board_id in boards:
                nxt = boards[cur.board_id].feeder_circuit_id
            if nxt is None or nxt in seen or nxt not in circuits:
                break
            out.append(nxt)
            seen.add(nxt)
            cur = circuits[nxt]
        return tuple(out)

    devices, by_circuit, gw_devices = {}, {}, {}
    for d in s.execute(select(Device).where(Device.site_id == site_id,
                                            Device.enabled)).scalars():
        c = circuits.get(d.circuit_id)
        up = chain(d.circuit_id) if c else ()
        board_id = c.board_id if c else None
        ups = tuple(dict.fromkeys(
            b for b in [board_id, *(circuits[x].board_id for x in up)] if b is not None))
        devices[d.id] = DeviceCtx(
            d.id, site_id, d.code, d.name, d.kind, d.circuit_id, c.name if c else None,
            c.category if c else None, d.area_id or (c.area_id if c else None), board_id,
            boards[board_id].name if board_id in boards else None, d.gateway_id, up, ups,
            RuleDevice(d.id, d.kind, d.rated_current, d.rated_power, d.rated_residual_current,
                       nominal_phase_voltage(d.attributes)))
        if d.circuit_id is not None:
            by_circuit.setdefault(d.circuit_id, []).append(d.id)
        if d.gateway_id in gateways:
            gw_devices.setdefault(d.gateway_id, []).append(d.id)
    return SiteCtx(devices, by_circuit, gw_devices, gateways, time.monotonic())


def site(site_id: int) -> SiteCtx:
    ctx = _sites.get(site_id)
    if ctx is None or time.monotonic() - ctx.loaded_at > TTL:
        ctx = _sites[site_id] = _load_site(site_id)
        for device_id in ctx.devices:
            _site_of_device[device_id] = site_id
    return ctx


def devices(device_ids) -> dict[int, DeviceCtx]:
    """Contexts of the given (enabled) devices; unknown ids are left out."""
    ids = set(device_ids)
    unknown = [d for d in ids if d not in _site_of_device]
    if unknown:
        for site_id in {sid for (sid,) in db.session.execute(
                select(Device.site_id).where(Device.id.in_(unknown))).all()}:
            _sites.pop(site_id, None)
            site(site_id)
    out = {}
    for device_id in ids:
        site_id = _site_of_device.get(device_id)
        if site_id is None:
            continue
        ctx = site(site_id).devices.get(device_id)
        if ctx is not None:
            out[device_id] = ctx
    return out
