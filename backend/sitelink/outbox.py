"""The site box's side of the outbox: numbering committed rows in commit order, the next
batch, acknowledgements, pruning, the status (docs/sitelink.md).

Why ``seq`` is assigned here and not at insert: a bigserial is taken when a transaction
inserts, and transactions commit out of order, so a reader of ``seq > last`` would pass
over a row that commits late. Here only committed rows are visible (READ COMMITTED); they
are numbered in id order under the state row's lock, so every row gets a seq above all
seqs the shipper may already have sent, and a row caused by another (an acknowledgement
after its raise) is numbered after it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import orjson
from sqlalchemy import func, select, text

from backend.clock import utcnow
from backend.extensions import db
from backend.models import Site, UplinkOutbox, UplinkState
from backend.settings import setting
from backend.sitelink import batching

NUMBER_AT_ONCE = 10_000

_NUMBER = text(
    "UPDATE uplink_outbox o SET seq = n.seq FROM ("
    "  SELECT id, :base + row_number() OVER (ORDER BY id) AS seq FROM uplink_outbox"
    "  WHERE seq IS NULL ORDER BY id LIMIT :lim) n WHERE o.id = n.id")


def state(lock: bool = False) -> UplinkState:
    db.session.execute(text("INSERT INTO uplink_state (id, last_seq, acked_seq, state) "
                            "VALUES (1, 0, 0, 'idle') ON CONFLICT DO NOTHING"))
    stmt = select(UplinkState).where(UplinkState.id == 1)
    return db.session.scalars(stmt.with_for_update() if lock else stmt).one()


def number() -> int:
    """Give the committed unnumbered rows their seqs (one transaction); returns how many."""
    st = state(lock=True)
    done = db.session.execute(_NUMBER, {"base": st.last_seq, "lim": NUMBER_AT_ONCE}).rowcount
    st.last_seq += done
    db.session.commit()
    return done


def _next_rows(after: int) -> list[tuple[int, str, str]]:
    """(seq, kind, payload as stored JSON text) of the next batch: seq > ``after``, bounded
    by count and bytes (sizes from PostgreSQL: the payload is never parsed here)."""
    max_items = setting("uplink_batch_items")
    rows = db.session.execute(text(
        "SELECT seq, kind, payload::text, octet_length(payload::text) FROM uplink_outbox "
        "WHERE seq > :after ORDER BY seq LIMIT :n"), {"after": after, "n": max_items}).all()
    db.session.commit()
    n = batching.take([r[3] + 40 for r in rows], max_items, setting("uplink_batch_bytes"))
    return [(r[0], r[1], r[2]) for r in rows[:n]]


def next_batch(after: int) -> list[dict]:
    """The next items to send, parsed: ``[{seq, kind, payload}]``."""
    return [{"seq": s, "kind": k, "payload": orjson.loads(p)} for s, k, p in _next_rows(after)]


def next_batch_json(after: int) -> tuple[int, int, str] | None:
    """The next batch's (first seq, last seq, its items as one JSON array), spliced from
    the stored text: a 2,000-device cycle's row is ~1 MB, and parsing it to serialise it
    again cost the shipper ~1 s (docs/benchmarks.md)."""
    rows = _next_rows(after)
    if not rows:
        return None
    items = ",".join(f'{{"seq":{s},"kind":{orjson.dumps(k).decode()},"payload":{p}}}'
                     for s, k, p in rows)
    return rows[0][0], rows[-1][0], f"[{items}]"


def first_unsent_seq() -> int | None:
    return db.session.scalar(select(func.min(UplinkOutbox.seq)).where(
        UplinkOutbox.acked_at.is_(None), UplinkOutbox.seq.is_not(None)))


def acknowledged(watermark: int, now: datetime | None = None) -> None:
    """The centre holds everything up to ``watermark``."""
    now = now or utcnow()
    db.session.execute(text("UPDATE uplink_outbox SET acked_at = :now "
                            "WHERE seq <= :w AND acked_at IS NULL"), {"now": now, "w": watermark})
    st = state(lock=True)
    st.acked_seq, st.last_ack_at, st.state = watermark, now, "up"
    st.last_error = st.error_seq = None
    db.session.commit()


def set_state(name: str, error: str | None = None, seq: int | None = None) -> None:
    st = state(lock=True)
    st.state, st.last_attempt_at = name, utcnow()
    if error is not None or name == "up":
        st.last_error, st.error_seq = error, seq
    db.session.commit()


def prune(now: datetime | None = None) -> int:
    """Delete rows acknowledged longer ago than ``uplink_keep_hours``."""
    cutoff = (now or utcnow()) - timedelta(hours=setting("uplink_keep_hours"))
    n = db.session.execute(text("DELETE FROM uplink_outbox WHERE acked_at < :c"),
                           {"c": cutoff}).rowcount
    db.session.commit()
    return n


def site_code() -> str | None:
    """The box's site (a site box serves one site: the first one)."""
    return db.session.scalar(select(Site.code).order_by(Site.id).limit(1))


def site_id() -> int | None:
    return db.session.scalar(select(Site.id).order_by(Site.id).limit(1))


def backlog(now: datetime | None = None) -> tuple[int, float | None]:
    """Rows the centre has not acknowledged, and the age of the oldest in seconds."""
    count, oldest = db.session.execute(
        select(func.count(), func.min(UplinkOutbox.created_at))
        .where(UplinkOutbox.acked_at.is_(None))).one()
    age = ((now or utcnow()) - oldest).total_seconds() if oldest else None
    return count, age


def status() -> dict:
    st = state()
    count, age = backlog()
    out = {"role": setting("role"), "state": st.state, "backlog": count,
           "oldest_unsent_seconds": age, "last_seq": st.last_seq, "acked_seq": st.acked_seq,
           "last_error": st.last_error, "error_seq": st.error_seq,
           "last_ack_at": st.last_ack_at, "last_attempt_at": st.last_attempt_at,
           "central_url": setting("central_url") or None}
    db.session.commit()
    return out


def resume() -> dict:
    """Clear a stopped stream (after the centre was fixed): the shipper tries again."""
    st = state(lock=True)
    if st.state == "stopped":
        st.state = "down"
    db.session.commit()
    return status()
