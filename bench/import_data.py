"""Generated facility files for bench/bench_import.py: a large site description (YAML) and a
large device list (CSV) in the format of docs/facility-format.md.

The shape follows a big detention centre: a few areas and rooms, one gateway per 200
Modbus units, a board per 100 devices, a circuit per 5 devices (one in ten fed by another
circuit of its board), breakers with their ratings, meters and a few cameras.
"""
from __future__ import annotations

import csv
import io

UNITS_PER_GATEWAY = 200
DEVICES_PER_BOARD = 100
DEVICES_PER_CIRCUIT = 5


def _device(i: int, circuits: int) -> dict:
    kind = ("breaker", "breaker", "breaker", "meter", "camera")[i % 5]
    row = {"code": f"D{i:06d}", "name": f"设备{i}", "kind": kind,
           "circuit": f"C{i % circuits:05d}", "area": f"A{i % 20:02d}"}
    if kind != "camera":
        row |= {"gateway": f"GW{i // UNITS_PER_GATEWAY:04d}",
                "unit_id": i % UNITS_PER_GATEWAY + 1, "profile": "acrel-adw300"}
    if kind == "breaker":
        row |= {"poles": "3P", "rated_current": 63 + i % 4 * 16, "trip_curve": "C"}
    return row


def skeleton(devices: int, code: str = "BENCH-IMPORT") -> dict:
    """Everything but the devices, sized for ``devices`` of them."""
    gateways = -(-devices // UNITS_PER_GATEWAY)
    boards = -(-devices // DEVICES_PER_BOARD)
    circuits = -(-devices // DEVICES_PER_CIRCUIT)
    doc = {"version": 1, "site": {"code": code, "name": "大型看守所"}}
    doc["areas"] = [{"code": f"A{i:02d}", "name": f"区域{i}", "kind": "department"}
                    for i in range(20)]
    doc["rooms"] = [{"code": f"R{i:02d}", "name": f"配电间{i}", "kind": "secondary",
                     "area": f"A{i:02d}"} for i in range(10)]
    doc["gateways"] = [{"code": f"GW{i:04d}", "name": f"网关{i}", "host": f"10.1.{i // 250}."
                        f"{i % 250 + 1}"} for i in range(gateways)]
    doc["boards"] = [{"code": f"B{i:04d}", "name": f"配电箱{i}", "level": 2,
                      "room": f"R{i % 10:02d}"} for i in range(boards)]
    doc["circuits"] = []
    for i in range(circuits):
        rec = {"code": f"C{i:05d}", "name": f"回路{i}", "board": f"B{i % boards:04d}",
               "category": "lighting"}
        if i % 10 == 9 and i >= boards:                  # fed by a circuit of the same board
            rec["parent"] = f"C{i - boards:05d}"
        doc["circuits"].append(rec)
    return doc


def _flow(rec: dict) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in rec.items()) + "}"


def facility_yaml(devices: int, code: str = "BENCH-IMPORT", *, with_devices=True) -> str:
    """The whole description, one flow mapping per record (as examples/facility.yaml)."""
    doc = skeleton(devices, code)
    circuits = len(doc["circuits"])
    site = doc.pop("site")
    out = ["version: 1", f"site: {_flow(site)}"]
    for name in ("areas", "rooms", "gateways", "boards", "circuits"):
        out.append(f"{name}:")
        out.extend(f"  - {_flow(rec)}" for rec in doc[name])
    if with_devices:
        out.append("devices:")
        out.extend(f"  - {_flow(_device(i, circuits))}" for i in range(devices))
    return "\n".join(out) + "\n"


CSV_COLUMNS = ("code", "name", "kind", "circuit", "gateway", "unit_id", "profile", "area",
               "enabled", "poles", "rated_current", "trip_curve", "rated_residual_current",
               "rated_power")


def devices_csv(devices: int, *, rename: bool = False) -> str:
    """The device list of a site built from ``facility_yaml(devices, with_devices=False)``;
    ``rename``: every name changed (an import that updates every row)."""
    circuits = -(-devices // DEVICES_PER_CIRCUIT)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for i in range(devices):
        row = _device(i, circuits)
        if rename:
            row["name"] += "（改）"
        writer.writerow(row)
    return buf.getvalue()
