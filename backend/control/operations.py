"""Commands as people see them: request, approve, reject, cancel, list, detail.

A request is checked at once (rights, device state, one command per device, the minimum
interval), stored with its first states and, after the commit, pushed to the control queue
(backend/control/queue.py) that the field sessions execute (backend/control/execute.py).
Every transition is a ``command_events`` row, an audit row for the people's actions, and a
``command`` event on the live stream.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from backend import metrics, uplink
from backend.accounts import audit
from backend.accounts.security import Actor
from backend.clock import utcnow
from backend.control import approvals, queue
from backend.control.rights import can_control, refuse, require_control
from backend.control.texts import reason
from backend.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.extensions import db
from backend.facility.operations import devices
from backend.field.catalog import profile_for
from backend.field.profile import ProfileError
from backend.knx import groups as knx_groups
from backend.models import Circuit, Command, CommandEvent, Device, DeviceStatus
from backend.models.control import IN_FLIGHT, SETTLED
from backend.settings import setting

CANCELLABLE = ("requested", "awaiting_approval", "queued")


def settle_reason(cmd: Command, code: str, **values) -> None:
    """Record why the command ended (or was refused), in English and Chinese."""
    cmd.error = code
    cmd.message, cmd.message_zh = reason(code, **values)


def transition(cmd: Command, state: str, actor: Actor | None = None, *,
               reason: str | None = None, details: dict | None = None) -> None:
    """Set the state and record it (time, actor, reason); settled states get their end."""
    now = utcnow()
    cmd.state = state
    if state in SETTLED and cmd.finished_at is None:
        cmd.finished_at = now
        metrics.observe_since(metrics.COMMAND_LATENCY.labels(state), cmd.requested_at)
    ev = CommandEvent(command_id=cmd.id, state=state, at=now,
                      actor_id=actor.user_id if actor else None,
                      actor_name=actor.username if actor else "system",
                      reason=reason, details=details)
    db.session.add(ev)
    uplink.track_command_event(ev)      # a site box sends it up (docs/sitelink.md)
    queue.publish_after_commit(cmd)


# --- request ---------------------------------------------------------------------------

def request(actor: Actor, device_id: int, data: dict, key: str, *,
            origin: tuple[str, int] | None = None) -> Command:
    """A new switching command, or the one this Idempotency-Key already made (never a
    second). ``origin``: (kind, id) of the scene, schedule or rule that asks for it."""
    existing = by_key(actor, key)
    if existing is not None:
        return same_or_refuse(existing, device_id, data)
    device = devices.get(actor, device_id)
    require_control(actor, device)
    target = target_for(device, data["action"], data.get("value"))
    remote = check_ready(device, switching=True)
    return create(actor, device, key, action=data["action"], value=data.get("value"),
                  target=target, reason=data["reason"], data=data, origin=origin,
                  deliver=remote)


def target_for(device: Device, action: str, value=None) -> dict:
    """What the device must show once ``action`` (with ``value``) took effect; refuses an
    action its profile does not have (422 naming ``action``) or a dim without a level.
    Used at request time and when automation saves an action."""
    if device.kind == "knx_group":
        return _knx_target(device, action, value)
    profile = usable_profile(device)
    control = profile.controls.get(action)
    if control is None:
        known = ", ".join(profile.controls) or "none"
        raise ValidationFailed(f"action: {device.code} cannot {action} (it can: {known})",
                               errors={"action": [f"not supported by this device ({known})"]},
                               error="action_not_supported")
    if control.metric is None:
        return dict(control.confirm)
    if value is None:                              # dim: the level is the command's
        raise ValidationFailed("value: required for dim (a level of 0..100)",
                               errors={"value": ["required for dim (0..100)"]},
                               error="value_required")
    return {control.metric: value}


def _knx_target(device: Device, action: str, value) -> dict:
    """A KNX group: on/off, and dim when it has a brightness address (docs/knx.md)."""
    if not device.enabled:
        refuse("device_disabled", Conflict)
    if device.knx_gateway_id is None or not (device.attributes or {}).get("switch"):
        refuse("device_not_controllable", Conflict)
    known = knx_groups.actions(device.attributes)
    if action not in known:
        raise ValidationFailed(f"action: {device.code} cannot {action} (it can: "
                               f"{', '.join(known)})",
                               errors={"action": [f"not supported by this device "
                                                  f"({', '.join(known)})"]},
                               error="action_not_supported")
    if action == "dim" and value is None:
        raise ValidationFailed("value: required for dim (a level of 0..100)",
                               errors={"value": ["required for dim (0..100)"]},
                               error="value_required")
    return knx_groups.target(action, value)


def create(actor: Actor, device: Device, key: str, *, action: str, reason: str, target: dict,
           data: dict, value=None, settings: dict | None = None,
           origin: tuple[str, int] | None = None, deliver: bool = False) -> Command:
    """Store a checked command: ``requested``, then ``awaiting_approval`` (a protected
    circuit) or ``queued`` (pushed after the commit); audited. ``deliver``: a site box's
    device, its link up: ``requested`` with ``delivery`` pending, for the box to take and
    run through its own lifecycle (rights, approval, execution; docs/sitelink.md). Not
    for a command of no person (a schedule or rule run here): the box runs the same
    schedules and rules itself (configuration down), refused ``site_remote_control``."""
    if deliver and actor.user_id is None:
        refuse("site_remote_control", Conflict)
    now = utcnow()
    circuit = db.session.get(Circuit, device.circuit_id) if device.circuit_id else None
    cmd = Command(site_id=device.site_id, device_id=device.id, circuit_id=device.circuit_id,
                  gateway_id=device.gateway_id, action=action, value=value, settings=settings,
                  target=target, reason=reason, state="requested", idempotency_key=key,
                  requested_by=actor.user_id, requested_by_name=actor.username,
                  requested_at=now, origin_kind=origin[0] if origin else None,
                  origin_id=origin[1] if origin else None,
                  delivery="pending" if deliver else None)
    try:
        # Added inside the savepoint: begin_nested() flushes what is pending first, outside
        # it, and a unique violation there (a race past check_ready: one in flight, one
        # waiting for the box) would spoil the whole transaction instead of a clean 409.
        with db.session.begin_nested():
            db.session.add(cmd)
            db.session.flush()
    except IntegrityError:
        again = by_key(actor, key)
        if again is not None:
            return same_or_refuse(again, device.id, data)
        refuse("command_in_progress", Conflict)
    transition(cmd, "requested", actor, reason=cmd.reason)
    if deliver:
        pass                    # the site box approves (a protected circuit) and queues it
    elif circuit is not None and circuit.protected:
        cmd.approval_expires_at = now + timedelta(seconds=setting("control_approval_seconds"))
        transition(cmd, "awaiting_approval", actor,
                   reason="protected circuit: a second person must approve")
        queue.notify_after_commit(approvals.queue_approvers(cmd))
    else:
        _queue(cmd, actor)
    audit.record(actor, "command", "command", cmd.id, site_id=cmd.site_id,
                 after={"device_id": cmd.device_id, "action": cmd.action, "value": cmd.value,
                        "settings": cmd.settings, "reason": cmd.reason, "state": cmd.state,
                        **({"delivery": cmd.delivery} if deliver else {})})
    return cmd


def _queue(cmd: Command, actor: Actor | None) -> None:
    cmd.expires_at = utcnow() + timedelta(seconds=setting("control_expiry_seconds"))
    transition(cmd, "queued", actor)
    queue.push_after_commit(cmd.id, queue.key_for(db.session.get(Device, cmd.device_id)))


def by_key(actor: Actor, key: str) -> Command | None:
    return db.session.scalar(select(Command).where(Command.requested_by == actor.user_id,
                                                   Command.idempotency_key == key))


def same_or_refuse(cmd: Command, device_id: int, data: dict) -> Command:
    asked = (device_id, data.get("action", "settings"), data.get("value"), data.get("values"))
    if (cmd.device_id, cmd.action, cmd.value, cmd.settings) != asked:
        refuse("idempotency_key_reused", Conflict)
    return cmd


def usable_profile(device: Device):
    """The device's profile, if it can be reached to control at all."""
    if not device.enabled:
        refuse("device_disabled", Conflict)
    if device.gateway_id is None or device.unit_id is None or not device.profile:
        refuse("device_not_controllable", Conflict)
    try:
        return profile_for(device.profile)
    except (ProfileError, KeyError):
        refuse("device_not_controllable", Conflict)


def check_remote(site_id: int, *, deliver: bool = False) -> bool:
    """A site run by a site box (an active credential) is not commanded from here: its
    link down, refused ``site_link_down``; up, the command is for the box to run
    (``deliver``: True is returned) or, where nothing can be delivered (a settings read,
    which talks to the field at once), refused ``site_remote_control``; docs/sitelink.md."""
    link = uplink.link_summaries([site_id])[site_id]
    if not link["remote"]:
        return False
    if link["state"] in ("down", "stopped"):
        refuse("site_link_down", Conflict, seconds=setting("uplink_down_after_seconds"))
    if not deliver:
        refuse("site_remote_control", Conflict)
    return True


def check_ready(device: Device, *, switching: bool) -> bool:
    """Not a site box's site, online, nothing in flight, and (switching) not switched too
    recently. True: a site box's device, its link up: the box checks the rest when it
    takes the command (its device state, its in-flight command, its interval)."""
    if check_remote(device.site_id, deliver=True):
        if db.session.scalar(select(Command.id).where(
                Command.device_id == device.id, Command.delivery == "pending",
                Command.state == "requested")):
            refuse("command_in_progress", Conflict)     # one waiting for the box already
        return True
    status = db.session.get(DeviceStatus, device.id)
    if status is None or status.online is not True:
        refuse("device_offline", Conflict)
    if db.session.scalar(select(Command.id).where(Command.device_id == device.id,
                                                  Command.state.in_(IN_FLIGHT),
                                                  Command.delivery.is_(None))):
        refuse("command_in_progress", Conflict)     # (a site box's were the box's to run)
    if not switching:
        return False
    interval = setting("control_min_interval_seconds")
    recent = db.session.scalar(select(Command.finished_at).where(
        Command.device_id == device.id, Command.state == "confirmed",
        Command.action != "settings",
        Command.finished_at > utcnow() - timedelta(seconds=interval)).limit(1))
    if recent is not None:
        refuse("switched_too_recently", Conflict, seconds=interval)
    return False


# --- approval, rejection, cancellation ---------------------------------------------------

def approve(actor: Actor, command_id: int, comment: str | None = None) -> Command:
    cmd = _pending_approval(actor, command_id)
    cmd.approved_by, cmd.approved_at = actor.user_id, utcnow()
    audit.record(actor, "approve", "command", cmd.id, site_id=cmd.site_id,
                 after={"comment": comment})
    _queue(cmd, actor)
    return cmd


def reject(actor: Actor, command_id: int, comment: str) -> Command:
    cmd = _pending_approval(actor, command_id)
    cmd.error, cmd.message = "rejected", f"rejected by {actor.username}: {comment}"
    cmd.message_zh = f"已被 {actor.username} 驳回：{comment}"
    transition(cmd, "rejected", actor, reason=comment)
    audit.record(actor, "reject", "command", cmd.id, site_id=cmd.site_id,
                 after={"comment": comment})
    return cmd


def _pending_approval(actor: Actor, command_id: int) -> Command:
    cmd = _locked(actor, command_id)
    if cmd.state != "awaiting_approval":
        refuse("not_awaiting_approval", Conflict)
    if cmd.requested_by is not None and cmd.requested_by == actor.user_id:
        refuse("own_command", Forbidden)
    device = db.session.get(Device, cmd.device_id)
    require_control(actor, device)
    if cmd.approval_expires_at and cmd.approval_expires_at <= utcnow():
        expire_approval(cmd)
        db.session.commit()
        refuse("not_awaiting_approval", Conflict)
    return cmd


def expire_approval(cmd: Command) -> None:
    settle_reason(cmd, "approval_expired", seconds=setting("control_approval_seconds"))
    transition(cmd, "expired", None, reason=cmd.message)


def cancel(actor: Actor, command_id: int, comment: str | None = None) -> Command:
    cmd = _locked(actor, command_id)
    if cmd.requested_by != actor.user_id:
        require_control(actor, db.session.get(Device, cmd.device_id))
    # Conditional: an executor may be claiming it this instant (queued -> sent).
    done = db.session.execute(update(Command).where(Command.id == cmd.id,
                                                    Command.state.in_(CANCELLABLE))
                              .values(state="cancelled", finished_at=utcnow())).rowcount
    if not done:
        refuse("not_cancellable", Conflict)
    db.session.refresh(cmd)
    cmd.state = "cancelled"
    transition(cmd, "cancelled", actor, reason=comment)
    audit.record(actor, "cancel", "command", cmd.id, site_id=cmd.site_id,
                 after={"comment": comment})
    return cmd


def cancel_for_site_box(actor: Actor, site_id: int) -> int:
    """The site's own commands not yet sent, cancelled: a site box takes over its field
    (its first credential, docs/sitelink.md), and the centre's executor must not write to
    its devices afterwards. A command already sent settles as usual."""
    ids = db.session.scalars(select(Command.id).where(
        Command.site_id == site_id, Command.site_origin_id.is_(None),
        Command.delivery.is_(None), Command.state.in_(CANCELLABLE))).all()
    done = 0
    for command_id in ids:
        if not db.session.execute(update(Command).where(
                Command.id == command_id, Command.state.in_(CANCELLABLE))
                .values(state="cancelled", finished_at=utcnow())).rowcount:
            continue                            # claimed by an executor this instant
        cmd = db.session.get(Command, command_id, populate_existing=True)
        transition(cmd, "cancelled", actor, reason="a site box runs this site now")
        audit.record(actor, "cancel", "command", cmd.id, site_id=site_id,
                     after={"comment": "site box"})
        done += 1
    return done


def _locked(actor: Actor, command_id: int) -> Command:
    cmd = db.session.get(Command, command_id, with_for_update=True, populate_existing=True)
    if cmd is None or not actor.can_see_site(cmd.site_id):
        raise NotFound(f"command {command_id} not found", error="command_not_found")
    if cmd.site_origin_id is not None or cmd.delivery is not None:
        refuse("site_remote_control", Conflict)   # a site box's to approve, cancel, settle
    return cmd


# --- reads -----------------------------------------------------------------------------

def get(actor: Actor, command_id: int) -> Command:
    cmd = db.session.get(Command, command_id)
    if cmd is None or not actor.can_see_site(cmd.site_id):
        raise NotFound(f"command {command_id} not found", error="command_not_found")
    # A site box's command (delivered from here or its own, mirrored) is read here as any;
    # approving, rejecting and cancelling it are the box's (``_locked``).
    return cmd


def detail(actor: Actor, command_id: int) -> dict:
    cmd = get(actor, command_id)
    events = db.session.scalars(select(CommandEvent).where(CommandEvent.command_id == cmd.id)
                                .order_by(CommandEvent.at, CommandEvent.id)).all()
    device = db.session.get(Device, cmd.device_id)
    fields = {c.key: getattr(cmd, c.key) for c in Command.__table__.columns}
    return {**fields, "events": events,
            "can_approve": (cmd.state == "awaiting_approval" and device is not None
                            and cmd.site_origin_id is None and cmd.delivery is None
                            and cmd.requested_by != actor.user_id
                            and can_control(actor, device))}


def select_commands(actor: Actor, args: dict):
    stmt = select(Command)
    if not actor.is_superadmin:
        stmt = stmt.where(Command.site_id.in_(actor.site_ids))
    for name in ("site_id", "device_id", "circuit_id", "requested_by", "batch_id",
                 "origin_kind", "origin_id"):
        if args.get(name) is not None:
            stmt = stmt.where(getattr(Command, name) == args[name])
    if args.get("state"):
        stmt = stmt.where(Command.state.in_(args["state"]))
    if args.get("awaiting_my_approval"):
        # Not a site box's (delivered or its own): approved at the box, not here.
        stmt = stmt.where(Command.state == "awaiting_approval",
                          Command.requested_by.is_distinct_from(actor.user_id),
                          Command.site_origin_id.is_(None), Command.delivery.is_(None))
    if args.get("since") is not None:
        stmt = stmt.where(Command.requested_at >= args["since"])
    if args.get("until") is not None:
        stmt = stmt.where(Command.requested_at < args["until"])
    return stmt.order_by(Command.id.desc())


def device_history(actor: Actor, device_id: int, args: dict):
    devices.get(actor, device_id)
    return select_commands(actor, {**args, "device_id": device_id})
