"""The audit trail: every row a save writes is recorded in admin_audit_log, in the save's own transaction.

core/data/writes.py's `save` asks `trail_for` before it opens its transaction (a database without the
table refuses unless audit is explicitly off), reads what a change does not carry (`Trail.before`: the
whole row of a delete, a loaded value the editor did not send) in one statement per entity and chunk, and
after the writes adds one entry per written row (`Trail.record`). A rolled-back save leaves no entry.
Values are stored as plain JSON (`plain`); core/audit reads them back for the viewer and for revert.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import getpass
import ipaddress
import json
import math
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.compiler import SQLCompiler

from core.data.changes import Change, Delete, Insert, Update
from core.data.coercion import interval_text
from core.data.merge import same_value
from core.data.query import coerce_for, key_predicate
from core.engine.driver_errors import translate, where_of
from core.errors import NotFoundError, ValidationError, WardenError
from core.schema.catalog import Catalog, Entity
from core.schema.models.audit import AUDIT_TABLE

if TYPE_CHECKING:
    from core.data.writes import SaveResult

__all__ = [
    "AUDIT_OFF",
    "AUDIT_TABLE",
    "AuditUnavailable",
    "Auditing",
    "Joined",
    "Trail",
    "audit_entity",
    "is_audit_log",
    "os_user",
    "plain",
    "trail_for",
    "with_entry",
    "write_with_entry",
]

#: Why no editor writes the audit log.
READ_ONLY_REASON = "only Warden's saves add to the audit log"
#: Keys per SELECT of the rows a save needs before it writes (well under SQLite's parameter limit).
READ_CHUNK = 300


class AuditUnavailable(WardenError):
    """A save on a database without an audit log, with audit not explicitly off."""


@functools.cache
def os_user() -> str:
    """The name of the user running Warden, as the operating system knows it (looked up once a process:
    every save that names no user asks, and the lookup reads the environment or the password database)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name (a container, a service account)
        return "unknown"


@dataclass(frozen=True)
class Auditing:
    """How one save is audited: who (OS user, connection profile), why (an optional reason), or not at all.

    `enabled=False` is audit explicitly off: the user declined the audit log of a database without one.
    `reverts` (a revert's save): for each change of the batch, in order, the entry it undoes.
    """

    user: str = field(default_factory=os_user)
    profile: str = "default"
    reason: str | None = None
    enabled: bool = True
    reverts: tuple[int, ...] = ()


#: Audit explicitly off (no entries; allowed on a database without an audit log).
AUDIT_OFF = Auditing(user="", enabled=False)


def audit_entity(catalog: Catalog) -> Entity | None:
    """The audit log's entity in this catalog, or None when the database has none."""
    try:
        return catalog.get(AUDIT_TABLE)
    except NotFoundError:
        return None


def is_audit_log(entity: Entity) -> bool:
    """Whether `entity` is the audit log (written only by saves, never edited)."""
    return entity.table.name == AUDIT_TABLE


def trail_for(catalog: Catalog, auditing: Auditing | None) -> Trail | None:
    """The trail of one save, or None with audit explicitly off; AuditUnavailable without the table, or for
    a user or profile name longer than the log keeps."""
    how = auditing if auditing is not None else Auditing()
    if not how.enabled:
        return None
    log = audit_entity(catalog)
    if log is None:
        raise AuditUnavailable(
            f"This database has no audit log ({AUDIT_TABLE}), so Warden does not save to it: create the "
            "audit log first, or save with audit explicitly off."
        )
    for column, value, what in (("os_user", how.user, "user"), ("profile", how.profile, "profile")):
        limit = getattr(log.table.c[column].type, "length", None)
        if limit is not None and len(value) > limit:
            # Refused here, not by the database: in the row's own statement it would read as the row's fault.
            raise AuditUnavailable(
                f"The {what} name has {len(value)} characters and the audit log keeps at most {limit}, so "
                f"nothing was saved (Warden does not cut it short). Use a {what} name of at most {limit}."
            )
    return Trail(log.table, how)


# --- values as JSON -------------------------------------------------------------------------------


_AS_IS = frozenset({str, int, bool, type(None)})
# The kinds `plain` tells apart, made once: a union written in the isinstance call is built on every call.
_SCALAR = str | bool | int
_AS_TEXT = uuid.UUID | Decimal
_TIMES = dt.datetime | dt.date | dt.time
_BYTES = bytes | bytearray | memoryview
_SEQUENCES = (list, tuple)
_ADDRESSES = ipaddress.IPv4Address | ipaddress.IPv6Address


def plain(value: Any) -> Any:
    """A value read from or written to the database as JSON the save's coercion reads back.

    UUIDs, times and decimals as text, bytes as 0x hex, vectors as lists of numbers, intervals as
    PostgreSQL's interval text; JSON values as they are.
    """
    if type(value) in _AS_IS:  # most values: checked by type, not isinstance, as this runs per field
        return value
    if isinstance(value, _SCALAR):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, _AS_TEXT):
        return str(value)
    if isinstance(value, _TIMES):
        return value.isoformat()
    if isinstance(value, _BYTES):
        return "0x" + bytes(value).hex()
    if isinstance(value, np.ndarray):
        return [plain(x) for x in value.tolist()]
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, _SEQUENCES):
        return [plain(v) for v in value]
    if isinstance(value, dt.timedelta):
        return interval_text(value)
    if isinstance(value, _ADDRESSES):
        return str(value)
    return str(value)


# --- one save's entries ---------------------------------------------------------------------------

#: Random bytes read at once for save ids: 256 of them per read.
_POOL_BYTES = 4096
#: Version 4 and the RFC 4122 variant, as uuid.UUID(version=4) sets them.
_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (4 << 76) | (0x8000 << 48)


class _Random:
    """The operating system's random bytes, read a few kilobytes at a time (a read is a system call, which
    cost a one-row save about as much as the rest of its save id). A fork starts with none of the
    parent's, so no two processes share an id."""

    pool = bytearray()
    lock = threading.Lock()

    @classmethod
    def fresh(cls) -> None:
        cls.pool, cls.lock = bytearray(), threading.Lock()


os.register_at_fork(after_in_child=_Random.fresh)


def new_save_id() -> uuid.UUID:
    """A random (version 4) UUID, as uuid.uuid4() makes one from the same source."""
    return uuid.UUID(int=_new_v4())


def _new_v4() -> int:
    """A random version 4 UUID as its 128-bit number (SQLite stores its 32 hex digits: no UUID object)."""
    with _Random.lock:
        pool = _Random.pool
        if len(pool) < 16:
            pool += os.urandom(_POOL_BYTES)
        n = int.from_bytes(pool[-16:])
        del pool[-16:]
    return (n & _V4_CLEAR) | _V4_SET


#: Per batch index: the values a change's entry needs that the change does not carry (column -> value).
Before = dict[int, dict[str, Any]]


class Trail:
    """The entries of one save: what to read before writing, and the rows to add after."""

    def __init__(self, table: sa.Table, auditing: Auditing) -> None:
        self.table = table
        self.auditing = auditing
        self._save = _new_v4()

    @functools.cached_property
    def save_id(self) -> uuid.UUID:
        """The id every entry of this save shares (a random version 4 UUID)."""
        return uuid.UUID(int=self._save)

    def before(self, conn: sa.Connection, catalog: Catalog, checked: list[Change]) -> Before:
        """Read, before the writes, what the entries need and the changes do not carry: the whole row of a
        delete, the stored value of an edited column the editor sent no loaded value for. One SELECT per
        entity and chunk of keys, under the save's write lock, so it is what the writes change."""
        wanted: dict[str, list[int]] = {}
        for i, ch in enumerate(checked):
            if isinstance(ch, Insert):
                continue
            if isinstance(ch, Update) and ch.values.keys() <= ch.original.keys():
                continue  # the usual edit: the editor sent each edited column's loaded value
            ent = catalog.get(ch.entity)
            names = [c.name for c in ent.table.columns] if isinstance(ch, Delete) else list(ch.values)
            if any(n not in ch.original for n in names if n != ent.version_column):
                wanted.setdefault(ent.name, []).append(i)
        found: Before = {}
        for name, indexes in wanted.items():
            ent = catalog.get(name)
            rows = _rows_by_key(conn, ent, [checked[i] for i in indexes])
            for i in indexes:
                ch = checked[i]
                row = rows.get(_key_of(ent, ch)) if isinstance(ch, Update | Delete) else None
                if row is not None:
                    found[i] = row
        return found

    def record(
        self, conn: sa.Connection, catalog: Catalog, checked: list[Change], before: Before, result: SaveResult
    ) -> None:
        """Add one entry per row the save wrote (the result lists them per kind, in batch order)."""
        if len(checked) == 1 and not isinstance(ch := checked[0], Insert) and conn.dialect.name == "sqlite":
            saved = result.updated if isinstance(ch, Update) else result.deleted
            if saved and self._record_one(conn, catalog, ch, before.get(0), saved[0].key):
                return
        if len(checked) < PAUSE_FROM:  # the usual save: no context manager to enter for nothing
            rows = self._entries(catalog, checked, before, result)
        else:
            with _collector_paused():
                rows = self._entries(catalog, checked, before, result)
        if rows:
            _insert(conn, self.table, self._common(), rows)

    def _entries(
        self, catalog: Catalog, checked: list[Change], before: Before, result: SaveResult
    ) -> list[tuple[Any, ...]]:
        """The per-row values of the entries, as `_insert` takes them."""
        how = self.auditing
        reverts = how.reverts if len(how.reverts) == len(checked) else ()
        inserted, updated, deleted = iter(result.inserted), iter(result.updated), iter(result.deleted)
        rows: list[tuple[Any, ...]] = []  # (entity, row_key, action, before_json, after_json, reverts)
        fields: tuple[dict[str, Any] | None, dict[str, Any] | None] | None
        entities: dict[str, Entity] = {}
        for i, ch in enumerate(checked):
            ent = entities.get(ch.entity) or entities.setdefault(ch.entity, catalog.get(ch.entity))
            if isinstance(ch, Update):
                fields = _update_fields(ent, ch, before.get(i))
                if fields is None:
                    continue  # nothing but the version counter: the save wrote nothing for it
                key = next(updated).key
                action = "update"
            elif isinstance(ch, Insert):
                key = next(inserted).key
                fields = (None, {n: plain(v) for n, v in {**ch.values, **key}.items()})
                action = "insert"
            else:
                key = next(deleted).key
                fields = _delete_fields(ent, ch, before.get(i))
                action = "delete"
            row_key = {n: v if type(v) in _AS_IS else plain(v) for n, v in key.items()}
            rows.append(
                (ent.name, row_key, "revert" if reverts else action, *fields, reverts[i] if reverts else None)
            )
        return rows

    def _record_one(
        self, conn: sa.Connection, catalog: Catalog, ch: Update | Delete, stored: Any, key: dict[str, Any]
    ) -> bool:
        """The entry of a save of one written update or delete on SQLite, its values spelt for the driver
        here (what `_insert`'s plan would make of them, checked once by `_one_direct`); False where that
        check failed and `record` adds it as any other.

        The save a person waits for: `_entries`, `_common` and the plan cost as much as the INSERT itself.
        """
        sql = _one_direct(conn.dialect, self.table)
        if sql is None:
            return False
        ent = catalog.get(ch.entity)
        one = _one_fields(ent, ch, stored, self.auditing)
        if one is None:
            return True  # nothing but the version counter: no entry
        action, before, after, reverts = one
        how = self.auditing
        row_key = {n: v if type(v) in _AS_IS else plain(v) for n, v in key.items()}
        values = (
            _iso_utc_now(),
            how.user,
            how.profile,
            ent.name,
            _json_text(row_key),
            action,
            _json_text(before),
            _json_text(after),
            how.reason,
            f"{self._save:032x}",  # save_id.hex, without making the UUID
            reverts,
        )
        _on_driver(conn, sql, values)
        return True

    def joined(
        self, conn: sa.Connection, catalog: Catalog, checked: list[Change], before: Before
    ) -> Joined | None:
        """The entry of a save of one update or delete, for the row's own statement to write (PostgreSQL);
        None where `record` adds it after the writes (SQLite, inserts, batches, nothing but the version).

        The entry holds what `record` would store; its row_key is the key the statement returns.
        """
        if len(checked) != 1 or conn.dialect.name != "postgresql":
            return None
        ch = checked[0]
        if isinstance(ch, Insert):
            return None
        ent = catalog.get(ch.entity)
        one = _one_fields(ent, ch, before.get(0), self.auditing)
        if one is None:
            return None  # the save writes nothing for it: no entry either
        action, fields_before, fields_after, reverts = one
        how = self.auditing
        params = {
            "a_at": dt.datetime.now(dt.UTC),
            "a_os_user": how.user,
            "a_profile": how.profile,
            "a_reason": how.reason,
            "a_save_id": self.save_id,
            "a_entity": ent.name,
            "a_action": action,
            "a_before_json": _json_text(fields_before),
            "a_after_json": _json_text(fields_after),
            "a_reverts": reverts,
        }
        return Joined(self.table, params)

    def _common(self) -> tuple[Any, ...]:
        """The values every entry of this save shares, in COMMON's order."""
        how = self.auditing
        return (dt.datetime.now(dt.UTC), how.user, how.profile, how.reason, self.save_id)


_OneFields = tuple[str, dict[str, Any] | None, dict[str, Any] | None, int | None]


def _one_fields(ent: Entity, ch: Update | Delete, stored: Any, how: Auditing) -> _OneFields | None:
    """The action, before, after and reverted entry of a save's one update or delete, as `_entries` gives
    them; None for an update of nothing but the version counter (no entry)."""
    fields: tuple[dict[str, Any] | None, dict[str, Any] | None] | None
    if isinstance(ch, Update):
        fields = _update_fields(ent, ch, stored)
        if fields is None:
            return None
        action = "update"
    else:
        fields = _delete_fields(ent, ch, stored)
        action = "delete"
    if len(how.reverts) == 1:
        return "revert", *fields, how.reverts[0]
    return action, *fields, None


@dataclass(slots=True)
class Joined:
    """One entry for the row's own statement to write (`with_entry`), and whether that statement wrote it."""

    table: sa.Table
    params: dict[str, Any]
    written: bool = False


@functools.lru_cache(maxsize=512)
def with_entry(stmt: sa.Executable, table: sa.Table, keys: tuple[str, ...]) -> sa.Select[Any]:
    """One row's UPDATE or DELETE … RETURNING with its audit entry written by the same statement (PostgreSQL).

    `WITH w AS (<stmt>), e AS (INSERT INTO admin_audit_log … SELECT … FROM w) SELECT * FROM w`: the entry
    exists only when the row was written (no row, a conflict: no entry), and the save spends no round trip
    of its own on it. Its values are bound as `Joined.params` names them (a_<column>), JSON parts as the
    text to store; row_key is built from the returned key, as `record` builds it from the result.
    """
    assert isinstance(stmt, sa.Update | sa.Delete)
    w = stmt.cte("w")

    def value(col: sa.Column[Any]) -> sa.ColumnElement[Any]:
        if col.name == "row_key":
            named = ((sa.bindparam(f"a_key_{i}", n, type_=sa.Text), w.c[n]) for i, n in enumerate(keys))
            return sa.func.jsonb_build_object(*(x for pair in named for x in pair))
        if col.name in JSON_PARTS:
            return sa.cast(sa.bindparam(f"a_{col.name}", type_=sa.Text), JSONB)
        return sa.bindparam(f"a_{col.name}", type_=col.type)

    cols = [c for c in table.columns if c.name != "id"]
    entry = sa.select(*(value(c) for c in cols)).select_from(w)
    written = table.insert().from_select([c.name for c in cols], entry).cte("e")
    return sa.select(*w.c).add_cte(written)


def write_with_entry(
    conn: sa.Connection, stmt: sa.Executable, keys: tuple[str, ...], params: dict[str, Any], joined: Joined
) -> Sequence[sa.Row[Any]]:
    """Run one row's UPDATE or DELETE … RETURNING (its values `params`) with `joined`'s entry (`with_entry`):
    the rows it returns; `joined.written` if it wrote the row, and so the entry.

    Given to the driver as compiled once, through the same engine events (statement hooks, slow log,
    driver errors), without SQLAlchemy's per-execute work on the larger statement (its cache key, the
    parameters' processing): what the entry adds to the save is then mostly the server's INSERT. A
    statement with a parameter SQLAlchemy fills in itself (an onupdate time such as updated_at: most world
    and commerce tables) goes through SQLAlchemy, which fills it, still with its entry in one statement.
    """
    direct = _with_entry_sql(conn.dialect, stmt, joined.table, keys)
    if direct is None:
        rows = conn.execute(with_entry(stmt, joined.table, keys), {**params, **joined.params}).all()
    else:
        sql, binds = direct
        given = {**params, **joined.params}
        values = {
            n: fixed if n not in given else given[n] if p is None else p(given[n]) for n, p, fixed in binds
        }
        rows = conn.exec_driver_sql(sql, values).all()
    joined.written = bool(rows)
    return rows


#: The parameters of a statement `_with_entry_sql` gives the driver: the row's (writes._bound_statement)
#: and the entry's (`with_entry`); any other is one SQLAlchemy fills in at execution.
_OURS = ("k_", "v_", "o_", "a_", "ver_old")


@functools.lru_cache(maxsize=512)
def _with_entry_sql(
    dialect: sa.Dialect, stmt: sa.Executable, table: sa.Table, keys: tuple[str, ...]
) -> tuple[str, tuple[_Bind, ...]] | None:
    """`with_entry` compiled for the driver: its SQL and each named parameter's bind processor (or, for the
    statement's own constants, its value already processed); None where a parameter is not one of ours
    (an onupdate default), the rows it returns need SQLAlchemy's result processing, or a parameter's name
    its escaping."""
    selected = with_entry(stmt, table, keys)
    if dialect.positional or any(
        c.type.dialect_impl(dialect).result_processor(dialect, None) is not None
        for c in selected.selected_columns
    ):
        return None
    compiled = selected.compile(dialect=dialect)
    if not isinstance(compiled, SQLCompiler) or compiled.escaped_bind_names:
        return None
    binds: list[_Bind] = []
    for name in compiled.bind_names.values():
        if not name.startswith(_OURS):
            return None
        bound = compiled.binds[name]
        process = _processor(dialect, bound)
        fixed = None if bound.value is None or process is None else process(bound.value)
        binds.append((name, process, bound.value if process is None else fixed))
    return compiled.string, tuple(binds)


#: Saves of at least this many changes build their entries with the cyclic garbage collector paused.
PAUSE_FROM = 1000


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a large save's entries are built, if it is running.

    The entries are dicts and tuples without cycles, a few per row; their allocations trigger collections
    that each walk the whole batch (the save's changes and results), which cost about a third of recording
    10,000 edits. Nothing cyclic is freed later than it would be otherwise; the collector resumes after.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


#: The columns every entry of one save shares, in the order `Trail._common` gives them.
COMMON = ("at", "os_user", "profile", "reason", "save_id")
#: The columns of an entry that differ between the rows of one save, in the order `record` builds them.
PER_ROW = ("entity", "row_key", "action", "before_json", "after_json", "reverts")


def _insert(
    conn: sa.Connection, table: sa.Table, common: tuple[Any, ...], rows: list[tuple[Any, ...]]
) -> None:
    """INSERT the entries as one JSON document per chunk (SQLite, PostgreSQL), else by executemany."""
    backend = conn.dialect.name
    if len(rows) == 1 and backend == "sqlite":
        # One entry (the usual single-row save): plain VALUES costs SQLite half what json_each does.
        sql, plan = _one_statement(conn.dialect, table)
        one = (*common, *rows[0])
        _on_driver(conn, sql, tuple([one[i] if p is None else p(one[i]) for i, p in plan]))
        return
    shared = dict(zip(COMMON, common, strict=True))
    if backend not in ("sqlite", "postgresql"):
        conn.execute(table.insert(), [{**shared, **dict(zip(PER_ROW, r, strict=True))} for r in rows])
        return
    positional = conn.dialect.positional
    sql, binds = _driver_statement(conn.dialect, table)
    for start in range(0, len(rows), JSON_CHUNK):
        given = {**shared, "entries": json.dumps(rows[start : start + JSON_CHUNK])}
        values = [
            (n, fixed if n not in given else given[n] if p is None else p(given[n])) for n, p, fixed in binds
        ]
        conn.exec_driver_sql(sql, tuple(v for _, v in values) if positional else dict(values))


def _on_driver(conn: sa.Connection, sql: str, params: tuple[Any, ...]) -> None:
    """Run one statement on the transaction's driver cursor, as SQLAlchemy's execute would run it.

    The same engine events (statement hooks before and after, the slow log's timing of the dialect's
    execute) and the same typed errors, without the execution context and result SQLAlchemy builds per
    statement: about a third of what one audit entry costs under the save's write lock.
    """
    if conn.dialect.dispatch.do_execute:  # a dialect-level hook: SQLAlchemy's own path runs it
        conn.exec_driver_sql(sql, params)
        return
    # The engine's listeners (with those on sa.Engine): a save's connection is its own, which no one listens
    # to alone. Asking the connection's dispatch (it joins the engine's) builds its listener collections
    # for each new connection, which cost a one-row save about a tenth of its audit entry.
    events = conn.engine.dispatch
    hooked = bool(events.before_cursor_execute or events.after_cursor_execute)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if hooked:
            for before in events.before_cursor_execute:  # as SQLAlchemy calls them, without a context
                sql, params = before(conn, cursor, sql, params, None, False)
        try:
            conn.dialect.do_execute(cursor, sql, params, None)
        except Exception as exc:  # the driver's own error class
            typed = translate(exc, where_of(conn.engine.url))
            if typed is not None:
                raise typed from exc
            raise sa.exc.DBAPIError.instance(
                sql, params, exc, conn.dialect.loaded_dbapi.Error, hide_parameters=True, dialect=conn.dialect
            ) from exc
        if hooked:
            events.after_cursor_execute(conn, cursor, sql, params, None, False)
    finally:
        cursor.close()


#: The per-row parts stored as JSON text.
JSON_PARTS = frozenset({"row_key", "before_json", "after_json"})
#: json.dumps(value, separators=(",", ":")) without building an encoder per call (it does, given options).
_MINIFIED = json.JSONEncoder(separators=(",", ":"))
#: Values orjson spells as json does (floats are not: 1e16 is "1e16" there, "1e+16" here).
_ORJSON_AS_JSON = frozenset({str, int, bool, type(None)})


def _json_text(value: Any) -> str | None:
    """A JSON part as SQLite's json_extract leaves it (minified); None stays SQL NULL.

    The usual part (a key, an edit's fields: a flat object of text, numbers without a fraction, booleans)
    goes through orjson, a tenth of json's cost, when its text is what json would write: ASCII without DEL
    (json writes both as \\u escapes). Anything else, or what orjson refuses (a 65-bit integer), is json's.
    """
    if value is None:
        return None
    if type(value) is dict and _ORJSON_AS_JSON.issuperset(map(type, value.values())):  # no generator per call
        try:
            text = orjson.dumps(value)
        except TypeError:  # orjson.JSONEncodeError: a key that is not text, an integer past 64 bits
            return _MINIFIED.encode(value)
        if text.isascii() and b"\x7f" not in text:
            return text.decode()
    return _MINIFIED.encode(value)


_Bind = tuple[str, Callable[[Any], Any] | None, Any]


def _processor(dialect: sa.Dialect, bound: sa.BindParameter[Any]) -> Callable[[Any], Any] | None:
    """The bind processor of a compiled parameter's type (the public TypeEngine.bind_processor)."""
    return bound.type.dialect_impl(dialect).bind_processor(dialect)


@functools.lru_cache(maxsize=16)
def _driver_statement(dialect: sa.Dialect, table: sa.Table) -> tuple[str, tuple[_Bind, ...]]:
    """_from_json compiled once for the driver: its SQL and each parameter's name, bind processor and, for
    the statement's own constants (the JSON paths), the value already processed.

    Given to the driver as compiled, through the same engine events (slow log, driver errors): the same SQL
    and the same stored values, without SQLAlchemy's per-execute work (cache key, parameter processing).
    """
    compiled = _from_json(table, dialect.name).compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)  # an INSERT compiles with the dialect's SQL compiler
    names = compiled.positiontup if dialect.positional else list(compiled.bind_names.values())
    binds: list[_Bind] = []
    for name in names or ():
        bound = compiled.binds[name]
        process = _processor(dialect, bound)
        fixed = None if bound.value is None or process is None else process(bound.value)
        binds.append((name, process, bound.value if process is None else fixed))
    return compiled.string, tuple(binds)


_Step = tuple[int, Callable[[Any], Any] | None]


@functools.lru_cache(maxsize=16)
def _one_statement(dialect: sa.Dialect, table: sa.Table) -> tuple[str, tuple[_Step, ...]]:
    """_one_entry compiled once for a positional driver (SQLite's): its SQL and, per parameter in order,
    where its value is in `common + row` and how it is processed (a JSON part: minified text first).

    For one entry SQLAlchemy's execute of the statement (cache key, parameter processing, result setup)
    costs about as much as the driver's run of it, and a save of one row is the one a person waits for.
    """
    assert dialect.positional  # only SQLite's qmark driver takes this path
    compiled = _one_entry(table).compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler) and compiled.positiontup is not None
    place = {n: i for i, n in enumerate(COMMON + PER_ROW)}
    steps: list[_Step] = []
    for name in compiled.positiontup:
        process = _processor(dialect, compiled.binds[name])
        if name in JSON_PARTS:
            process = _json_text if process is None else _then(_json_text, process)
        elif name == "at" and process is not None and _spells_as_iso(process):
            process = _iso_utc
        steps.append((place[name], process))
    return compiled.string, tuple(steps)


#: The one-entry INSERT's parameters in compiled order (every column but id), as `_record_one` gives them.
_ONE_ORDER = (
    "at",
    "os_user",
    "profile",
    "entity",
    "row_key",
    "action",
    "before_json",
    "after_json",
    "reason",
    "save_id",
    "reverts",
)


@functools.lru_cache(maxsize=16)
def _one_direct(dialect: sa.Dialect, table: sa.Table) -> str | None:
    """The one-entry INSERT's SQL if `_record_one`'s spelling of its values is what `_one_statement`'s plan
    makes of them: parameters in _ONE_ORDER, the time as `_iso_utc`, JSON parts as `_json_text`, the save
    id as its hex, the rest as given. None otherwise (another column order or type): the plan's way."""
    sql, plan = _one_statement(dialect, table)
    names = COMMON + PER_ROW
    if tuple(names[i] for i, _ in plan) != _ONE_ORDER:
        return None
    process = {names[i]: p for i, p in plan}
    sample = uuid.UUID(int=0x3F6AB86E6D4A42A9830BC2DEF813E78D)
    save = process.pop("save_id")
    if save is None or save(sample) != sample.hex or process.pop("at") is not _iso_utc:
        return None
    as_given = all(process[n] is (_json_text if n in JSON_PARTS else None) for n in process)
    return sql if as_given else None


def _iso_utc_now() -> str:
    """Now as `_iso_utc` spells it: naive UTC ISO text (now in UTC needs no conversion)."""
    return dt.datetime.now(dt.UTC).isoformat(" ", "microseconds")[:-6]


def _iso_utc(value: dt.datetime) -> str:
    """An entry's time as naive UTC ISO text: what the column's processor writes on SQLite, in half its time
    (`_one_statement` uses it only where `_spells_as_iso` found the two alike)."""
    return value.astimezone(dt.UTC).isoformat(" ", "microseconds")[:-6]  # without "+00:00": no replace()


#: Times whose spelling the column's processor and `_iso_utc` must agree on (whole seconds, other zones).
_SAMPLE_TIMES = (
    dt.datetime(2026, 12, 3, 11, 56, 56, 294786, tzinfo=dt.UTC),
    dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    dt.datetime(2026, 6, 30, 23, 59, 59, 999999, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
)


def _spells_as_iso(process: Callable[[Any], Any]) -> bool:
    """Whether the column's processor writes a time as `_iso_utc` does."""
    return all(process(t) == _iso_utc(t) for t in _SAMPLE_TIMES)


def _then(first: Callable[[Any], Any], second: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: second(first(value))


def _one_entry(table: sa.Table) -> sa.Insert:
    """INSERT … VALUES of one entry, with its JSON parts bound as the text to store."""
    cols = [c for c in table.columns if c.name != "id"]
    return table.insert().values(
        {c.name: sa.bindparam(c.name, type_=sa.Text() if c.name in JSON_PARTS else c.type) for c in cols}
    )


#: Entries per INSERT … SELECT from one JSON document (a few MB of JSON at most).
JSON_CHUNK = 5000


@functools.lru_cache(maxsize=16)
def _from_json(table: sa.Table, backend: str) -> sa.Insert:
    """INSERT … SELECT of the entries of one JSON array, one element per entry.

    The database's own JSON functions split the document (SQLite's json_each, PostgreSQL's
    jsonb_array_elements): one statement and one json.dumps for a chunk instead of three per entry and a
    parameter set each, which halves the cost of recording a large save. JSON null becomes SQL NULL.
    """
    place = {n: i for i, n in enumerate(PER_ROW)}
    if backend == "postgresql":
        entries = sa.cast(sa.bindparam("entries", type_=sa.Text), JSONB)
        source: Any = sa.func.jsonb_array_elements(entries).table_valued("value")
        element = sa.type_coerce(source.c.value, JSONB)

        def part(name: str, col: sa.Column[Any]) -> sa.ColumnElement[Any]:
            item = element[place[name]]
            if name in ("row_key", "before_json", "after_json"):
                return sa.func.nullif(item, sa.cast(sa.literal("null"), JSONB))
            return sa.cast(item.astext, col.type)

    else:
        source = sa.func.json_each(sa.bindparam("entries", type_=sa.Text)).table_valued("value")

        def part(name: str, col: sa.Column[Any]) -> sa.ColumnElement[Any]:
            return sa.func.json_extract(source.c.value, f"$[{place[name]}]")

    cols = [c for c in table.columns if c.name != "id"]
    values = [part(c.name, c) if c.name in place else sa.bindparam(c.name, type_=c.type) for c in cols]
    return table.insert().from_select([c.name for c in cols], sa.select(*values).select_from(source))


def _update_fields(
    ent: Entity, ch: Update, stored: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Before and after of the fields an update changed (all it set, if it set each to what it was);
    None when it set nothing but the version counter. Runs per updated row: the plain cases inline."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    original, loaded_as_is, version = ch.original, ch.checked, ent.version_column
    for name, new in ch.values.items():
        if name == version:
            continue
        if name in loaded_as_is and name in original:
            old = original[name]  # read from the database by the editor: typed already
        else:
            old = _loaded(ent, ch, name, stored or {})
        if not same_value(old, new):
            before[name] = old if type(old) in _AS_IS else plain(old)
            after[name] = new if type(new) in _AS_IS else plain(new)
    if after:
        return before, after
    names = [n for n in ch.values if n != version]
    if not names:
        return None
    # Every value set to what it was: the write happened all the same, so the entry says what it set.
    return (
        {n: plain(_loaded(ent, ch, n, stored or {})) for n in names},
        {n: plain(ch.values[n]) for n in names},
    )


def _delete_fields(ent: Entity, ch: Delete, stored: dict[str, Any] | None) -> tuple[dict[str, Any], None]:
    """Before of a deleted row: every column, as loaded or as read by `before`."""
    row = {**ch.original, **(stored or {})}
    return {c.name: plain(row[c.name]) for c in ent.table.columns if c.name in row}, None


def _loaded(ent: Entity, ch: Update, name: str, stored: dict[str, Any]) -> Any:
    """An edited column's value before the save: as the editor loaded it, else as read by `before`."""
    if name in ch.checked and name in ch.original:
        return ch.original[name]  # read from the database by the editor: typed already
    if name not in ch.original:
        return stored.get(name)
    value = ch.original[name]
    if value is None:
        return value  # read from the database by the editor: typed already
    try:
        return coerce_for(ent, name, value)  # given as text (the CLI): read as the conflict check reads it
    except ValidationError:
        return value


def _key_of(ent: Entity, ch: Update | Delete) -> tuple[Any, ...]:
    return tuple(ch.key.get(n) for n in ent.primary_key)


def _rows_by_key(
    conn: sa.Connection, ent: Entity, changes: Iterable[Change]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The stored rows of these changes by key, every column, one SELECT per chunk."""
    keyed = [ch for ch in changes if isinstance(ch, Update | Delete)]
    names = [c.name for c in ent.table.columns]
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for start in range(0, len(keyed), READ_CHUNK):
        chunk = keyed[start : start + READ_CHUNK]
        where = sa.or_(*(key_predicate(ent, ch.key) for ch in chunk))
        for row in conn.execute(sa.select(*ent.table.columns).where(where)):
            values = dict(zip(names, row, strict=True))
            out[tuple(values[n] for n in ent.primary_key)] = values
    return out
