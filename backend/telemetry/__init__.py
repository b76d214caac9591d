"""Telemetry: readings stored (``ingest``: COPY into monthly partitions, latest values in
Redis, live events), device online status (``status``), queries (``query``: latest values
and history), partitions (``partitions``), value conversion (``values``) and the
latest-values documents (``latest``)."""
