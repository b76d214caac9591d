"""Device profiles: every shipped profile loads, validation names file and field, read plans
group registers into few requests."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from backend.field import profile as prof
from backend.field.profile import (
    METRICS,
    ProfileError,
    all_profiles,
    load_profile,
    load_profile_file,
)

SHIPPED = ("eastron-sdm630", "gw-breaker", "gw-env", "gw-level", "gw-load", "gw-temp8")


def test_every_profile_loads_with_canonical_names_and_units():
    profiles = all_profiles()
    assert set(SHIPPED) <= set(profiles)
    for name, p in profiles.items():
        assert p.name == name and p.model and p.kinds
        for mname, m in p.metrics.items():
            assert mname in METRICS, (name, mname)
            unit = METRICS[mname][0]
            assert m.unit in (None, unit), (name, mname, m.unit)


def test_profile_vocabulary_matches_the_facility_model():
    from backend.models import facility
    assert prof.DEVICE_KINDS == facility.DEVICE_KINDS
    assert prof.POLES == facility.POLES


def test_gw_breaker_covers_m1_and_m2():
    p = load_profile("gw-breaker")
    m1 = {"voltage_a", "voltage_b", "voltage_c", "current_a", "current_b", "current_c",
          "current_n", "active_power", "active_power_a", "reactive_power", "apparent_power",
          "power_factor", "frequency", "energy_import", "energy_export", "reactive_energy",
          "temperature", "leakage_current", "switch_state", "mode", "trip_cause",
          "fault_indicators"}
    assert m1 <= set(p.metrics)
    assert set(p.controls) == {"open", "close", "reset"}
    assert {"over_voltage_trip", "under_voltage_trip", "reclose_delay", "overload_trip",
            "residual_protection", "rated_residual_current", "power_limit",
            "over_temperature_trip"} <= set(p.settings)
    assert p.settings["over_voltage_trip"].default == 275
    assert set(p.metrics["mode"].enum.values()) == {"auto", "manual", "maintenance"}
    assert set(p.metrics["fault_indicators"].bits.values()) == {
        "voltage", "current", "temperature", "residual_current"}
    fast = set(p.metric_names("fast"))
    assert {"switch_state", "mode", "leakage_current", "temperature", "trip_cause"} <= fast
    assert "voltage_a" not in fast and "energy_import" in p.metric_names("normal")


def _write(tmp_path, name, body):
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


GOOD = """
model: Test device
kinds: [breaker]
metrics:
  voltage_a: {table: input, address: 0, type: u16, scale: 0.1, unit: V}
"""


def test_a_minimal_profile_is_valid(tmp_path):
    p = load_profile_file(_write(tmp_path, "mini", GOOD))
    assert p.metrics["voltage_a"].scale == 0.1 and p.metrics["voltage_a"].rate == "normal"


@pytest.mark.parametrize("body, field, words", [
    ("metrics: {voltage_a: {table: input, address: 0, type: u17}}",
     "metrics.voltage_a.type", "u16"),
    ("metrics: {volts_a: {table: input, address: 0, type: u16}}", "metrics.volts_a",
     "canonical"),
    ("metrics: {voltage_a: {table: input, address: 0, type: u16, unit: kV}}",
     "metrics.voltage_a.unit", "'V'"),
    ("metrics: {voltage_a: {table: inputs, address: 0, type: u16}}",
     "metrics.voltage_a.table", "holding"),
    ("metrics: {voltage_a: {table: input, address: -1, type: u16}}",
     "metrics.voltage_a.address", "0..65535"),
    ("metrics: {voltage_a: {table: input, address: 0, type: u16, scael: 0.1}}",
     "metrics.voltage_a.scael", "unknown field"),
    ("metrics: {voltage_a: {table: input, address: 0, type: u32},\n"
     "          voltage_b: {table: input, address: 1, type: u16}}",
     "metrics.voltage_b.address", "overlaps metrics.voltage_a"),
    ("metrics: {switch_state: {table: input, address: 0, type: u16, enum: {0: off}}}",
     "metrics.switch_state.enum.0", "open"),
    ("metrics: {voltage_a: {table: coil, address: 0, type: u16}}",
     "metrics.voltage_a.type", "bits"),
    ("metrics: {voltage_a: {table: input, address: 0, type: u16}}\n"
     "mode: {table: input, address: 1, type: u16, values: {0: auto, 1: standby}}",
     "mode.values.1", "maintenance"),
    ("metrics: {voltage_a: {table: input, address: 0, type: u16}}\n"
     "settings: {ov: {table: input, address: 9, type: u16}}",
     "settings.ov.table", "writable"),
    ("metrics: {voltage_a: {table: input, address: 0, type: u16}}\n"
     "settings: {ov: {table: holding, address: 9, type: u16, min: 5, max: 9, default: 20}}",
     "settings.ov.default", "outside"),
    ("metrics: {voltage_a: {table: input, address: 0, type: u16}}\n"
     "controls: {open: {table: input, address: 0, value: 1}}", "controls.open.table", "coil"),
    ("metrics: {voltage_a: {table: input, address: 0, type: u16}}\n"
     "request: {max_registers: 200}", "request.max_registers", "1..125"),
])
def test_validation_errors_name_the_file_and_the_field(tmp_path, body, field, words):
    path = _write(tmp_path, "broken", "model: X\nkinds: [breaker]\n" + body + "\n")
    with pytest.raises(ProfileError) as exc:
        load_profile_file(path)
    text = str(exc.value)
    assert f"broken.yaml: {field}:" in text, text
    assert words in text, text


def test_all_errors_are_reported_at_once(tmp_path):
    path = _write(tmp_path, "many", """
        kinds: [toaster]
        metrics:
          voltage_a: {table: input, address: 0, type: u17}
          current_a: {table: input, address: 1}
        """)
    with pytest.raises(ProfileError) as exc:
        load_profile_file(path)
    fields = [e.split(":")[0] for e in exc.value.errors]
    assert {"model", "kinds[0]", "metrics.voltage_a.type", "metrics.current_a.type"} <= set(fields)


def test_name_must_match_file_and_yaml_errors_name_the_file(tmp_path):
    with pytest.raises(ProfileError, match=r"other.yaml: name: must match"):
        load_profile_file(_write(tmp_path, "other", "name: mini\n" + GOOD))
    with pytest.raises(ProfileError, match=r"bad.yaml: \(yaml\)"):
        load_profile_file(_write(tmp_path, "bad", "model: [unclosed\n"))
    with pytest.raises(KeyError, match="known: "):
        load_profile("no-such-device")


def _spans(plan):
    return [(r.table, r.address, r.count) for r in plan]


def test_sdm630_reads_everything_in_at_most_three_requests():
    p = load_profile("eastron-sdm630")
    plan = p.read_plan()
    assert len(plan) <= 3
    assert all(r.count <= 80 for r in plan)            # Eastron: at most 40 parameters
    assert sum(len(r.fields) for r in plan) == len(p.metrics)
    assert _spans(plan)[0] == ("input", 0, 0x4C)
    # no gap allowed: one request per contiguous run
    assert len(p.read_plan(max_gap=0)) > 3


def test_gw_breaker_fast_and_normal_blocks_are_one_request_each():
    p = load_profile("gw-breaker")
    assert _spans(p.read_plan("fast")) == [("input", 0, 10)]
    assert _spans(p.read_plan("normal")) == [("input", 32, 32)]
    assert _spans(p.read_plan()) == [("input", 0, 10), ("input", 32, 32)]
    assert _spans(p.read_plan("settings")) == [("holding", 256, 12), ("input", 128, 4)]
    # a 1P breaker does not read phases b/c or the neutral (still one request)
    one = p.read_plan("fast", poles="1P")
    names = {f.name for f in one[0].fields}
    assert "temperature_a" in names and not names & {"temperature_b", "temperature_n"}
    assert len(p.read_plan(["voltage_a", "energy_import"])) == 2      # 24-register hole
    assert _spans(p.read_plan(["voltage_a", "energy_import"], max_gap=30)) == [("input", 32, 28)]


def test_plan_respects_request_limits(tmp_path):
    lines = "\n".join(f"  {n}: {{table: holding, address: {a}, type: u32}}"
                      for n, a in (("voltage_a", 0), ("voltage_b", 60), ("voltage_c", 124),
                                   ("current_a", 140)))
    p = load_profile_file(_write(tmp_path, "wide", f"model: W\nkinds: [meter]\n"
                                 f"request: {{max_gap: 70}}\nmetrics:\n{lines}\n"))
    plan = p.read_plan()
    assert all(r.count <= 125 for r in plan)
    assert _spans(plan) == [("holding", 0, 62), ("holding", 124, 18)]
    bits = load_profile("gw-env").read_plan(["water_leak"])
    assert _spans(bits) == [("discrete", 0, 1)]


def test_settings_encode_with_limits():
    p = load_profile("gw-breaker")
    assert p.encode_setting("over_voltage_trip", 270) == ("holding", 256, [2700])
    assert p.encode_setting("residual_protection", True) == ("holding", 265, [1])
    with pytest.raises(ValueError, match="outside"):
        p.encode_setting("over_voltage_trip", 400)
    with pytest.raises(ValueError, match="read-only"):
        p.encode_setting("rated_current", 10)
    assert p.control("open").words() == [False] and p.control("close").words() == [True]


def test_field_layer_does_not_import_pymodbus():
    code = ("import sys, backend.field.profile, backend.field.codec; "
            "backend.field.profile.all_profiles(); "
            "assert 'pymodbus' not in sys.modules, 'pymodbus imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
