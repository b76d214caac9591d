"""Power quality (docs/quality.md): GB/T indices per monitoring point and per site from
10-minute aggregates of RMS readings, events (sags, swells, interruptions, trips), and the
diagnosis (cause, hazard, remedy) from a rule table kept as data (docs/quality-rules.md).

Pure cores (no I/O, no SQLAlchemy/Redis/Flask; the ``pure-cores`` import contract):

- ``standards.py``: the limits and thresholds, each with its clause.
- ``indices.py``: one index from a series of 10-minute values: the 95 % value, compliance;
  the unbalance formulas (exact from line-to-line magnitudes or phasors, approximate from
  phase magnitudes).
- ``events.py``: sags, swells and interruptions from RMS samples; trips and mode changes
  from state transitions.
- ``report.py``: a monitoring point's indices and events from its aggregates and samples.
- ``diagnosis.py`` with ``rules.yaml``: the rule table, validated at load; the cards of
  one point and the system-level reasoning over the supply tree.

Beside them the I/O: ``store.py`` (the 10-minute aggregates, samples and state changes
from ``readings``; the daily results), ``operations.py`` (the API's reads and the daily
job). Nothing here connects to anything at import time.
"""
