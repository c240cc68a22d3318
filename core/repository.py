"""Synchronous reads and writes: keyset pages, counts, get, related rows, save with conflict check.

Every function opens its own connection and closes it before returning, and returns plain data.
Filters and keyset predicates are built in core/query.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from core.catalog import Catalog, Entity, ForeignKeyInfo
from core.changes import Change, Delete, Insert, Update
from core.db import Database
from core.errors import Conflict, ConflictError, FieldProblem, NotFoundError, ReadOnlyError, ValidationError
from core.query import (
    Cursor,
    Filter,
    Sort,
    after_predicate,
    coerce_for,
    coerce_key,
    column,
    key_predicate,
    order_by,
    order_columns,
    where_clauses,
)

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
CASCADE_DEPTH = 8
ACTIONS = {"CASCADE": "cascade", "SET NULL": "set null", "SET DEFAULT": "set default"}


@dataclass
class Page:
    """One page of rows, in display order, with the cursors of its first and last row."""

    rows: list[tuple[Any, ...]]
    columns: list[str]
    first_cursor: Cursor | None
    last_cursor: Cursor | None
    has_more: bool  # more rows exist beyond this page in the direction fetched
    direction: str = "forward"  # "forward" (first page, after=) | "backward" (before=, from_end)
    offset: int | None = None  # set only for entities without a primary key (OFFSET paging)
    order: list[tuple[str, bool]] = field(default_factory=list)  # the full ORDER BY, tie-breakers included


@dataclass
class RelatedGroup:
    """Rows linked to one row through one foreign key, in one direction."""

    fk: ForeignKeyInfo
    direction: str  # "outgoing" (this row references them) | "incoming" (they reference this row)
    entity: str  # the entity the rows belong to
    count: int
    rows: list[tuple[Any, ...]]
    columns: list[str]
    labels: list[str]


@dataclass
class SavedRow:
    """One written row: its key after the write and its new version counter, if it has one."""

    entity: str
    key: dict[str, Any]
    version: int | None = None


@dataclass
class SaveResult:
    """What one save wrote, in batch order per kind."""

    inserted: list[SavedRow] = field(default_factory=list)
    updated: list[SavedRow] = field(default_factory=list)
    deleted: list[SavedRow] = field(default_factory=list)


@dataclass(frozen=True)
class DeleteEffect:
    """Rows of one entity a delete would touch through one foreign key."""

    entity: str
    action: str  # "cascade" | "set null" | "block"
    count: int  # distinct rows, however many of `fks` link them
    fks: tuple[ForeignKeyInfo, ...]
    depth: int  # 1 = references the deleted rows directly


@dataclass
class DeletePreview:
    """What deleting some rows would do, before doing it."""

    entity: str
    rows: int  # how many of the asked-for rows exist
    effects: list[DeleteEffect]
    blocked: bool

    def summary(self) -> list[tuple[str, str, int]]:
        """(entity, action, count), summed over depths (a row reached twice is counted twice)."""
        totals: dict[tuple[str, str], int] = {}
        for e in self.effects:
            totals[(e.entity, e.action)] = totals.get((e.entity, e.action), 0) + e.count
        return [(ent, action, n) for (ent, action), n in totals.items()]


def _entity(catalog: Catalog, entity: Entity | str) -> Entity:
    return entity if isinstance(entity, Entity) else catalog.get(entity)


def _select_all(ent: Entity) -> tuple[sa.Select[Any], list[str]]:
    cols = list(ent.table.columns)
    return sa.select(*cols), [c.name for c in cols]


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
    """One page by keyset: the first, the one after/before a cursor, or the last (`from_end`)."""
    ent = _entity(catalog, entity)
    if limit < 1:
        raise ValidationError([FieldProblem("limit", "a page holds at least one row")])
    if (after is not None) + (before is not None) + bool(from_end) > 1:
        raise ValidationError([FieldProblem("cursor", "give only one of after, before, from_end")])
    order = order_columns(ent, sort)
    where = where_clauses(ent, filters, quick, db.backend)
    stmt, names = _select_all(ent)
    stmt = stmt.where(*where)
    spec = [(info.name, desc) for info, desc in order]
    if not ent.primary_key:
        return _offset_page(db, ent, stmt, names, order, spec, limit, offset, from_end, where)
    backward = before is not None or from_end
    cursor = before if before is not None else after
    if cursor is not None:
        stmt = stmt.where(after_predicate(ent, order, tuple(cursor), reverse=backward))
    stmt = stmt.order_by(*order_by(ent, order, reverse=backward)).limit(limit + 1)
    with db.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(stmt)]
    has_more = len(rows) > limit
    rows = rows[:limit]
    if backward:
        # Fetched in reverse so the LIMIT applies at the far end; show in normal order.
        rows.reverse()
    index = [names.index(info.name) for info, _ in order]
    first = tuple(rows[0][i] for i in index) if rows else None
    last = tuple(rows[-1][i] for i in index) if rows else None
    return Page(rows, names, first, last, has_more, "backward" if backward else "forward", None, spec)


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
            total = _count(conn, ent, *where)
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
        return _count(conn, entity, *where)


def _count(conn: sa.Connection, entity: Entity, *where: sa.ColumnElement[bool]) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(entity.table).where(*where)).scalar_one())


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
    """The planner's estimate (pg_class.reltuples), else the statistics collector's live rows."""
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


def _sqlite_estimate(conn: sa.Connection, entity: Entity) -> int | None:
    """sqlite_stat1's row count if analysed, else the rowid span (two B-tree seeks)."""
    try:
        stat = conn.execute(
            sa.select(sa.column("stat")).select_from(sa.table("sqlite_stat1")).where(
                sa.column("tbl") == entity.table.name
            )
        ).scalar()
        if stat:
            return int(str(stat).split()[0])
    except sa.exc.DBAPIError:
        pass  # no sqlite_stat1 table: never analysed
    try:
        rowid: sa.ColumnClause[Any] = sa.literal_column("rowid")
        span = sa.select(sa.func.min(rowid), sa.func.max(rowid)).select_from(entity.table)
        lo, hi = conn.execute(span).one()
    except sa.exc.DBAPIError:
        return None  # a WITHOUT ROWID table or a view
    return int(hi) - int(lo) + 1 if lo is not None and hi is not None else None


# --- single rows and links ------------------------------------------------------------------------


def get_row(db: Database, catalog: Catalog, entity: Entity | str, key: dict[str, Any]) -> dict[str, Any]:
    """One row as a dict of column name to value, or NotFoundError."""
    ent = _entity(catalog, entity)
    k = coerce_key(ent, key)
    with db.engine.connect() as conn:
        row = _fetch(conn, ent, k)
    if row is None:
        raise NotFoundError(f"{ent.name} has no row with {_key_text(k)}")
    return row


def _fetch(conn: sa.Connection, ent: Entity, key: dict[str, Any]) -> dict[str, Any] | None:
    stmt, names = _select_all(ent)
    row = conn.execute(stmt.where(key_predicate(ent, key)).limit(1)).first()
    return dict(zip(names, row, strict=True)) if row is not None else None


def _key_text(key: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in key.items())


def related(
    db: Database, catalog: Catalog, entity: Entity | str, key: dict[str, Any], *, limit: int = 50
) -> list[RelatedGroup]:
    """Rows this row references (outgoing) and rows referencing it (incoming), per foreign key.

    Vector columns are left out: they are large and mean nothing in a list of neighbours.
    """
    ent = _entity(catalog, entity)
    k = coerce_key(ent, key)
    groups: list[RelatedGroup] = []
    with db.engine.connect() as conn:
        row = _fetch(conn, ent, k)
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
            pred = key_predicate(source, match)
            count = _count(conn, source, pred)
            groups.append(_group(fk, "incoming", source, count, _linked(conn, source, match, limit)))
    return groups


def _linked(conn: sa.Connection, ent: Entity, match: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    cols = [column(ent, c.name) for c in ent.columns if c.kind != "vector"]
    order = [column(ent, ent.label)] if ent.label else []
    order += [column(ent, c) for c in ent.primary_key]
    stmt = sa.select(*cols).where(key_predicate(ent, match)).order_by(*order).limit(limit)
    return [dict(zip([c.name for c in cols], r, strict=True)) for r in conn.execute(stmt)]


def _group(
    fk: ForeignKeyInfo, direction: str, ent: Entity, count: int, rows: list[dict[str, Any]]
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


# --- writes ---------------------------------------------------------------------------------------


def save(db: Database, catalog: Catalog, changes: list[Change]) -> SaveResult:
    """Validate and write a batch in one transaction; on any conflict or error nothing is written."""
    from core import validation

    for ch in changes:
        ent = catalog.get(ch.entity)
        if ent.read_only:
            raise ReadOnlyError(f"{ent.name} is read-only: {ent.read_only_reason}.")
    result = SaveResult()
    conflicts: list[Conflict] = []
    with db.engine.begin() as conn:
        checked = validation.validate(catalog, list(changes), conn)
        for i, ch in enumerate(checked):
            ent = catalog.get(ch.entity)
            try:
                if isinstance(ch, Insert):
                    result.inserted.append(_insert(conn, ent, ch))
                elif isinstance(ch, Update):
                    _update(conn, ent, ch, result, conflicts)
                elif isinstance(ch, Delete):
                    _delete(conn, ent, ch, result, conflicts)
            except (sa.exc.IntegrityError, sa.exc.DataError) as exc:
                if conflicts:
                    raise ConflictError(conflicts) from None
                text = (str(exc.orig).strip() or type(exc.orig).__name__).splitlines()[0]
                problem = FieldProblem(ent.name, f"the database refused this change ({text})", row=i)
                raise ValidationError([problem]) from None
        if conflicts:
            raise ConflictError(conflicts)  # leaving the block by an exception rolls everything back
    return result


def _returning(ent: Entity) -> list[sa.Column[Any]]:
    names = list(ent.primary_key) + ([ent.version_column] if ent.version_column else [])
    return [column(ent, n) for n in names]


def _saved(ent: Entity, row: sa.Row[Any]) -> SavedRow:
    key = dict(zip(ent.primary_key, row[: len(ent.primary_key)], strict=True))
    return SavedRow(ent.name, key, row[len(ent.primary_key)] if ent.version_column else None)


def _insert(conn: sa.Connection, ent: Entity, ch: Insert) -> SavedRow:
    # Core insert applies the Table's Python-side defaults (uuid4 keys, timestamps) itself.
    values = {column(ent, n): v for n, v in ch.values.items()}
    row = conn.execute(ent.table.insert().values(values).returning(*_returning(ent))).one()
    return _saved(ent, row)


def _guard(
    conn: sa.Connection, ent: Entity, version: int | None, original: dict[str, Any], edited: Iterable[str]
) -> list[sa.ColumnElement[bool]]:
    """The conflict check: the loaded version, else the loaded values of the edited columns.

    With neither (no version given, no originals) the write is unconditional: last write wins.
    """
    if ent.version_column and version is not None:
        return [column(ent, ent.version_column) == version]
    out = []
    for name in edited:
        if name not in original or name == ent.version_column:
            continue
        col, value = column(ent, name), coerce_for(ent, name, original[name])
        if ent.column(name).kind != "json":
            out.append(col.is_not_distinct_from(value))
        elif value is None:
            # A JSON column may hold SQL NULL or JSON null; both read back as None.
            out.append(sa.or_(col.is_(None), sa.cast(col, sa.Text) == "null"))
        elif conn.dialect.name == "postgresql" and isinstance(col.type, sa.JSON):
            # Plain json has no equality operator; jsonb compares by meaning, not by spelling.
            out.append(sa.cast(col, JSONB).is_not_distinct_from(sa.bindparam(None, value, type_=JSONB)))
        else:
            out.append(col.is_not_distinct_from(value))
    return out


def _update(
    conn: sa.Connection, ent: Entity, ch: Update, result: SaveResult, conflicts: list[Conflict]
) -> None:
    key = coerce_key(ent, ch.key)
    values = {n: v for n, v in ch.values.items() if n != ent.version_column}
    if not values:
        return
    assign: dict[Any, Any] = {column(ent, n): v for n, v in values.items()}
    if ent.version_column:
        vcol = column(ent, ent.version_column)
        assign[vcol] = ch.version + 1 if ch.version is not None else vcol + 1
    guard = _guard(conn, ent, ch.version, ch.original, values)
    stmt = ent.table.update().where(key_predicate(ent, key), *guard).values(assign)
    rows = conn.execute(stmt.returning(*_returning(ent))).all()
    if not rows:
        conflicts.append(Conflict(ent.name, key, _fetch(conn, ent, key), dict(values)))
        return
    result.updated.append(_saved(ent, rows[0]))


def _delete(
    conn: sa.Connection, ent: Entity, ch: Delete, result: SaveResult, conflicts: list[Conflict]
) -> None:
    key = coerce_key(ent, ch.key)
    guard = _guard(conn, ent, ch.version, ch.original, ch.original.keys())
    stmt = ent.table.delete().where(key_predicate(ent, key), *guard).returning(*_returning(ent))
    rows = conn.execute(stmt).all()
    if not rows:
        conflicts.append(Conflict(ent.name, key, _fetch(conn, ent, key), {}))
        return
    result.deleted.append(_saved(ent, rows[0]))


def delete_preview(
    db: Database, catalog: Catalog, entity: Entity | str, keys: list[dict[str, Any]]
) -> DeletePreview:
    """What deleting these rows would cascade, set to NULL or be blocked by, following cascades down."""
    ent = _entity(catalog, entity)
    if not keys:
        return DeletePreview(ent.name, 0, [], False)
    root = sa.or_(*(key_predicate(ent, coerce_key(ent, k)) for k in keys))
    effects: list[DeleteEffect] = []
    with db.engine.connect() as conn:
        found = _count(conn, ent, root)
        _follow(conn, catalog, ent, root, 1, effects)
    return DeletePreview(ent.name, found, effects, any(e.action == "block" for e in effects))


def _follow(
    conn: sa.Connection,
    catalog: Catalog,
    parent: Entity,
    selected: sa.ColumnElement[bool],
    depth: int,
    effects: list[DeleteEffect],
) -> None:
    """Count the rows referencing the selected parent rows, and recurse through cascades."""
    by_action: dict[tuple[str, str], list[ForeignKeyInfo]] = {}
    for fk in parent.referenced_by:
        if fk.entity in catalog.entities:
            # RESTRICT, NO ACTION and no rule all refuse the delete.
            action = ACTIONS.get((fk.ondelete or "NO ACTION").upper(), "block")
            by_action.setdefault((fk.entity, action), []).append(fk)
    for (name, action), fks in by_action.items():
        child = catalog.get(name)
        # One OR over the keys, so a row linked twice (e.g. a connection's source and target) counts once.
        pred = sa.or_(*(_refers(parent, child, fk, selected) for fk in fks))
        count = _count(conn, child, pred)
        if not count:
            continue
        effects.append(DeleteEffect(child.name, action, count, tuple(fks), depth))
        if action == "cascade" and depth < CASCADE_DEPTH:
            _follow(conn, catalog, child, pred, depth + 1, effects)


def _refers(
    parent: Entity, child: Entity, fk: ForeignKeyInfo, selected: sa.ColumnElement[bool]
) -> sa.ColumnElement[bool]:
    """Child rows whose foreign key points at one of the selected parent rows."""
    targets = sa.select(*(column(parent, c) for c in fk.target_columns)).where(selected)
    refs = [column(child, c) for c in fk.columns]
    return refs[0].in_(targets) if len(refs) == 1 else sa.tuple_(*refs).in_(targets)


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
    ent = _entity(catalog, entity)
    order = order_columns(ent, sort)
    stmt, names = _select_all(ent)
    stmt = stmt.where(*where_clauses(ent, filters, quick, db.backend)).order_by(*order_by(ent, order))
    return _stream(db, stmt, names, batch)


def _stream(db: Database, stmt: sa.Select[Any], names: list[str], batch: int) -> Iterator[dict[str, Any]]:
    # A generator of its own, so that argument errors above are raised at the call, not at first next().
    with db.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(stmt)
        for row in result:
            yield dict(zip(names, row, strict=True))


def to_jsonable(value: Any) -> Any:
    """A JSON-able value: UUID/Decimal as text, times ISO 8601 with offset, arrays as lists, bytes base64."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return str(value)
