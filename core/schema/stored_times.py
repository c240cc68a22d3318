"""SQLite date/time text written by another app, compared by what it means rather than by how it is spelt.

SQLAlchemy binds a SQLite DATETIME as '2026-01-01 10:00:00.000000'. An app that wrote '2026-01-01 10:00:00'
(or '…T…', '…Z', '…+02:00', '….123') holds text that SQLite, comparing TEXT, puts before that spelling of
the same time: '=' found nothing, '≥ 10:00' left 10:00:00 out, and a save's conflict check failed every
time. For such columns (`ColumnInfo.times_as_text`, set by core/schema/reflect.py on SQLite only):

- filters and conflict checks compare both sides through SQLite's own date parser (strftime to one spelling,
  in UTC, to the millisecond), plus a plain range on the column around the value, so that an index on the
  column still narrows the scan;
- keyset cursors carry the text the edge row holds (fetch_page selects it), so the next page starts exactly
  after that row whatever its spelling, in the order ORDER BY gives the stored text.

Warden's own schema and PostgreSQL never come here: what they store is the spelling they bind.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from core.schema.catalog import ColumnInfo
from core.schema.kinds import ColumnKind

#: Kinds whose SQLite text another app may spell its own way (a DATE is 'YYYY-MM-DD' for everyone).
STORED_TIME_KINDS = (ColumnKind.DATETIME, ColumnKind.TIME)
#: One spelling per kind, as SQLite's strftime writes it: UTC, milliseconds (SQLite's own resolution).
CANONICAL = {"datetime": "%Y-%m-%d %H:%M:%f", "time": "%H:%M:%f"}
#: Stored text starts with its local date; an offset moves that at most 14 hours from the UTC date.
MARGIN = dt.timedelta(days=1)

__all__ = [
    "CANONICAL", "STORED_TIME_KINDS", "compare", "cursor_bind", "is_stored", "same_time", "stored_text",
]  # fmt: skip


def is_stored(info: ColumnInfo, value: Any) -> bool:
    """Whether a cursor value is a row's stored text (fetch_page's cursors), to be compared as it is."""
    return info.times_as_text and isinstance(value, str)


def cursor_bind(value: str) -> sa.BindParameter[str]:
    """A stored text bound as text: the column's DATETIME type would refuse (or re-spell) it."""
    return sa.bindparam(None, value, type_=sa.String())


def stored_text(col: sa.ColumnElement[Any], label: str) -> sa.Label[Any]:
    """The column's value as the driver returns it (the stored text), under `label`."""
    return sa.type_coerce(col, sa.String()).label(label)


def _canonical(info: ColumnInfo, expr: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    return sa.func.strftime(CANONICAL[info.kind], expr, type_=sa.String())


def _text(value: dt.datetime | dt.time) -> str:
    """ISO text SQLite's date functions read (an aware datetime as UTC; an aware time keeps its offset)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    return value.isoformat()


def _meaning(info: ColumnInfo, value: dt.datetime | dt.time) -> sa.ColumnElement[str]:
    return _canonical(info, sa.bindparam(None, _text(value), type_=sa.String()))


def _bounds(
    info: ColumnInfo, col: sa.ColumnElement[Any], value: Any, low: bool, high: bool
) -> list[sa.ColumnElement[bool]]:
    """A plain range on the column that holds every row the comparison can match (index-friendly)."""
    if info.kind != "datetime" or not isinstance(value, dt.datetime):
        return []
    day = (value.astimezone(dt.UTC) if value.tzinfo else value).date()
    out: list[sa.ColumnElement[bool]] = []
    try:
        if low:
            out.append(col >= sa.bindparam(None, (day - MARGIN).isoformat(), type_=sa.String()))
        if high:
            out.append(col < sa.bindparam(None, (day + 2 * MARGIN).isoformat(), type_=sa.String()))
    except OverflowError:  # year 1 or 9999: no bound on that side
        pass
    return out


def compare(info: ColumnInfo, col: sa.ColumnElement[Any], op: str, value: Any) -> sa.ColumnElement[bool]:
    """`col` op `value` (a coerced datetime or time, not None) by meaning; op: eq ne lt le gt ge."""
    left, right = _canonical(info, col), _meaning(info, value)
    if op == "ne":
        # Keeps NULLs and text SQLite cannot read: neither is the value asked for.
        return left.is_distinct_from(right)
    ops = {
        "eq": left == right, "lt": left < right, "le": left <= right, "gt": left > right, "ge": left >= right,
    }  # fmt: skip
    bounds = _bounds(info, col, value, low=op in ("eq", "gt", "ge"), high=op in ("eq", "lt", "le"))
    return sa.and_(*bounds, ops[op])


def same_time(info: ColumnInfo, col: sa.ColumnElement[Any], value: Any) -> sa.ColumnElement[bool]:
    """A save's conflict check: the row still holds this time (NULL for NULL), however it is spelt."""
    if value is None:
        return col.is_(None)
    return _canonical(info, col) == _meaning(info, value)
