"""Create/read/update/delete of site-scoped records, with scoping, validation and audit.

Each resource is a ``SiteResource`` subclass naming its model and supplying two hooks:
``validate`` (cross-field and cross-record rules) and ``DEPENDENTS`` (what blocks a delete).
"""
from __future__ import annotations

from sqlalchemy import func, or_, select

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.errors import Conflict, NotFound, ValidationFailed, invalid_field
from backend.extensions import db
from backend.models import Role, Site


class SiteResource:
    model: type
    entity_type: str          # "board"
    label: str                # "board" (used in messages and error codes)
    EQ_FILTERS: tuple[str, ...] = ()
    WRITE_ROLE = Role.admin
    # (model, column name, label) of rows that reference this one
    DEPENDENTS: tuple = ()

    # --- reads -------------------------------------------------------------------------
    def select(self, actor: Actor, args: dict):
        m = self.model
        stmt = select(m)
        if not actor.is_superadmin:
            stmt = stmt.where(m.site_id.in_(actor.site_ids))
        for name in ("site_id", *self.EQ_FILTERS):
            if args.get(name) is not None:
                stmt = stmt.where(getattr(m, name) == args[name])
        if args.get("q"):
            like = f"%{args['q']}%"
            stmt = stmt.where(or_(m.code.ilike(like), m.name.ilike(like)))
        return stmt.order_by(m.id)

    def get(self, actor: Actor, obj_id: int):
        obj = db.session.get(self.model, obj_id)
        if obj is None or not actor.can_see_site(obj.site_id):
            raise NotFound(f"{self.label} {obj_id} not found", error=f"{self.label}_not_found")
        return obj

    # --- writes ------------------------------------------------------------------------
    def create(self, actor: Actor, data: dict):
        actor.require_role(self.WRITE_ROLE)
        site_id = data["site_id"]
        actor.require_site(site_id)
        if db.session.get(Site, site_id) is None:
            raise NotFound(f"site {site_id} not found", error="site_not_found")
        obj = self.model()
        self._check_code(site_id, data.get("code"), None)
        self.validate(actor, obj, data, site_id)
        for key, value in data.items():
            setattr(obj, key, value)
        db.session.add(obj)
        db.session.flush()
        audit.record(actor, "create", self.entity_type, obj.id, site_id=site_id,
                     after=audit.snapshot(obj))
        return obj

    def update(self, actor: Actor, obj_id: int, data: dict):
        actor.require_role(self.WRITE_ROLE)
        obj = self.get(actor, obj_id)
        if "site_id" in data and data["site_id"] != obj.site_id:
            raise ValidationFailed("a record cannot move to another site",
                                   errors={"site_id": ["cannot be changed"]})
        data = {k: v for k, v in data.items() if k != "site_id"}
        before = audit.snapshot(obj)
        if "code" in data:
            self._check_code(obj.site_id, data["code"], obj.id)
        self.validate(actor, obj, data, obj.site_id)
        for key, value in data.items():
            setattr(obj, key, value)
        db.session.flush()
        audit.record(actor, "update", self.entity_type, obj.id, site_id=obj.site_id,
                     before=before, after=audit.snapshot(obj))
        return obj

    def delete(self, actor: Actor, obj_id: int) -> None:
        actor.require_role(self.WRITE_ROLE)
        obj = self.get(actor, obj_id)
        deps = self.dependents(obj)
        if deps:
            names = ", ".join(f"{n} {label}" for label, n in deps.items())
            raise Conflict(f"{self.label} {obj.code} is still used by {names}",
                           error="has_dependents", errors={"dependents": deps})
        before = audit.snapshot(obj)
        db.session.delete(obj)
        db.session.flush()
        audit.record(actor, "delete", self.entity_type, obj_id, site_id=obj.site_id, before=before)

    # --- hooks and helpers -------------------------------------------------------------
    def validate(self, actor: Actor, obj, data: dict, site_id: int) -> None:
        """Raise ValidationFailed naming the field. ``obj`` is not yet changed."""

    def dependents(self, obj) -> dict[str, int]:
        out = {}
        for model, column, label in self.DEPENDENTS:
            n = db.session.scalar(select(func.count()).select_from(model)
                                  .where(getattr(model, column) == obj.id))
            if n:
                out[label] = out.get(label, 0) + n
        return out

    def _check_code(self, site_id: int, code: str | None, own_id: int | None) -> None:
        if code is None:
            return
        m = self.model
        other = db.session.scalar(select(m.id).where(m.site_id == site_id, m.code == code))
        if other is not None and other != own_id:
            raise Conflict(f"a {self.label} with code {code!r} already exists in this site",
                           error="duplicate_code", errors={"code": ["already exists in this site"]})


def ref(model, obj_id: int | None, site_id: int, field: str, label: str):
    """Resolve a referenced record of the same site, or fail naming the field."""
    if obj_id is None:
        return None
    obj = db.session.get(model, obj_id)
    if obj is None or obj.site_id != site_id:
        invalid_field(field, f"no {label} {obj_id} in this site")
    return obj
