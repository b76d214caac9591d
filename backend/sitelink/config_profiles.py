"""Configuration down, uploaded device profiles (``/api/v1/device-profiles``, stored
versioned in ``device_profiles``; built-in and directory profiles are files, the same at
both ends): the latest version of each name, ``{"key": name, "values": {"sha256",
"text"}}``, applied first in the version's transaction (the facility's devices name them).

By the rule of the other entries: a name whose latest text at the box is still the one
last written from the centre gets the centre's text as a new version (version numbers are
each end's own; devices use the latest); a profile uploaded at the box since is kept and
shown as a local change, a conflict when the centre uploaded another too. Profiles are
never deleted (devices and their history name them).
"""
from __future__ import annotations

from sqlalchemy import event, func, select

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.errors import NotFound
from backend.extensions import db
from backend.field import catalog
from backend.field.profile import ProfileError, builtin, load_profile_text
from backend.models import ConfigItem, DeviceProfile, Site
from backend.sitelink.config_kinds import ConfigRejected, verdict
from backend.sitelink.config_rules import diff

KIND = "profiles"
ACTOR = "system:config"


def latest() -> dict[str, dict]:
    newest = (select(DeviceProfile.name, func.max(DeviceProfile.version).label("v"))
              .group_by(DeviceProfile.name).subquery())
    rows = db.session.execute(select(DeviceProfile.name, DeviceProfile.sha256,
                                     DeviceProfile.text).join(
        newest, (DeviceProfile.name == newest.c.name)
        & (DeviceProfile.version == newest.c.v))).all()
    return {name: {"sha256": sha, "text": text} for name, sha, text in rows}


def records() -> list[dict]:
    return [{"key": k, "values": v} for k, v in sorted(latest().items())]


def _reload_after() -> None:
    """This transaction's profile checks (the facility import's) see the new rows at
    once; after the commit every process reloads (after a rollback, this one forgets)."""
    catalog.forget()

    def bump(_session):
        try:
            catalog.bump()
        except Exception:  # noqa: BLE001 - committed; processes reload at the next upload
            catalog.forget()

    event.listen(db.session(), "after_commit", bump, once=True)
    event.listen(db.session(), "after_rollback", lambda _s: catalog.forget(), once=True)


def _store(name: str, central: dict) -> None:
    if builtin(name):
        raise ConfigRejected(f"profile {name!r}: a built-in name at this box")
    try:
        load_profile_text(central["text"], f"{name}.yaml")
    except (ProfileError, KeyError, TypeError) as exc:
        raise ConfigRejected(f"profile {name!r} does not load at this box: {exc}"[:500]) \
            from exc
    catalog.store(name, central["text"], None, ACTOR)


def apply(doc: dict, version: int, site: Site | None, out: dict) -> None:
    raw = doc.get(KIND)
    if raw is None:
        return
    if not isinstance(raw, list) or not all(
            isinstance(e, dict) and isinstance(e.get("key"), str)
            and isinstance(e.get("values"), dict) for e in raw):
        raise ConfigRejected("profiles: a list of {key, values} is required")
    central_of = {e["key"]: e["values"] for e in raw}
    local_of = latest()
    synced = {ci.key: ci for ci in db.session.scalars(
        select(ConfigItem).where(ConfigItem.kind == KIND).with_for_update())}
    done: dict[str, list] = {"written": [], "local": []}
    for key in sorted(set(central_of) | set(synced)):
        central, ci, local = central_of.get(key), synced.get(key), local_of.get(key)
        if central is None:
            db.session.delete(ci)
            continue
        if ci is None:
            ci = ConfigItem(kind=KIND, key=key, applied=None)
            db.session.add(ci)
        ci.central, ci.central_version = central, version
        v = verdict(local, ci.applied, central)
        if v == "agree":
            ci.applied = central
        elif v == "write":
            _store(key, central)
            ci.applied = central
            done["written"].append(key)
        else:
            done["local"].append(key)
    db.session.flush()
    if done["written"]:
        _reload_after()
    out[KIND] = {k: v for k, v in done.items() if v}


def _shown(values: dict | None) -> dict | None:
    return None if values is None else {"sha256": values.get("sha256")}   # not the text


def local_changes(site: Site) -> list[dict]:
    items = db.session.scalars(select(ConfigItem).where(ConfigItem.kind == KIND)
                               .order_by(ConfigItem.key)).all()
    local_of = latest() if items else {}
    out = []
    for ci in items:
        local = local_of.get(ci.key)
        if local == ci.applied or local == ci.central:
            continue
        out.append({"kind": KIND, "key": ci.key,
                    "conflict": ci.applied is None or ci.central != ci.applied,
                    "central_version": ci.central_version,
                    "fields": diff(_shown(local), _shown(ci.central))})
    return out


def resolve(actor: Actor, site: Site, key: str, keep: str) -> dict:
    change = next((c for c in local_changes(site) if c["key"] == key), None)
    if change is None:
        raise NotFound(f"no local change of profile {key!r} to resolve",
                       error="config_change_not_found")
    ci = db.session.get(ConfigItem, (KIND, key))
    if keep == "central":
        _store(key, ci.central)
        _reload_after()
    ci.applied = ci.central
    db.session.flush()
    audit.record(actor, "resolve", "config_profile", None, site_id=site.id,
                 before={"key": key, **{k: v["local"] for k, v in change["fields"].items()}},
                 after={"key": key, "keep": keep, "central_version": change["central_version"]})
    return {"kind": KIND, "key": key, "keep": keep,
            "central_version": change["central_version"]}
