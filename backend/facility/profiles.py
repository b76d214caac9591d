"""Device models added as data: upload a profile (YAML register map, docs/profiles.md),
list every profile a device may use, download one. Uploads are validated with the same
errors as the built-in files (each naming its field), versioned and audited; a device may
only name a profile that loads (``check_device_profile``)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import event

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.errors import Conflict, DomainError, NotFound, ValidationFailed, invalid_field
from backend.extensions import db
from backend.facility.transfer_yaml import parse
from backend.field import catalog
from backend.field.profile import ProfileError, builtin, valid_name
from backend.field.profile_check import check_profile
from backend.knx import groups as knx_groups

MAX_BYTES = 256 * 1024


class TooLarge(DomainError):
    status = 413
    error = "profile_too_large"


def upload(actor: Actor, text: str) -> dict:
    actor.require_superadmin()
    if len(text.encode()) > MAX_BYTES:
        raise TooLarge(f"a profile is at most {MAX_BYTES // 1024} KiB")
    try:
        doc, _ = parse(text)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, errors={"profile": [e["message"] for e in
                                                                exc.errors]},
                               error="profile_invalid") from None
    name = doc.get("name")
    if not isinstance(name, str) or not valid_name(name):
        invalid_field("name", "required: lower-case letters, digits, - and _ (at most 64)",
                      "profile_invalid")
    if builtin(name):
        raise Conflict(f"{name} is a built-in profile: upload it under another name",
                       error="profile_builtin")
    try:
        check_profile(doc, Path(f"{name}.yaml"))
    except ProfileError as exc:
        raise ValidationFailed(f"{name}: {len(exc.errors)} error(s): {exc.errors[0]}",
                               errors={"profile": exc.errors}, error="profile_invalid") from None
    current = catalog.text_of(name)
    if current == text:
        return next(e for e in catalog.catalogue() if e["name"] == name)
    row = catalog.store(name, text, actor.user_id, actor.username)
    audit.record(actor, "upload", "device_profile", row.id, site_id=None,
                 after={"name": name, "version": row.version, "sha256": row.sha256})
    event.listen(db.session(), "after_commit", lambda _s: catalog.bump(), once=True)
    return {**_entry_of(check_profile(doc, Path(f"{name}.yaml"))), "version": row.version,
            "uploaded_at": row.uploaded_at, "uploaded_by": row.uploaded_by_name,
            "source": "uploaded"}


def _entry_of(prof) -> dict:
    return {"name": prof.name, "model": prof.model, "vendor": prof.vendor,
            "kinds": list(prof.kinds), "errors": None, "controls": sorted(prof.controls),
            "settings": len(prof.settings), "metrics": len(prof.metrics)}


def listing() -> list[dict]:
    return catalog.catalogue()


def download(name: str) -> str:
    text = catalog.text_of(name) if valid_name(name) else None
    if text is None:
        raise NotFound(f"no profile {name!r}", error="profile_not_found")
    return text


def check_device_profile(name: str | None, kind: str | None, field: str = "profile") -> None:
    """A device may only name a profile that loads and describes its kind."""
    if name is None:
        return
    try:
        prof = catalog.profile_for(name)
    except (KeyError, ProfileError) as exc:
        invalid_field(field, f"no usable profile {name!r}: {exc}".replace("\n", " ")[:300])
    if kind and kind not in prof.kinds:
        invalid_field(field, f"profile {name!r} describes {', '.join(prof.kinds)}, "
                             f"not {kind}")


def accepted_actions(device) -> list[str]:
    """The commands a device accepts: its profile's controls, a KNX group's own (on, off,
    and dim with a brightness address); the clients offer these."""
    if device.kind == "knx_group":
        return knx_groups.actions(device.attributes or {})
    if not device.profile:
        return []
    try:
        return sorted(catalog.profile_for(device.profile).controls)
    except (ProfileError, KeyError):
        return []
