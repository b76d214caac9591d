"""The pure codec, against register words taken from the devices' documentation
(Eastron's SDM630 protocol document; docs/gw-breaker-registers.md for our breaker)."""
from __future__ import annotations

import pytest

from backend.field.codec import Field
from backend.field.decode import decode_block, decode_value
from backend.field.encode import EncodeError, encode_value
from backend.field.profile import load_profile

SDM = load_profile("eastron-sdm630")
BRK = load_profile("gw-breaker")


def dec(profile, name, words, problems=None):
    return decode_value(profile.field(name), words, problems)


@pytest.mark.parametrize("name, words, value", [
    ("voltage_a", [0x4366, 0x0000], 230.0),            # the Eastron document's own example
    ("frequency", [0x4248, 0x0000], 50.0),
    ("active_power", [0x449A, 0x5000], 1.2345),        # 1234.5 W -> kW
    ("reactive_power", [0x449A, 0x5000], 1.2345),      # VAr -> kvar
    ("power_factor", [0x3F73, 0x3333], 0.95),
    ("energy_import", [0x4640, 0xE666], 12345.6),      # kWh
    ("current_n", [0x42C8, 0x0000], 100.0),
])
def test_sdm630_documented_float_words(name, words, value):
    assert dec(SDM, name, words) == pytest.approx(value, rel=1e-6)


def test_sdm630_nan_and_out_of_range_are_none_with_a_reason():
    problems: dict = {}
    assert dec(SDM, "voltage_a", [0x7FC0, 0x0000], problems) is None      # NaN
    assert dec(SDM, "current_a", [0x7F80, 0x0000], problems) is None      # +inf
    assert dec(SDM, "power_factor", [0x4000, 0x0000], problems) is None   # 2.0 > 1
    assert problems == {"voltage_a": "nan", "current_a": "nan", "power_factor": "out_of_range"}


# docs/gw-breaker-registers.md, "Example words"
BREAKER_EXAMPLES = [
    ("switch_state", [0x0001], "closed"),
    ("mode", [0x0002], "maintenance"),
    ("trip_cause", [0x0001], "over_voltage"),
    ("fault_indicators", [0x0005], ["voltage", "temperature"]),
    ("leakage_current", [0x0087], 13.5),
    ("temperature", [0xFFC9], -5.5),
    ("temperature_a", [0x0257], 59.9),
    ("voltage_a", [0x08FA], 229.8),
    ("frequency", [0x1387], 49.99),
    ("current_a", [0x0000, 0x3039], 12.345),
    ("active_power", [0x0000, 0x0B12], 2.834),
    ("reactive_power", [0xFFFF, 0xFB50], -1.2),
    ("apparent_power", [0x0000, 0x0C4E], 3.15),
    ("power_factor", [0x0398], 0.92),
    ("energy_import", [0x0012, 0xD687], 12345.67),
]


@pytest.mark.parametrize("name, words, value", BREAKER_EXAMPLES)
def test_gw_breaker_documented_words(name, words, value):
    assert dec(BRK, name, words) == value
    assert encode_value(BRK.field(name), value) == words


def test_gw_breaker_settings_words():
    assert dec(BRK, "over_voltage_trip", [0x0ABE]) == 275.0
    assert dec(BRK, "reclose_delay", [0x001E]) == 30
    assert dec(BRK, "residual_protection", [0x0001]) is True
    assert dec(BRK, "overload_trip", [0x0078]) == 1.2
    assert dec(BRK, "pole_config", [0x0004]) == "3P+N"


def test_unknown_codes_decode_to_none():
    problems: dict = {}
    assert dec(BRK, "trip_cause", [0x0063], problems) is None
    assert dec(BRK, "mode", [0x0007], problems) is None
    assert problems == {"trip_cause": "unknown_code", "mode": "unknown_code"}
    # undefined fault bits are reported, not dropped
    assert dec(BRK, "fault_indicators", [0x0011]) == ["voltage", "bit4"]


def test_absent_probe_and_short_block():
    temp8 = load_profile("gw-temp8")
    problems: dict = {}
    assert decode_value(temp8.field("temperature_in_a"), [0x8000], problems) is None
    assert problems["temperature_in_a"] == "out_of_range"
    assert decode_value(BRK.field("current_a"), [0x0000], problems) is None
    assert problems["current_a"] == "missing"


def test_decode_a_whole_fast_block():
    block = [0x0001, 0x0000, 0x0000, 0x0000, 0x0087, 0x0257, 0x0257, 0x0000, 0x0000, 0x0000]
    (req,) = BRK.read_plan("fast", poles="1P+N")
    values = req.decode(block)
    assert values["switch_state"] == "closed" and values["mode"] == "auto"
    assert values["trip_cause"] == "none" and values["fault_indicators"] == []
    assert values["leakage_current"] == 13.5 and values["temperature"] == 59.9
    assert values["temperature_n"] == 0.0 and "temperature_b" not in values


def test_bits_and_water_leak():
    env = load_profile("gw-env")
    assert decode_value(env.field("water_leak"), [True]) is True
    assert decode_value(env.field("water_leak"), [0]) is False
    assert encode_value(env.field("water_leak"), True) == [True]


@pytest.mark.parametrize("word_order, byte_order, words", [
    ("big", "big", [0x4366, 0x0000]),
    ("little", "big", [0x0000, 0x4366]),
    ("big", "little", [0x6643, 0x0000]),
    ("little", "little", [0x0000, 0x6643]),
])
def test_word_and_byte_order(word_order, byte_order, words):
    f = Field("v", "input", 0, "f32", word_order=word_order, byte_order=byte_order)
    assert decode_value(f, words) == 230.0
    assert encode_value(f, 230.0) == words
    i = Field("i", "input", 0, "i32", word_order=word_order, byte_order=byte_order)
    assert decode_value(i, encode_value(i, -123456)) == -123456


def test_offset_and_scale_roundtrip():
    f = Field("t", "holding", 0, "u16", scale=0.5, offset=-40)
    assert encode_value(f, 25.0) == [130]
    assert decode_value(f, [130]) == 25.0


def test_encode_refuses_what_the_device_cannot_hold():
    with pytest.raises(EncodeError, match="u16"):
        encode_value(BRK.field("voltage_a"), 7000.0)          # 70000 > 65535
    with pytest.raises(EncodeError, match="not one of"):
        encode_value(BRK.field("mode"), "standby")
    with pytest.raises(EncodeError, match="unknown flag"):
        encode_value(BRK.field("fault_indicators"), ["smoke"])
    with pytest.raises(EncodeError, match="not a number"):
        encode_value(BRK.field("voltage_a"), "230")


def test_decode_block_with_offsets():
    fields = [f for f in SDM.metrics.values() if f.address < 0x12]
    words = []
    for v in (230.0, 231.0, 229.0, 10.0, 11.0, 12.0, 2300.0, 2541.0, 2748.0):
        words += encode_value(Field("x", "input", 0, "f32"), v)
    values = decode_block(fields, 0, words)
    assert values["voltage_b"] == 231.0 and values["current_c"] == 12.0
    assert values["active_power_c"] == pytest.approx(2.748)
