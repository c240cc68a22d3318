"""The SQL a save would run, with its values written in, for the "confirm" protection level to show.

This is shown to the person who typed the values and is about to save them; it is never logged. The
statements follow core/data/writes.py: an INSERT per new row, an UPDATE of the edited columns and a DELETE,
each found by its key and guarded by the loaded version (or the loaded values of the edited columns), so a
row someone else changed meanwhile is a conflict, not an overwrite. Nothing here opens a connection: only
the database's dialect is used to spell the statements.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from core.data.changes import Change, Delete, Insert, Update
from core.data.query import column
from core.engine.db import Database
from core.schema.catalog import Catalog, Entity

__all__ = ["render_value", "save_statements"]

#: Longer BLOBs (a 384-d vector is 1,536 bytes) are shown by their size, not byte by byte.
BLOB_SHOWN = 32


def save_statements(db: Database, catalog: Catalog, changes: Sequence[Change]) -> list[str]:
    """One SQL statement per change, in save order, with the values written in as literals."""
    dialect = db.engine.dialect
    out: list[str] = []
    for ch in changes:
        ent = catalog.get(ch.entity)
        stmt = _statement(dialect, ent, ch)
        if stmt is not None:
            out.append(str(stmt.compile(dialect=dialect)).strip() + ";")
    return out


def _statement(dialect: sa.Dialect, ent: Entity, ch: Change) -> sa.Insert | sa.Update | sa.Delete | None:
    if isinstance(ch, Insert):
        given = {**_defaults(ent, set(ch.values), update=False), **ch.values}
        row = {column(ent, n): _literal(dialect, column(ent, n), v) for n, v in given.items()}
        return ent.table.insert().inline().values(row)
    where = [_equal(dialect, column(ent, n), v) for n, v in ch.key.items()]
    version = ent.version_column
    if isinstance(ch, Update):
        values = {n: v for n, v in ch.values.items() if n != version}
        if not values:
            return None  # writes.save skips it too
        given = {**_defaults(ent, set(values) | {version or ""}, update=True), **values}
        assign: dict[Any, Any] = {
            column(ent, n): _literal(dialect, column(ent, n), v) for n, v in given.items()
        }
        if version:  # bumped by the save, as writes.save does
            vcol = column(ent, version)
            assign[vcol] = vcol + sa.literal_column("1")
        return ent.table.update().where(*where, *_guard(dialect, ent, ch, values)).values(assign)
    assert isinstance(ch, Delete)
    return ent.table.delete().where(*where, *_guard(dialect, ent, ch, ch.original))


def _defaults(ent: Entity, given: set[str], *, update: bool) -> dict[str, Any]:
    """The Python-side values the save fills in (a new row's defaults, an update's `onupdate` such as
    updated_at): fixed ones as they are; a made one (a new key, the time) as made now, which the save makes
    again when it runs."""
    out: dict[str, Any] = {}
    for col in ent.table.columns:
        default = col.onupdate if update else col.default
        if col.name in given or not isinstance(default, sa.ColumnDefault):
            continue
        if default.is_scalar:
            out[col.name] = default.arg
        elif default.is_callable:
            out[col.name] = default.arg(None)  # SQLAlchemy wraps a no-argument function to take a context
    return out


def _guard(dialect: sa.Dialect, ent: Entity, ch: Update | Delete, edited: dict[str, Any]) -> list[Any]:
    """The conflict check of writes.save: the loaded version, else the edited columns' loaded values."""
    version = ent.version_column
    if version and ch.version is not None:
        vcol = column(ent, version)
        return [vcol == _literal(dialect, vcol, ch.version)]
    out = []
    for name in edited:
        if name in ch.original and name != version:
            col = column(ent, name)
            out.append(col.is_not_distinct_from(_literal(dialect, col, ch.original[name])))
    return out


def _equal(dialect: sa.Dialect, col: sa.Column[Any], value: Any) -> Any:
    return col.is_(None) if value is None else col == _literal(dialect, col, value)


def _literal(dialect: sa.Dialect, col: sa.Column[Any], value: Any) -> Any:
    return sa.literal_column(render_value(dialect, col.type, value))


def render_value(dialect: sa.Dialect, type_: sa.types.TypeEngine[Any], value: Any) -> str:
    """`value` as a SQL literal of `type_` on `dialect`: the type's own literal where it has one, else a
    plain spelling (quoted text, numbers, X'…' bytes)."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes | bytearray | memoryview):
        return _blob(bytes(value))
    try:
        process = type_.literal_processor(dialect)
        if process is not None:
            return str(process(value))
    except (TypeError, ValueError, AttributeError, NotImplementedError, sa.exc.CompileError):
        pass  # a portable type (UUID, vector, JSON text) without a literal form for this value: spelt below
    return _plain(value)


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dict | list):
        return _quoted(json.dumps(value, ensure_ascii=False, default=str))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return _quoted(value.isoformat())
    if isinstance(value, uuid.UUID):
        return _quoted(str(value))
    if hasattr(value, "tolist"):  # a numpy vector
        return _quoted(json.dumps(value.tolist()))
    return _quoted(str(value))


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _blob(data: bytes) -> str:
    if len(data) <= BLOB_SHOWN:
        return f"X'{data.hex().upper()}'"
    return f"X'{data[:BLOB_SHOWN].hex().upper()}…' /* {len(data):,} bytes */"
