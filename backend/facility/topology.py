"""A site's whole supply tree in one response, built from five queries."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from backend.accounts.security import Actor
from backend.extensions import db
from backend.facility.profiles import accepted_actions
from backend.facility.sites import get_site
from backend.models import Area, Board, Circuit, Device, DistributionRoom, Gateway

DEVICE_KEYS = ("id", "code", "name", "kind", "profile", "gateway_id", "unit_id", "poles",
               "rated_current", "trip_curve", "rated_residual_current", "rated_power",
               "knx_gateway_id", "area_id")


def _rows(model, site_id):
    return db.session.scalars(select(model).where(model.site_id == site_id)
                              .order_by(model.code)).all()


def site_topology(actor: Actor, site_id: int) -> dict:
    site = get_site(actor, site_id)
    areas, rooms, gateways = (_rows(m, site_id) for m in (Area, DistributionRoom, Gateway))
    boards, circuits, devices = (_rows(m, site_id) for m in (Board, Circuit, Device))

    devices_by_circuit = defaultdict(list)
    for d in devices:
        devices_by_circuit[d.circuit_id].append({**{k: getattr(d, k) for k in DEVICE_KEYS},
                                                 "actions": accepted_actions(d)})
    children = defaultdict(list)         # circuit id -> child circuits on the same tree
    roots_of_board = defaultdict(list)   # board id -> circuits fed by its incomer
    for c in circuits:
        (children[c.parent_id] if c.parent_id else roots_of_board[c.board_id]).append(c)
    boards_fed_by = defaultdict(list)
    for b in boards:
        boards_fed_by[b.feeder_circuit_id].append(b)

    def circuit_node(c: Circuit) -> dict:
        return {"id": c.id, "code": c.code, "name": c.name, "category": c.category,
                "protected": c.protected, "area_id": c.area_id, "board_id": c.board_id,
                "devices": devices_by_circuit.get(c.id, []),
                "circuits": [circuit_node(x) for x in children.get(c.id, [])],
                "boards": [board_node(b) for b in boards_fed_by.get(c.id, [])]}

    def board_node(b: Board) -> dict:
        return {"id": b.id, "code": b.code, "name": b.name, "level": b.level,
                "room_id": b.room_id, "area_id": b.area_id,
                "circuits": [circuit_node(c) for c in roots_of_board.get(b.id, [])]}

    area_children = defaultdict(list)
    for a in areas:
        area_children[a.parent_id].append(a)

    def area_node(a: Area) -> dict:
        return {"id": a.id, "code": a.code, "name": a.name, "kind": a.kind,
                "children": [area_node(x) for x in area_children.get(a.id, [])]}

    return {
        "site": site,
        "areas": [area_node(a) for a in area_children.get(None, [])],
        "rooms": [{"id": r.id, "code": r.code, "name": r.name, "kind": r.kind,
                   "area_id": r.area_id} for r in rooms],
        "gateways": [{"id": g.id, "code": g.code, "name": g.name, "host": g.host, "port": g.port,
                      "transport": g.transport, "enabled": g.enabled} for g in gateways],
        "boards": [board_node(b) for b in boards_fed_by.get(None, [])],
        "unattached_devices": devices_by_circuit.get(None, []),
    }
