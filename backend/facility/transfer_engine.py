"""The record engine of the facility import: validate, resolve codes, write through services.

Shared by the YAML import (every section) and the CSV import (devices). A record is one
mapping of the file; its fields are checked with the API's own marshmallow schemas, its
references (codes) resolved to ids, and it is created or updated through the SiteResource
service, each inside a SAVEPOINT so one failing record does not hide the errors of others.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import marshmallow as ma
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.accounts.security import Actor
from backend.errors import DomainError
from backend.extensions import db
from backend.facility import operations as facility
from backend.facility.schemas import (
    AreaSchema,
    BoardSchema,
    CircuitSchema,
    DeviceSchema,
    GatewaySchema,
    RoomSchema,
)
from backend.models import Device

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
             "area": ("area_id", "areas")},
            ("code", "name", "kind", "circuit", "gateway", "unit_id", "profile", "area",
             "enabled", "poles", "rated_current", "trip_curve", "rated_residual_current",
             "rated_power", "attributes"), always=("kind",)),
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


class Importer:
    def __init__(self, actor: Actor):
        self.actor = actor
        self.site_id: int | None = None
        self.errors: list[dict] = []
        self.ids: dict[str, dict[str, int]] = {name: {} for name in SECTIONS}
        self.failed: dict[str, set] = {name: set() for name in SECTIONS}
        self.counts = {k: Counter() for k in ("created", "updated", "unchanged")}

    def error(self, rec: Rec | None, name: str | None, message: str, *, line=None,
              path: str = "") -> None:
        entry = {"line": line or (rec.line_of(name) if rec else 1),
                 "path": (f"{rec.path}.{name}" if name else rec.path) if rec else path}
        if name:
            entry["field"] = name
        if rec is not None and rec.code:
            entry["code"] = rec.code
        entry["message"] = message
        self.errors.append(entry)

    def bind(self, site_id: int) -> None:
        self.site_id = site_id
        for name, sec in SECTIONS.items():
            m = sec.model
            self.ids[name] = dict(db.session.execute(
                select(m.code, m.id).where(m.site_id == site_id)).all())

    # --- phase 1: the fields -------------------------------------------------------------
    def load(self, sec: Section, rec: Rec) -> bool:
        raw = rec.raw
        if not isinstance(raw, dict):
            self.error(rec, None, f"each entry of {sec.name} must be a mapping "
                                  f"(code: ..., name: ...)")
            return False
        ok = True
        for name in sec.refs:
            if name in raw:
                value = raw[name]
                if value is not None and not isinstance(value, str):
                    self.error(rec, name, f"must be the code (text) of a "
                                          f"{SECTIONS[sec.refs[name][1]].label}")
                    ok = False
                rec.refs[name] = value
            elif rec.columns is None or name in rec.columns:
                rec.refs[name] = None       # absent (YAML) or an empty cell (CSV): no reference
        body = {k: v for k, v in raw.items() if k not in sec.refs}
        schema = sec.loader()
        partial = () if rec.columns is None else tuple(
            f for f in schema.load_fields if f not in rec.columns)
        try:
            loaded = schema.load(body, partial=partial)
        except ma.ValidationError as exc:
            for name, msgs in exc.messages.items():
                self.error(rec, None if name == "_schema" else name, flat_messages(msgs))
            ok = False
            loaded = {}
        fields = schema.load_fields if rec.columns is None else \
            [f for f in schema.load_fields if f in rec.columns]
        rec.values = {f: None for f in fields} | loaded
        if (sec.name, "board") in REQUIRED_REFS and not rec.refs.get("board"):
            if rec.columns is None or "board" in rec.columns:
                self.error(rec, "board", "Missing data for required field.")
                ok = False
        if not ok and rec.code:
            self.failed[sec.name].add(rec.code)
        return ok

    # --- phase 2: resolve and write ------------------------------------------------------
    def unique(self, sec: Section, recs: list[Rec]) -> list[Rec]:
        """Drop (and report) the second record with a code; call before ``load``."""
        seen: dict[str, Rec] = {}
        out = []
        for rec in recs:
            if isinstance(rec.raw, dict) and isinstance(rec.raw.get("code"), str):
                rec.code = rec.raw["code"]
            if rec.code is not None and rec.code in seen:
                self.error(rec, "code", f"duplicate code {rec.code!r} in this file "
                                        f"(first on line {seen[rec.code].line})")
                continue
            seen[rec.code] = rec
            out.append(rec)
        return out

    def ordered(self, sec: Section, recs: list[Rec]) -> list[Rec]:
        """Parents before children (areas, circuits); members of a cycle are reported."""
        if sec.self_ref is None:
            return recs
        by_code = {r.code: r for r in recs}
        children: dict[str, list[Rec]] = {}
        out, pending = [], []
        for rec in recs:
            parent = rec.refs.get(sec.self_ref)
            if parent in by_code:
                children.setdefault(parent, []).append(rec)
                pending.append(rec)
            else:
                out.append(rec)
        i = 0
        while i < len(out):
            out.extend(children.pop(out[i].code, []))
            i += 1
        done = {id(r) for r in out}
        for rec in pending:
            if id(rec) in done:
                continue
            chain, node = [rec.code], by_code.get(rec.refs.get(sec.self_ref))
            while node is not None and node.code not in chain:
                chain.append(node.code)
                node = by_code.get(node.refs.get(sec.self_ref))
            if node is not None and node.code == rec.code:
                loop = " -> ".join(chain + [rec.code])
                self.error(rec, sec.self_ref, f"would make the {sec.label} tree a cycle ({loop})")
            self.failed[sec.name].add(rec.code)
        return out

    def resolve(self, sec: Section, rec: Rec, names) -> dict | None:
        out, ok = {}, True
        for name in names:
            if name not in rec.refs:
                continue
            col, target = sec.refs[name]
            code = rec.refs[name]
            if code is None:
                out[col] = None
            elif code in self.failed[target]:
                ok = False          # the target has errors of its own, already reported
            elif code in self.ids[target]:
                out[col] = self.ids[target][code]
            else:
                self.error(rec, name, f"no {SECTIONS[target].label} with code {code!r} "
                                      f"in this site or this file")
                ok = False
        return out if ok else None

    def write(self, sec: Section, rec: Rec, data: dict) -> bool:
        obj_id = self.ids[sec.name].get(rec.code)
        try:
            with db.session.begin_nested():
                if obj_id is None:
                    obj = sec.service.create(self.actor, {"site_id": self.site_id, **data})
                    self.ids[sec.name][rec.code] = obj.id
                    rec.outcome = "created"
                    return True
                obj = db.session.get(sec.model, obj_id)
                if any(getattr(obj, k) != v for k, v in data.items()):
                    sec.service.update(self.actor, obj_id, data)
                    rec.outcome = rec.outcome if rec.outcome == "created" else "updated"
                else:
                    rec.outcome = rec.outcome or "unchanged"
                return True
        except DomainError as exc:
            self.domain_error(sec, rec, data, exc)
        except IntegrityError as exc:
            detail = getattr(getattr(exc.orig, "diag", None), "message_detail", None)
            self.error(rec, None, "conflicts with existing data" + (f": {detail}" if detail else ""))
        if obj_id is None:
            self.failed[sec.name].add(rec.code)
        return False

    def domain_error(self, sec: Section, rec: Rec, data: dict, exc: DomainError) -> None:
        if exc.error == "duplicate_unit_id" and "gateway_id" in data and "unit_id" in data:
            gw_id, unit_id = data["gateway_id"], data["unit_id"]
            gw = {v: k for k, v in self.ids["gateways"].items()}.get(gw_id)
            other = db.session.scalar(select(Device.code).where(
                Device.gateway_id == gw_id, Device.unit_id == unit_id, Device.code != rec.code))
            self.error(rec, "unit_id", f"unit id {unit_id} is already used on "
                                       f"gateway {gw!r} by device {other!r}")
        elif isinstance(exc.errors, dict) and exc.errors:
            for col, msgs in exc.errors.items():
                self.error(rec, sec.file_field(col), flat_messages(msgs))
        else:
            self.error(rec, None, exc.message)

    def run(self, sec: Section, recs: list[Rec], *, skip_refs=()) -> list[Rec]:
        """Create/update the (unique, loaded) records of one section; returns those written."""
        written = []
        for rec in self.ordered(sec, recs):
            refs = self.resolve(sec, rec, [n for n in sec.refs if n not in skip_refs])
            if refs is None:
                self.failed[sec.name].add(rec.code)
                continue
            if self.write(sec, rec, rec.values | refs):
                written.append(rec)
        return written

    def count(self, sec: Section, recs: list[Rec]) -> None:
        for rec in recs:
            if rec.outcome:
                self.counts[rec.outcome][sec.name] += 1

    def result(self, keys) -> dict:
        return {k: {name: c[name] for name in keys} for k, c in self.counts.items()}
