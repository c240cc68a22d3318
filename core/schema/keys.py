"""Choosing the key that tells a table's rows apart: its primary key, else a unique NOT NULL column set,
else (SQLite) its rowid.

The key chosen here is the entity's `primary_key`: every read, write, conflict check and picker keys rows
by it. A unique NOT NULL key is stable and preferred (DBeaver's virtual keys). A rowid is SQLite's own
row number: every table that is not WITHOUT ROWID has one (a WITHOUT ROWID table always has a primary
key), but VACUUM may renumber it, so it is never kept anywhere as a reference, and never used on
PostgreSQL, where the nearest thing (ctid) changes with every update.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from core.schema.table_spec import ColumnSpec, TableSpec

#: Names SQLite answers with the rowid, in the order tried: a table may have a real column of one of them.
ROWID_NAMES = ("rowid", "_rowid_", "oid")
#: What the rowid is, for the grid's header and the record form.
ROWID_NOTE = "identifies the row in this table; VACUUM may renumber it"
#: Types whose values compare exactly as bound: a key of floats, JSON, vectors or times another app spelt
#: its own way (SQLite text) could miss its row.
_KEY_TYPES = (sa.Integer, sa.String, sa.Uuid)
_WITHOUT_ROWID = re.compile(r"\)\s*(?:STRICT\s*,\s*)?WITHOUT\s+ROWID\s*(?:,\s*STRICT\s*)?;?\s*$", re.I)


class KeySource(StrEnum):
    """What identifies an entity's rows."""

    PRIMARY_KEY = "primary key"
    UNIQUE = "unique"  # a unique NOT NULL column set standing in for a missing primary key
    ROWID = "rowid"  # SQLite's row number, added to the entity as a read-only column


@dataclass(frozen=True)
class RowKey:
    """The columns that identify a row and where they come from; no columns and a reason when none do."""

    columns: tuple[str, ...]
    source: KeySource | None = None
    reason: str | None = None


def no_key_reason(backend: str) -> str:
    """Why a table without any key is read-only."""
    if backend == "sqlite":
        return "it has no primary key, unique NOT NULL column or rowid, so Warden cannot tell its rows apart"
    return "it has no primary key and no unique NOT NULL column, so Warden cannot tell its rows apart"


def choose_key(table: sa.Table, backend: str, *, has_rowid: bool = False) -> RowKey:
    """The key of a reflected table; with `has_rowid` (an ordinary SQLite table) and nothing better, its
    rowid, added to `table` as a column named by rowid_name()."""
    pk = tuple(c.name for c in table.primary_key.columns)
    if pk:
        return RowKey(pk, KeySource.PRIMARY_KEY)
    unique = unique_key(table)
    if unique:
        return RowKey(unique, KeySource.UNIQUE)
    name = rowid_name(table) if has_rowid and backend == "sqlite" else None
    if name is None:
        return RowKey((), None, no_key_reason(backend))
    # A real column of the Table, so reads select it and writes find rows by it; primary_key makes
    # SQLAlchemy leave it out of inserts (SQLite assigns it) and return it after them.
    table.append_column(sa.Column(name, sa.Integer, primary_key=True, info={"row_id": True}))
    return RowKey((name,), KeySource.ROWID)


def choose_spec_key(
    spec: TableSpec, unique_sets: Iterable[tuple[str, ...]], backend: str, *, has_rowid: bool = False
) -> tuple[TableSpec, RowKey]:
    """choose_key for a TableSpec: the key, and the spec again with the rowid column added when the rowid
    is the key. `unique_sets` are its unique constraints and whole unique indexes."""
    if spec.primary_key:
        return spec, RowKey(spec.primary_key, KeySource.PRIMARY_KEY)
    cols = {c.name: c for c in spec.columns}
    order = {c.name: i for i, c in enumerate(spec.columns)}
    usable = [
        names
        for names in unique_sets
        if names
        and all(n in cols and not cols[n].nullable and isinstance(cols[n].type, _KEY_TYPES) for n in names)
    ]
    if usable:
        return spec, RowKey(min(usable, key=lambda n: (len(n), [order[c] for c in n])), KeySource.UNIQUE)
    taken = {name.lower() for name in cols}
    name = (
        next((n for n in ROWID_NAMES if n not in taken), None) if has_rowid and backend == "sqlite" else None
    )
    if name is None:
        return spec, RowKey((), None, no_key_reason(backend))
    rowid = ColumnSpec(name, sa.Integer(), nullable=False, row_id=True)
    return dataclasses.replace(spec, columns=(*spec.columns, rowid), primary_key=(name,)), RowKey(
        (name,), KeySource.ROWID
    )


def unique_key(table: sa.Table) -> tuple[str, ...] | None:
    """The smallest unique set of NOT NULL columns of comparable types (a unique constraint or a whole
    unique index, not a partial or an expression one); the first by column order among equals."""
    candidates: list[tuple[str, ...]] = []
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint):
            candidates.append(tuple(c.name for c in constraint.columns))
    for index in table.indexes:
        if index.unique and not _partial(index) and all(isinstance(e, sa.Column) for e in index.expressions):
            candidates.append(tuple(c.name for c in index.columns))
    order = {c.name: i for i, c in enumerate(table.columns)}
    usable = [names for names in candidates if names and all(_keyable(table.c[n]) for n in names)]
    if not usable:
        return None
    return min(usable, key=lambda names: (len(names), [order[n] for n in names]))


def _partial(index: sa.Index) -> bool:
    """A partial index (WHERE …) is unique only over some rows."""
    return any(key.endswith("_where") and value is not None for key, value in index.dialect_kwargs.items())


def _keyable(col: sa.Column[Any]) -> bool:
    return not col.nullable and isinstance(col.type, _KEY_TYPES)


def rowid_name(table: sa.Table) -> str | None:
    """The first name of the rowid that no column of the table takes, or None when all three are taken."""
    taken = {c.name.lower() for c in table.columns}
    return next((n for n in ROWID_NAMES if n not in taken), None)


def rowid_tables(engine: sa.Engine) -> set[str]:
    """SQLite tables of the main schema that have a rowid: ordinary tables, not WITHOUT ROWID, virtual or
    shadow tables (PRAGMA table_list, SQLite 3.37+; before it, their CREATE statements). One query."""
    with engine.connect() as conn:
        try:
            rows = conn.exec_driver_sql("PRAGMA main.table_list").mappings().all()
        except sa.exc.DBAPIError:
            rows = []
        if rows:  # an older SQLite ignores a pragma it does not know: no rows at all
            return {r["name"] for r in rows if r["type"] == "table" and not r["wr"]}
        found = conn.exec_driver_sql("SELECT name, sql FROM main.sqlite_master WHERE type = 'table'").all()
    return {
        name
        for name, sql in found
        if sql and not sql.lstrip().upper().startswith("CREATE VIRTUAL") and not _WITHOUT_ROWID.search(sql)
    }


def column_note(source: KeySource | None, name: str, in_key: bool) -> str | None:
    """What a key column is, for the grid's header tooltip and the record form; None for other columns and
    for a declared primary key (nothing to explain)."""
    if not in_key:
        return None
    if source == KeySource.ROWID:
        return f"{name} — {ROWID_NOTE}"
    if source == KeySource.UNIQUE:
        return f"{name} — unique and required: identifies the row (the table has no primary key)"
    return None


def rows_note(source: KeySource | None, columns: tuple[str, ...]) -> str | None:
    """What identifies an entity's rows when it is not a declared primary key, in a few words."""
    if source == KeySource.ROWID:
        return "each row is identified by SQLite's rowid, which VACUUM may renumber"
    if source == KeySource.UNIQUE:
        return f"each row is identified by its unique {', '.join(columns)} (the table has no primary key)"
    return None
