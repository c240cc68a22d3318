"""A short road for the hottest single-row calls: a row by primary key, and a save of one Update.

SQLAlchemy's Connection.execute costs ~100 µs a statement before the driver sees it (building the
statement, its cache key, the execution context, the Result). Here each statement shape is compiled once
per engine, and then run straight on a pooled DB-API connection with the column types' own bind and
result processors, so values go in and come out exactly as the general path binds and reads them.

Anything unusual is not handled here: the caller gets None back and takes the general path, which then
raises the proper error (ConflictError with stored and attempted values, ValidationError for what the
database refuses, NotFoundError...). That includes no rows updated (a conflict), any driver error,
JSON conflict guards, foreign-key edits, entities without a primary key, and engines carrying
SQLAlchemy engine-event listeners (which expect to see every statement).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from core.data import validation
from core.data.changes import Update
from core.data.query import coerce_for, coerce_key
from core.engine import held
from core.engine.db import Database, PerEngine
from core.engine.slowlog import record_slow_statement
from core.schema.catalog import Catalog, Entity

__all__ = ["BACKENDS", "NOT_HERE", "counters", "fetch_row", "update_one"]

#: Backends the fast path runs on; elsewhere every call takes the general path.
BACKENDS = frozenset({"sqlite", "postgresql"})
#: Shapes kept per engine before the cache starts over (a shape is an entity and the columns edited).
MAX_SHAPES = 2000

#: How often each road was taken, for tests and diagnostics: "get", "save", "fallback".
counters: dict[str, int] = {"get": 0, "save": 0, "fallback": 0}

BindProc = Callable[[Any], Any] | None
KEY_BINDS = tuple(f"k{i}" for i in range(64))  # the bind names of key columns, in key order


@dataclass
class Prepared:
    """One statement compiled for one dialect: SQL text, how to bind its parameters, how to read rows."""

    sql: str
    positional: bool
    binds: list[tuple[str, BindProc]]  # every parameter in the order the SQL takes them
    defaults: dict[str, Callable[[], Any]]  # parameters filled at run time (onupdate defaults)
    constants: dict[str, Any]  # parameters of literals in the statement (the 1 of version + 1)
    names: list[str]  # result column names
    result_types: list[sa.types.TypeEngine[Any]]
    dialect: sa.Dialect
    readers: list[tuple[int, Callable[[Any], Any]]] | None = field(default=None)  # set at the first run
    always: list[tuple[int, Callable[[Any], Any]]] = field(default_factory=list)  # ...also given NULLs

    def params(self, values: dict[str, Any]) -> Any:
        """The DB-API parameters for `values` (by bind name), processed as SQLAlchemy would."""
        if self.defaults or self.constants:
            for name, make in self.defaults.items():
                values[name] = make()
            for name, value in self.constants.items():
                values.setdefault(name, value)
        if self.positional:
            return tuple([values[n] if p is None else p(values[n]) for n, p in self.binds])
        return {n: (values[n] if p is None else p(values[n])) for n, p in self.binds}

    def read(self, description: Any, row: Any) -> list[Any]:
        """One result row with the column types' result processors applied."""
        readers = self.readers
        if readers is None:
            readers = self._readers(description)
        out = list(row)
        for i, p in readers:
            if (value := out[i]) is not None:
                out[i] = p(value)
        for i, p in self.always:
            out[i] = p(out[i])
        return out

    def _readers(self, description: Any) -> list[tuple[int, Callable[[Any], Any]]]:
        # As SQLAlchemy's cursor result does: the type's processor for the driver's column type code.
        procs = [
            t._cached_result_processor(self.dialect, d[1])
            for t, d in zip(self.result_types, description, strict=True)
        ]
        readers = [(i, p) for i, p in enumerate(procs) if p is not None]
        # A NULL is left as None without a call when the processor itself says so.
        self.always = [(i, p) for i, p in readers if not _keeps_none(p)]
        self.readers = [r for r in readers if r not in self.always]
        return self.readers


def _keeps_none(proc: Callable[[Any], Any]) -> bool:
    try:
        return proc(None) is None
    except Exception:  # a processor that cannot take None is always called, as SQLAlchemy would
        return False


NOT_HERE = object()  # fetch_row's answer when the general path must run instead
_UNAVAILABLE = object()  # a shape that cannot be compiled here: always take the general path


class _EngineState:
    """What the fast path keeps per engine: its compiled shapes (held connections: core/engine/held.py)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.shapes: dict[Any, Any] = {}


_states = PerEngine(_EngineState)


def _usable(db: Database) -> bool:
    # Engine-event listeners (tests counting statements, tracing tools) must see every statement.
    return db.backend in BACKENDS and not getattr(db.engine, "_has_events", True)


def _state(engine: sa.Engine) -> _EngineState:
    return _states.get(engine)


def _shapes(engine: sa.Engine) -> dict[Any, Any]:
    return _state(engine).shapes


def _prepared(
    db: Database, state: _EngineState, key: Any, build: Callable[[], sa.ReturnsRows]
) -> Prepared | None:
    """The compiled statement of one shape, compiled on first use; None if it cannot be done here."""
    shapes = state.shapes
    found: Any = shapes.get(key)  # a Prepared, _UNAVAILABLE or None
    if found is None:
        try:
            found = _compile(build(), db.engine.dialect)
        except Exception:
            # A private SQLAlchemy API changed or the shape needs an execution context: general path.
            found = _UNAVAILABLE
        if len(shapes) >= MAX_SHAPES:
            shapes.clear()
        shapes[key] = found
    return None if found is _UNAVAILABLE else found


def _fk_columns(db: Database, ent: Entity) -> frozenset[str]:
    """The columns of `ent` that are part of a foreign key (cached with the engine's shapes)."""
    shapes = _shapes(db.engine)
    found = shapes.get(("fk", id(ent)))
    if found is None or found[0] is not ent:
        found = shapes[("fk", id(ent))] = (ent, frozenset(c for fk in ent.foreign_keys for c in fk.columns))
    cols: frozenset[str] = found[1]
    return cols


def _compile(stmt: sa.ReturnsRows, dialect: sa.Dialect) -> Prepared:
    compiled: Any = stmt.compile(dialect=dialect)
    if compiled.literal_execute_params or compiled.post_compile_params or compiled.insert_prefetch:
        raise ValueError("needs per-execution compilation")
    processors = compiled._bind_processors
    names = list(compiled.positiontup) if compiled.positional else list(compiled.bind_names.values())
    defaults: dict[str, Callable[..., Any]] = {}  # called without arguments: the lambdas bind theirs
    for col in compiled.update_prefetch:
        key_of = compiled._within_exec_param_key_getter  # exists only on compiled INSERT/UPDATE
        arg, is_scalar, is_callable, is_sentinel = col._onupdate_description_tuple
        if is_sentinel:
            raise ValueError("a sentinel default")
        if is_scalar:
            defaults[key_of(col)] = lambda arg=arg: arg
        elif is_callable and getattr(arg, "__wrapped__", None) is not None:
            # SQLAlchemy wraps a default that takes no context; one that wants the context cannot run here.
            defaults[key_of(col)] = lambda fn=arg.__wrapped__: fn()
        else:
            raise ValueError("an onupdate default that needs the execution context")
    if compiled.escaped_bind_names:
        raise ValueError("escaped bind names")
    binds = [(n, processors.get(n)) for n in names]
    if any(isinstance(p, tuple) for _, p in binds):
        raise ValueError("tuple binds")
    types = [rc[3] for rc in compiled._result_columns]
    names = [c.name for c in stmt.exported_columns]
    if len(names) != len(types):
        raise ValueError("result columns do not match")
    constants = {
        compiled.bind_names[bp]: bp.effective_value for bp in compiled.bind_names if not bp.required
    }
    return Prepared(compiled.string, compiled.positional, binds, defaults, constants, names, types, dialect)


def _run(db: Database, prep: Prepared, values: dict[str, Any], *, write: str = "") -> list[list[Any]] | None:
    """Execute on this thread's held SQLite connection, else a pooled one: the rows, or None on any driver
    error (rolled back; the general path then reports it).

    `write` "rows": commit if exactly one row came back (RETURNING); "count": if exactly one row changed.
    """
    params = prep.params(values)
    mine = held.acquire(db.engine)
    if mine is None:
        return _run_pooled(db, prep, params, write)
    try:
        with mine as conn:  # leaving it rolls back, drops a disconnected connection, and unlocks
            return _execute(db, prep, params, write, conn)
    except db.engine.dialect.loaded_dbapi.Error:
        return None


def _run_pooled(db: Database, prep: Prepared, params: Any, write: str) -> list[list[Any]] | None:
    try:
        fairy = db.engine.raw_connection()
    except Exception:
        return None  # the general path reports a connection failure properly
    dbapi = fairy.dbapi_connection
    assert dbapi is not None  # a connection just checked out of the pool has one
    finished = False  # no transaction left open: the pool may skip its rollback-on-return
    try:
        rows = _execute(db, prep, params, write, dbapi)
        # sqlite3: a read opens no transaction, and a write was committed or rolled back.
        finished = bool(write) or getattr(dbapi, "in_transaction", True) is False
        return rows
    except db.engine.dialect.loaded_dbapi.Error as exc:
        if db.engine.dialect.is_disconnect(exc, dbapi, None):
            fairy.invalidate(exc)
        else:
            with contextlib.suppress(Exception):  # cleaning up after an error already being handled
                dbapi.rollback()
            finished = True
        return None
    finally:
        close_special = getattr(fairy, "_close_special", None) if finished else None
        if close_special is not None:
            close_special(transaction_reset=True)  # committed or rolled back already: skip the pool's reset
        else:
            fairy.close()


def _execute(db: Database, prep: Prepared, params: Any, write: str, dbapi: Any) -> list[list[Any]] | None:
    """One statement on a DB-API connection; a write is committed, or rolled back (None) unless one row."""
    cursor = dbapi.cursor()
    try:
        t0 = time.perf_counter()
        cursor.execute(prep.sql, params)
        raw = cursor.fetchall() if prep.names else []  # to the end: SQLite then drops its read snapshot
        if (ms := (time.perf_counter() - t0) * 1000) >= db.slow_ms:
            record_slow_statement(db, ms, prep.sql, params)
        changed, description = cursor.rowcount, cursor.description
    finally:
        cursor.close()
    rows = [prep.read(description, r) for r in raw]
    if write:
        if (len(rows) if write == "rows" else changed) != 1:
            dbapi.rollback()  # a conflict, or a key that is not unique: the general path decides
            return None
        dbapi.commit()
    return rows


# --- a row by key ---------------------------------------------------------------------------------


def fetch_row(db: Database, ent: Entity, key: dict[str, Any]) -> dict[str, Any] | object | None:
    """The row for a coerced full primary key (dict, or None if absent); NOT_HERE: take the general path."""
    if not _usable(db) or not ent.primary_key or None in key.values() or tuple(key) != ent.primary_key:
        return NOT_HERE
    state = _state(db.engine)
    prep = _prepared(db, state, ("get", ent.table), lambda: _select_by_key(ent))
    if prep is None:
        return NOT_HERE
    rows = _run(db, prep, dict(zip(KEY_BINDS, key.values(), strict=False)))
    if rows is None:
        counters["fallback"] += 1
        return NOT_HERE
    counters["get"] += 1
    return dict(zip(prep.names, rows[0], strict=True)) if rows else None


def _select_by_key(ent: Entity) -> sa.Select[Any]:
    if len(ent.primary_key) > len(KEY_BINDS):
        raise ValueError("too many key columns")
    cols = {c.name: c for c in ent.table.columns}
    where = [cols[n] == sa.bindparam(f"k{i}", type_=cols[n].type) for i, n in enumerate(ent.primary_key)]
    return sa.select(*ent.table.columns).where(*where)


# --- one Update -----------------------------------------------------------------------------------


def update_one(
    db: Database, catalog: Catalog, change: Update
) -> tuple[str, dict[str, Any], int | None] | None:
    """Validate and write one Update: (entity, key, new version) as RETURNING gave them; None: not here.

    Validation runs exactly as in the general path (its ValidationError propagates); the database is
    touched only after it passed, and a write that matched no row is rolled back and left to the general
    path, which raises the ConflictError.
    """
    ent = catalog.entities.get(change.entity)
    if ent is None or ent.read_only or not ent.primary_key or not _usable(db):
        return None
    if not _fk_columns(db, ent).isdisjoint(change.values):
        return None  # foreign-key checks read the database inside the general path's transaction
    (checked,) = validation.validate(catalog, [change])
    assert isinstance(checked, Update)
    key = coerce_key(ent, checked.key)
    vname = ent.version_column
    values = {n: v for n, v in checked.values.items() if n != vname}
    if not values or None in key.values():
        return None
    by_version = vname is not None and checked.version is not None
    guarded: list[str] = []
    params: dict[str, Any] = {f"k{i}": v for i, v in enumerate(key.values())}
    if by_version:
        params["ver"], params["next_ver"] = checked.version, checked.version + 1  # type: ignore[operator]
    else:
        for name in values:
            if name not in checked.original or name == vname:
                continue
            if ent.column(name).kind == "json":
                return None  # SQL NULL vs JSON null and jsonb equality: the general path's business
            if ent.column(name).times_as_text:
                return None  # another app's spelling of a time: compared by meaning on the general path
            params[f"o{len(guarded)}"] = coerce_for(ent, name, checked.original[name])
            guarded.append(name)
    for i, v in enumerate(values.values()):
        params[f"v{i}"] = v
    # With a key that reads back exactly as bound (UUID, integer) and a new version known in advance,
    # RETURNING would only echo known values: the row count tells success.
    known = (by_version or vname is None) and _plain_key(db, ent)
    shape = ("update", ent.table, tuple(values), by_version, tuple(guarded), known)
    state = _state(db.engine)
    build = lambda: _update_stmt(ent, list(values), by_version, guarded, not known)  # noqa: E731
    prep = _prepared(db, state, shape, build)
    if prep is None:
        return None
    rows = _run(db, prep, params, write="count" if known else "rows")
    if rows is None:
        counters["fallback"] += 1
        return None
    counters["save"] += 1
    if known:
        return ent.name, key, (checked.version + 1 if by_version else None)  # type: ignore[operator]
    row, n = rows[0], len(ent.primary_key)
    return ent.name, dict(zip(ent.primary_key, row[:n], strict=True)), (row[n] if vname else None)


def _plain_key(db: Database, ent: Entity) -> bool:
    """Whether every key column is a UUID or an integer: values that read back exactly as bound."""
    shapes = _shapes(db.engine)
    found = shapes.get(("plain", id(ent)))
    if found is None or found[0] is not ent:
        plain = all(ent.column(c).kind in ("uuid", "integer") for c in ent.primary_key)
        found = shapes[("plain", id(ent))] = (ent, plain)
    return bool(found[1])


def _update_stmt(
    ent: Entity, names: list[str], by_version: bool, guarded: list[str], returning: bool
) -> sa.ReturnsRows:
    """UPDATE … SET the edited columns (and version) WHERE key AND guard [RETURNING key, version]."""
    cols = {c.name: c for c in ent.table.columns}
    where = [cols[n] == sa.bindparam(f"k{i}", type_=cols[n].type) for i, n in enumerate(ent.primary_key)]
    assign: dict[Any, Any] = {cols[n]: sa.bindparam(f"v{i}", type_=cols[n].type) for i, n in enumerate(names)}
    if ent.version_column:
        vcol = cols[ent.version_column]
        assign[vcol] = sa.bindparam("next_ver", type_=vcol.type) if by_version else vcol + 1
        if by_version:
            where.append(vcol == sa.bindparam("ver", type_=vcol.type))
    for i, n in enumerate(guarded):
        where.append(cols[n].is_not_distinct_from(sa.bindparam(f"o{i}", type_=cols[n].type)))
    stmt = ent.table.update().where(*where).values(assign)
    if not returning:
        return stmt
    back = [cols[n] for n in ent.primary_key] + ([cols[ent.version_column]] if ent.version_column else [])
    return stmt.returning(*back)
