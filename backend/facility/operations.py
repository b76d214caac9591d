"""Areas, distribution rooms, boards, circuits, gateways and devices."""
from __future__ import annotations

from backend.errors import Conflict, invalid_field
from backend.extensions import db
from backend.facility.crud import SiteResource, ref
from backend.facility.profiles import check_device_profile
from backend.knx.groups import AddressError, check_attributes
from backend.models import Area, Board, Circuit, Device, DistributionRoom, Gateway, KnxGateway


def _merged(obj, data: dict, field: str):
    return data[field] if field in data else getattr(obj, field, None)


class Areas(SiteResource):
    model, entity_type, label = Area, "area", "area"
    EQ_FILTERS = ("parent_id", "kind")
    DEPENDENTS = ((Area, "parent_id", "areas"), (DistributionRoom, "area_id", "rooms"),
                  (Board, "area_id", "boards"), (Circuit, "area_id", "circuits"),
                  (Device, "area_id", "devices"))

    def validate(self, actor, obj, data, site_id):
        parent_id = data.get("parent_id")
        if "parent_id" in data and parent_id is not None:
            parent = ref(Area, parent_id, site_id, "parent_id", "area")
            seen = set()
            while parent is not None:
                if obj.id is not None and parent.id == obj.id:
                    invalid_field("parent_id", "would make the area tree a cycle")
                if parent.id in seen:
                    break
                seen.add(parent.id)
                parent = db.session.get(Area, parent.parent_id) if parent.parent_id else None


class Rooms(SiteResource):
    model, entity_type, label = DistributionRoom, "room", "room"
    EQ_FILTERS = ("area_id", "kind")
    DEPENDENTS = ((Board, "room_id", "boards"),)

    def validate(self, actor, obj, data, site_id):
        ref(Area, data.get("area_id"), site_id, "area_id", "area")


def upstream_of_circuit(circuit: Circuit) -> Circuit | None:
    """The circuit that feeds ``circuit``: its parent, else its board's feeder circuit."""
    if circuit.parent_id is not None:
        return db.session.get(Circuit, circuit.parent_id)
    board = db.session.get(Board, circuit.board_id)
    if board is not None and board.feeder_circuit_id is not None:
        return db.session.get(Circuit, board.feeder_circuit_id)
    return None


def _chain_reaches(start: Circuit | None, *, circuit_ids: set[int], board_id: int | None) -> bool:
    """Walk upstream from ``start``; True if it reaches one of ``circuit_ids`` or ``board_id``."""
    seen: set[int] = set()
    node = start
    while node is not None and node.id not in seen:
        if node.id in circuit_ids or (board_id is not None and node.board_id == board_id):
            return True
        seen.add(node.id)
        node = upstream_of_circuit(node)
    return False


class Boards(SiteResource):
    model, entity_type, label = Board, "board", "board"
    EQ_FILTERS = ("room_id", "area_id", "level", "feeder_circuit_id")
    DEPENDENTS = ((Circuit, "board_id", "circuits"),)

    def validate(self, actor, obj, data, site_id):
        ref(DistributionRoom, data.get("room_id"), site_id, "room_id", "room")
        ref(Area, data.get("area_id"), site_id, "area_id", "area")
        if data.get("feeder_circuit_id") is not None:
            feeder = ref(Circuit, data["feeder_circuit_id"], site_id, "feeder_circuit_id",
                         "circuit")
            # A board fed (directly or further up) by one of its own circuits is a cycle.
            if obj.id is not None and _chain_reaches(feeder, circuit_ids=set(), board_id=obj.id):
                invalid_field("feeder_circuit_id", "would make the supply tree a cycle")


class Circuits(SiteResource):
    model, entity_type, label = Circuit, "circuit", "circuit"
    EQ_FILTERS = ("board_id", "parent_id", "area_id", "category", "protected")
    DEPENDENTS = ((Circuit, "parent_id", "downstream circuits"),
                  (Board, "feeder_circuit_id", "boards fed by it"),
                  (Device, "circuit_id", "devices"))

    def validate(self, actor, obj, data, site_id):
        board = ref(Board, _merged(obj, data, "board_id"), site_id, "board_id", "board")
        if board is None:
            invalid_field("board_id", "is required")
        ref(Area, data.get("area_id"), site_id, "area_id", "area")
        parent_id = _merged(obj, data, "parent_id")
        if parent_id is None:
            return
        parent = ref(Circuit, parent_id, site_id, "parent_id", "circuit")
        if obj.id is not None and parent.id == obj.id:
            invalid_field("parent_id", "a circuit cannot feed itself")
        # Downstream circuits of this one (and boards they feed) must not appear upstream.
        own = {obj.id} if obj.id is not None else set()
        if own and _chain_reaches(parent, circuit_ids=own, board_id=None):
            invalid_field("parent_id", "would make the supply tree a cycle")
        # The parent must be on the same board or upstream of it, never downstream.
        if parent.board_id != board.id and _chain_reaches(parent, circuit_ids=set(),
                                                          board_id=board.id):
            invalid_field("parent_id", "is downstream of this circuit's board")


class Gateways(SiteResource):
    model, entity_type, label = Gateway, "gateway", "gateway"
    EQ_FILTERS = ("transport", "enabled")
    DEPENDENTS = ((Device, "gateway_id", "devices"),)


class KnxGateways(SiteResource):
    model, entity_type, label = KnxGateway, "knx_gateway", "knx_gateway"
    EQ_FILTERS = ("mode", "enabled")
    DEPENDENTS = ((Device, "knx_gateway_id", "devices"),)


BREAKER_FIELDS = ("poles", "rated_current", "trip_curve", "rated_residual_current", "rated_power")
MODBUS_KINDS = {"breaker", "meter", "env_sensor", "temp_sensor", "load"}


class Devices(SiteResource):
    model, entity_type, label = Device, "device", "device"
    EQ_FILTERS = ("kind", "circuit_id", "gateway_id", "area_id", "profile", "enabled")

    def validate(self, actor, obj, data, site_id):
        ref(Circuit, data.get("circuit_id"), site_id, "circuit_id", "circuit")
        ref(Area, data.get("area_id"), site_id, "area_id", "area")
        ref(Gateway, data.get("gateway_id"), site_id, "gateway_id", "gateway")
        ref(KnxGateway, data.get("knx_gateway_id"), site_id, "knx_gateway_id", "KNX gateway")
        gateway_id, unit_id = _merged(obj, data, "gateway_id"), _merged(obj, data, "unit_id")
        device_rules(_merged(obj, data, "kind"), gateway_id, unit_id,
                     _merged(obj, data, "profile"), data,
                     lambda: db.session.query(Device.id).filter(
                         Device.gateway_id == gateway_id, Device.unit_id == unit_id,
                         Device.id != (obj.id or 0)).first() is not None)


def device_rules(kind, gateway_id, unit_id, profile, data: dict, unit_taken) -> None:
    """A device's own rules, for the service and the bulk import alike (which tells
    ``unit_taken()`` from the site it holds in memory instead of asking the database)."""
    if kind in MODBUS_KINDS and gateway_id is not None and unit_id is None:
        invalid_field("unit_id", "is required for a device on a Modbus gateway")
    if gateway_id is None and unit_id is not None:
        invalid_field("gateway_id", "is required when unit_id is given")
    if gateway_id is not None and unit_id is not None and unit_taken():
        raise Conflict(f"unit id {unit_id} is already used on gateway {gateway_id}",
                       error="duplicate_unit_id",
                       errors={"unit_id": ["already used on this gateway"]})
    if kind != "breaker":
        for field in BREAKER_FIELDS:
            if data.get(field) is not None:
                invalid_field(field, "applies to breakers only")
    if kind != "camera" and data.get("stream_url") is not None:
        invalid_field("stream_url", "only cameras have a stream URL")
    if "profile" in data or "kind" in data:
        check_device_profile(profile, kind)
    if kind != "knx_group" and data.get("knx_gateway_id") is not None:
        invalid_field("knx_gateway_id", "only knx_group devices are on a KNX gateway")
    if kind == "knx_group" and "attributes" in data:
        try:
            check_attributes(data.get("attributes") or {})
        except AddressError as exc:
            invalid_field(f"attributes.{exc.field}", str(exc), "invalid_group_address")


areas, rooms, boards, circuits, gateways, devices = (
    Areas(), Rooms(), Boards(), Circuits(), Gateways(), Devices())
knx_gateways = KnxGateways()
