"""The sections of the facility file: for each, its service, its schema, its references
(file field -> id column and target section) and its export order; and ``Rec``, one record
of the file as the import engine (backend/facility/transfer_engine.py) carries it."""
from __future__ import annotations

from dataclasses import dataclass, field

import marshmallow as ma

from backend.facility import operations as facility
from backend.facility.schemas import (
    AreaSchema,
    BoardSchema,
    CircuitSchema,
    DeviceSchema,
    GatewaySchema,
    KnxGatewaySchema,
    RoomSchema,
)

_LOADERS: dict[str, ma.Schema] = {}


@dataclass(frozen=True)
class Section:
    name: str              # key in the file: "circuits"
    label: str             # "circuit"
    service: object        # SiteResource
    schema: type           # the API schema
    refs: dict             # file field -> (id column, target section)
    order: tuple           # export field order (refs included)
    always: tuple = ()     # exported even when equal to the default
    self_ref: str | None = None

    @property
    def model(self):
        return self.service.model

    def loader(self) -> ma.Schema:
        """The API schema without site_id and the id references (the file uses codes)."""
        if self.name not in _LOADERS:
            cols = tuple(col for col, _ in self.refs.values())
            _LOADERS[self.name] = self.schema(exclude=("site_id", *cols))
        return _LOADERS[self.name]

    def file_field(self, column: str) -> str:
        for name, (col, _) in self.refs.items():
            if col == column:
                return name
        return column


SECTIONS = {s.name: s for s in (
    Section("areas", "area", facility.areas, AreaSchema,
            {"parent": ("parent_id", "areas")}, ("code", "name", "kind", "parent"),
            always=("kind",), self_ref="parent"),
    Section("rooms", "room", facility.rooms, RoomSchema,
            {"area": ("area_id", "areas")}, ("code", "name", "kind", "area"), always=("kind",)),
    Section("gateways", "gateway", facility.gateways, GatewaySchema, {},
            ("code", "name", "host", "port", "transport", "timeout_ms", "enabled"),
            always=("port", "transport")),
    Section("knx_gateways", "KNX gateway", facility.knx_gateways, KnxGatewaySchema, {},
            ("code", "name", "mode", "host", "port", "local_ip", "individual_address",
             "enabled"), always=("mode", "port")),
    Section("boards", "board", facility.boards, BoardSchema,
            {"room": ("room_id", "rooms"), "area": ("area_id", "areas"),
             "feeder": ("feeder_circuit_id", "circuits")},
            ("code", "name", "level", "room", "area", "feeder"), always=("level",)),
    Section("circuits", "circuit", facility.circuits, CircuitSchema,
            {"board": ("board_id", "boards"), "parent": ("parent_id", "circuits"),
             "area": ("area_id", "areas")},
            ("code", "name", "board", "parent", "category", "area", "protected"),
            always=("category",), self_ref="parent"),
    Section("devices", "device", facility.devices, DeviceSchema,
            {"circuit": ("circuit_id", "circuits"), "gateway": ("gateway_id", "gateways"),
             "area": ("area_id", "areas"), "knx_gateway": ("knx_gateway_id", "knx_gateways")},
            ("code", "name", "kind", "circuit", "gateway", "knx_gateway", "unit_id", "profile", "area",
             "enabled", "poles", "rated_current", "trip_curve", "rated_residual_current",
             "rated_power", "stream_url", "attributes"), always=("kind",)),
)}
REQUIRED_REFS = {("circuits", "board")}


@dataclass
class Rec:
    section: str
    index: int | None
    line: int
    raw: object
    key_lines: dict = field(default_factory=dict)
    columns: frozenset | None = None   # CSV: the columns present (None: every field)
    code: str | None = None
    values: dict = field(default_factory=dict)
    refs: dict = field(default_factory=dict)
    outcome: str | None = None

    @property
    def path(self) -> str:
        return self.section if self.index is None else f"{self.section}[{self.index}]"

    def line_of(self, name) -> int:
        return self.key_lines.get(name, self.line)


def flat_messages(msgs) -> str:
    if isinstance(msgs, dict):
        return "; ".join(f"{k}: {flat_messages(v)}" for k, v in msgs.items())
    if isinstance(msgs, (list, tuple)):
        return " ".join(flat_messages(m) for m in msgs)
    return str(msgs)
