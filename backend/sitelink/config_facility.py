"""Configuration down, the facility: the site's areas, rooms, gateways, boards, circuits and
devices in the same versioned document, written at the box by the facility transfer
(``facility.transfer``: records by code, every record judged by the services' rules and
audited) inside the version's transaction, before the users and rules that name them.

Entries are the export's records, ``{"key": "<section>:<code>" | "site", "values"}`` in
the export's order (the import judges each against the records before it). Per record
the rule of the users and rules (``config_rules``): unchanged here, the centre's record is
imported; changed here (a local admin while cut off), kept and shown as a local change,
a conflict when the centre changed it too. The transfer never deletes: a record the
centre deleted stays at the box as its own (delete it at both ends).
"""
from __future__ import annotations

import orjson
from sqlalchemy import select, text

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.errors import DomainError, NotFound
from backend.extensions import db
from backend.facility.transfer import FORMAT_VERSION, SECTION_ORDER, export_doc, import_yaml
from backend.facility.transfer_sections import SECTIONS
from backend.facility.transfer_yaml import dump
from backend.models import ConfigItem, Site
from backend.sitelink import config_profiles
from backend.sitelink.config_kinds import ConfigRejected, verdict
from backend.sitelink.config_rules import diff

KIND = "facility"
ACTOR = "system:config"


def _plain(value):
    return orjson.loads(orjson.dumps(value))       # as it travels: dates as text, ...


def records(site_id: int) -> list[dict]:
    """The site's facility as ``{"key", "values"}`` entries, in the export's order."""
    doc = _plain(export_doc(Actor.system(ACTOR), site_id))
    out = [{"key": "site", "values": doc["site"]}]
    for section in SECTION_ORDER:
        out += [{"key": f"{section}:{r['code']}", "values": r} for r in doc.get(section, [])]
    return out


def _entries(raw) -> list[tuple[str, dict]]:
    if not isinstance(raw, list) or not all(
            isinstance(e, dict) and isinstance(e.get("key"), str)
            and isinstance(e.get("values"), dict) for e in raw):
        raise ConfigRejected("facility: a list of {key, values} is required")
    keys = [e["key"] for e in raw]
    if len(set(keys)) != len(keys) or "site" not in keys or not all(
            k == "site" or k.split(":", 1)[0] in SECTION_ORDER for k in keys):
        raise ConfigRejected("facility: each key once, the site and <section>:<code> only")
    return [(e["key"], e["values"]) for e in raw]


def _import(site_values: dict, entries: list[tuple[str, dict]]) -> None:
    doc: dict = {"version": FORMAT_VERSION, "site": site_values}
    for section in SECTION_ORDER:
        rows = [v for k, v in entries if k.split(":", 1)[0] == section]
        if rows:
            doc[section] = rows
    try:
        import_yaml(Actor.system(ACTOR), dump(doc))
    except DomainError as exc:
        errors = exc.errors if isinstance(exc.errors, list) else []
        # Named by record (the generated file's lines mean nothing to anyone).
        detail = "; ".join(f"{e.get('path', '').split('[')[0]} {e.get('code', '')}"
                           f"{'.' + e['field'] if e.get('field') else ''}: {e.get('message')}"
                           for e in errors[:3] if isinstance(e, dict))
        raise ConfigRejected(f"facility: {detail or exc.message}"[:1500]) from exc
    # The import bounds its statements by its own deadline (SET LOCAL): not the rest of
    # this version's transaction.
    db.session.execute(text("SET LOCAL statement_timeout TO DEFAULT"))


def bootstrap(doc: dict) -> Site | None:
    """A box with no site yet imports the centre's whole facility (after the profiles its
    devices use), so a new box needs only its token and the centre's address; the
    version's apply then finds every record as the centre has it."""
    entries = _entries(doc[KIND])
    try:
        version = int(doc.get("version"))
    except (TypeError, ValueError) as exc:
        raise ConfigRejected("version: an integer is required") from exc
    config_profiles.apply(doc, version, None, {})
    values = dict(entries)
    _import(values["site"], [(k, v) for k, v in entries if k != "site"])
    return db.session.scalar(select(Site).order_by(Site.id).limit(1))


def apply(doc: dict, version: int, site: Site, out: dict) -> None:
    """The document's facility, in the caller's transaction; ``out["facility"]``."""
    if doc.get(KIND) is None:
        return
    central_of = dict(entries := _entries(doc[KIND]))
    # An edit at the box in progress is waited for (then seen as a local change), not
    # overwritten unseen.
    for section in SECTION_ORDER:
        model = SECTIONS[section].model
        db.session.execute(select(model.id).where(model.site_id == site.id).with_for_update())
    local_of = {e["key"]: e["values"] for e in records(site.id)}
    synced = {ci.key: ci for ci in db.session.scalars(
        select(ConfigItem).where(ConfigItem.kind == KIND).with_for_update())}
    done: dict[str, list] = {"written": [], "local": []}
    write = set()
    for key in [k for k, _v in entries] + sorted(set(synced) - set(central_of)):
        central, ci, local = central_of.get(key), synced.get(key), local_of.get(key)
        if central is None:
            db.session.delete(ci)        # deleted at the centre: the box's own from now
            continue
        if ci is None:
            ci = ConfigItem(kind=KIND, key=key, applied=None)
            db.session.add(ci)
        ci.central, ci.central_version = central, version
        v = verdict(local, ci.applied, central)
        if v == "agree":
            ci.applied = central
        elif v == "write":
            ci.applied = central
            write.add(key)
            done["written"].append(key)
        else:
            done["local"].append(key)
    db.session.flush()
    if write:
        site_values = central_of["site"] if "site" in write else local_of["site"]
        _import(site_values, [(k, v) for k, v in entries if k in write and k != "site"])
    out[KIND] = {k: v for k, v in done.items() if v}


def local_changes(site: Site) -> list[dict]:
    items = db.session.scalars(select(ConfigItem).where(ConfigItem.kind == KIND)
                               .order_by(ConfigItem.key)).all()
    if not items:
        return []
    local_of = {e["key"]: e["values"] for e in records(site.id)}
    out = []
    for ci in items:
        local = local_of.get(ci.key)
        if local == ci.applied or local == ci.central:
            continue
        out.append({"kind": KIND, "key": ci.key,
                    "conflict": ci.applied is None or ci.central != ci.applied,
                    "central_version": ci.central_version, "fields": diff(local, ci.central)})
    return out


def resolve(actor: Actor, site: Site, key: str, keep: str) -> dict:
    """``central``: the centre's record imported over the local one; ``local``: kept.
    Audited (``resolve`` / ``config_facility``)."""
    change = next((c for c in local_changes(site) if c["key"] == key), None)
    if change is None:
        raise NotFound(f"no local change of {KIND} {key!r} to resolve",
                       error="config_change_not_found")
    ci = db.session.get(ConfigItem, (KIND, key))
    if keep == "central":
        local_site = next(e["values"] for e in records(site.id) if e["key"] == "site")
        _import(ci.central if key == "site" else local_site,
                [] if key == "site" else [(key, ci.central)])
    ci.applied = ci.central
    db.session.flush()
    audit.record(actor, "resolve", "config_facility", None, site_id=site.id,
                 before={"key": key, **{k: v["local"] for k, v in change["fields"].items()}},
                 after={"key": key, "keep": keep, "central_version": change["central_version"],
                        **({k: v["central"] for k, v in change["fields"].items()}
                           if keep == "central" else {})})
    return {"kind": KIND, "key": key, "keep": keep,
            "central_version": change["central_version"]}
