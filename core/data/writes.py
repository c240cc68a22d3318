"""Writes: save a batch in one transaction with a conflict check, and preview what a delete would do.

Every function opens its own connection and closes it before returning, and returns plain data.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.compiler import SQLCompiler

from core.data import audit_trail, validation
from core.data.changes import Change, Delete, Insert, Update
from core.data.query import coerce_for, coerce_key, column, count_rows, entity_of, fetch_row, key_predicate
from core.engine.db import Database
from core.engine.write_lock import take_write_lock
from core.errors import (
    Conflict,
    ConflictError,
    ConstraintViolated,
    FieldProblem,
    ReadOnlyError,
    ValidationError,
    ValueRefused,
)
from core.progress import TaskState
from core.schema import stored_times
from core.schema.catalog import Catalog, Entity, ForeignKeyInfo
from core.schema.keys import KeySource

__all__ = ["DeleteEffect", "DeletePreview", "SaveResult", "SavedRow", "delete_preview", "save"]

CASCADE_DEPTH = 8
#: Rows per executemany of a long run: its parameter sets die young instead of filling the collector's
#: oldest generation (a full collection of the whole heap costs more than a few more statements).
MANY_CHUNK = 500
ACTIONS = {"CASCADE": "cascade", "SET NULL": "set null", "SET DEFAULT": "set default"}


@dataclass(slots=True)
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


class _RowByRow(Exception):
    """A statement run for many rows matched fewer (a conflict) or was refused: run again row by row."""


def save(
    db: Database,
    catalog: Catalog,
    changes: list[Change],
    *,
    state: TaskState | None = None,
    audit: audit_trail.Auditing | None = None,
) -> SaveResult:
    """Validate and write a batch in one transaction; on any conflict or error nothing is written.

    The transaction takes the database's write lock first (core/engine/write_lock.py: one wait, reported
    through `state`, with Cancel; DatabaseBusy when it runs out), then validates and writes under it.
    Consecutive changes of one shape (entity, columns, conflict check) run as one statement with many
    parameter sets (executemany; insertmanyvalues for inserts). If such a run matches fewer rows than it
    was given, or the database refuses it, the transaction is rolled back and the batch runs again one row
    at a time with the same statements, which names the conflicting or refused row. That second
    transaction takes the lock again within what is left of the same budget: one wait, never two. (Not a
    savepoint: on SQLite every page a savepoint changes is first copied to a sub-journal, which made
    every batch save about 20% slower for the rare row-by-row pass.)

    Every written row is recorded in the audit log in the same transaction (core/data/audit_trail.py, as
    `audit` says: who and why; AUDIT_OFF only where the user declined the log of a database without one).
    """
    for name in {ch.entity: None for ch in changes}:  # each entity once, in batch order
        ent = catalog.get(name)
        if ent.read_only:
            raise ReadOnlyError(f"{ent.name} is read-only: {ent.read_only_reason}.")
        if audit_trail.is_audit_log(ent):
            raise ReadOnlyError(f"{ent.name} is read-only: {audit_trail.READ_ONLY_REASON}.")
    if db.profile is not None and (audit is None or audit.profile == "default"):
        # Opened through a connection profile: the entries name it.
        audit = replace(audit or audit_trail.Auditing(), profile=db.profile)
    trail = audit_trail.trail_for(catalog, audit) if changes else None
    db.allow_writes()  # a file read-only until the first save becomes writable here
    checked: list[Change] | None = None
    waited = 0.0
    try:
        with db.engine.begin() as conn:
            waited = take_write_lock(conn, state=state)  # before the reads: they see what the write changes
            checked = validation.validate(catalog, list(changes), conn)  # values are read here, once
            return _audited(conn, catalog, checked, trail, many=len(checked) > 1)
    except _RowByRow:
        assert checked is not None  # rolled back: nothing of the batch was written
    with db.engine.begin() as conn:
        take_write_lock(conn, state=state, spent_ms=waited)
        return _audited(conn, catalog, checked, trail, many=False)


def _audited(
    conn: sa.Connection,
    catalog: Catalog,
    checked: list[Change],
    trail: audit_trail.Trail | None,
    *,
    many: bool,
) -> SaveResult:
    """_write, with the audit entries of what it wrote added in the same transaction.

    A save of one update or delete on PostgreSQL has its entry written by the row's own statement where
    it can (audit_trail.with_entry): one round trip instead of two; otherwise `record` adds it after.
    """
    if trail is None:
        return _write(conn, catalog, checked, many=many)
    before = trail.before(conn, catalog, checked)
    joined = trail.joined(conn, catalog, checked, before)
    result = _write(conn, catalog, checked, many=many, joined=joined)
    if joined is None or not joined.written:
        trail.record(conn, catalog, checked, before, result)
    return result


def _write(
    conn: sa.Connection,
    catalog: Catalog,
    checked: list[Change],
    *,
    many: bool,
    joined: audit_trail.Joined | None = None,
) -> SaveResult:
    """Write validated changes in batch order; raises ConflictError, ValidationError or _RowByRow.

    `joined`: the entry of a save of one change, for its statement to write if it can (then `written`)."""
    result = SaveResult()
    conflicts: list[Conflict] = []
    for start, run in _runs(catalog, checked, many):
        ent = catalog.get(run[0].entity)
        try:
            if len(run) > 1:
                _write_many(conn, ent, run, result)
            elif isinstance(ch := run[0], Insert):
                result.inserted.append(_insert(conn, ent, ch))
            elif isinstance(ch, Update):
                _update(conn, ent, ch, result, conflicts, joined)
            elif isinstance(ch, Delete):
                _delete(conn, ent, ch, result, conflicts, joined)
        except (ConstraintViolated, ValueRefused, sa.exc.DataError) as exc:  # core/engine/driver_errors.py
            if len(run) > 1:
                raise _RowByRow from None  # which row of the run: the row-by-row pass says
            if conflicts:
                raise ConflictError(conflicts) from None
            raise ValidationError([_refused(ent, exc, start)]) from None
    if conflicts:
        raise ConflictError(conflicts)  # leaving the transaction by an exception rolls everything back
    return result


def _refused(
    ent: Entity, exc: ConstraintViolated | ValueRefused | sa.exc.DataError, row: int
) -> FieldProblem:
    """The problem for a change the database refused: its typed message, or the driver's error's name."""
    if isinstance(exc, ConstraintViolated | ValueRefused):
        return FieldProblem(exc.column or ent.name, str(exc), row=row)
    # Not the driver's text: its first line can quote the value ('invalid input syntax …: "x"').
    return FieldProblem(
        ent.name, f"the database refused a value of this change ({type(exc.orig).__name__})", row=row
    )


# --- runs of one shape ------------------------------------------------------------------------------


def _runs(catalog: Catalog, checked: list[Change], many: bool) -> list[tuple[int, list[Change]]]:
    """Consecutive changes that one statement can write together, with the batch index of the first."""
    if not many:
        return [(i, [ch]) for i, ch in enumerate(checked)]
    runs: list[tuple[int, list[Change]]] = []
    shapes: dict[tuple[Any, ...], tuple[Any, ...] | None] = {}  # what decides a shape -> the shape
    last: Any = None
    for i, ch in enumerate(checked):
        if isinstance(ch, Update):
            by: tuple[Any, ...] = (ch.entity, tuple(ch.values), tuple(ch.original), ch.version is None)
        elif isinstance(ch, Insert):
            by = (ch.entity, tuple(ch.values))
        else:
            by = (ch.entity, tuple(ch.original), ch.version is None, None, None)
        shape = shapes[by] if by in shapes else shapes.setdefault(by, _many_shape(catalog.get(ch.entity), ch))
        if shape is not None and shape == last:
            runs[-1][1].append(ch)
        else:
            runs.append((i, [ch]))
        last = shape
    return runs


def _many_shape(ent: Entity, ch: Change) -> tuple[Any, ...] | None:
    """What a change shares with the others of its run (its statement), or None: it runs on its own.

    Updates and deletes join a run when the result is known without RETURNING (a key that reads back as
    bound, and a new version known in advance) and the conflict check binds plain values.
    """
    if isinstance(ch, Insert):
        return ("insert", ent.name, tuple(ch.values))
    if not ent.primary_key or not _plain_key(ent):
        return None
    by_version = ent.version_column is not None and ch.version is not None
    if ent.version_column is not None and not by_version:
        return None  # no loaded version to check: only RETURNING tells the new one
    if isinstance(ch, Update):
        names = tuple(n for n in ch.values if n != ent.version_column)
        if not names:
            return None
        guarded = () if by_version else _plain_guard(ent, ch.original, _compared(ent, ch, names))
        return None if guarded is None else ("update", ent.name, names, by_version, guarded)
    guarded = () if by_version else _plain_guard(ent, ch.original, tuple(ch.original))
    return None if guarded is None else ("delete", ent.name, by_version, guarded)


def _compared(ent: Entity, ch: Update, edited: Iterable[str]) -> tuple[str, ...]:
    """The columns whose loaded values an update's conflict check compares: the edited ones; for a row found
    by its rowid, every column it was loaded with (after a VACUUM its rowid may name another row)."""
    return tuple(ch.original) if ent.key_source == KeySource.ROWID else tuple(edited)


def _plain_key(ent: Entity) -> bool:
    """Every key column a UUID or an integer: values that read back exactly as bound."""
    return all(ent.column(c).kind in ("uuid", "integer") for c in ent.primary_key)


def _plain_guard(ent: Entity, original: dict[str, Any], edited: Iterable[str]) -> tuple[str, ...] | None:
    """The columns the conflict check compares with a bound value, or None if one needs more than that."""
    names = tuple(n for n in edited if n in original and n != ent.version_column)
    for name in names:
        info = ent.column(name)
        if info.kind in ("json", "vector") or info.times_as_text:
            return None  # JSON null vs SQL NULL, jsonb equality, times by meaning: built per row
    return names


def _write_many(conn: sa.Connection, ent: Entity, run: list[Change], result: SaveResult) -> None:
    """One statement, many parameter sets; _RowByRow if it matched fewer rows than it was given."""
    if isinstance(run[0], Insert):
        _insert_many(conn, ent, [ch for ch in run if isinstance(ch, Insert)], result)
        return
    keyed = [ch for ch in run if isinstance(ch, Update | Delete)]
    stmt, params_of = _bound_statement(ent, keyed[0], returning=False)
    direct = _positional(conn.dialect, stmt)
    for start in range(0, len(keyed), MANY_CHUNK):
        chunk = keyed[start : start + MANY_CHUNK]
        if direct is not None:
            sql, order = direct
            params: Any = [
                tuple([d[n] if p is None else p(d[n]) for n, p in order]) for d in map(params_of, chunk)
            ]
            matched = conn.exec_driver_sql(sql, params).rowcount
        else:
            matched = conn.execute(stmt, [params_of(ch) for ch in chunk]).rowcount
        if matched != len(chunk):
            raise _RowByRow
    # The keys are validation's, read once; they go back as they are.
    by_version = ent.version_column is not None and keyed[0].version is not None
    saved = result.updated if isinstance(keyed[0], Update) else result.deleted
    bump = 1 if isinstance(keyed[0], Update) else 0
    saved += [SavedRow(ent.name, ch.key, _version(ch.version, by_version, bump)) for ch in keyed]


_Positional = tuple[str, tuple[tuple[str, Callable[[Any], Any] | None], ...]]


@functools.lru_cache(maxsize=256)
def _positional(dialect: sa.Dialect, stmt: sa.Executable) -> _Positional | None:
    """A plain run's SQL with positional parameters, and each parameter's name and bind processor; or None.

    SQLAlchemy's executemany spends more per parameter set than the driver does (on SQLite about twice
    the driver's time for a run of 10,000 updates). A statement whose every parameter is one of ours (no
    onupdate default for SQLAlchemy to fill in) goes to the driver as compiled, with each value converted
    by its type's public bind processor: the same SQL and the same stored values, through the same engine
    events (slow log, driver errors). Only for drivers with positional parameters (SQLite's qmark).
    """
    if not dialect.positional or not isinstance(stmt, sa.ClauseElement):
        return None
    compiled = stmt.compile(dialect=dialect)
    if not isinstance(compiled, SQLCompiler):
        return None
    names = compiled.positiontup
    if names is None or not all(n.startswith(("k_", "v_", "o_")) or n == "ver_old" for n in names):
        return None  # a parameter SQLAlchemy fills in itself (an onupdate time): its own executemany
    order: list[tuple[str, Callable[[Any], Any] | None]] = []
    for name in names:
        bound = compiled.binds[name].type
        process = bound.dialect_impl(dialect).bind_processor(dialect)
        order.append((name, process))
    return compiled.string, tuple(order)


def _bound_statement(
    ent: Entity, first: Update | Delete, *, returning: bool
) -> tuple[sa.Executable, Callable[[Update | Delete], dict[str, Any]]]:
    """The statement of a plain shape (see _many_shape) with named parameters, and each change's values."""
    by_version = ent.version_column is not None and first.version is not None
    version = ent.version_column if by_version else None
    keys = ent.primary_key
    if isinstance(first, Update):
        names = [n for n in first.values if n != ent.version_column]
        guarded = [] if by_version else [n for n in _compared(ent, first, names) if n in first.original]
        stmt = _update_statement(ent.table, keys, tuple(names), version, tuple(guarded), returning)
    else:
        names = []
        guarded = [] if by_version else [n for n in first.original if n != ent.version_column]
        stmt = _delete_statement(ent.table, keys, version, tuple(guarded), returning)
    key_binds = [(f"k_{i}", n) for i, n in enumerate(keys)]
    value_binds = [(f"v_{i}", n) for i, n in enumerate(names)]
    guard_binds = [(f"o_{i}", n) for i, n in enumerate(guarded)]

    def params_of(ch: Update | Delete) -> dict[str, Any]:
        p = {b: ch.key[n] for b, n in key_binds}
        if isinstance(ch, Update):
            p.update({b: ch.values[n] for b, n in value_binds})
        if guard_binds:
            p.update({b: _loaded(ent, ch, n) for b, n in guard_binds})
        if by_version:
            p["ver_old"] = ch.version
        return p

    return stmt, params_of


def _insert_many(conn: sa.Connection, ent: Entity, run: list[Insert], result: SaveResult) -> None:
    """One INSERT … RETURNING for rows with the same columns (SQLAlchemy's insertmanyvalues)."""
    names = list(run[0].values)
    binds = [(column(ent, n).key, n) for n in names]
    stmt = ent.table.insert().returning(*_returning(ent), sort_by_parameter_order=True)
    rows = conn.execute(stmt, [{b: ch.values[n] for b, n in binds} for ch in run]).all()
    result.inserted.extend(_saved(ent, row) for row in rows)


def _loaded(ent: Entity, ch: Update | Delete, name: str) -> Any:
    """The loaded value of a column for the conflict check: as the editor loaded it, else read now."""
    value = ch.original[name]
    return value if isinstance(ch, Update) and name in ch.checked else coerce_for(ent, name, value)


def _version(version: int | None, by_version: bool, bump: int) -> int | None:
    """The version a write by version leaves behind (None for an entity without one)."""
    return version + bump if by_version and version is not None else None


@functools.lru_cache(maxsize=512)
def _update_statement(
    table: sa.Table,
    keys: tuple[str, ...],
    names: tuple[str, ...],
    version: str | None,
    guarded: tuple[str, ...],
    returning: bool,
) -> sa.Executable:
    """UPDATE … SET the edited columns (and `version`) WHERE key AND check, with named parameters."""
    cols = {c.name: c for c in table.columns}
    assign: dict[Any, Any] = {
        cols[n]: sa.bindparam(f"v_{i}", type_=cols[n].type) for i, n in enumerate(names)
    }
    if version is not None:
        # Known without RETURNING: the check matched the loaded version. A literal 1, not a parameter per row.
        assign[cols[version]] = cols[version] + sa.literal_column("1")
    stmt = table.update().where(*_bound_where(cols, keys, version, guarded)).values(assign)
    return stmt.returning(*_returned(cols, keys, version)) if returning else stmt


@functools.lru_cache(maxsize=512)
def _delete_statement(
    table: sa.Table, keys: tuple[str, ...], version: str | None, guarded: tuple[str, ...], returning: bool
) -> sa.Executable:
    """DELETE … WHERE key AND check, with named parameters."""
    cols = {c.name: c for c in table.columns}
    stmt = table.delete().where(*_bound_where(cols, keys, version, guarded))
    return stmt.returning(*_returned(cols, keys, version)) if returning else stmt


def _returned(cols: dict[str, sa.Column[Any]], keys: tuple[str, ...], version: str | None) -> list[Any]:
    return [cols[n] for n in keys] + ([cols[version]] if version is not None else [])


def _bound_where(
    cols: dict[str, sa.Column[Any]], keys: tuple[str, ...], version: str | None, guarded: tuple[str, ...]
) -> list[sa.ColumnElement[bool]]:
    """Key, loaded version and loaded values, each compared with a named parameter."""
    where = [cols[n] == sa.bindparam(f"k_{i}", type_=cols[n].type) for i, n in enumerate(keys)]
    if version is not None:
        where.append(cols[version] == sa.bindparam("ver_old", type_=cols[version].type))
    where += [
        cols[n].is_not_distinct_from(sa.bindparam(f"o_{i}", type_=cols[n].type))
        for i, n in enumerate(guarded)
    ]
    return where


# --- one row ----------------------------------------------------------------------------------------


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


def _one_row(
    conn: sa.Connection, ent: Entity, ch: Update | Delete, joined: audit_trail.Joined | None
) -> Sequence[sa.Row[Any]]:
    """The plain shape's statement for one row, RETURNING its key (and version); with `joined`, the
    statement writes the row's audit entry too, only if it wrote the row."""
    stmt, params_of = _bound_statement(ent, ch, returning=True)
    if joined is not None:
        return audit_trail.write_with_entry(conn, stmt, ent.primary_key, params_of(ch), joined)
    return conn.execute(stmt, params_of(ch)).all()


def _update(
    conn: sa.Connection,
    ent: Entity,
    ch: Update,
    result: SaveResult,
    conflicts: list[Conflict],
    joined: audit_trail.Joined | None = None,
) -> None:
    key = ch.key  # read by validation already
    values = {n: v for n, v in ch.values.items() if n != ent.version_column}
    if not values:
        return
    if _many_shape(ent, ch) is not None:  # the statement a run of these uses, built once
        rows = _one_row(conn, ent, ch, joined)
        if not rows:
            stored = fetch_row(conn, ent, key)
            conflicts.append(Conflict(ent.name, key, stored, dict(values), dict(ch.original)))
            return
        result.updated.append(_saved(ent, rows[0]))
        return
    assign: dict[Any, Any] = {column(ent, n): v for n, v in values.items()}
    if ent.version_column:
        vcol = column(ent, ent.version_column)
        assign[vcol] = ch.version + 1 if ch.version is not None else vcol + 1
    guard = _guard(conn, ent, ch.version, ch.original, _compared(ent, ch, values))
    stmt = ent.table.update().where(key_predicate(ent, key), *guard).values(assign)
    rows = conn.execute(stmt.returning(*_returning(ent))).all()
    if not rows:
        conflicts.append(Conflict(ent.name, key, fetch_row(conn, ent, key), dict(values), dict(ch.original)))
        return
    result.updated.append(_saved(ent, rows[0]))


def _delete(
    conn: sa.Connection,
    ent: Entity,
    ch: Delete,
    result: SaveResult,
    conflicts: list[Conflict],
    joined: audit_trail.Joined | None = None,
) -> None:
    key = ch.key  # read by validation already
    if _many_shape(ent, ch) is not None:  # the statement a run of these uses, built once
        rows = _one_row(conn, ent, ch, joined)
    else:
        guard = _guard(conn, ent, ch.version, ch.original, ch.original.keys())
        stmt = ent.table.delete().where(key_predicate(ent, key), *guard).returning(*_returning(ent))
        rows = conn.execute(stmt).all()
    if not rows:
        conflicts.append(Conflict(ent.name, key, fetch_row(conn, ent, key), {}, dict(ch.original)))
        return
    result.deleted.append(_saved(ent, rows[0]))


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
