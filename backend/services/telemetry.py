"""Telemetry store: the one import for pollers, jobs and routes.

- ``ingest(batch)``: poll results -> readings (COPY), latest values, live events
  (backend/services/telemetry_ingest.py)
- ``record_poll_result(device_id, ok, error)`` / ``record_poll_results(...)``: online /
  offline status (telemetry_status.py)
- ``device_latest``, ``circuit_latest``, ``site_latest``, ``history`` (telemetry_query.py)
- partitions: ``create_ahead``, ``drop_expired`` (telemetry_partitions.py)
- live events: ``backend.services.stream.publish(site_id, event_type, payload)``

Readings layout, quality flags and state mappings: backend/models/telemetry.py.
"""
from backend.services.telemetry_ingest import IngestResult, ingest, normalize
from backend.services.telemetry_partitions import (create_ahead, drop_expired,
                                                   ensure_partitions, existing_partitions)
from backend.services.telemetry_query import (choose_bucket, circuit_latest, device_latest,
                                              downstream_circuit_ids, history, site_latest)
from backend.services.telemetry_status import (device_status, record_poll_result,
                                               record_poll_results, select_statuses)

__all__ = ["IngestResult", "choose_bucket", "circuit_latest", "create_ahead", "device_latest",
           "device_status", "downstream_circuit_ids", "drop_expired", "ensure_partitions",
           "existing_partitions", "history", "ingest", "normalize", "record_poll_result",
           "record_poll_results", "select_statuses", "site_latest"]
