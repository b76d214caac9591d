"""Fault location's reads (docs/quality.md): each device's present state (communication
status, latest good values, recent sags, flapping) gathered for backend/quality/
fault_location.py, on the site's supply tree. Scoped to the caller's sites."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from backend.accounts.security import Actor
from backend.clock import iso, utcnow
from backend.errors import invalid_field
from backend.extensions import db
from backend.facility.operations import devices as facility_devices
from backend.facility.topology import site_topology
from backend.models import Alarm, Device, DeviceStatus, DeviceStatusEvent, Gateway
from backend.models.alarms import OPEN_STATES
from backend.quality import diagnosis, events, store
from backend.quality.fault_location import DeviceState, for_device, locate
from backend.settings import setting
from backend.telemetry.query import good_latest_values
from backend.vocabulary import nominal_phase_voltage

OBSERVED_KINDS = ("breaker", "meter", "env_sensor", "temp_sensor")
ELECTRIC = ("breaker", "meter")
RECENT = timedelta(minutes=10)      # a sag this recent still counts as "now"
FLAP_CHANGES = 4                    # on/offline transitions within RECENT: flapping
SAG_KINDS = ("sag", "interruption")


def _num(v) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def device_states(site_id: int, now=None) -> dict[int, DeviceState]:
    now = now or utcnow()
    s = db.session
    rows = s.execute(select(Device.id, Device.code, Device.kind, Device.circuit_id,
                            Device.gateway_id, Device.attributes, DeviceStatus.online)
                     .outerjoin(DeviceStatus, DeviceStatus.device_id == Device.id)
                     .where(Device.site_id == site_id, Device.enabled,
                            Device.kind.in_(OBSERVED_KINDS))).all()
    ids = [r.id for r in rows]
    electric = [r.id for r in rows if r.kind in ELECTRIC]
    values = good_latest_values(electric)
    flips = dict(s.execute(select(DeviceStatusEvent.device_id, func.count())
                           .where(DeviceStatusEvent.device_id.in_(ids),
                                  DeviceStatusEvent.at >= now - RECENT)
                           .group_by(DeviceStatusEvent.device_id)).all()) if ids else {}
    flapping = set(s.scalars(select(Alarm.device_id).where(
        Alarm.device_id.in_(ids), Alarm.flapping, Alarm.state.in_(OPEN_STATES)))) if ids else set()
    # a declared nominal (a 10 kV meter's ~5.8 kV phase) sets the dead level and the sag
    # band; without one, the dead level is 230 V's and the sag band the quality setting's
    declared = {r.id: nominal_phase_voltage(r.attributes) for r in rows}
    default = float(setting("quality_nominal_voltage"))
    sagged = set()
    for device_id, samples in store.voltage_samples(electric, now - RECENT, now).items():
        nominal = declared.get(device_id) or default
        if any(e["kind"] in SAG_KINDS for e in events.voltage_events(samples, nominal)):
            sagged.add(device_id)
    out = {}
    for r in rows:
        v = values.get(r.id, {})
        volts = tuple(x for k in ("voltage_a", "voltage_b", "voltage_c")
                      if (x := _num(v.get(k))) is not None)
        ind = v.get("fault_indicators")
        out[r.id] = DeviceState(
            id=r.id, code=r.code, circuit_id=r.circuit_id if r.kind in ELECTRIC else None,
            gateway_id=r.gateway_id, online=r.online,
            switch_state=v.get("switch_state") if isinstance(v.get("switch_state"), str) else None,
            trip_cause=v.get("trip_cause") if isinstance(v.get("trip_cause"), str) else None,
            voltages=volts, fault_indicators=tuple(ind) if isinstance(ind, list) else (),
            sag=r.id in sagged, nominal_v=declared[r.id],
            flapping=r.id in flapping or flips.get(r.id, 0) >= FLAP_CHANGES)
    return out


def site_fault_location(actor: Actor, site_id: int, args: dict) -> dict:
    topology = site_topology(actor, site_id)          # scoped: 404 / 403 for other sites
    device = None
    if args.get("device_id"):
        device = facility_devices.get(actor, args["device_id"])
        if device.site_id != site_id:
            invalid_field("device_id", "not a device of this site", error="device_not_found")
    now = utcnow()
    gateways = dict(db.session.execute(select(Gateway.id, Gateway.name).where(
        Gateway.site_id == site_id, Gateway.enabled)).all())
    states = {d: st for d, st in device_states(site_id, now).items()
              if st.gateway_id is None or st.gateway_id in gateways}
    result = locate(diagnosis.tree_from_topology(topology), states, gateways)
    faults = result["faults"]
    if device is not None:
        faults = for_device(result, device.id, device.circuit_id)
    return {"site_id": site_id, "at": iso(now),
            "device_id": device.id if device else None, "faults": faults,
            "circuits": {str(k): v for k, v in result["circuits"].items()},
            "unknown_circuits": result["unknown_circuits"]}
