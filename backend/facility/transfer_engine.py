"""The record engine of the facility import: validate, resolve codes, write set-based.

Shared by the YAML import (every section) and the CSV import (devices). A record is one
mapping of the file; its fields are checked with the API's own marshmallow schemas, its
references (codes) resolved to ids, and it is judged by the services' cross-record rules
(backend/facility/transfer_rules.py) against the site held in memory, record after record
in file order, so one failing record does not hide the errors of others. The records that
pass are written per section in a few set-based statements (backend/facility/transfer_store.py)
with the audit entries the services would write: the number of statements does not grow
with the number of records (tests/test_transfer_bulk.py), and the import answers in
seconds, not minutes (docs/benchmarks.md). ``deadline`` (a ``time.monotonic()`` value)
bounds it: past it the import stops with ``import_timeout`` and nothing is written.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import marshmallow as ma
from sqlalchemy.exc import OperationalError

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.errors import DomainError
from backend.facility import transfer_store as store
from backend.facility.transfer_limits import timed_out
from backend.facility.transfer_rules import SiteState, check
from backend.facility.transfer_sections import (  # noqa: F401  (re-exported)
    REQUIRED_REFS,
    SECTIONS,
    Rec,
    Section,
    flat_messages,
)

CHUNK = 2000                # records judged between two writes (and looks at the deadline)


class Importer:
    def __init__(self, actor: Actor, deadline: float | None = None):
        self.actor = actor
        self.deadline = deadline
        self.site_id: int | None = None
        self.errors: list[dict] = []
        self.ids: dict[str, dict[str, int]] = {name: {} for name in SECTIONS}
        self.failed: dict[str, set] = {name: set() for name in SECTIONS}
        self.counts = {k: Counter() for k in ("created", "updated", "unchanged")}
        self.state: SiteState | None = None
        self.reserved: dict[str, dict[str, int]] = {name: {} for name in SECTIONS}

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
        """Read the site's records once (one query per section)."""
        self.site_id = site_id
        rows = {name: store.load_rows(sec.model, site_id) for name, sec in SECTIONS.items()}
        self.ids = {name: {r["code"]: i for i, r in rows[name].items()} for name in SECTIONS}
        self.state = SiteState(rows)
        self.on_time()

    def on_time(self) -> None:
        """Past the deadline: stop (the caller rolls back); else bound each statement by the
        time left, so PostgreSQL cancels one that would end past it (a lock wait)."""
        if self.deadline is None:
            return
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise timed_out()
        store.set_statement_timeout(left)

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

    def apply(self, sec: Section, rec: Rec, data: dict, pending: "Pending") -> bool:
        """Judge one create/update against the site in memory; queue it if it passes."""
        name = sec.name
        obj_id = self.ids[name].get(rec.code)
        row = None if obj_id is None else self.state.rows[name][obj_id]
        if row is not None and all(row[k] == v for k, v in data.items()):
            rec.outcome = rec.outcome or "unchanged"
            return True
        try:
            check(name, self.state, row, data)
        except DomainError as exc:
            self.domain_error(sec, rec, data, exc)
            if obj_id is None:
                self.failed[name].add(rec.code)
            return False
        if row is None:
            new = store.new_row(sec.model, {**data, "id": self.reserved[name][rec.code],
                                            "site_id": self.site_id})
            self.ids[name][rec.code] = new["id"]
            pending.inserts.append(new)
            pending.audit.append(audit.entry(self.actor, "create", sec.service.entity_type,
                                             new["id"], site_id=self.site_id,
                                             after=audit.jsonable_row(new)))
            self.state.put(name, dict(new))
            rec.outcome = "created"
            return True
        new = row | data
        pending.updates.append({"id": obj_id, **data})
        entry = audit.entry(self.actor, "update", sec.service.entity_type, obj_id,
                            site_id=self.site_id, before=audit.jsonable_row(row),
                            after=audit.jsonable_row(new))
        if entry is not None:
            pending.audit.append(entry)
        self.state.put(name, new)
        rec.outcome = rec.outcome if rec.outcome == "created" else "updated"
        return True

    def domain_error(self, sec: Section, rec: Rec, data: dict, exc: DomainError) -> None:
        if exc.error == "duplicate_unit_id" and "gateway_id" in data and "unit_id" in data:
            gw_id, unit_id = data["gateway_id"], data["unit_id"]
            gw = {v: k for k, v in self.ids["gateways"].items()}.get(gw_id)
            other = self.state.units[(gw_id, unit_id)][1]
            self.error(rec, "unit_id", f"unit id {unit_id} is already used on "
                                       f"gateway {gw!r} by device {other!r}")
        elif isinstance(exc.errors, dict) and exc.errors:
            for col, msgs in exc.errors.items():
                self.error(rec, sec.file_field(col), flat_messages(msgs))
        else:
            self.error(rec, None, exc.message)

    def run(self, sec: Section, recs: list[Rec], *, skip_refs=()) -> list[Rec]:
        """Create/update the (unique, loaded) records of one section; returns those written."""
        recs = self.ordered(sec, recs)
        new = [r.code for r in recs if r.code not in self.ids[sec.name]]
        self.reserved[sec.name].update(zip(new, store.reserve_ids(sec.model, len(new))))
        written, pending = [], Pending()
        for i, rec in enumerate(recs):
            if i % CHUNK == CHUNK - 1:
                pending = self.flush(sec, pending)
            refs = self.resolve(sec, rec, [n for n in sec.refs if n not in skip_refs])
            if refs is None:
                self.failed[sec.name].add(rec.code)
                continue
            if self.apply(sec, rec, rec.values | refs, pending):
                written.append(rec)
            rec.raw, rec.values = None, {}      # memory: only the outcome and refs are read on
        self.flush(sec, pending)
        return written

    def rewrite(self, sec: Section, recs: list[Rec], names) -> None:
        """A second pass over written records for the references left out of the first
        (boards' feeder circuits, once the circuits exist)."""
        pending = Pending()
        for rec in recs:
            refs = self.resolve(sec, rec, names)
            if refs:
                self.apply(sec, rec, refs, pending)
        self.flush(sec, pending)

    def flush(self, sec: Section, pending: "Pending") -> "Pending":
        """The section's queued writes, set-based; returns an empty queue. Nothing is written
        once there are errors: the import will be rolled back, and the records after only
        need the ids (reserved)."""
        self.on_time()
        if self.errors:
            return Pending()
        try:
            store.insert_rows(sec.model, pending.inserts)
            store.update_rows(sec.model, pending.updates)
            audit.record_many(pending.audit)
        except OperationalError as exc:
            if getattr(exc.orig, "pgcode", None) == "57014":     # query_canceled: the timeout
                raise timed_out() from None
            raise
        return Pending()

    def count(self, sec: Section, recs: list[Rec]) -> None:
        for rec in recs:
            if rec.outcome:
                self.counts[rec.outcome][sec.name] += 1

    def result(self, keys) -> dict:
        return {k: {name: c[name] for name in keys} for k, c in self.counts.items()}


@dataclass
class Pending:
    """One section's writes, queued while its records are judged."""
    inserts: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    audit: list[dict] = field(default_factory=list)
