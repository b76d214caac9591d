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


YOUNG_THRESHOLD = 10_000    # allocations between young collections (CPython's default: 700)


def settle_long_lived_heap(young: int = YOUNG_THRESHOLD) -> None:
    """For a long-lived poll worker, once it is built (the app, its modules, the profiles):
    collect once, move every object that survived out of the collector's sight
    (``gc.freeze``, as the simulator does with its fleet model), and let young
    collections run every ``young`` allocations instead of 700. A poll cycle allocates
    ~100,000 short-lived objects in the polling thread, where ``collector_paused`` does
    not apply; with the default threshold each of them that is still referenced at a
    young collection (a reading waiting to be stored) is traversed and promoted, and
    every few cycles a full collection walks the whole heap (bench_poll reports the
    collector's time per cycle). Reference counting frees everything as before."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(young, *gc.get_threshold()[1:])
