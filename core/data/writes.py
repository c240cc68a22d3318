"""Writes: save a batch in one transaction with a conflict check, and preview what a delete would do.

Every function opens its own connection and closes it before returning, and returns plain data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from core.data import fastpath, validation
from core.data.changes import Change, Delete, Insert, Update
from core.data.query import coerce_for, coerce_key, column, count_rows, entity_of, fetch_row, key_predicate
from core.engine.db import Database
from core.errors import (
    Conflict,
    ConflictError,
    ConstraintViolated,
    FieldProblem,
    ReadOnlyError,
    ValidationError,
)
from core.schema import stored_times
from core.schema.catalog import Catalog, Entity, ForeignKeyInfo

__all__ = ["DeleteEffect", "DeletePreview", "SaveResult", "SavedRow", "delete_preview", "save"]

CASCADE_DEPTH = 8
ACTIONS = {"CASCADE": "cascade", "SET NULL": "set null", "SET DEFAULT": "set default"}


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


# --- save -----------------------------------------------------------------------------------------


def save(db: Database, catalog: Catalog, changes: list[Change]) -> SaveResult:
    """Validate and write a batch in one transaction; on any conflict or error nothing is written."""
    for ch in changes:
        ent = catalog.get(ch.entity)
        if ent.read_only:
            raise ReadOnlyError(f"{ent.name} is read-only: {ent.read_only_reason}.")
    db.allow_writes()  # a file read-only until the first save becomes writable here
    if len(changes) == 1 and isinstance(changes[0], Update):
        # The editor's most common save: one compiled UPDATE on a pooled DB-API connection (data/fastpath.py).
        fast = fastpath.update_one(db, catalog, changes[0])
        if fast is not None:
            return SaveResult(updated=[SavedRow(*fast)])
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
            except (ConstraintViolated, sa.exc.DataError) as exc:  # see core/engine/driver_errors.py
                if conflicts:
                    raise ConflictError(conflicts) from None
                raise ValidationError([_refused(ent, exc, i)]) from None
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
        if ent.column(name).times_as_text:
            # The loaded time as another app spelt it: compared by meaning, not with SQLAlchemy's spelling.
            out.append(stored_times.same_time(ent.column(name), col, value))
        elif ent.column(name).kind != "json":
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
        conflicts.append(Conflict(ent.name, key, fetch_row(conn, ent, key), dict(values)))
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
        conflicts.append(Conflict(ent.name, key, fetch_row(conn, ent, key), {}))
        return
    result.deleted.append(_saved(ent, rows[0]))


def _refused(ent: Entity, exc: ConstraintViolated | sa.exc.DataError, row: int) -> FieldProblem:
    """The problem for a change the database refused: its typed message, or the driver's first line."""
    if isinstance(exc, ConstraintViolated):
        return FieldProblem(exc.column or ent.name, str(exc), row=row)
    text = (str(exc.orig).strip() or type(exc.orig).__name__).splitlines()[0]
    return FieldProblem(ent.name, f"the database refused this change ({text})", row=row)


# --- delete preview -------------------------------------------------------------------------------


def delete_preview(
    db: Database, catalog: Catalog, entity: Entity | str, keys: list[dict[str, Any]]
) -> DeletePreview:
    """What deleting these rows would cascade, set to NULL or be blocked by, following cascades down."""
    ent = entity_of(catalog, entity)
    if not keys:
        return DeletePreview(ent.name, 0, [], False)
    root = sa.or_(*(key_predicate(ent, coerce_key(ent, k)) for k in keys))
    effects: list[DeleteEffect] = []
    with db.engine.connect() as conn:
        found = count_rows(conn, ent, root)
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
        count = count_rows(conn, child, pred)
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
