"""The bulk import's database side: a site's rows read once, new ids reserved in one query,
and rows written set-based (multi-row INSERT, executemany UPDATE by id).

Rows are plain dicts of column values (no ORM objects: a 50,000-device site stays a few
dicts per record). ``created_at`` / ``updated_at`` are left to their column defaults.
"""
from __future__ import annotations

import functools

from sqlalchemy import bindparam, func, insert, inspect, select, text, update

from backend.extensions import db

STAMPS = ("created_at", "updated_at")


@functools.cache
def columns(model) -> tuple[str, ...]:
    """The columns an import reads and writes, in the mapper's order (audit.snapshot's)."""
    return tuple(a.key for a in inspect(model).column_attrs if a.key not in STAMPS)


@functools.cache
def _defaults(model) -> tuple[tuple[str, object], ...]:
    """(column, default) in ``columns`` order; a callable default is SQLAlchemy's wrapper
    taking the execution context."""
    table = model.__table__
    return tuple((k, None if table.c[k].default is None else table.c[k].default.arg)
                 for k in columns(model))


def new_row(model, values: dict) -> dict:
    """The stored row of a new record (``values`` has its ``id``): its values over the
    columns' defaults."""
    row = {}
    for key, default in _defaults(model):
        if key in values:
            row[key] = values[key]
        else:
            row[key] = default(None) if callable(default) else default
    return row


def load_rows(model, site_id: int) -> dict[int, dict]:
    cols = [model.__table__.c[k] for k in columns(model)]
    return {r["id"]: dict(r) for r in db.session.execute(
        select(*cols).where(model.site_id == site_id)).mappings()}


def reserve_ids(model, n: int) -> list[int]:
    """``n`` ids from the table's sequence, in one query (gaps are harmless, as always)."""
    if n <= 0:
        return []
    seq = func.pg_get_serial_sequence(model.__table__.name, "id")
    return list(db.session.scalars(select(func.nextval(seq))
                                   .select_from(func.generate_series(1, n))))


def insert_rows(model, rows: list[dict]) -> None:
    if rows:
        db.session.execute(insert(model.__table__), rows)


def update_rows(model, rows: list[dict]) -> None:
    """UPDATE by id; rows with the same set of changed columns go in one executemany."""
    table = model.__table__
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(k for k in row if k != "id"), []).append(row)
    for keys, group in groups.items():
        stmt = update(table).where(table.c.id == bindparam("b_id")).values(
            {k: bindparam(f"b_{k}", type_=table.c[k].type) for k in keys})
        db.session.execute(stmt, [{f"b_{k}": v for k, v in row.items()} for row in group])


def set_statement_timeout(seconds: float) -> None:
    """For the rest of this transaction: PostgreSQL cancels a statement running longer."""
    ms = max(1, int(seconds * 1000))
    db.session.execute(text(f"SET LOCAL statement_timeout = {ms}"))
