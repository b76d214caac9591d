"""KNX lighting: group addresses of ``knx_group`` devices (pure, ``groups``) and the bus
through xknx (``bus``: the only module of the backend that imports xknx, an import-linter
contract). The KNX process (backend/runtime/knx_process.py) joins them to the control
lifecycle, telemetry, the live stream and the alarms. docs/knx.md.
"""
