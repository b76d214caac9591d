"""The field layer: device profiles (register maps as YAML data), the pure register codec
and the Modbus transport.

- ``profile.py``: ``load_profile(name)``, ``all_profiles()``, ``Profile.read_plan(...)``;
  the canonical metric names (``METRICS``), trip causes and fault indicators.
- ``codec.py``: pure decode/encode of register words and bits (no I/O, no pymodbus).
- ``modbus.py``: the only module importing pymodbus (client side).

Nothing here connects to anything at import time.
"""
