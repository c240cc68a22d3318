"""Synchronous reads: keyset pages, counts, get, related rows, export; and, from data/writes.py, the writes.

Every function opens its own connection and closes it before returning, and returns plain data.
Filters and keyset predicates are built in core/data/query.py; save() and delete_preview() live in
core/data/writes.py and are re-exported here, so `repository.save` is the one name callers need.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import functools
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import sqlalchemy as sa

from core.data.query import (
    Cursor,
    Filter,
    PageDirection,
    Sort,
    after_predicate,
    coerce_key,
    column,
    count_rows,
    entity_of,
    fetch_row,
    key_predicate,
    order_by,
    order_columns,
    select_all,
    where_clauses,
)
from core.data.writes import DeleteEffect, DeletePreview, SavedRow, SaveResult, delete_preview, save
from core.engine.db import Database
from core.errors import FieldProblem, NotFoundError, ValidationError
from core.schema import stored_times
from core.schema.catalog import Catalog, Entity, ForeignKeyInfo, LinkDirection

__all__ = [
    "ESTIMATE_CAP",
    "Cursor",
    "DeleteEffect",
    "DeletePreview",
    "Filter",
    "Page",
    "RelatedGroup",
    "SaveResult",
    "SavedRow",
    "Sort",
    "delete_preview",
    "estimate_count",
    "exact_count",
    "export_rows",
    "fetch_page",
    "get_row",
    "related",
    "save",
    "to_jsonable",
]

#: Counts above this are estimated; a capped count returns ESTIMATE_CAP + 1 meaning "at least that many".
ESTIMATE_CAP = 10_000


@dataclass
class Page:
    """One page of rows, in display order, with the cursors of its first and last row."""

    rows: list[tuple[Any, ...]]
    columns: list[str]
    first_cursor: Cursor | None
    last_cursor: Cursor | None
    has_more: bool  # more rows exist beyond this page in the direction fetched
    direction: PageDirection = "forward"  # forward: first page, after=; backward: before=, from_end
    offset: int | None = None  # set only for entities without a primary key (OFFSET paging)
    order: list[tuple[str, bool]] = field(default_factory=list)  # the full ORDER BY, tie-breakers included


@dataclass
class RelatedGroup:
    """Rows linked to one row through one foreign key, in one direction."""

    fk: ForeignKeyInfo
    direction: LinkDirection  # outgoing: this row references them; incoming: they reference this row
    entity: str  # the entity the rows belong to
    count: int
    rows: list[tuple[Any, ...]]
    columns: list[str]
    labels: list[str]


# --- pages ----------------------------------------------------------------------------------------


def fetch_page(
    db: Database,
    catalog: Catalog,
    entity: Entity | str,
    *,
    sort: Sort | None = None,
    filters: Iterable[Filter] = (),
    quick: str | None = None,
    limit: int = 100,
    after: Cursor | None = None,
    before: Cursor | None = None,
    from_end: bool = False,
    offset: int | None = None,
) -> Page:
    """One page by keyset: the first, the one after/before a cursor, or the last (`from_end`).

    `offset` (without a cursor) jumps to a row position; it is the only OFFSET on keyed entities.
    """
    ent = entity_of(catalog, entity)
    if limit < 1:
        raise ValidationError([FieldProblem("limit", "a page holds at least one row")])
    if (after is not None) + (before is not None) + bool(from_end) > 1:
        raise ValidationError([FieldProblem("cursor", "give only one of after, before, from_end")])
    order = order_columns(ent, sort)
    where = where_clauses(ent, filters, quick, db.backend)
    stmt, names = select_all(ent)
    stmt = stmt.where(*where)
    spec = [(info.name, desc) for info, desc in order]
    if not ent.primary_key:
        return _offset_page(db, ent, stmt, names, order, spec, limit, offset, from_end, where)
    backward = before is not None or from_end
    cursor = before if before is not None else after
    # Times another app spelt its own way: the cursors carry the stored text (core/schema/stored_times.py).
    spelt = [(i, info.name) for i, (info, _) in enumerate(order) if info.times_as_text]
    if spelt:
        stmt = stmt.add_columns(
            *(stored_times.stored_text(column(ent, name), f"stored_{i}") for i, name in spelt)
        )
    if cursor is not None:
        stmt = stmt.where(after_predicate(ent, order, tuple(cursor), reverse=backward))
    stmt = stmt.order_by(*order_by(ent, order, reverse=backward)).limit(limit + 1)
    # A jump to an arbitrary row (scrollbar dragged to the middle) has no cursor to start from:
    # that is the one place OFFSET is used on a keyed entity; the page's cursors continue by keyset.
    jump = offset if offset is not None and cursor is None and not backward else None
    if jump:
        stmt = stmt.offset(jump)
    with db.engine.connect() as conn:
        full = [tuple(r) for r in conn.execute(stmt)]
    has_more = len(full) > limit
    full = full[:limit]
    if backward:
        # Fetched in reverse so the LIMIT applies at the far end; show in normal order.
        full.reverse()
    index = [names.index(info.name) for info, _ in order]
    for extra, (i, _name) in enumerate(spelt):
        index[i] = len(names) + extra
    first = tuple(full[0][i] for i in index) if full else None
    last = tuple(full[-1][i] for i in index) if full else None
    rows = [r[: len(names)] for r in full] if spelt else full
    return Page(rows, names, first, last, has_more, "backward" if backward else "forward", jump, spec)


def _offset_page(
    db: Database,
    ent: Entity,
    stmt: sa.Select[Any],
    names: list[str],
    order: list[Any],
    spec: list[tuple[str, bool]],
    limit: int,
    offset: int | None,
    from_end: bool,
    where: list[sa.ColumnElement[bool]],
) -> Page:
    """OFFSET paging, only for entities without a primary key (no keyset can be built)."""
    with db.engine.connect() as conn:
        if from_end:
            total = count_rows(conn, ent, *where)
            offset = max(0, total - limit)
        start = max(0, offset or 0)
        stmt = stmt.order_by(*order_by(ent, order)).offset(start).limit(limit + 1)
        rows = [tuple(r) for r in conn.execute(stmt)]
    has_more = len(rows) > limit
    return Page(rows[:limit], names, None, None, has_more, "forward", start, spec)


# --- counts ---------------------------------------------------------------------------------------


def exact_count(
    db: Database, entity: Entity, filters: Iterable[Filter] = (), quick: str | None = None
) -> int:
    """The exact number of rows matching; may scan the whole table."""
    where = where_clauses(entity, filters, quick, db.backend)
    with db.engine.connect() as conn:
        return count_rows(conn, entity, *where)


def _capped_count(conn: sa.Connection, entity: Entity, where: list[sa.ColumnElement[bool]]) -> int:
    """min(count, ESTIMATE_CAP + 1): reads at most that many rows."""
    inner = sa.select(sa.literal(1)).select_from(entity.table).where(*where).limit(ESTIMATE_CAP + 1)
    return int(conn.execute(sa.select(sa.func.count()).select_from(inner.subquery())).scalar_one())


def estimate_count(db: Database, entity: Entity, filters: Iterable[Filter] = ()) -> int:
    """A cheap row count: exact up to ESTIMATE_CAP, an estimate (or ESTIMATE_CAP + 1, "at least") beyond."""
    where = where_clauses(entity, filters, None, db.backend)
    with db.engine.connect() as conn:
        capped = _capped_count(conn, entity, where)
        if capped <= ESTIMATE_CAP or where:
            return capped
        guess = _pg_estimate(conn, entity) if db.backend == "postgresql" else _sqlite_estimate(conn, entity)
    return max(capped, guess or 0)


def _pg_estimate(conn: sa.Connection, entity: Entity) -> int | None:
    """The planner's estimate (pg_class.reltuples), else the statistics collector's live rows; for a
    partitioned table, the sum over its partitions (its own entry counts nothing)."""
    if entity.partitions:
        return _pg_partitions_estimate(conn, entity)
    parts = [p for p in (entity.table.schema, entity.table.name) if p]
    regclass = sa.func.to_regclass(sa.func.concat_ws(".", *(sa.func.quote_ident(p) for p in parts)))
    oid: sa.ColumnClause[Any] = sa.column("oid")
    stmt = sa.select(sa.column("reltuples"), sa.func.pg_stat_get_live_tuples(oid))
    row = conn.execute(stmt.select_from(sa.table("pg_class")).where(oid == regclass)).first()
    if row is None:
        return None
    # reltuples is -1 until the first ANALYZE; a freshly loaded table still has live-tuple stats.
    for value in row:
        if value is not None and value > 0:
            return int(value)
    return None


_PARTITIONS_ESTIMATE = sa.text(
    "SELECT sum(CASE WHEN c.reltuples > 0 THEN c.reltuples ELSE pg_stat_get_live_tuples(c.oid) END)"
    " FROM pg_partition_tree(to_regclass(concat_ws('.', quote_ident(:schema), quote_ident(:name)))) AS t"
    " JOIN pg_class c ON c.oid = t.relid WHERE t.isleaf"
)


def _pg_partitions_estimate(conn: sa.Connection, entity: Entity) -> int | None:
    """The planner's estimate summed over a partitioned table's leaf partitions (each, like a table, its
    reltuples once analysed, else its live rows)."""
    params = {"schema": entity.table.schema, "name": entity.table.name}
    total = conn.execute(_PARTITIONS_ESTIMATE, params).scalar()
    return int(total) if total is not None and total > 0 else None


def _sqlite_estimate(conn: sa.Connection, entity: Entity) -> int | None:
    """sqlite_stat1's row count if analysed, else the rowid span (two B-tree seeks)."""
    name = entity.table.name
    schema = f'"{entity.table.schema}".' if entity.table.schema else ""
    # Look for sqlite_stat1 first: querying a missing table costs a failed prepare and an exception.
    has_stat = conn.exec_driver_sql(
        f"SELECT 1 FROM {schema}sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
    ).first()
    if has_stat is not None:
        # One row per index (its first number counts the index's rows), or one with idx NULL; a partial
        # index counts fewer rows, so take the largest.
        stats = conn.exec_driver_sql(f"SELECT stat FROM {schema}sqlite_stat1 WHERE tbl = ?", (name,))
        counts = [int(str(s).split()[0]) for (s,) in stats if s and str(s).split()[0].isdigit()]
        if counts:
            return max(counts)
    quoted = conn.dialect.identifier_preparer.format_table(entity.table)
    try:
        # Two scalar subqueries, each one B-tree seek; `SELECT min(rowid), max(rowid)` would scan.
        lo, hi = conn.exec_driver_sql(
            f"SELECT (SELECT min(rowid) FROM {quoted}), (SELECT max(rowid) FROM {quoted})"
        ).one()
    except sa.exc.DBAPIError:
        return None  # a WITHOUT ROWID table or a view
    return int(hi) - int(lo) + 1 if lo is not None and hi is not None else None


# --- single rows and links ------------------------------------------------------------------------


def get_row(db: Database, catalog: Catalog, entity: Entity | str, key: dict[str, Any]) -> dict[str, Any]:
    """One row as a dict of column name to value, or NotFoundError."""
    ent = entity_of(catalog, entity)
    k = coerce_key(ent, key)
    with db.engine.connect() as conn:
        row = fetch_row(conn, ent, k)
    if row is None:
        raise NotFoundError(f"{ent.name} has no row with {_key_text(k)}")
    return row


def _key_text(key: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in key.items())


def related(
    db: Database, catalog: Catalog, entity: Entity | str, key: dict[str, Any], *, limit: int = 50
) -> list[RelatedGroup]:
    """Rows this row references (outgoing) and rows referencing it (incoming), per foreign key.

    Vector columns are left out: they are large and mean nothing in a list of neighbours.
    """
    ent = entity_of(catalog, entity)
    k = coerce_key(ent, key)
    groups: list[RelatedGroup] = []
    with db.engine.connect() as conn:
        row = fetch_row(conn, ent, k)
        if row is None:
            raise NotFoundError(f"{ent.name} has no row with {_key_text(k)}")
        for fk in ent.foreign_keys:
            target = catalog.entities.get(fk.target)
            if target is None:
                continue
            values = [row[c] for c in fk.columns]
            match = dict(zip(fk.target_columns, values, strict=True))
            found = [] if None in values else _linked(conn, target, match, 1)
            groups.append(_group(fk, "outgoing", target, len(found), found))
        for fk in ent.referenced_by:
            source = catalog.entities.get(fk.entity)
            if source is None:
                continue
            match = {c: row[t] for c, t in zip(fk.columns, fk.target_columns, strict=True)}
            rows = _linked(conn, source, match, limit)
            # Fewer rows than the limit are all of them: only a full list needs counting.
            count = len(rows) if len(rows) < limit else count_rows(conn, source, key_predicate(source, match))
            groups.append(_group(fk, "incoming", source, count, rows))
    return groups


def _linked(conn: sa.Connection, ent: Entity, match: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """Up to `limit` rows of `ent` matching `match`, by label then key, without their vectors."""
    shown = tuple(c.name for c in ent.columns if c.kind != "vector")
    nulls = tuple((name, value is None) for name, value in match.items())
    stmt = _linked_statement(ent.table, shown, ent.label, ent.primary_key, nulls, limit)
    params = {f"m_{i}": value for i, value in enumerate(match.values()) if value is not None}
    return [dict(zip(shown, r, strict=True)) for r in conn.execute(stmt, params)]


@functools.lru_cache(maxsize=512)
def _linked_statement(
    table: sa.Table,
    shown: tuple[str, ...],
    label: str | None,
    key: tuple[str, ...],
    nulls: tuple[tuple[str, bool], ...],
    limit: int,
) -> sa.Select[Any]:
    """The SELECT of _linked, built once per shape: a reused statement keeps its compiled form."""
    cols = {c.name: c for c in table.columns}
    where = [
        cols[name].is_(None) if null else cols[name] == sa.bindparam(f"m_{i}", type_=cols[name].type)
        for i, (name, null) in enumerate(nulls)
    ]
    order = ([cols[label]] if label else []) + [cols[c] for c in key]
    return sa.select(*(cols[n] for n in shown)).where(*where).order_by(*order).limit(limit)


def _group(
    fk: ForeignKeyInfo, direction: LinkDirection, ent: Entity, count: int, rows: list[dict[str, Any]]
) -> RelatedGroup:
    names = [c.name for c in ent.columns if c.kind != "vector"]
    labels = [_label(ent, r) for r in rows]
    table = [tuple(r[n] for n in names) for r in rows]
    return RelatedGroup(fk, direction, ent.name, count, table, names, labels)


def _label(ent: Entity, row: dict[str, Any]) -> str:
    """The row's label column, else its key as text."""
    if ent.label and row.get(ent.label) is not None:
        return str(row[ent.label])
    return _key_text({c: row[c] for c in ent.primary_key})


# --- export ---------------------------------------------------------------------------------------


def export_rows(
    db: Database,
    catalog: Catalog,
    entity: Entity | str,
    *,
    sort: Sort | None = None,
    filters: Iterable[Filter] = (),
    quick: str | None = None,
    batch: int = 5000,
) -> Iterator[dict[str, Any]]:
    """Every matching row as a dict, streamed in batches through a server-side cursor."""
    ent = entity_of(catalog, entity)
    order = order_columns(ent, sort)
    stmt, names = select_all(ent)
    stmt = stmt.where(*where_clauses(ent, filters, quick, db.backend)).order_by(*order_by(ent, order))
    return _stream(db, stmt, names, batch)


def _stream(db: Database, stmt: sa.Select[Any], names: list[str], batch: int) -> Iterator[dict[str, Any]]:
    # A generator of its own, so that argument errors above are raised at the call, not at first next().
    with db.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(stmt)
        for row in result:
            yield dict(zip(names, row, strict=True))


#: Values JSON takes as they are (exact types: a subclass such as a str Enum goes through its value).
PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})


def to_jsonable(value: Any, *, naive_as_utc: bool = True) -> Any:
    """A JSON-able value: UUID/Decimal as text, times ISO 8601, arrays as lists, bytes base64.

    A naive time gets UTC's offset (Warden's own times are UTC), or with `naive_as_utc=False` is written as
    stored, with no offset invented (an export of another application's DATETIME).
    """
    if type(value) in PLAIN_TYPES:
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return value.isoformat()
        return value.replace(tzinfo=dt.UTC).isoformat() if naive_as_utc else value.isoformat(sep=" ")
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): to_jsonable(v, naive_as_utc=naive_as_utc) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v, naive_as_utc=naive_as_utc) for v in value]
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value, naive_as_utc=naive_as_utc)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bool | int | float | str):  # subclasses of the plain types
        return value
    return str(value)
