"""The facility's records as marshmallow schemas: the field rules of sites, areas, rooms,
gateways, boards, circuits and devices. The API (backend/api/<resource>/schemas.py) and
the facility file (backend/facility/transfer*.py) validate with the same schemas."""
from __future__ import annotations

import ipaddress
import re
from functools import cache
from zoneinfo import available_timezones

import marshmallow as ma
from marshmallow import validate

from backend.facility.profiles import accepted_actions
from backend.models import Device, Gateway, KnxGateway, Site
from backend.models.facility import (
    AREA_KINDS,
    BOARD_LEVELS,
    CIRCUIT_CATEGORIES,
    DEVICE_KINDS,
    POLES,
    ROOM_KINDS,
    TRANSPORTS,
    TRIP_CURVES,
)
from backend.models.knx import KNX_MODES
from backend.schemas import (
    CODE,
    ID,
    NAME,
    POSITIVE_ID,
    Integer,
    JsonObject,
    RecordSchema,
    SiteRecordSchema,
    String,
    text,
)

_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _timezone(value: str) -> None:
    if value not in _zones():
        raise ma.ValidationError("not a known IANA time zone (e.g. Asia/Shanghai)")


def _host(value: str) -> None:
    """An IPv4/IPv6 address or an RFC 1123 host name."""
    try:
        ipaddress.ip_address(value)
        return
    except ValueError:
        pass
    labels = value.split(".")
    if len(value) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise ma.ValidationError("not an IP address or a host name")


POSITIVE = dict(allow_none=True, validate=validate.Range(min=0, min_inclusive=False))
STREAM_SCHEMES = ("rtsp", "rtsps", "http", "https", "webrtc", "ws", "wss")


def _stream_url(value: str) -> None:
    """A camera's stream: RTSP, HLS (http(s)://....m3u8) or WebRTC (a WHEP https URL, or
    webrtc:// / ws(s):// signalling), with a host; stored, never fetched by the platform."""
    scheme, sep, rest = value.partition("://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    if not sep or scheme.lower() not in STREAM_SCHEMES or not host or any(
            c.isspace() for c in value):
        raise ma.ValidationError(f"a URL of {', '.join(STREAM_SCHEMES)} with a host "
                                 "(rtsp://host/path, https://host/live.m3u8)")


class AreaSchema(SiteRecordSchema):
    parent_id = Integer(**ID, metadata={"description": "Enclosing area (tree)"})
    kind = String(load_default="area", validate=validate.OneOf(AREA_KINDS))


class RoomSchema(SiteRecordSchema):
    area_id = Integer(**ID)
    kind = String(load_default="low_voltage", validate=validate.OneOf(ROOM_KINDS))


class GatewaySchema(SiteRecordSchema):
    host = text(Gateway.host, required=True, min_length=1, validate=_host,
                metadata={"description": "IP address or host name"})
    port = Integer(load_default=502, validate=validate.Range(min=1, max=65535))
    transport = String(load_default="tcp", validate=validate.OneOf(TRANSPORTS))
    timeout_ms = Integer(load_default=1000, validate=validate.Range(min=50, max=60000))
    enabled = ma.fields.Boolean(load_default=True)


def _ip(value: str) -> None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ma.ValidationError("not an IP address") from None


def _individual_address(value: str) -> None:
    m = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{1,3})", value)
    if m is None or int(m[1]) > 15 or int(m[2]) > 15 or int(m[3]) > 255:
        raise ma.ValidationError("not an individual address area.line.device (15.15.255)")


class KnxGatewaySchema(SiteRecordSchema):
    mode = String(load_default="tunneling", validate=validate.OneOf(KNX_MODES),
                  metadata={"description": "KNXnet/IP tunnelling (UDP) or routing (multicast)"})
    host = text(KnxGateway.host, required=True, min_length=1, validate=_host, metadata={
        "description": "tunnelling: the gateway's address; routing: the multicast group"})
    port = Integer(load_default=3671, validate=validate.Range(min=1, max=65535))
    local_ip = text(KnxGateway.local_ip, allow_none=True, validate=_ip,
                    metadata={"description": "The local address to connect from"})
    individual_address = text(KnxGateway.individual_address, allow_none=True,
                              validate=_individual_address,
                              metadata={"description": "routing: our source address, 1.1.250"})
    enabled = ma.fields.Boolean(load_default=True)
    connected = ma.fields.Boolean(dump_only=True, allow_none=True)
    changed_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)
    alarm_id = Integer(dump_only=True, allow_none=True)


class BoardSchema(SiteRecordSchema):
    room_id = Integer(**ID)
    area_id = Integer(**ID)
    level = Integer(load_default=1, validate=validate.OneOf(BOARD_LEVELS))
    feeder_circuit_id = Integer(
        **ID, metadata={"description": "Circuit feeding this board's incomer; null: utility"})


class CircuitSchema(SiteRecordSchema):
    board_id = Integer(required=True, validate=POSITIVE_ID)
    parent_id = Integer(
        **ID, metadata={"description": "Upstream circuit; null: fed by the board incomer"})
    area_id = Integer(**ID)
    category = String(load_default="power", validate=validate.OneOf(CIRCUIT_CATEGORIES))
    protected = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Security-critical: remote switching needs extra confirmation"})


class DeviceSchema(SiteRecordSchema):
    kind = String(required=True, validate=validate.OneOf(DEVICE_KINDS))
    circuit_id = Integer(**ID)
    gateway_id = Integer(**ID)
    knx_gateway_id = Integer(**ID, metadata={"description": "knx_group: its KNX gateway"})
    area_id = Integer(**ID)
    unit_id = Integer(allow_none=True, validate=validate.Range(min=1, max=247),
                      metadata={"description": "Modbus unit (slave) id, 1-247"})
    profile = text(Device.profile, allow_none=True)
    enabled = ma.fields.Boolean(load_default=True)
    poles = String(allow_none=True, validate=validate.OneOf(POLES))
    rated_current = ma.fields.Float(**POSITIVE, metadata={"description": "In, A"})
    trip_curve = String(allow_none=True, validate=validate.OneOf(TRIP_CURVES))
    rated_residual_current = ma.fields.Float(**POSITIVE, metadata={"description": "IΔn, mA"})
    rated_power = ma.fields.Float(**POSITIVE, metadata={"description": "Pn, kW"})
    stream_url = text(Device.stream_url, allow_none=True, validate=_stream_url, metadata={
        "description": "Cameras: the video stream (RTSP, HLS .m3u8, WebRTC); handed to the "
                       "clients' pop-up, never proxied"})
    actions = ma.fields.Function(lambda d: accepted_actions(d), dump_only=True, metadata={
        "description": "The commands it accepts (POST /devices/{id}/commands): its profile's "
                       "controls; a knx_group's on/off and, with a brightness address, dim"})
    attributes = JsonObject(load_default=dict,
                            metadata={"description": "Kind-specific extras (a knx_group's group "
                                                     "addresses switch, switch_state, brightness, "
                                                     "brightness_state; "
                                                     "role for the linkage defaults, ...)"})


class SiteSchema(RecordSchema):
    code = text(Site.code, **CODE)
    name = text(Site.name, **NAME)
    address = text(Site.address, load_default="")
    timezone = text(Site.timezone, load_default="Asia/Shanghai", validate=_timezone,
                    metadata={"description": "IANA time zone name, e.g. Asia/Shanghai"})
    latitude = ma.fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90))
    longitude = ma.fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))
    floor_area_m2 = ma.fields.Float(allow_none=True, validate=validate.Range(min=0))
