"""Memory handling of the ingest path."""
from __future__ import annotations

import contextlib
import gc


@contextlib.contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector for one ingest (``ingest()``).

    An ingest allocates about one object per value (50,000 per cycle of 2,000 breakers),
    which sets off ~100 young-generation collections and, with a poll worker's heap, a
    full collection of 100-250 ms per poll cycle (measured with ``gc.callbacks``, see
    docs/benchmarks.md), and they find nothing: ingest builds no reference cycles, and
    reference counting still frees everything as usual. Paused, the collector runs once
    after. Only re-enabled if it was enabled (another thread may have paused it too).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
