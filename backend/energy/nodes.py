"""A site's supply tree as energy sees it: which devices a node's energy is the sum of,
without counting a feeder and its children twice, and the feeder balance.

A circuit is *metered* when a device on it reports ``energy_import`` (its profile says
so); with several (a breaker and a meter), the meter counts, else the lowest id. A
circuit's upstream is its parent, else its board's feeder circuit (as
``facility.operations.upstream_of_circuit``). Then:
- circuit: its meter if metered, else the sum of its children (recursively);
- board: the sum of its top circuits (those whose upstream is not on the board: the
  incomer, or each outgoing circuit of a board without one);
- site: the sum of the top circuits of the site (upstream none): the incomers;
- area: the metered circuits of the area (or its sub-areas; a circuit's area is its own,
  else its board's) that have no metered upstream circuit in the area.
"""
from __future__ import annotations

from collections import defaultdict
from functools import cached_property

from sqlalchemy import select, text

from backend.extensions import db
from backend.field.catalog import profile_for
from backend.models import Area, Board, Circuit, Device


def _reports_energy(profile: str | None, memo: dict) -> bool:
    if not profile:
        return False
    if profile not in memo:
        try:
            memo[profile] = "energy_import" in profile_for(profile).metrics
        except (KeyError, ValueError):
            memo[profile] = False
    return memo[profile]


# Per process: site -> (facility stamp, Tree). A tree is read-only once built.
_CACHE: dict[int, tuple[tuple, "Tree"]] = {}
CACHE_ENABLED = True
_STAMP = " UNION ALL ".join(
    f"SELECT count(*), max(updated_at), coalesce(sum(id), 0) FROM {t} WHERE site_id = :s"
    for t in ("circuits", "boards", "areas", "devices"))


def stamp(site_id: int) -> tuple:
    """What changes whenever the site's circuits, boards, areas or devices do: per table
    the row count, the newest ``updated_at`` (every ORM and Core update bumps it) and
    the sum of the ids (a delete plus an insert changes it). One query, index scans."""
    return tuple(tuple(r) for r in db.session.execute(text(_STAMP), {"s": site_id}).all())


class Tree:
    """One site's circuits, boards, areas and metered devices (four queries).

    ``Tree.of(site_id)`` returns a cached tree while the site's facility stamp is the
    same (one cheap query instead of four and the tree's construction)."""

    @classmethod
    def of(cls, site_id: int) -> "Tree":
        if not CACHE_ENABLED:
            return cls(site_id)
        key = stamp(site_id)
        hit = _CACHE.get(site_id)
        if hit is not None and hit[0] == key:
            return hit[1]
        tree = cls(site_id)
        _CACHE[site_id] = (key, tree)
        return tree

    def __init__(self, site_id: int):
        self.site_id = site_id
        # Core rows, not ORM objects: a site of 2,000 circuits loads in milliseconds.
        self.circuits = {c.id: c for c in db.session.execute(
            select(Circuit.id, Circuit.code, Circuit.name, Circuit.board_id,
                   Circuit.parent_id, Circuit.area_id, Circuit.category)
            .where(Circuit.site_id == site_id)).all()}
        self.boards = {b.id: b for b in db.session.execute(
            select(Board.id, Board.feeder_circuit_id, Board.area_id)
            .where(Board.site_id == site_id)).all()}
        self.area_parent = dict(db.session.execute(
            select(Area.id, Area.parent_id).where(Area.site_id == site_id)).all())
        memo: dict = {}
        meters: dict[int, list] = defaultdict(list)
        for d in db.session.execute(select(Device.id, Device.circuit_id, Device.kind,
                                           Device.profile)
                                    .where(Device.site_id == site_id)).all():
            if d.circuit_id is not None and _reports_energy(d.profile, memo):
                meters[d.circuit_id].append((d.kind != "meter", d.id))
        self.meter = {cid: min(ds)[1] for cid, ds in meters.items()}   # circuit -> device
        self.children: dict[int | None, list[int]] = defaultdict(list)
        for c in self.circuits.values():
            self.children[self.upstream(c.id)].append(c.id)
        for ids in self.children.values():
            ids.sort()

    def upstream(self, cid: int) -> int | None:
        c = self.circuits[cid]
        if c.parent_id is not None:
            return c.parent_id
        board = self.boards.get(c.board_id)
        return board.feeder_circuit_id if board is not None else None

    def counted(self, cid: int) -> list[int]:
        """The devices whose sum is circuit ``cid``'s energy."""
        if cid in self.meter:
            return [self.meter[cid]]
        out: list[int] = []
        for child in self.children.get(cid, ()):
            out += self.counted(child)
        return out

    def board_tops(self, board_id: int) -> list[int]:
        return sorted(cid for cid, c in self.circuits.items() if c.board_id == board_id and (
            self.upstream(cid) is None
            or self.circuits[self.upstream(cid)].board_id != board_id))

    def board_devices(self, board_id: int) -> list[int]:
        return [d for cid in self.board_tops(board_id) for d in self.counted(cid)]

    def site_devices(self) -> list[int]:
        return [d for cid in self.children.get(None, ()) for d in self.counted(cid)]

    def area_of(self, cid: int) -> int | None:
        c = self.circuits[cid]
        board = self.boards.get(c.board_id)
        return c.area_id if c.area_id is not None else (board.area_id if board else None)

    def _in_areas(self, area_id: int) -> set[int]:
        inside, changed = {area_id}, True
        while changed:
            changed = False
            for a, parent in self.area_parent.items():
                if parent in inside and a not in inside:
                    inside.add(a)
                    changed = True
        return inside

    def area_devices(self, area_id: int) -> list[int]:
        # memoised: the tree is read-only and cached per site (Tree.of)
        memo = self.__dict__.setdefault("_area_memo", {})
        if area_id not in memo:
            memo[area_id] = self._area_devices(area_id)
        return list(memo[area_id])

    def _area_devices(self, area_id: int) -> list[int]:
        inside = self._in_areas(area_id)
        out = []
        for cid in sorted(self.meter):
            if self.area_of(cid) not in inside:
                continue
            up, seen = self.upstream(cid), set()
            while up is not None and up not in seen:
                if up in self.meter and self.area_of(up) in inside:
                    break
                seen.add(up)
                up = self.upstream(up)
            else:
                out.append(self.meter[cid])
        return out

    @cached_property
    def _metered_below(self) -> dict[int, bool]:
        memo: dict[int, bool] = {}

        def below(cid: int) -> bool:
            if cid not in memo:
                memo[cid] = False
                memo[cid] = any(ch in self.meter or below(ch)
                                for ch in self.children.get(cid, ()))
            return memo[cid]
        for cid in self.circuits:
            below(cid)
        return memo

    def consumers(self) -> list[int]:
        """Metered circuits with nothing metered downstream: the end consumers."""
        return sorted(cid for cid in self.meter if not self._metered_below[cid])
