"""The pure part of KNX lighting: group addresses checked, commands and their targets,
DPT 1/5 payloads as the group's values."""
import pytest

from backend.knx import groups


@pytest.mark.parametrize("attrs, field", [
    ({"switch": "1/2/999"}, "switch"), ({}, "switch"), ({"switch_state": "1/2/4"}, "switch"),
    ({"switch": "32/0/1"}, "switch"), ({"switch": "0/0/0"}, "switch"),
    ({"switch": "1/8/1"}, "switch"), ({"switch": 5}, "switch"),
    ({"switch": "1/2/3", "brightness": "1.2.3"}, "brightness"),
    ({"switch": "1/2/3", "brightness_state": "1/2/4"}, "brightness"),
])
def test_bad_addresses_name_their_attribute(attrs, field):
    with pytest.raises(groups.AddressError) as exc:
        groups.check_attributes(attrs)
    assert exc.value.field == field


def test_commands_targets_and_values():
    light = {"switch": "1/2/3", "switch_state": "1/2/4"}
    dimmer = {"switch": "1/2/10", "brightness": "1/2/12"}
    assert groups.check_attributes(light) is light
    assert groups.actions(light) == ["on", "off"]
    assert groups.actions(dimmer) == ["on", "off", "dim"]
    assert groups.addresses(dimmer)["brightness_state"] == "1/2/12"   # read the write address
    assert groups.target("on") == {"light": "on"} and groups.target("off") == {"light": "off"}
    assert [groups.target("dim", p)["brightness"] for p in (0, 40, 40.4, 100)] == [0, 40, 40, 100]
    assert groups.raw(40) == 102 and groups.percent(102) == 40
    assert groups.values_of(light, "1/2/4", True) == {"light": "on"}
    assert groups.values_of(light, "1/2/3", False) == {"light": "off"}
    assert groups.values_of(light, "1/2/9", True) == {}
    assert groups.values_of(dimmer, "1/2/12", 255) == {"brightness": 100}
    assert groups.values_of(dimmer, "1/2/12", True) == {}                # not a DPT 5 payload
