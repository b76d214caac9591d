"""Who may switch what. Managers and admins control every device of their sites; staff
control only what an admin granted them: an area (and its sub-areas), a board or a circuit
(and everything fed from it). Grants are managed per user (``replace_grants``)."""
from __future__ import annotations

from sqlalchemy import delete, select, text

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.control.texts import reason
from backend.errors import Forbidden, NotFound, ValidationFailed
from backend.extensions import db
from backend.models import Area, Board, Circuit, ControlGrant, Device, Role, User
from backend.telemetry.query import downstream_circuit_ids

_SCOPE_MODEL = {"area": Area, "board": Board, "circuit": Circuit}


def refuse(code: str, status_cls=Forbidden, **values):
    en, zh = reason(code, **values)
    raise status_cls(en, error=code, message_zh=zh)


def can_control(actor: Actor, device: Device) -> bool:
    if not actor.can_see_site(device.site_id):
        return False
    if actor.has_role(Role.manager):
        return True
    if actor.user_id is None:
        return False
    return _granted(actor.user_id, device)


def require_control(actor: Actor, device: Device) -> None:
    if not can_control(actor, device):
        refuse("control_not_granted")


def _granted(user_id: int, device: Device) -> bool:
    grants = db.session.execute(select(ControlGrant.scope, ControlGrant.target_id).where(
        ControlGrant.user_id == user_id, ControlGrant.site_id == device.site_id)).all()
    if not grants:
        return False
    circuit = db.session.get(Circuit, device.circuit_id) if device.circuit_id else None
    area_id = device.area_id or (circuit.area_id if circuit else None)
    for scope, target in grants:
        if scope == "area" and area_id is not None and area_id in sub_areas(target):
            return True
        if circuit is None:
            continue
        if scope == "circuit" and circuit.id in downstream_circuit_ids(device.site_id, target):
            return True
        if scope == "board" and circuit.id in _board_circuits(device.site_id, target):
            return True
    return False


def sub_areas(area_id: int) -> set[int]:
    return set(db.session.scalars(text("""
        WITH RECURSIVE sub(id) AS (SELECT CAST(:a AS integer)
            UNION SELECT areas.id FROM areas JOIN sub ON areas.parent_id = sub.id)
        SELECT id FROM sub"""), {"a": area_id}))


def _board_circuits(site_id: int, board_id: int) -> set[int]:
    """The board's circuits and everything downstream of them."""
    out: set[int] = set()
    for cid in db.session.scalars(select(Circuit.id).where(Circuit.board_id == board_id)):
        out.update(downstream_circuit_ids(site_id, cid))
    return out


# --- grants management (admins) --------------------------------------------------------

def grants_of(actor: Actor, user_id: int) -> list[ControlGrant]:
    user = _user(actor, user_id)
    stmt = select(ControlGrant).where(ControlGrant.user_id == user.id)
    if not actor.is_superadmin:
        stmt = stmt.where(ControlGrant.site_id.in_(actor.site_ids))
    return db.session.scalars(stmt.order_by(ControlGrant.id)).all()


def replace_grants(actor: Actor, user_id: int, grants: list[dict]) -> list[ControlGrant]:
    """Set the user's grants on the caller's sites to ``grants`` ([{scope, target_id}])."""
    user = _user(actor, user_id)
    rows = []
    for i, g in enumerate(grants):
        obj = db.session.get(_SCOPE_MODEL[g["scope"]], g["target_id"])
        if obj is None or not actor.can_see_site(obj.site_id):
            raise ValidationFailed(f"grants.{i}.target_id: no such {g['scope']}",
                                   errors={f"grants.{i}.target_id": [f"no such {g['scope']}"]})
        if obj.site_id not in user.site_ids:
            raise ValidationFailed(
                f"grants.{i}.target_id: the user has no access to that {g['scope']}'s site",
                errors={f"grants.{i}.target_id": ["not on a site of the user"]})
        rows.append((obj.site_id, g["scope"], obj.id))
    before = [_plain(g) for g in grants_of(actor, user_id)]
    mine = None if actor.is_superadmin else sorted(actor.site_ids)
    stmt = delete(ControlGrant).where(ControlGrant.user_id == user.id)
    if mine is not None:
        stmt = stmt.where(ControlGrant.site_id.in_(mine))
    db.session.execute(stmt)
    for site_id, scope, target in sorted(set(rows)):
        db.session.add(ControlGrant(user_id=user.id, site_id=site_id, scope=scope,
                                    target_id=target, granted_by=actor.user_id))
    db.session.flush()
    after = grants_of(actor, user_id)
    audit.record(actor, "update", "control_grants", user.id, site_id=None,
                 before={"grants": before}, after={"grants": [_plain(g) for g in after]},
                 site_ids={r[0] for r in rows} | {g["site_id"] for g in before})
    return after


def _plain(g: ControlGrant) -> dict:
    return {"site_id": g.site_id, "scope": g.scope, "target_id": g.target_id}


def _user(actor: Actor, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not (actor.is_superadmin or set(user.site_ids) & actor.site_ids):
        raise NotFound("user not found", error="user_not_found")
    return user
