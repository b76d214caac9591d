"""The centre's side of identity by codes (docs/sitelink.md): a site's device and gateway
codes and user names resolved to the centre's ids, and the error that refuses an item."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from backend.clock import to_utc
from backend.extensions import db
from backend.models import Device, Gateway, User


class Bad(Exception):
    """An item the centre cannot apply: the batch is refused (``uplink_rejected``)."""


class Names:
    """The centre's ids of the site's codes (devices, gateways) and of user names."""

    def __init__(self, site_id: int):
        self.site_id = site_id
        self.devices = {c: (i, circ, area) for c, i, circ, area in db.session.execute(
            select(Device.code, Device.id, Device.circuit_id, Device.area_id)
            .where(Device.site_id == site_id)).all()}
        self.gateways = dict(db.session.execute(
            select(Gateway.code, Gateway.id).where(Gateway.site_id == site_id)).all())
        self._users: dict[str, int | None] = {}

    def device(self, code):
        if code not in self.devices:
            raise Bad(f"unknown device code {code!r}")
        return self.devices[code]

    def gateway(self, code):
        if code not in self.gateways:
            raise Bad(f"unknown gateway code {code!r}")
        return self.gateways[code]

    def user(self, name):
        if name is None:
            return None
        if name not in self._users:
            self._users[name] = db.session.scalar(select(User.id).where(User.username == name))
        return self._users[name]


def t(value):
    """A forwarded ISO time as an aware UTC datetime (None stays None)."""
    return to_utc(datetime.fromisoformat(value)) if value else None
