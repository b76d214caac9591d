"""What the poller polls: gateways and devices from the facility model, with profiles."""
from __future__ import annotations

import logging

from sqlalchemy import select

from backend.extensions import db
from backend.field.catalog import profile_for
from backend.field.modbus import GatewayAddress
from backend.field.poller import PollDevice, PollGateway
from backend.field.profile import ProfileError
from backend.models import Device, Gateway, SiteCredential

log = logging.getLogger(__name__)

POLLED_KINDS = ("breaker", "meter", "env_sensor", "temp_sensor", "load")

_warned: set = set()


def load_poll_gateways(shard: int = 0, shards: int = 1) -> list[tuple[PollGateway, dict]]:
    """Enabled gateways of the shard with their enabled, profiled devices.

    Returns (gateway, {device_id: {"fast": s, "normal": s}}) for devices whose own poll
    interval (``attributes.poll_fast_s`` / ``poll_normal_s``) differs from the default.
    """
    rows = db.session.execute(
        select(Gateway, Device).join(Device, Device.gateway_id == Gateway.id)
        .where(Gateway.enabled.is_(True), Device.enabled.is_(True),
               Device.kind.in_(POLLED_KINDS), Device.unit_id.is_not(None),
               Device.profile.is_not(None), (Gateway.id % shards) == shard,
               # A site with a site box (an active credential): the box polls it.
               Gateway.site_id.not_in(select(SiteCredential.site_id)
                                      .where(SiteCredential.revoked_at.is_(None))))
        .order_by(Gateway.id, Device.unit_id)).all()
    db.session.remove()
    by_gateway: dict[int, tuple[Gateway, list, dict]] = {}
    for gw, dev in rows:
        try:
            profile = profile_for(dev.profile)
        except (ProfileError, KeyError, FileNotFoundError) as exc:
            if (dev.id, dev.profile) not in _warned:
                _warned.add((dev.id, dev.profile))
                log.warning("device %s (%s): profile %r unusable, not polled: %s",
                            dev.id, dev.code, dev.profile, exc)
            continue
        entry = by_gateway.setdefault(gw.id, (gw, [], {}))
        entry[1].append(PollDevice(dev.id, dev.unit_id, profile, dev.poles))
        attrs = dev.attributes or {}
        own = {rate: float(attrs[f"poll_{rate}_s"]) for rate in ("fast", "normal")
               if isinstance(attrs.get(f"poll_{rate}_s"), (int, float))}
        if own:
            entry[2][dev.id] = own
    out = []
    for gw, devices, intervals in by_gateway.values():
        address = GatewayAddress(gw.host, gw.port, gw.transport, gw.timeout_ms / 1000)
        out.append((PollGateway(gw.id, address, tuple(devices)), intervals))
    return out
