"""Configuration down, the facility: the site's areas, rooms, gateways, boards, circuits and
devices in the same versioned document, written at the box by the facility transfer
(``facility.transfer``: records by code, every record judged by the services' rules and
audited) inside the version's transaction, before the users and rules that name them.

Entries are the export's records, ``{"key": "<section>:<code>" | "site", "values"}`` in
the export's order (the import judges each against the records before it). Per record
the rule of the users and rules (``config_rules``): unchanged here, the centre's record is
imported; changed here (a local admin while cut off), kept and shown as a local change,
a conflict when the centre changed it too. Each entry carries the centre's id
(``origin``): a record renamed at the centre renames the box's row (the service's update)
before the import; a record deleted there and unchanged here is deleted through the
service's delete (one still referenced by a row of the box is kept until nothing is).
Records made at the box are never touched.
"""
from __future__ import annotations

import orjson
from sqlalchemy import select, text

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.errors import Conflict, DomainError, NotFound
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
    """The site's facility as ``{"key", "origin", "values"}`` entries, in the export's
    order; ``origin`` is the record's id here (the box matches a renamed record by it)."""
    doc = _plain(export_doc(Actor.system(ACTOR), site_id))
    out = [{"key": "site", "values": doc["site"]}]
    for section in SECTION_ORDER:
        model = SECTIONS[section].model
        ids = dict(db.session.execute(select(model.code, model.id)
                                      .where(model.site_id == site_id)).all())
        out += [{"key": f"{section}:{r['code']}", "origin": ids.get(r["code"]), "values": r}
                for r in doc.get(section, [])]
    return out


def _entries(raw) -> list[tuple[str, str | None, dict]]:
    """``(key, origin, values)``; origin ``<section>:<centre id>`` (None from an older
    centre: matched by key alone)."""
    if not isinstance(raw, list) or not all(
            isinstance(e, dict) and isinstance(e.get("key"), str)
            and isinstance(e.get("values"), dict)
            and (e.get("origin") is None or isinstance(e["origin"], int)) for e in raw):
        raise ConfigRejected("facility: a list of {key, origin, values} is required")
    keys = [e["key"] for e in raw]
    if len(set(keys)) != len(keys) or "site" not in keys or not all(
            k == "site" or k.split(":", 1)[0] in SECTION_ORDER for k in keys):
        raise ConfigRejected("facility: each key once, the site and <section>:<code> only")
    out = []
    for e in raw:
        section, _, code = e["key"].partition(":")
        if e["key"] != "site" and e["values"].get("code") != code:
            raise ConfigRejected(f"facility {e['key']!r}: the record's code is not its key's")
        origin = f"{section}:{e['origin']}" if e.get("origin") is not None \
            and e["key"] != "site" else None
        out.append((e["key"], origin, e["values"]))
    origins = [o for _k, o, _v in out if o]
    if len(set(origins)) != len(origins):
        raise ConfigRejected("facility: an origin twice")
    return out


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
    values = {k: v for k, _o, v in entries}
    _import(values["site"], [(k, v) for k, _o, v in entries if k != "site"])
    return db.session.scalar(select(Site).order_by(Site.id).limit(1))


def _section(key: str) -> tuple[str, str]:
    section, _, code = key.partition(":")
    return section, code


def _match(entries, synced: dict[str, ConfigItem]) -> dict[str, ConfigItem | None]:
    """Each entry's synced item: by the centre's id (a record renamed there), else by key
    (entries synced before origins travelled, an older centre), unless that item is
    another entry's by its origin."""
    by_origin = {ci.origin: ci for ci in synced.values() if ci.origin}
    origins = {o for _k, o, _v in entries if o}
    out = {}
    for key, origin, _v in entries:
        ci = by_origin.get(origin) if origin else None
        if ci is None:
            ci = synced.get(key)
            if ci is not None and ci.origin in origins and ci.origin != origin:
                ci = None                         # renamed away: that entry's
        out[key] = ci
    return out


def recode(values: dict | None, section: str, renamed: dict[str, dict[str, str]]):
    """A record's values with the references to records renamed in this version
    (``renamed[section] = {old code: new code}``) under their new codes."""
    if values is None or section not in SECTIONS:
        return values
    out = dict(values)
    for field, (_col, target) in SECTIONS[section].refs.items():
        if out.get(field) in renamed.get(target, {}):
            out[field] = renamed[target][out[field]]
    return out


def apply(doc: dict, version: int, site: Site, out: dict) -> dict[str, dict[str, str]]:
    """The document's facility, in the caller's transaction; ``out["facility"]``. Returns
    the records renamed here, ``{section: {old code: new code}}``, for the users' and the
    rules' references (``config_rules.recode``)."""
    if doc.get(KIND) is None:
        return {}
    entries = _entries(doc[KIND])
    central_of = {k: v for k, _o, v in entries}
    # An edit at the box in progress is waited for (then seen as a local change), not
    # overwritten unseen.
    for section in SECTION_ORDER:
        model = SECTIONS[section].model
        db.session.execute(select(model.id).where(model.site_id == site.id).with_for_update())
    local_of = {e["key"]: e["values"] for e in records(site.id)}
    synced = {ci.key: ci for ci in db.session.scalars(
        select(ConfigItem).where(ConfigItem.kind == KIND).with_for_update())}
    matched = _match(entries, synced)
    claimed = {ci.key for ci in matched.values() if ci is not None} | set(central_of)
    done: dict[str, list] = {"written": [], "renamed": [], "deleted": [], "local": [],
                             "in_use": []}
    write, renames, fresh = set(), [], set()
    for key, origin, central in entries:
        ci = matched[key]
        old = ci.key if ci is not None else key
        local = local_of.get(old)
        if ci is None:
            ci = ConfigItem(kind=KIND, key=key, applied=None)
            db.session.add(ci)
        ci.central, ci.central_version, ci.origin = central, version, origin or ci.origin
        v = verdict(local, ci.applied, central)
        if v == "local" and old != key and local is not None:
            # Renamed at the centre, changed here: the code follows the centre (the rules
            # and grants of this version name the new one), the other values stay.
            renames.append((old, key))
            ci.key = key
            if ci.applied is not None:
                ci.applied = {**ci.applied, "code": central["code"]}
            done["renamed"].append(f"{old} -> {key}")
        if v == "local":
            done["local"].append(key)
            continue
        ci.applied = central
        fresh.add(key)
        if v == "write":
            write.add(key)
            if old != key:                        # renamed at the centre: the same row
                renames.append((old, key))
                ci.key = key
                done["renamed"].append(f"{old} -> {key}")
            else:
                done["written"].append(key)
    gone = []
    for key in sorted(set(synced) - claimed):
        ci = synced[key]
        local = local_of.get(key)
        v = verdict(local, ci.applied, None)
        ci.central, ci.central_version = None, version
        if v == "agree":                          # deleted here too
            db.session.delete(ci)
        elif v == "write":
            gone.append(ci)
        else:
            done["local"].append(key)             # changed here: kept, shown
    db.session.flush()
    renamed = _rename(site.id, renames)
    for ci in synced.values():
        if ci.key not in fresh and renamed:
            ci.applied = recode(ci.applied, _section(ci.key)[0], renamed)
    if write:
        site_values = central_of["site"] if "site" in write else local_of["site"]
        _import(site_values, [(k, v) for k, _o, v in entries if k in write and k != "site"])
    _delete(site.id, gone, done)
    out[KIND] = {k: v for k, v in done.items() if v}
    return renamed


def _rename(site_id: int, renames: list[tuple[str, str]]) -> dict[str, dict[str, str]]:
    """The box's rows of records renamed at the centre get their new codes (through the
    service: judged and audited as an edit), before the import writes their values."""
    renamed: dict[str, dict[str, str]] = {}
    actor = Actor.system(ACTOR)
    for old, new in renames:
        section, code = _section(old)
        sec, row = SECTIONS[section], _row(site_id, old)
        try:
            sec.service.update(actor, row.id, {"code": _section(new)[1]})
        except DomainError as exc:
            raise ConfigRejected(f"facility {old!r} renamed {new!r} at the centre: "
                                 f"{exc.message}") from exc
        renamed.setdefault(section, {})[code] = _section(new)[1]
    return renamed


def _row(site_id: int, key: str):
    section, code = _section(key)
    model = SECTIONS[section].model
    return db.session.scalar(select(model).where(model.site_id == site_id, model.code == code))


def _delete(site_id: int, gone: list[ConfigItem], done: dict) -> None:
    """Records deleted at the centre and unchanged here, through the service's delete (as
    the centre's API: refused while something still references it, audited), the ones
    referencing others first. A record still referenced by a row of the box (a device made
    here on a circuit the centre deleted) is kept, ``in_use``, and deleted by ``settle``
    once nothing here names it."""
    actor = Actor.system(ACTOR)
    left = sorted(gone, key=lambda ci: -SECTION_ORDER.index(_section(ci.key)[0]))
    while left:
        kept = []
        for ci in left:
            sec, row = SECTIONS[_section(ci.key)[0]], _row(site_id, ci.key)
            if row is None:
                db.session.delete(ci)
                continue
            if sec.service.dependents(row):
                kept.append(ci)
                continue
            sec.service.delete(actor, row.id)
            db.session.delete(ci)
            done["deleted"].append(ci.key)
        db.session.flush()
        if len(kept) == len(left):
            break
        left = kept
    if left:
        local_of = {e["key"]: e["values"] for e in records(site_id)}
        for ci in left:
            ci.applied = local_of.get(ci.key)     # as it is here: deleted when unused
            deps = SECTIONS[_section(ci.key)[0]].service.dependents(_row(site_id, ci.key))
            done["in_use"].append(f"{ci.key} ({', '.join(f'{n} {k}' for k, n in deps.items())})")


def settle(site: Site) -> list[str]:
    """Records the centre deleted that were kept because something here still referenced
    them: deleted once nothing does (and nobody changed them here). At every poll."""
    items = [ci for ci in db.session.scalars(select(ConfigItem).where(ConfigItem.kind == KIND))
             if ci.central is None and ci.applied is not None]
    if not items:
        return []
    local_of = {e["key"]: e["values"] for e in records(site.id)}
    gone = [ci for ci in items if local_of.get(ci.key) == ci.applied]
    done: dict[str, list] = {"deleted": [], "in_use": []}
    _delete(site.id, gone, done)
    if done["deleted"]:
        audit.record(Actor.system(ACTOR), "apply", "config", None, site_id=site.id,
                     after={"deleted_when_unused": done["deleted"]})
    return done["deleted"]


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
                    "central_version": ci.central_version, "since": ci.local_since,
                    "fields": diff(local, ci.central)})
    return out


def resolve(actor: Actor, site: Site, key: str, keep: str) -> dict:
    """``central``: the centre's record imported over the local one (renamed first if the
    centre renamed it; deleted if the centre deleted it); ``local``: kept (deleted at the
    centre: the box's own from now). Audited (``resolve`` / ``config_facility``)."""
    change = next((c for c in local_changes(site) if c["key"] == key), None)
    if change is None:
        raise NotFound(f"no local change of {KIND} {key!r} to resolve",
                       error="config_change_not_found")
    ci = db.session.get(ConfigItem, (KIND, key))
    if keep == "central" and ci.central is None:
        row = _row(site.id, key)
        if row is not None:
            sec = SECTIONS[_section(key)[0]]
            deps = sec.service.dependents(row)
            if deps:
                users = ", ".join(f"{n} {k}" for k, n in deps.items())
                raise Conflict(f"{key!r} is still used by {users} at this box",
                               error="config_in_use", errors={"key": [f"used by {users}"]})
            sec.service.delete(actor, row.id)
    elif keep == "central":
        new = key if key == "site" else f"{_section(key)[0]}:{ci.central['code']}"
        if new != key and _row(site.id, key) is not None:
            _rename(site.id, [(key, new)])
        local_site = next(e["values"] for e in records(site.id) if e["key"] == "site")
        _import(ci.central if key == "site" else local_site,
                [] if key == "site" else [(new, ci.central)])
        ci.key = new
    ci.applied, ci.local_since = ci.central, None
    if ci.central is None:
        db.session.delete(ci)
    db.session.flush()
    audit.record(actor, "resolve", "config_facility", None, site_id=site.id,
                 before={"key": key, **{k: v["local"] for k, v in change["fields"].items()}},
                 after={"key": key, "keep": keep, "central_version": change["central_version"],
                        **({k: v["central"] for k, v in change["fields"].items()}
                           if keep == "central" else {})})
    return {"kind": KIND, "key": key, "keep": keep,
            "central_version": change["central_version"]}
