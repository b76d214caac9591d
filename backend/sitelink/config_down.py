"""Configuration down, the site box's side: the centre's document applied in one
transaction, local changes kept and shown, conflicts resolved by a local admin. The users
here; uploaded profiles (``config_profiles``) and the facility (``config_facility``) first,
alarm and linkage rules, scenes and schedules last (``config_rules``), by the same rule.

For each user of the document (by user name) three snapshots are compared
(``config_accounts.snapshot``): the account's values here (*local*), the central values
last written into it (*applied*, kept in ``config_users``) and the document's (*central*):

- local == applied: nobody here changed it, the central values are written;
- local == central: nothing to do (the two agree);
- otherwise the account was changed here (a local admin while cut off, a password changed
  by its owner, a local account of the same name): it is kept, marked local, and listed in
  ``GET /uplink/status``; a conflict when central differs from applied too. Only
  ``resolve`` (a local admin) writes the central values over it.

A user who drops out of the document (grant revoked, deleted at the centre) gets the
central values "inactive, not granted" by the same rule: deactivated, never deleted (the
audit log keeps pointing at the account). Accounts created here and never synced are not
touched. The shipper (``shipper.py``) fetches after its first round trip once the link
returns and every ``uplink_config_seconds``; while cut off the last version applied stays.
"""
from __future__ import annotations

import hashlib
import logging
import time

import orjson
import requests
from sqlalchemy import or_, select, text
from sqlalchemy.exc import SQLAlchemyError

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.clock import utcnow
from backend.errors import NotFound, ValidationFailed
from backend.extensions import db
from backend.models import (
    ConfigItem,
    ConfigState,
    ConfigUser,
    ControlGrant,
    Role,
    Site,
    User,
    WeChatBinding,
)
from backend.settings import setting
from backend.sitelink import config_facility, config_profiles, config_rules
from backend.sitelink.config_accounts import FIELDS, Extras, Targets, shown, snapshot
from backend.sitelink.config_kinds import ConfigRejected

log = logging.getLogger(__name__)
TIMEOUT = (5, 30)
KEYS = (*FIELDS, "granted", "control", "wechat")
SYSTEM = "system:config"


def state(lock: bool = False) -> ConfigState:
    db.session.execute(text("INSERT INTO config_state (id, version) VALUES (1, 0) "
                            "ON CONFLICT DO NOTHING"))
    stmt = select(ConfigState).where(ConfigState.id == 1)
    return db.session.scalars(stmt.with_for_update() if lock else stmt).one()


def _site() -> Site:
    """The box's site (a site box serves one: the first, as the outbox says)."""
    site = db.session.scalar(select(Site).order_by(Site.id).limit(1))
    if site is None:
        raise ConfigRejected("this box has no site yet (import the facility first)")
    return site


def _central(entry: dict) -> dict:
    try:
        out = {k: entry[k] for k in KEYS}
        Role(out["role"])
        out["control"] = sorted([str(s), str(c)] for s, c in out["control"])
        out["wechat"] = sorted([str(a), str(o), u] for a, o, u in out["wechat"])
        for flag in ("is_superadmin", "is_active", "granted"):
            out[flag] = bool(out[flag])
        if not isinstance(out["password_hash"], str) or not out["password_hash"]:
            raise ValueError("password_hash must be a non-empty string")
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigRejected(f"user {entry.get('username')!r}: malformed entry ({exc!r})") \
            from exc
    return out


# --- writing central values into an account ------------------------------------------

def _write(user: User, central: dict, site: Site, targets: Targets) -> None:
    revoke = (user.password_hash != central["password_hash"]
              or (user.is_active and not central["is_active"])
              or (user.role is not None and user.role.value != central["role"]))
    for f in FIELDS:
        setattr(user, f, Role(central[f]) if f == "role" else central[f])
    if revoke:
        user.token_version = (user.token_version or 0) + 1   # its tokens are refused
    others = [s for s in user.sites if s.id != site.id]
    user.sites = others + ([site] if central["granted"] else [])
    db.session.flush()
    db.session.execute(ControlGrant.__table__.delete().where(
        ControlGrant.user_id == user.id, ControlGrant.site_id == site.id))
    for scope, code in central["control"]:
        tid = targets.ids.get((scope, code))
        if tid is None:
            raise ConfigRejected(f"user {user.username!r}: control grant on unknown {scope} "
                                 f"{code!r} (import the same facility at both ends)")
        db.session.add(ControlGrant(user_id=user.id, site_id=site.id, scope=scope,
                                    target_id=tid))
    want = {(a, o): u for a, o, u in central["wechat"]}
    for b in db.session.scalars(select(WeChatBinding).where(WeChatBinding.user_id == user.id)):
        if (b.appid, b.openid) not in want:
            db.session.delete(b)
    for (appid, openid), unionid in want.items():
        b = db.session.scalar(select(WeChatBinding).where(WeChatBinding.appid == appid,
                                                          WeChatBinding.openid == openid))
        if b is not None and b.user_id != user.id:
            db.session.delete(b)          # the centre says this openid is this user's
            db.session.flush()
            b = None
        if b is None:
            db.session.add(WeChatBinding(user_id=user.id, appid=appid, openid=openid,
                                         unionid=unionid))
        else:
            b.unionid = unionid
    db.session.flush()


# --- applying a document -------------------------------------------------------------

def apply(doc: dict) -> dict:
    """Apply the centre's document in one transaction (the caller's); returns a summary."""
    if doc.get("facility") is not None and \
            db.session.scalar(select(Site.id).limit(1)) is None:
        config_facility.bootstrap(doc)                 # a new box: the centre's facility
    site = _site()
    if doc.get("site_code") != site.code:
        raise ConfigRejected(f"the document is {doc.get('site_code')!r}'s, this box is "
                             f"{site.code!r}'s")
    st = state(lock=True)
    try:
        version = int(doc["version"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigRejected("version: an integer is required") from exc
    entries = doc.get("users")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigRejected("users: a list of objects is required")
    out = {"version": version, "created": [], "updated": [], "deactivated": [], "local": []}
    config_profiles.apply(doc, version, site, out)   # first: the facility's devices name them
    renamed = config_facility.apply(doc, version, site, out)  # users and rules name its codes
    targets = Targets(site.id)
    synced = {cu.user_id: cu for cu in db.session.scalars(select(ConfigUser))}
    if renamed:          # the references of what was renamed at the centre, as they are now
        config_rules.recode({"device": renamed.get("devices", {}),
                             "area": renamed.get("areas", {})})
        for cu in synced.values():
            cu.applied = _recode_control(cu.applied, renamed)
            cu.central = _recode_control(cu.central, renamed)
    names = [e.get("username") for e in entries]
    if len(set(names)) != len(names) or not all(isinstance(n, str) and n for n in names):
        raise ConfigRejected("users: each needs a username, once")
    # Locked (in id order) so that an admin's edit of one of them waits for this version
    # and then shows as a local change, instead of being overwritten unseen.
    by_name = {u.username: u for u in db.session.scalars(
        select(User).where(or_(User.username.in_(names), User.id.in_(list(synced))))
        .order_by(User.id).with_for_update(of=User))}
    seen = set()
    for entry in entries:
        central = _central(entry)
        user = by_name.get(entry["username"])
        if user is None:
            user = User(username=entry["username"], password_hash="", token_version=1)
            db.session.add(user)
            _write(user, central, site, targets)
            db.session.add(ConfigUser(user_id=user.id, applied=central, central=central,
                                      central_version=version))
            out["created"].append(user.username)
            continue
        seen.add(user.id)
        _decide(user, synced.get(user.id), central, version, site, targets, out)
    for user_id, cu in synced.items():
        if user_id in seen:
            continue
        user = db.session.get(User, user_id)
        central = {**(cu.applied or cu.central), "is_active": False, "granted": False}
        _decide(user, cu, central, version, site, targets, out, gone=True)
    config_rules.apply(doc, version, site, out)
    st.version, st.applied_at, st.checked_at, st.last_error = version, utcnow(), utcnow(), None
    st.digest = str(doc.get("digest") or "")[:64]
    audit.record(Actor.system(SYSTEM), "apply", "config", None, site_id=site.id,
                 after={k: v for k, v in out.items() if v or k == "version"})
    return out


def _recode_control(snap: dict | None, renamed: dict[str, dict[str, str]]) -> dict | None:
    """A user's snapshot with control grants on areas, boards and circuits renamed at the
    centre under their new codes."""
    if not snap or not snap.get("control"):
        return snap
    control = sorted([s, renamed.get(f"{s}s", {}).get(c, c)] for s, c in snap["control"])
    return {**snap, "control": control}


def _decide(user, cu, central, version, site, targets, out, gone=False) -> None:
    local = snapshot(user, site.id, targets)
    if cu is None:
        cu = ConfigUser(user_id=user.id, applied=None, central=central, central_version=version)
        db.session.add(cu)
    if local == central:
        cu.applied = central
    elif cu.applied is not None and local == cu.applied:
        _write(user, central, site, targets)
        cu.applied = central
        out["deactivated" if gone else "updated"].append(user.username)
    else:
        out["local"].append(user.username)
    cu.central, cu.central_version = central, version


# --- the shipper's hook --------------------------------------------------------------

class ConfigSync:
    """Fetch and apply the centre's document: at once after ``force`` (the link came
    back), else at most every ``uplink_config_seconds``. Never raises on the network."""

    def __init__(self, http: requests.Session, base: str, every: float | None = None):
        self.http, self.base = http, base
        self.every = setting("uplink_config_seconds") if every is None else every
        self.next_at = 0.0
        self.reported: str | None = None       # the digest of the changes last reported

    def force(self) -> None:
        self.next_at = 0.0
        self.reported = None

    def maybe(self) -> dict | None:
        if time.monotonic() < self.next_at:
            return None
        self.next_at = time.monotonic() + self.every
        return self.sync()

    def sync(self) -> dict | None:
        st = state()
        since, params = st.version, {"since": st.version, "digest": st.digest,
                                     "conflicts": status()["conflicts"]}
        db.session.commit()
        try:
            return self._fetch(since, params)
        finally:
            self.report()

    def report(self) -> None:
        """The box's local changes and conflicts up to the centre
        (``POST /uplink/config/changes``), when they differ from the ones last reported
        (after the link returns: once anyway). Never raises on the network."""
        try:
            changes = reported()
        except SQLAlchemyError as exc:
            db.session.rollback()
            log.warning("local changes not listed: %s", exc)
            return
        body = {"conflicts": sum(1 for c in changes if c["conflict"]), "changes": changes}
        d = hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()
        if d == self.reported:
            return
        try:
            r = self.http.post(f"{self.base}/api/v1/uplink/config/changes",
                               data=orjson.dumps(body), timeout=TIMEOUT,
                               headers={"Content-Type": "application/json"})
        except requests.RequestException as exc:
            log.info("local changes not reported: %s", exc)
            return
        if r.status_code == 200:
            self.reported = d
        else:
            log.warning("local changes refused by the centre: HTTP %s %s", r.status_code,
                        r.text[:300])

    def _fetch(self, since: int, params: dict) -> dict | None:
        try:
            r = self.http.get(f"{self.base}/api/v1/uplink/config", params=params,
                              timeout=TIMEOUT)
        except requests.RequestException as exc:
            return _failed(f"the centre is unreachable: {exc}"[:500])
        try:
            body = r.json()
        except ValueError:
            body = {}
        if r.status_code != 200 or not isinstance(body, dict):
            return _failed(f"HTTP {r.status_code} {body.get('error', '')}: "
                           f"{body.get('message', '')}" if isinstance(body, dict)
                           else f"HTTP {r.status_code}")
        try:
            if body.get("unchanged"):
                st = state(lock=True)
                st.checked_at, st.last_error = utcnow(), None
                config_facility.settle(_site())
                config_rules.settle(_site())
                db.session.commit()
                return {"version": since, "unchanged": True}
            out = apply(body)
            db.session.commit()
            log.info("configuration version %s applied: %s", out["version"], out)
            return out
        except (ConfigRejected, SQLAlchemyError) as exc:
            db.session.rollback()
            log.error("configuration not applied: %s", exc)
            return _failed(str(exc))


def _failed(message: str) -> None:
    db.session.rollback()
    st = state(lock=True)
    st.checked_at, st.last_error = utcnow(), message[:2000]
    db.session.commit()
    return None


# --- status and resolution (site) ------------------------------------------------------

def _local_changes(site: Site, targets: Targets) -> list[dict]:
    out = []
    rows = db.session.execute(select(ConfigUser, User).join(User, User.id == ConfigUser.user_id)
                              .order_by(User.username)).all()
    extras = Extras(site.id, [user.id for _cu, user in rows])
    for cu, user in rows:
        local = snapshot(user, site.id, targets, extras)
        if local == cu.applied or local == cu.central:
            continue
        lo, ce = shown(local), shown(cu.central)
        out.append({"kind": "users", "key": user.username, "username": user.username,
                    "conflict": cu.applied is None or cu.central != cu.applied,
                    "central_version": cu.central_version, "since": cu.local_since,
                    "fields": {k: {"local": lo[k], "central": ce.get(k)}
                               for k in local if local[k] != cu.central.get(k)}})
    return out


def status() -> dict:
    st = state()
    site = db.session.scalar(select(Site).order_by(Site.id).limit(1))
    changes = (config_profiles.local_changes(site) + config_facility.local_changes(site)
               + _local_changes(site, Targets(site.id))
               + config_rules.local_changes(site) if site else [])
    out = {"version": st.version, "applied_at": st.applied_at, "checked_at": st.checked_at,
           "last_error": st.last_error, "local_changes": changes,
           "conflicts": sum(1 for c in changes if c["conflict"])}
    db.session.commit()
    return out


def reported() -> list[dict]:
    """The local changes as reported up, each with since when it has been one (stamped
    here the first time it is listed; cleared once it is not), JSON-ready."""
    changes = status()["local_changes"]
    now = utcnow()
    listed = {(c["kind"], c["key"]) for c in changes}
    since = {}
    for ci in db.session.scalars(select(ConfigItem).with_for_update()):
        if (ci.kind, ci.key) in listed:
            ci.local_since = ci.local_since or now
            since[(ci.kind, ci.key)] = ci.local_since
        elif ci.local_since is not None:
            ci.local_since = None
    for cu, name in db.session.execute(select(ConfigUser, User.username).join(
            User, User.id == ConfigUser.user_id).with_for_update(of=ConfigUser)):
        if ("users", name) in listed:
            cu.local_since = cu.local_since or now
            since[("users", name)] = cu.local_since
        elif cu.local_since is not None:
            cu.local_since = None
    db.session.commit()
    out = [{**c, "since": since.get((c["kind"], c["key"]))} for c in changes]
    return orjson.loads(orjson.dumps(out))


def resolve(actor: Actor, username: str | None, keep: str, kind: str = "users",
            key: str | None = None) -> dict:
    """A local admin's decision on a user (or, with ``kind`` and ``key``, a rule, scene or
    schedule) changed here: ``central`` writes the centre's values over the local ones;
    ``local`` keeps them (until the centre changes it again). Audited."""
    site = _site()
    actor.require_site(site.id)
    if keep not in ("central", "local"):
        raise ValidationFailed("keep: central or local", errors={"keep": ["central or local"]})
    if kind == "facility":
        return config_facility.resolve(actor, site, key or "", keep)
    if kind == "profiles":
        return config_profiles.resolve(actor, site, key or "", keep)
    if kind != "users":
        return config_rules.resolve(actor, site, kind, key or "", keep)
    username = username or key
    targets = Targets(site.id)
    user = db.session.scalar(select(User).where(User.username == username))
    cu = db.session.get(ConfigUser, user.id) if user else None
    if cu is None or not any(c["username"] == username for c in _local_changes(site, targets)):
        raise NotFound(f"no local change of {username!r} to resolve",
                       error="config_change_not_found")
    change = next(c for c in _local_changes(site, targets) if c["username"] == username)
    if keep == "central":
        _write(user, cu.central, site, targets)
    cu.applied, cu.local_since = cu.central, None
    audit.record(actor, "resolve", "config_user", user.id, site_id=site.id,
                 before={k: v["local"] for k, v in change["fields"].items()},
                 after={"keep": keep, "central_version": cu.central_version,
                        **({k: v["central"] for k, v in change["fields"].items()}
                           if keep == "central" else {})})
    db.session.flush()
    return {"kind": "users", "key": username, "username": username, "keep": keep,
            "central_version": cu.central_version}

