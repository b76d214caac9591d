"""Configuration down, rules: alarm rule overrides, linkage rules, scenes and schedules in
the same versioned document as the accounts (``config_doc``), applied in the same
transaction (``config_down.apply``), by the same rule as a user (docs/sitelink.md).

Per entry (a kind and its key, ``config_kinds``) three values are compared: the row here
(*local*, None when there is none), the central values last written into it (*applied*,
kept in ``config_items``) and the document's (*central*, None when the centre has no such
entry any more):

- local == central: nothing to do;
- local == applied (or neither exists): nobody here changed it, the central values are
  written: created, updated, or deleted when the centre deleted it;
- otherwise it was changed here (a local admin while cut off, also: deleted here, or a
  row of the box under the same key): kept, listed in ``GET /uplink/status`` as a local
  change, a conflict when the centre changed it too; only ``resolve`` settles it.

Rows of the box never synced are not touched. A kind missing from the document (an older
centre) is left as it is.
"""
from __future__ import annotations

from sqlalchemy import event, select

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.errors import Conflict, NotFound
from backend.extensions import db, redis
from backend.models import ConfigItem, Site
from backend.sitelink.config_kinds import (
    BY_NAME,
    KINDS,
    Codes,
    ConfigRejected,
    Kind,
    key_of,
    recode_values,
    verdict,
)

__all__ = ["ConfigRejected", "document", "apply", "local_changes", "resolve", "settle", "diff",
           "recode"]


# --- the centre ------------------------------------------------------------------------------

def document(site_id: int) -> dict[str, list]:
    """Every kind's entries of the site, ``{"key", "values"}`` sorted by key."""
    codes = Codes(site_id)
    return {kind.name: [{"key": key, "origin": row.id, "values": kind.snapshot(row, codes)}
                        for key, row in sorted(kind.rows(codes).items())]
            for kind in KINDS}


# --- the site box: applying a version ------------------------------------------------------

def _entries(kind: Kind, doc: dict) -> dict[str, tuple[str | None, dict]] | None:
    """``{key: (origin, values)}``: origin the centre's id of the row (None from an older
    centre: matched by key alone)."""
    raw = doc.get(kind.name)
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise ConfigRejected(f"{kind.name}: a list is required")
    out: dict[str, tuple[str | None, dict]] = {}
    for e in raw:
        if not isinstance(e, dict) or not isinstance(e.get("key"), str) or not e["key"] \
                or not isinstance(e.get("values"), dict) \
                or not (e.get("origin") is None or isinstance(e["origin"], int)):
            raise ConfigRejected(f"{kind.name}: each entry needs a key and values")
        if e["key"] in out:
            raise ConfigRejected(f"{kind.name}: key {e['key']!r} twice")
        out[e["key"]] = (None if e.get("origin") is None else str(e["origin"]), e["values"])
    origins = [o for o, _v in out.values() if o]
    if len(set(origins)) != len(origins):
        raise ConfigRejected(f"{kind.name}: an origin twice")
    return out


def _match(entries: dict[str, tuple], synced: dict[str, ConfigItem]) -> dict:
    """Each entry's synced item: by the centre's id (renamed there), else by key (synced
    before origins travelled), unless that item is another entry's by its origin."""
    by_origin = {ci.origin: ci for ci in synced.values() if ci.origin}
    origins = {o for o, _v in entries.values() if o}
    out = {}
    for key, (origin, _v) in entries.items():
        ci = by_origin.get(origin) if origin else None
        if ci is None:
            ci = synced.get(key)
            if ci is not None and ci.origin in origins and ci.origin != origin:
                ci = None
        out[key] = ci
    return out


def recode(renamed: dict[str, dict[str, str]], kinds=KINDS) -> None:
    """The synced entries' values (and keys that hold a code) with references to rows
    renamed in this version (``{"device" | "area" | "scene": {old: new}}``) under the new
    codes, so that a rename alone is not taken for a change made here."""
    if not any(renamed.values()):
        return
    names = [k.name for k in kinds]
    items = db.session.scalars(select(ConfigItem).where(ConfigItem.kind.in_(names))).all()
    taken = {(ci.kind, ci.key) for ci in items}
    for ci in items:
        ci.applied = recode_values(ci.kind, ci.applied, renamed)
        ci.central = recode_values(ci.kind, ci.central, renamed)
        new = key_of(ci.kind, ci.key, ci.applied or ci.central)
        if new != ci.key and (ci.kind, new) not in taken:
            taken.discard((ci.kind, ci.key))
            ci.key = new
            taken.add((ci.kind, new))
    db.session.flush()


def _write(kind: Kind, row, central: dict, codes: Codes, key: str):
    if kind.named and row is not None and row.name != key:
        row.name = key                            # renamed at the centre (by its origin)
    try:
        return kind.write(row, central, codes, key)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigRejected(f"{kind.name} {key!r}: malformed entry ({exc!r})") from exc


def apply(doc: dict, version: int, site: Site, out: dict) -> None:
    """Every kind of the document, after the users, in the caller's transaction; adds
    ``out[kind] = {created, updated, renamed, deleted, local}`` (the keys) for the audit
    row."""
    codes = Codes(site.id)
    deletes = []
    bumped = set()
    for i, kind in enumerate(KINDS):
        central_of = _entries(kind, doc)
        if central_of is None:
            continue
        rows = kind.rows(codes, lock=True)
        synced = {ci.key: ci for ci in db.session.scalars(
            select(ConfigItem).where(ConfigItem.kind == kind.name).with_for_update())}
        matched = _match(central_of, synced)
        claimed = {ci.key for ci in matched.values() if ci is not None} | set(central_of)
        done = {"created": [], "updated": [], "renamed": [], "deleted": [], "local": []}
        writes, renamed = [], {}
        judged = [(key, matched[key], origin, central)
                  for key, (origin, central) in sorted(central_of.items())]
        judged += [(key, synced[key], None, None) for key in sorted(set(synced) - claimed)]
        for key, ci, origin, central in judged:
            old = ci.key if ci is not None else key
            row = rows.get(old)
            local = kind.snapshot(row, codes) if row is not None else None
            if ci is None:
                ci = ConfigItem(kind=kind.name, key=key, applied=None)
                db.session.add(ci)
            ci.central, ci.central_version, ci.origin = central, version, origin or ci.origin
            v = verdict(local, ci.applied, central)
            if v == "agree" and old != key:
                v = "write"                          # the values agree, the key moved
            if v == "agree":
                ci.applied = central
            elif v == "write":
                ci.applied = central
                if central is None:
                    deletes.append((kind, row, key))
                else:
                    writes.append((row, central, key))
                if old != key:                       # renamed at the centre: the same row
                    ci.key = key
                    renamed[old] = key
                done["deleted" if central is None else "renamed" if old != key and row
                     else "updated" if row is not None else "created"].append(
                    f"{old} -> {key}" if old != key and row else key)
            else:
                done["local"].append(key)
                if old != key and row is not None and kind.named:
                    # Renamed at the centre, its values changed here: the name follows
                    # the centre (what names it there names it here), the values stay.
                    if key in rows:
                        raise ConfigRejected(f"{kind.name} {old!r} renamed {key!r} at the "
                                             "centre: this box has another of that name")
                    row.name, ci.key, renamed[old] = key, key, key
                    db.session.flush()
                    if kind.name == "scenes":
                        codes.add_scene(row)
                    done["renamed"].append(f"{old} -> {key}")
            if ci.applied is None and ci.central is None:
                if ci in db.session.new:
                    db.session.expunge(ci)
                else:
                    db.session.delete(ci)
        db.session.flush()
        if kind.stub is not None:                     # scenes naming scenes: all rows first
            for j, (row, central, key) in enumerate(writes):
                if row is None:
                    row = kind.stub(site.id, key)
                    db.session.flush()
                    codes.add_scene(row)
                    writes[j] = (row, central, key)
        for row, central, key in writes:
            row = _write(kind, row, central, codes, key)
            db.session.flush()
            if kind.name == "scenes":
                codes.add_scene(row)
        if kind.name == "scenes" and renamed:         # what names them, judged next
            recode({"scene": renamed}, KINDS[i + 1:])
        if any(done[k] for k in ("created", "updated", "renamed", "deleted")) \
                and kind.version_key:
            bumped.add(kind.version_key)
        out[kind.name] = {k: v for k, v in done.items() if v}
    db.session.flush()
    for kind, row, key in reversed(deletes):
        user = kind.in_use(row) if kind.in_use is not None else None
        if user is not None:
            # Still named here (a schedule kept locally runs it): kept, and deleted at a
            # later version once nothing here names it.
            ci = db.session.get(ConfigItem, (kind.name, key))
            if ci is None:
                ci = ConfigItem(kind=kind.name, key=key, central=None,
                                central_version=version)
                db.session.add(ci)
            ci.applied = kind.snapshot(row, codes)
            out[kind.name].setdefault("in_use", []).append(f"{key} ({user})")
            continue
        db.session.delete(row)
        db.session.flush()
    _bump_after_commit(bumped)


def settle(site: Site) -> list[str]:
    """Entries the centre deleted that were kept because something here still named them
    (a scene run by a schedule kept locally): deleted once nothing does and nobody changed
    them here. After a resolution and at every poll, also when the version is unchanged."""
    codes = Codes(site.id)
    done = []
    for ci in db.session.scalars(select(ConfigItem)).all():
        if ci.central is not None or ci.applied is None:     # JSON null: told in Python
            continue
        kind = BY_NAME.get(ci.kind)
        row = kind.rows(codes).get(ci.key) if kind else None
        if row is None or kind.snapshot(row, codes) != ci.applied or \
                (kind.in_use is not None and kind.in_use(row) is not None):
            continue
        db.session.delete(row)
        db.session.delete(ci)
        db.session.flush()
        done.append(f"{ci.kind} {ci.key}")
    if done:
        audit.record(Actor.system("system:config"), "apply", "config", None, site_id=site.id,
                     after={"deleted_when_unused": done})
    return done


def _bump_after_commit(keys) -> None:
    """The poll processes reload alarm and linkage rules when these numbers move; after
    the commit, so none loads the old rows under the new number."""
    keys = set(keys)
    if not keys:
        return

    def bump(_session):
        for k in keys:
            try:
                redis.incr(k)
            except Exception:  # noqa: BLE001 - committed; the pollers reload at the next one
                pass

    event.listen(db.session(), "after_commit", bump, once=True)


# --- the site box: local changes and their resolution --------------------------------------

def diff(local: dict | None, central: dict | None) -> dict:
    lo, ce = local or {}, central or {}
    out = {k: {"local": lo.get(k), "central": ce.get(k)}
           for k in sorted(set(lo) | set(ce)) if lo.get(k) != ce.get(k)}
    if local is None or central is None:
        out["exists"] = {"local": local is not None, "central": central is not None}
    return out


def local_changes(site: Site) -> list[dict]:
    codes = Codes(site.id)
    out = []
    items = db.session.scalars(select(ConfigItem).order_by(ConfigItem.kind, ConfigItem.key))
    rows = {}
    for ci in items:
        kind = BY_NAME.get(ci.kind)
        if kind is None:
            continue
        if kind.name not in rows:
            rows[kind.name] = kind.rows(codes)
        row = rows[kind.name].get(ci.key)
        local = kind.snapshot(row, codes) if row is not None else None
        if local == ci.applied or local == ci.central:
            continue
        out.append({"kind": ci.kind, "key": ci.key,
                    "label": (local or ci.central or {}).get("name") or ci.key,
                    "conflict": ci.applied is None or ci.central != ci.applied,
                    "central_version": ci.central_version, "since": ci.local_since,
                    "fields": diff(local, ci.central)})
    return out


def resolve(actor: Actor, site: Site, kind_name: str, key: str, keep: str) -> dict:
    """``central``: the centre's values written over the local ones (the row deleted if the
    centre deleted it, made again if deleted here); ``local``: kept, until the centre
    changes the entry again (deleted at the centre: it becomes the box's own row)."""
    kind = BY_NAME.get(kind_name)
    change = next((c for c in local_changes(site) if c["kind"] == kind_name
                   and c["key"] == key), None) if kind else None
    if change is None:
        raise NotFound(f"no local change of {kind_name} {key!r} to resolve",
                       error="config_change_not_found")
    ci = db.session.get(ConfigItem, (kind_name, key))
    codes = Codes(site.id)
    row = kind.rows(codes).get(key)
    if keep == "central":
        if ci.central is None:
            user = kind.in_use(row) if kind.in_use is not None else None
            if user is not None:
                raise Conflict(f"{kind_name} {key!r} is still run by {user} at this box",
                               error="config_in_use", errors={"key": [f"run by {user}"]})
            db.session.delete(row)
        else:
            row = _write(kind, row, ci.central, codes, key)
        if kind.version_key:
            _bump_after_commit({kind.version_key})
    ci.applied, ci.local_since = ci.central, None
    if ci.central is None:
        db.session.delete(ci)
    db.session.flush()
    settle(site)
    audit.record(actor, "resolve", kind.entity, getattr(row, "id", None), site_id=site.id,
                 before={"key": key, **{k: v["local"] for k, v in change["fields"].items()}},
                 after={"key": key, "keep": keep, "central_version": change["central_version"],
                        **({k: v["central"] for k, v in change["fields"].items()}
                           if keep == "central" else {})})
    return {"kind": kind_name, "key": key, "keep": keep,
            "central_version": change["central_version"]}
