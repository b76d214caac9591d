"""What linkage needs to know about a site's facility, read fresh (saving a rule, making
the defaults): each device's kind, area (its own, else its circuit's), circuit and
profile, the area tree and the supply tree, so that "the devices a rule watches" and
"the devices an action switches, and everything fed from them" are one lookup each."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from backend.automation.cameras import descendants
from backend.extensions import db
from backend.models import Area, Board, Circuit, Device

SWITCHES_SUPPLY = ("breaker",)     # switching one of these de-energises what it feeds


@dataclass(frozen=True)
class Dev:
    id: int
    code: str
    name: str
    kind: str
    area_id: int | None
    circuit_id: int | None
    category: str | None
    protected: bool
    profile: str | None
    attributes: dict
    upstream: tuple[int, ...]        # circuits feeding its circuit, nearest first


@dataclass(frozen=True)
class SiteFacts:
    devices: dict[int, Dev]
    areas: dict[int, int | None]     # id -> parent
    area_names: dict[int, str]

    def in_area(self, area_id: int, kind: str | None = None) -> list[Dev]:
        """Devices of the area and of the areas inside it (of ``kind`` if given)."""
        inside = descendants(self.areas, area_id)
        return [d for d in self.devices.values()
                if d.area_id in inside and (kind is None or d.kind == kind)]

    def watched(self, device_id: int | None, area_id: int | None,
                kind: str | None) -> set[int]:
        if device_id is not None:
            return {device_id}
        return {d.id for d in self.in_area(area_id, kind)} if area_id else set()

    def affected(self, device_ids) -> set[int]:
        """The devices switched and, for a breaker, every device on its circuit and
        downstream of it (their values change when it opens)."""
        out = set(device_ids)
        circuits = {self.devices[d].circuit_id for d in device_ids
                    if d in self.devices and self.devices[d].kind in SWITCHES_SUPPLY
                    and self.devices[d].circuit_id is not None}
        if circuits:
            out |= {d.id for d in self.devices.values()
                    if d.circuit_id in circuits or circuits & set(d.upstream)}
        return out


def load(site_id: int) -> SiteFacts:
    s = db.session
    circuits = {c.id: c for c in s.execute(select(
        Circuit.id, Circuit.parent_id, Circuit.board_id, Circuit.area_id, Circuit.category,
        Circuit.protected).where(Circuit.site_id == site_id))}
    feeders = dict(s.execute(select(Board.id, Board.feeder_circuit_id)
                             .where(Board.site_id == site_id)).all())

    def chain(circuit_id):
        out, cur = [], circuits.get(circuit_id)
        while cur is not None:
            nxt = cur.parent_id if cur.parent_id is not None else feeders.get(cur.board_id)
            if nxt is None or nxt in out or nxt == circuit_id or nxt not in circuits:
                break
            out.append(nxt)
            cur = circuits[nxt]
        return tuple(out)

    devices = {}
    for d in s.execute(select(Device).where(Device.site_id == site_id)).scalars():
        c = circuits.get(d.circuit_id)
        devices[d.id] = Dev(d.id, d.code, d.name, d.kind, d.area_id or (c.area_id if c else None),
                            d.circuit_id, c.category if c else None,
                            bool(c.protected) if c else False, d.profile, d.attributes or {},
                            chain(d.circuit_id) if c else ())
    areas = {a.id: a for a in s.execute(select(Area.id, Area.parent_id, Area.name)
                                        .where(Area.site_id == site_id))}
    return SiteFacts(devices, {a.id: a.parent_id for a in areas.values()},
                     {a.id: a.name for a in areas.values()})
