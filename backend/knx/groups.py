"""A ``knx_group`` device's group addresses and commands, pure (no I/O).

``devices.attributes`` of a knx_group: ``switch`` (required), ``switch_state``,
``brightness``, ``brightness_state`` (optional), each a 3-level group address
"main/middle/sub" (0-31 / 0-7 / 0-255). Without a state address the write address is read
back instead (an actuator that answers reads on it).

Values, as the latest values show them: ``light`` ("on"/"off", DPT 1.001) and
``brightness`` (0-100 %, DPT 5.001).
"""
from __future__ import annotations

import re

ADDRESS_KEYS = ("switch", "switch_state", "brightness", "brightness_state")
_ADDRESS = re.compile(r"^(\d{1,2})/(\d)/(\d{1,3})$")
# action -> the values the group shows once it took effect (dim: the command's level)
ACTIONS = {"on": {"light": "on"}, "off": {"light": "off"}, "dim": None}
METRICS = ("light", "brightness")


class AddressError(ValueError):
    """``field`` names the attribute; ``str()`` says what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_address(text) -> str:
    """The address itself, or ValueError saying why not."""
    m = _ADDRESS.match(text) if isinstance(text, str) else None
    if m is None:
        raise ValueError(f"{text!r} is not a group address main/middle/sub")
    main, middle, sub = (int(g) for g in m.groups())
    if main > 31 or middle > 7 or sub > 255:
        raise ValueError(f"{text!r} is out of range (0-31/0-7/0-255)")
    if (main, middle, sub) == (0, 0, 0):
        raise ValueError("0/0/0 is not a usable group address")
    return text


def check_attributes(attributes: dict) -> dict:
    """A knx_group's attributes checked: AddressError naming the first bad address."""
    if not isinstance(attributes, dict) or not attributes.get("switch"):
        raise AddressError("switch", "the switch group address is required")
    for key in ADDRESS_KEYS:
        if attributes.get(key) is None:
            continue
        try:
            check_address(attributes[key])
        except ValueError as exc:
            raise AddressError(key, str(exc)) from None
    if attributes.get("brightness_state") and not attributes.get("brightness"):
        raise AddressError("brightness", "a brightness_state needs a brightness address")
    return attributes


def addresses(attributes: dict) -> dict[str, str]:
    """The group's addresses: write (``switch``/``brightness``) and read-back
    (``switch_state``/``brightness_state``, the write address when there is none)."""
    out = {k: attributes[k] for k in ADDRESS_KEYS if attributes.get(k)}
    if "switch" in out:
        out.setdefault("switch_state", out["switch"])
    if "brightness" in out:
        out.setdefault("brightness_state", out["brightness"])
    return out


def actions(attributes: dict) -> list[str]:
    """The commands a group accepts (dim only with a brightness address)."""
    return ["on", "off"] + (["dim"] if attributes.get("brightness") else [])


def target(action: str, value=None) -> dict:
    """What the group must show once ``action`` took effect (dim: the level as the bus
    carries it, whole 1/255 steps, shown back in whole %)."""
    return dict(ACTIONS[action]) if ACTIONS.get(action) else {"brightness": percent(raw(value))}


def value_for(metric: str, payload):
    """A payload as ``metric``'s value (None: not that kind of payload)."""
    if metric == "light" and isinstance(payload, bool):
        return "on" if payload else "off"
    if metric == "brightness" and isinstance(payload, int) and not isinstance(payload, bool):
        return percent(payload)
    return None


def values_of(attributes: dict, address: str, payload) -> dict:
    """A telegram's payload (bool for DPT 1, int 0-255 for DPT 5) as the group's values,
    by the address it was sent to (write or state)."""
    addrs = addresses(attributes)
    out: dict = {}
    if address in (addrs.get("switch"), addrs.get("switch_state")) and isinstance(payload, bool):
        out["light"] = "on" if payload else "off"
    if address in (addrs.get("brightness"), addrs.get("brightness_state")) \
            and isinstance(payload, int) and not isinstance(payload, bool):
        out["brightness"] = percent(payload)
    return out


def percent(raw: int) -> int:
    """DPT 5.001: 0-255 -> 0-100 %."""
    return round(raw * 100 / 255)


def raw(percent_value: float) -> int:
    """DPT 5.001: 0-100 % -> 0-255."""
    return round(float(percent_value) * 255 / 100)
