"""Every API blueprint, registered in one place."""
from __future__ import annotations

from importlib import import_module

RESOURCES = ("auth", "users", "sites", "areas", "rooms", "boards", "circuits", "gateways",
             "devices", "audit", "transfer", "telemetry", "stream", "alarms",
             "alarm_rules", "maintenance_windows", "alarm_recipients", "notify_settings",
             "repair_orders", "commands", "control_grants", "device_profiles", "scenes",
             "schedules", "linkage_rules", "knx_gateways", "wechat_auth", "energy",
             "meter_replacements", "quality", "energy_tariffs", "carbon_factors",
             "energy_denominators", "energy_reports", "preferences", "inspection_plans",
             "inspection_records", "uplink", "uplink_config")


def register_blueprints(api) -> None:
    for name in RESOURCES:
        api.register_blueprint(import_module(f"backend.api.{name}.routes").blp)
