"""The centre's side of identity by codes (docs/sitelink.md): a site's device and gateway
codes and user names resolved to the centre's ids, and the error that refuses an item."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from backend.clock import to_utc
from backend.extensions import db
from backend.models import Alarm, Command, Device, Gateway, MeterReplacement, Site, User
from backend.uplink import CODED

# Audit entity types that are themselves forwarded: found by the site's id.
FORWARDED = {"alarm": (Alarm, Alarm.origin_id), "command": (Command, Command.site_origin_id),
             "meter_replacement": (MeterReplacement, MeterReplacement.origin_id)}


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

    def entity(self, entity_type: str, site_entity_id, ref):
        """The centre's id of an audit row's entity, or None where it cannot be mapped
        (the site's id is then kept in ``origin_entity_id`` only)."""
        if site_entity_id is None:
            return None
        if entity_type in FORWARDED:
            model, col = FORWARDED[entity_type]
            return db.session.scalar(select(model.id).where(model.site_id == self.site_id,
                                                            col == site_entity_id))
        if not isinstance(ref, str):
            return None
        if entity_type == "user":
            return self.user(ref)
        if entity_type == "site":
            code = db.session.scalar(select(Site.code).where(Site.id == self.site_id))
            return self.site_id if code == ref else None
        if entity_type == "device":
            return self.devices.get(ref, (None,))[0]
        if entity_type in CODED:
            model = CODED[entity_type]
            return db.session.scalar(select(model.id).where(model.site_id == self.site_id,
                                                            model.code == ref))
        return None

    def user(self, name):
        if name is None:
            return None
        if name not in self._users:
            self._users[name] = db.session.scalar(select(User.id).where(User.username == name))
        return self._users[name]


def t(value):
    """A forwarded ISO time as an aware UTC datetime (None stays None)."""
    return to_utc(datetime.fromisoformat(value)) if value else None
