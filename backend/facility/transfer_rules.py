"""The cross-record rules of the facility services (backend/facility/operations.py), checked
against the site held in memory: the bulk import validates a whole file without one query
per record.

``SiteState`` holds the site's rows (id -> column values) as the import changes them, in
file order, so each record is judged against the site as it stands after the records before
it, exactly as the services judge it against the database. ``check(section, state, row,
data)`` raises the services' own errors (``invalid_field``, ``Conflict``) with their
messages; ``row`` is the stored record (None: a new one), ``data`` the new values.
Keep the two in step: tests/test_transfer_bulk.py runs both on the same mistakes.
"""
from __future__ import annotations

from backend.errors import invalid_field
from backend.facility.operations import device_rules


class SiteState:
    # New devices are not kept as rows: no rule looks a device up by id, and a site's
    # devices are the bulk of a large file. Only their unit ids are.
    LEAN = ("devices",)

    def __init__(self, rows: dict[str, dict[int, dict]]):
        self.rows = rows
        # (gateway id, unit id) -> (device id, device code)
        self.units: dict[tuple[int, int], tuple[int, str]] = {}
        for dev in rows.get("devices", {}).values():
            if dev["gateway_id"] is not None and dev["unit_id"] is not None:
                self.units[(dev["gateway_id"], dev["unit_id"])] = (dev["id"], dev["code"])

    def put(self, section: str, row: dict) -> None:
        """The record after a successful create or update."""
        old = self.rows[section].get(row["id"])
        if section == "devices":
            if old is not None:
                key = (old["gateway_id"], old["unit_id"])
                if self.units.get(key, (None,))[0] == old["id"]:
                    del self.units[key]
            if row["gateway_id"] is not None and row["unit_id"] is not None:
                self.units[(row["gateway_id"], row["unit_id"])] = (row["id"], row["code"])
        if old is not None or section not in self.LEAN:
            self.rows[section][row["id"]] = row

    def upstream(self, circuit: dict) -> dict | None:
        """The circuit that feeds ``circuit``: its parent, else its board's feeder circuit."""
        circuits = self.rows["circuits"]
        if circuit["parent_id"] is not None:
            return circuits.get(circuit["parent_id"])
        board = self.rows["boards"].get(circuit["board_id"])
        if board is not None and board["feeder_circuit_id"] is not None:
            return circuits.get(board["feeder_circuit_id"])
        return None

    def chain_reaches(self, start: dict | None, *, circuit_ids: set, board_id) -> bool:
        seen: set[int] = set()
        node = start
        while node is not None and node["id"] not in seen:
            if node["id"] in circuit_ids or (board_id is not None and node["board_id"] == board_id):
                return True
            seen.add(node["id"])
            node = self.upstream(node)
        return False


def _merged(row: dict | None, data: dict, name: str):
    return data[name] if name in data else (row or {}).get(name)


def _areas(state: SiteState, row, data) -> None:
    parent_id = data.get("parent_id")
    if "parent_id" in data and parent_id is not None:
        areas, seen = state.rows["areas"], set()
        parent = areas.get(parent_id)
        while parent is not None:
            if row is not None and parent["id"] == row["id"]:
                invalid_field("parent_id", "would make the area tree a cycle")
            if parent["id"] in seen:
                break
            seen.add(parent["id"])
            parent = areas.get(parent["parent_id"]) if parent["parent_id"] else None


def _boards(state: SiteState, row, data) -> None:
    if data.get("feeder_circuit_id") is not None:
        feeder = state.rows["circuits"].get(data["feeder_circuit_id"])
        if row is not None and state.chain_reaches(feeder, circuit_ids=set(), board_id=row["id"]):
            invalid_field("feeder_circuit_id", "would make the supply tree a cycle")


def _circuits(state: SiteState, row, data) -> None:
    board = state.rows["boards"].get(_merged(row, data, "board_id"))
    if board is None:
        invalid_field("board_id", "is required")
    parent_id = _merged(row, data, "parent_id")
    if parent_id is None:
        return
    parent = state.rows["circuits"].get(parent_id)
    if parent is None:
        invalid_field("parent_id", f"no circuit {parent_id} in this site")
    if row is not None and parent["id"] == row["id"]:
        invalid_field("parent_id", "a circuit cannot feed itself")
    if row is not None and state.chain_reaches(parent, circuit_ids={row["id"]}, board_id=None):
        invalid_field("parent_id", "would make the supply tree a cycle")
    if parent["board_id"] != board["id"] and state.chain_reaches(parent, circuit_ids=set(),
                                                                  board_id=board["id"]):
        invalid_field("parent_id", "is downstream of this circuit's board")


def _devices(state: SiteState, row, data) -> None:
    gateway_id, unit_id = _merged(row, data, "gateway_id"), _merged(row, data, "unit_id")

    def unit_taken() -> bool:
        clash = state.units.get((gateway_id, unit_id))
        return clash is not None and (row is None or clash[0] != row["id"])

    device_rules(_merged(row, data, "kind"), gateway_id, unit_id, _merged(row, data, "profile"),
                 data, unit_taken)


_CHECKS = {"areas": _areas, "boards": _boards, "circuits": _circuits, "devices": _devices}


def check(section: str, state: SiteState, row: dict | None, data: dict) -> None:
    """Raise what the section's service would raise for this create/update."""
    fn = _CHECKS.get(section)
    if fn is not None:
        fn(state, row, data)
