"""The bounds of an import: how large a file, how long it may run.

An import is one transaction in one web request. Above ``import_max_records`` records (or
``import_max_bytes`` bytes of body) it is refused with 413 ``import_too_large`` before any
work; one that would run past ``import_max_seconds`` (a slow or locked database) stops
with 503 ``import_timeout`` and is rolled back, so it never commits after the client gave
up. Settings: README, env ``GW_IMPORT_MAX_RECORDS`` / ``_BYTES`` / ``_SECONDS``.
"""
from __future__ import annotations

import time

from backend.errors import PayloadTooLarge, Unavailable
from backend.settings import setting

IMPORT_TOO_LARGE = "import_too_large"
IMPORT_TIMEOUT = "import_timeout"


class ImportTimeout(Unavailable):
    error = IMPORT_TIMEOUT


def timed_out() -> ImportTimeout:
    return ImportTimeout("the import did not finish within its time limit "
                         f"({setting('import_max_seconds')} s, GW_IMPORT_MAX_SECONDS); "
                         "nothing was written: retry later or split the file",
                         headers={"Retry-After": "30"})


def deadline() -> float:
    """The ``time.monotonic()`` by which an import starting now must be done."""
    return time.monotonic() + setting("import_max_seconds")


def too_large(limit: str, message: str) -> PayloadTooLarge:
    """413 naming the limit: ``errors`` is ``{"import_max_records": [message]}``."""
    return PayloadTooLarge(f"{message} (GW_{limit.upper()})", error=IMPORT_TOO_LARGE,
                           errors={limit: [message]})


def check_records(n: int) -> None:
    limit = setting("import_max_records")
    if n > limit:
        raise too_large("import_max_records", f"the file has more than {limit} records; "
                                              f"split it (at most {limit} per import)")


def max_bytes() -> int:
    return setting("import_max_bytes")


def check_bytes(n: int | None) -> None:
    limit = max_bytes()
    if n is not None and n > limit:
        raise too_large("import_max_bytes", f"the file is larger than {limit} bytes; "
                                            f"split it (at most {limit} per import)")
