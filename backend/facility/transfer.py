"""Bulk import and export of a site's whole description (YAML) and its device list (CSV).

Records are keyed by code; references are codes. Import is all-or-nothing: every record is
judged by the services' rules and written with their audit entries, set-based
(backend/facility/transfer_engine.py), every error is collected with its line, and if there
is any the whole transaction is rolled back and ``import_invalid`` (422) raised. Records
missing from the file are never deleted. A file above the limits is refused (413), an
import past its time is rolled back (503): backend/facility/transfer_limits.py. The caller
commits (or, on a dry run, rolls back). Format: docs/facility-format.md.
"""
from __future__ import annotations

import csv
import functools
import io

import marshmallow as ma
from sqlalchemy import select

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.errors import DomainError, Forbidden
from backend.extensions import db
from backend.facility import sites
from backend.facility.schemas import SiteSchema
from backend.facility.transfer_engine import SECTIONS, Importer, Rec, flat_messages
from backend.facility.transfer_limits import check_records, deadline
from backend.facility.transfer_yaml import dump, invalid, parse
from backend.models import Role, Site
from backend.schemas import find_bad_input

FORMAT_VERSION = 1
SECTION_ORDER = ("areas", "rooms", "gateways", "knx_gateways", "boards", "circuits", "devices")
TOP_KEYS = ("version", "site", *SECTION_ORDER)
SITE_FIELDS = ("code", "name", "address", "timezone", "latitude", "longitude", "floor_area_m2")
HEADER = "# GridWarden facility description; format: docs/facility-format.md\n"
CSV_COLUMNS = ("code", "name", "kind", "circuit", "gateway", "unit_id", "profile", "area",
               "enabled", "poles", "rated_current", "trip_curve", "rated_residual_current",
               "rated_power")
CSV_REQUIRED = ("code", "name", "kind")


# --- YAML import ---------------------------------------------------------------------------
def import_yaml(actor: Actor, text: str, *, dry_run: bool = False) -> dict:
    """Create/update the site and every record of the file; returns the counts."""
    actor.require_role(Role.admin)
    until = deadline()
    doc, dup_errors = parse(text)
    check_records(sum(len(doc[name]) for name in SECTION_ORDER
                      if isinstance(doc.get(name), list)))
    imp = Importer(actor, until)
    imp.errors.extend(dup_errors)
    for key in doc:
        if key not in TOP_KEYS:
            imp.error(None, None, f"unknown key {key!r}; expected {', '.join(TOP_KEYS)}",
                      line=doc.line_of(key), path=str(key))
    if doc.get("version", FORMAT_VERSION) != FORMAT_VERSION:
        imp.error(None, None, f"version must be {FORMAT_VERSION}", line=doc.line_of("version"),
                  path="version")
    recs: dict[str, list[Rec]] = {}
    for name in SECTION_ORDER:
        items = doc.get(name)
        if items is None:
            items = []
        elif not isinstance(items, list):
            imp.error(None, None, f"{name} must be a list of records ('- code: ...')",
                      line=doc.line_of(name), path=name)
            items = []
        lines = getattr(items, "item_lines", [])
        recs[name] = [Rec(name, i, lines[i] if i < len(lines) else doc.line_of(name), item,
                          getattr(item, "key_lines", {})) for i, item in enumerate(items)]

    site, site_outcome = _import_site(imp, doc)
    loaded = {name: [r for r in imp.unique(SECTIONS[name], recs[name])
                     if imp.load(SECTIONS[name], r)] for name in SECTION_ORDER}
    if site is not None:
        imp.bind(site.id)
        written = {}
        for name in SECTION_ORDER:
            sec = SECTIONS[name]
            written[name] = imp.run(sec, loaded[name],
                                    skip_refs=("feeder",) if name == "boards" else ())
            if name == "circuits":      # boards first without, now with their feeder circuit
                imp.rewrite(SECTIONS["boards"], written["boards"], ["feeder"])
    if imp.errors:
        db.session.rollback()
        raise invalid(imp.errors)
    for name in SECTION_ORDER:
        imp.count(SECTIONS[name], loaded[name])
    imp.counts[site_outcome]["site"] += 1
    return _finish(imp, site, ("site", *SECTION_ORDER), "yaml", dry_run,
                   new_site=site_outcome == "created")


def _import_site(imp: Importer, doc) -> tuple[Site | None, str | None]:
    raw = doc.get("site")
    rec = Rec("site", None, getattr(raw, "line", doc.line_of("site")), raw,
              getattr(raw, "key_lines", {}))
    if raw is None:
        imp.error(None, None, "the file has no 'site:' block (code, name, ...)", line=1,
                  path="site")
        return None, None
    if not isinstance(raw, dict):
        imp.error(None, None, "site must be a mapping (code: ..., name: ...)", line=rec.line,
                  path="site")
        return None, None
    try:
        loaded = SiteSchema().load(raw)
    except ma.ValidationError as exc:
        for name, msgs in exc.messages.items():
            imp.error(rec, None if name == "_schema" else name, flat_messages(msgs))
        return None, None
    values = {f: None for f in SITE_FIELDS} | loaded
    rec.code = values["code"]
    site = db.session.scalar(select(Site).where(Site.code == values["code"]))
    if not imp.actor.can_see_site(site.id if site else None):
        # The same 403 for a new code and for another admin's site: whether a code is
        # taken is not revealed. Only system administrators add sites.
        raise Forbidden("only a system administrator can import a site you do not "
                        "administer (or a new one)", error="superadmin_required")
    try:
        with db.session.begin_nested():
            if site is None:
                return sites.create_site(imp.actor, values), "created"
            if all(getattr(site, k) == v for k, v in values.items()):
                return site, "unchanged"
            return sites.update_site(imp.actor, site.id, values), "updated"
    except DomainError as exc:
        imp.error(rec, None, exc.message)
        return None, None


def _finish(imp: Importer, site: Site, keys, fmt: str, dry_run: bool, *, new_site=False):
    result = imp.result(keys)
    if any(result["created"].values()) or any(result["updated"].values()):
        audit.record(imp.actor, "import", "site", site.id, site_id=site.id, after={
            "format": fmt,
            "created": {k: n for k, n in result["created"].items() if n},
            "updated": {k: n for k, n in result["updated"].items() if n}})
        db.session.flush()
    return {"site_id": None if dry_run and new_site else site.id, "site_code": site.code,
            "dry_run": dry_run, **result}


# --- YAML export ---------------------------------------------------------------------------
def export_yaml(actor: Actor, site_id: int) -> str:
    """The site's whole description, in exactly the format ``import_yaml`` reads."""
    return dump(export_doc(actor, site_id), HEADER)


def export_doc(actor: Actor, site_id: int) -> dict:
    """``export_yaml``'s document before it is written as YAML (records by code; the
    site box's configuration down compares them record by record)."""
    actor.require_role(Role.admin)
    site = sites.get_site(actor, site_id)
    doc: dict = {"version": FORMAT_VERSION, "site": _export_site(site)}
    codes = _codes(site_id)
    for name in SECTION_ORDER:
        rows = _rows(SECTIONS[name].model, site_id)
        if rows:
            doc[name] = [_export_record(SECTIONS[name], obj, codes) for obj in rows]
    return doc


def _plain(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@functools.cache
def _defaults(schema_cls) -> dict:
    out = {}
    for name, fld in schema_cls().load_fields.items():
        default = fld.load_default
        if default is not ma.missing:
            out[name] = default() if callable(default) else default
    return out


def _export_site(site: Site) -> dict:
    defaults = _defaults(SiteSchema)
    out = {}
    for name in SITE_FIELDS:
        value = _plain(getattr(site, name))
        if name in ("code", "name", "timezone") or (value is not None and
                                                   value != defaults.get(name)):
            out[name] = value
    return out


def _export_record(sec, obj, codes) -> dict:
    defaults = _defaults(sec.schema)
    out = {}
    for name in sec.order:
        if name in sec.refs:
            col, target = sec.refs[name]
            if getattr(obj, col) is not None:
                out[name] = codes[target][getattr(obj, col)]
            continue
        value = _plain(getattr(obj, name))
        if name in ("code", "name", *sec.always) or (value is not None and
                                                    value != defaults.get(name)):
            out[name] = value
    return out


def _rows(model, site_id: int):
    return db.session.scalars(select(model).where(model.site_id == site_id)
                              .order_by(model.code)).all()


def _codes(site_id: int) -> dict[str, dict[int, str]]:
    return {name: {i: c for c, i in db.session.execute(
        select(sec.model.code, sec.model.id).where(sec.model.site_id == site_id))}
        for name, sec in SECTIONS.items()}


# --- CSV device list -----------------------------------------------------------------------
def export_devices_csv(actor: Actor, site_id: int) -> str:
    actor.require_role(Role.admin)
    sites.get_site(actor, site_id)
    sec, codes = SECTIONS["devices"], _codes(site_id)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for obj in _rows(sec.model, site_id):
        row = []
        for name in CSV_COLUMNS:
            if name in sec.refs:
                col, target = sec.refs[name]
                value = codes[target].get(getattr(obj, col))
            else:
                value = _plain(getattr(obj, name))
            row.append("" if value is None else
                       ("true" if value else "false") if isinstance(value, bool) else value)
        writer.writerow(row)
    return buf.getvalue()


def import_devices_csv(actor: Actor, site_id: int, text: str, *, dry_run: bool = False) -> dict:
    """Create/update the devices of one site from CSV (header on line 1)."""
    actor.require_role(Role.admin)
    site = sites.get_site(actor, site_id)
    sec, imp = SECTIONS["devices"], Importer(actor, deadline())
    recs = _read_csv(imp, text or "")
    if recs is None:                    # no usable header: the rows cannot be read
        raise invalid(imp.errors)
    imp.bind(site.id)
    loaded = [r for r in imp.unique(sec, recs) if imp.load(sec, r)]
    imp.run(sec, loaded)
    if imp.errors:
        db.session.rollback()
        raise invalid(imp.errors)
    imp.count(sec, loaded)
    return _finish(imp, site, ("devices",), "csv", dry_run)


def _read_csv(imp: Importer, text: str) -> list[Rec] | None:
    text = text.lstrip("\ufeff")
    if not text.strip():
        imp.error(None, None, f"the file is empty: expected a header line "
                              f"({','.join(CSV_COLUMNS)})", line=1)
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    recs: list[Rec] = []
    try:
        header = [h.strip() for h in next(reader)]
        for h in header:
            if h not in CSV_COLUMNS:
                imp.error(None, None, f"unknown column {h!r}; expected {','.join(CSV_COLUMNS)}",
                          line=1)
        for h in {h for h in header if header.count(h) > 1}:
            imp.error(None, None, f"column {h!r} appears twice", line=1)
        for h in CSV_REQUIRED:
            if h not in header:
                imp.error(None, None, f"missing column {h!r}", line=1)
        if imp.errors:
            return None
        prev, rows = reader.line_num, 0
        for row in reader:
            line, prev = prev + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            rows += 1
            if rows % 1000 == 0:
                check_records(rows)
            if len(row) != len(header):
                imp.error(None, None, f"has {len(row)} cells, the header has {len(header)}",
                          line=line)
                continue
            raw = {h: cell.strip() for h, cell in zip(header, row) if cell.strip()}
            bad = find_bad_input(raw)
            if bad:
                imp.error(None, bad[0], bad[1], line=line, path=f"devices.{len(recs)}")
                continue
            recs.append(Rec("devices", len(recs), line, raw, columns=frozenset(header)))
    except (csv.Error, StopIteration) as exc:
        imp.error(None, None, f"not readable as CSV: {exc}", line=reader.line_num or 1)
        return None
    check_records(rows)
    return recs
