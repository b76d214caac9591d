"""Every device profile a device may use: the built-in files, the files of
``GW_PROFILE_DIRS`` and the uploaded ones (``device_profiles``, versioned), in that order
of precedence for a name that is not built in (a built-in name cannot be taken).

``profile_for(name)`` is what the poller, the control path and the facility checks call.
Uploaded profiles are parsed once per process and version: an upload bumps
``gw:profiles:version``, which every process checks at most every ``CHECK_SECONDS``.
"""
from __future__ import annotations

import hashlib
import os
import time

from sqlalchemy import func, select

from backend.extensions import db, redis
from backend.field.profile import (
    Profile,
    ProfileError,
    builtin,
    load_profile,
    load_profile_text,
    profile_names,
    profile_path,
)
from backend.models import DeviceProfile
from backend.settings import setting

VERSION_KEY = "gw:profiles:version"
CHECK_SECONDS = 2.0
_cache: dict = {"checked": 0.0, "version": None, "profiles": {}}


def profile_dirs() -> tuple[str, ...]:
    return tuple(d for d in (setting("profile_dirs") or "").split(os.pathsep) if d)


def profile_for(name: str) -> Profile:
    """The profile devices of ``name`` use; KeyError when there is none, ProfileError
    when a file of that name does not load."""
    if not builtin(name):
        hit = _uploaded().get(name)
        if hit is not None:
            return hit[1]
    return load_profile(name, profile_dirs())


def _uploaded() -> dict[str, tuple[DeviceProfile, Profile]]:
    now = time.monotonic()
    if now - _cache["checked"] < CHECK_SECONDS:
        return _cache["profiles"]
    version = redis.get(VERSION_KEY)
    if version != _cache["version"] or not _cache["checked"]:
        _cache["profiles"] = {row.name: (row, load_profile_text(row.text, f"{row.name}.yaml"))
                              for row in _latest_rows()}
        _cache["version"] = version
    _cache["checked"] = now
    return _cache["profiles"]


def forget() -> None:
    _cache.update(checked=0.0, version=None, profiles={})


def _latest_rows() -> list[DeviceProfile]:
    newest = (select(DeviceProfile.name, func.max(DeviceProfile.version).label("v"))
              .group_by(DeviceProfile.name).subquery())
    return db.session.scalars(select(DeviceProfile).join(
        newest, (DeviceProfile.name == newest.c.name)
        & (DeviceProfile.version == newest.c.v))).all()


def catalogue() -> list[dict]:
    """Every profile: name, model, vendor, kinds, source (builtin, directory, uploaded),
    version and who uploaded it; a file that does not load is listed with its errors."""
    out = {}
    dirs = profile_dirs()
    for name in profile_names(dirs):
        source = "builtin" if builtin(name) else "directory"
        try:
            out[name] = _entry(load_profile(name, dirs), source)
        except ProfileError as exc:
            out[name] = {"name": name, "source": source, "errors": exc.errors}
    for name, (row, prof) in _uploaded().items():
        if not builtin(name):
            out[name] = {**_entry(prof, "uploaded"), "version": row.version,
                         "uploaded_at": row.uploaded_at, "uploaded_by": row.uploaded_by_name}
    return [out[n] for n in sorted(out)]


def _entry(prof: Profile, source: str) -> dict:
    return {"name": prof.name, "model": prof.model, "vendor": prof.vendor,
            "kinds": list(prof.kinds), "source": source, "version": None, "errors": None,
            "controls": sorted(prof.controls), "settings": len(prof.settings),
            "metrics": len(prof.metrics)}


def text_of(name: str) -> str | None:
    """The YAML of the profile devices of ``name`` use (None: no such profile)."""
    if not builtin(name):
        hit = _uploaded().get(name)
        if hit is not None:
            return hit[0].text
    path = profile_path(name, profile_dirs())
    return path.read_text(encoding="utf-8") if path else None


def store(name: str, text: str, user_id: int | None, username: str) -> DeviceProfile:
    """A new version of an uploaded profile (the caller validated it and commits)."""
    version = (db.session.scalar(select(func.max(DeviceProfile.version))
                                 .where(DeviceProfile.name == name)) or 0) + 1
    row = DeviceProfile(name=name, version=version, text=text, uploaded_by=user_id,
                        uploaded_by_name=username,
                        sha256=hashlib.sha256(text.encode()).hexdigest())
    db.session.add(row)
    db.session.flush()
    return row


def bump() -> None:
    """After the commit of an upload: every process reloads within CHECK_SECONDS."""
    redis.incr(VERSION_KEY)
    forget()

