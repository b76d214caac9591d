"""The latest-values documents in Redis: their key, and a memo of the parsed ones."""
from __future__ import annotations

from operator import itemgetter

import orjson


def latest_key(device_id: int) -> str:
    """JSON document {metric: {"v", "ts", "q"}} of the device's newest values.

    One string per device rather than a hash: the site-wide latest API reads 2,000 of
    them with one MGET and splices them into the response without parsing (a pipeline of
    HGETALLs costs ~150 ms for 2,000 x 25 fields in redis-py; see bench/bench_ingest.py).
    """
    return f"gw:latest:{device_id}"


def commanded_key(device_id: int) -> str:
    """JSON {command_id, action, value, target, state, at, by}: the device's latest command
    (backend/control), shown beside its confirmed (polled) values."""
    return f"gw:commanded:{device_id}"


class LatestDocs:
    """Parsed latest-values documents, remembered with the exact text they were read or
    written as.

    A poll worker reads back, every cycle, the documents it wrote itself the cycle before;
    parsing 2,000 of them is ~55 ms of every ingest. Parsing is a pure function of the
    text, so a document whose text in Redis equals the remembered one *is* the
    remembered dict: a document changed or deleted by anyone else is simply parsed again,
    never served stale. Remembered dicts must not be mutated (ingest merges into a copy).
    Bounded (about 10 KB per device): forgets everything when full.
    """

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._docs: dict[int, tuple[str, dict, str | None]] = {}

    def load(self, client, device_ids: list[int]) -> dict[int, tuple[dict, str | None]]:
        """device id -> (document, its newest ts or None), with one MGET."""
        out = {}
        for device_id, raw in zip(device_ids, client.mget([latest_key(d) for d in device_ids])):
            if not raw:
                out[device_id] = ({}, None)
                continue
            hit = self._docs.get(device_id)
            if hit is None or hit[0] != raw:
                doc = orjson.loads(raw)
                hit = self._remember(device_id, raw, doc)
            out[device_id] = hit[1], hit[2]
        return out

    def remember(self, device_id: int, raw: str, doc: dict) -> None:
        """``doc`` was just stored as ``raw`` (the caller gives up mutating it)."""
        self._remember(device_id, raw, doc)

    def _remember(self, device_id: int, raw: str, doc: dict) -> tuple:
        if len(self._docs) >= self.limit and device_id not in self._docs:
            self._docs.clear()
        entry = self._docs[device_id] = (raw, doc, newest_ts(doc))
        return entry

    def clear(self) -> None:
        self._docs.clear()


_TS = itemgetter("ts")


def newest_ts(doc: dict) -> str | None:
    """The newest ts of a latest-values document (None when empty). Fixed-width ISO
    strings compare like times."""
    try:
        return max(map(_TS, doc.values()), default=None)
    except KeyError:                       # a cell without ts: counts as the oldest
        return max((cell.get("ts", "") for cell in doc.values()), default=None)
