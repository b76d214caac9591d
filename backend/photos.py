"""Photos from the field, attached to a holder (a repair order, an inspection record): one
set of rules for every holder, so a photo refused on one is refused on the other with the
same code.

Why it works this way:
- Checked by their bytes (magic numbers), not the client's filename or Content-Type: only
  JPEG, PNG and WebP (``photo_type_not_allowed``); an empty file is ``photo_empty``.
- Capped in size (5 MB, 413 ``photo_too_large``) and in number per holder (20, 409
  ``too_many_photos``): they live in PostgreSQL (see the models), backed up with
  everything else, no second storage to keep in step.
- Listing never loads the bytes (``defer``); a photo is found through its holder, so a
  photo id of another holder (or of a site the caller cannot see) is 404.
- Every upload and removal is audited with the photo's metadata (never its bytes).

Each holder describes itself once as a ``Holder`` (its photo model, the foreign-key column,
the audit kind, the not-found code, its name in messages); its service finds the holder
(scoped to the caller's sites) and calls these functions.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import defer

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.clock import utcnow
from backend.errors import Conflict, NotFound, PayloadTooLarge, invalid_field
from backend.extensions import db

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 20
PHOTO_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


@dataclass(frozen=True)
class Holder:
    model: type            # the photo model (PhotoColumns plus the holder's foreign key)
    key: str               # the foreign-key column: "order_id", "record_id"
    audit_kind: str        # "repair_photo", "inspection_photo"
    not_found: str         # "repair_photo_not_found", "inspection_photo_not_found"
    noun: str              # "a repair order", "an inspection record" (in messages)


def sniff_image(data: bytes) -> str | None:
    """The image type the bytes really are (jpeg/png/webp), else None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def meta(holder: Holder, photo) -> dict:
    return {"id": photo.id, holder.key: getattr(photo, holder.key), "filename": photo.filename,
            "content_type": photo.content_type, "size": photo.size,
            "uploaded_by": photo.uploaded_by}


def add(holder: Holder, actor: Actor, parent_id: int, site_id: int, filename: str | None,
        data: bytes):
    """Store ``data`` (at most MAX_PHOTO_BYTES + 1 bytes read) as a photo of the holder."""
    if len(data) > MAX_PHOTO_BYTES:
        raise PayloadTooLarge(f"a photo may be at most {MAX_PHOTO_BYTES // (1024 * 1024)} MB",
                              error="photo_too_large",
                              errors={"file": [f"larger than {MAX_PHOTO_BYTES} bytes"]})
    if not data:
        invalid_field("file", "is empty", error="photo_empty")
    content_type = sniff_image(data)
    if content_type is None:
        invalid_field("file", "must be a JPEG, PNG or WebP image", error="photo_type_not_allowed")
    column = getattr(holder.model, holder.key)
    count = db.session.scalar(select(func.count()).select_from(holder.model)
                              .where(column == parent_id))
    if count >= MAX_PHOTOS:
        raise Conflict(f"{holder.noun} holds at most {MAX_PHOTOS} photos",
                       error="too_many_photos")
    name = os.path.basename((filename or "").replace("\\", "/")).strip()[:200]
    photo = holder.model(**{holder.key: parent_id},
                         filename=name or f"photo{PHOTO_TYPES[content_type]}",
                         content_type=content_type, size=len(data), data=data,
                         uploaded_by=actor.user_id, uploaded_at=utcnow())
    db.session.add(photo)
    db.session.flush()
    audit.record(actor, "create", holder.audit_kind, photo.id, site_id=site_id,
                 after=meta(holder, photo))
    return photo


def select_of(holder: Holder, parent_id: int):
    """The holder's photos, oldest first, without their bytes."""
    return (select(holder.model).options(defer(holder.model.data))
            .where(getattr(holder.model, holder.key) == parent_id).order_by(holder.model.id))


def get(holder: Holder, parent_id: int, photo_id: int):
    photo = db.session.get(holder.model, photo_id)
    if photo is None or getattr(photo, holder.key) != parent_id:
        raise NotFound(f"photo {photo_id} not found", error=holder.not_found)
    return photo


def delete(holder: Holder, actor: Actor, parent_id: int, site_id: int, photo_id: int) -> None:
    photo = get(holder, parent_id, photo_id)
    before = meta(holder, photo)
    db.session.delete(photo)
    db.session.flush()
    audit.record(actor, "delete", holder.audit_kind, photo_id, site_id=site_id, before=before)


def counts(holder: Holder, parent_ids: list[int]) -> dict[int, int]:
    """How many photos each of ``parent_ids`` holds (those with none left out)."""
    if not parent_ids:
        return {}
    column = getattr(holder.model, holder.key)
    return dict(db.session.execute(select(column, func.count()).where(column.in_(parent_ids))
                                   .group_by(column)).all())
