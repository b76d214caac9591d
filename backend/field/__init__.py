"""The field layer: device profiles (register maps as YAML data), the pure register codec,
the Modbus transport, the poll engine and the per-process field session.

- ``profile.py`` / ``profile_check.py``: ``load_profile(name)``, ``all_profiles()``,
  ``Profile.read_plan(...)``, validated at load; the canonical metric names.
- ``codec.py`` (fields and encodings), ``decode.py``, ``encode.py``: the pure register
  codec of words and bits (no I/O, no pymodbus).
- ``modbus.py``: the only module importing pymodbus (client side).
- ``poller.py``: one poll cycle over many gateways on one asyncio loop (no database).
- ``inventory.py``: the gateways and devices to poll, read from the database.
- ``session.py``: the loop thread, connections, gateway locks and due times of a worker.

Nothing here connects to anything at import time.
"""
