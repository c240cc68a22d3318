"""Destructive-change lint: what each revision an upgrade would apply (or a downgrade would undo) can lose.

How: the revision's own upgrade() or downgrade() runs against Alembic's `Operations`, on a
MigrationContext whose `impl` (the object every operation ends in) records the call instead of executing
it, on a live connection inside a transaction that is always rolled back. Why not the alternatives:
offline mode (`as_sql`) only yields SQL text to re-parse, and cannot run a SQLite batch rebuild without the
live table; autogenerate's `produce_migrations` compares models with a database, it never sees what a
revision script does. Recording the calls gives the operations as objects (tables, columns, types), the
live connection lets the lint count the rows each would touch, and a SQLite batch rebuild goes through the
same recorder (`create_table("_alembic_tmp_x")`), so what it would leave behind is compared with the table
as it is. A revision that reads the database (`op.get_bind()`) sees it as it is now, not as the revisions
before it would leave it; rows of tables those create are not counted.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from core.engine.db import Database
from core.errors import WardenError
from core.migrate.scripts import check_known, is_below, plan, resolve, script_directory
from core.migrate.status import current

log = logging.getLogger("warden.migrate.lint")

#: The name Alembic's batch mode gives the new table while it rebuilds one on SQLite.
TEMP_PREFIX = "_alembic_tmp_"
#: Statements a revision may run as text that can lose rows; the lint cannot see which.
RISKY_SQL = re.compile(r"^\s*(DELETE|DROP|TRUNCATE|UPDATE|ALTER|REPLACE)\b", re.I)
_INT_BYTES = {"SmallInteger": 2, "Integer": 4, "BigInteger": 8}


@dataclass(frozen=True)
class Finding:
    """One change that can lose data or fail on existing rows; `rows` is how many rows it touches."""

    kind: str  # drop_table, drop_column, narrow_type, not_null, drop_index, drop_constraint, rebuild, sql
    table: str | None
    column: str | None
    words: str
    rows: int | None = None  # None: not counted (the table does not exist yet, or nothing to count)
    loses_data: bool = True
    blocks: bool = False  # the revision cannot run as written (a SQLite rebuild under a view): refused


@dataclass(frozen=True)
class RevisionLint:
    """The findings for one revision run in one direction; `error` when its script could not be read."""

    revision: str
    message: str
    verb: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None

    @property
    def destructive(self) -> bool:
        """True when running it needs one more confirmation."""
        return bool(self.findings) or self.error is not None


def lint(
    db: Database,
    target: str = "heads",
    *,
    scripts: Path | None = None,
    from_revision: str | None = None,
    verb: str | None = None,
) -> list[RevisionLint]:
    """Lint each revision between the database's revision (or `from_revision`) and `target`, in the order
    they would run: upgrades when `target` is above, the downgrades undone when below (or as `verb` says).
    `target` may be a range "FROM:TO"."""
    if ":" in target:
        start, target = target.split(":", 1)
        from_revision = start or "base"
        target = target or "heads"
    script = script_directory(scripts)
    if from_revision is None:
        before = current(db)
        check_known(script, before)
    else:
        before = [str(resolve(script, r)) for r in from_revision.split(",") if r and r != "base"]
    if verb is None:
        down = bool(before) and target not in ("head", "heads") and is_below(script, target, ",".join(before))
        verb = "downgrade" if down else "upgrade"
    revisions = plan(script, verb, target, before)
    with db.engine.connect() as conn:
        return [_lint_one(conn, script, rev, verb) for rev in revisions]


def _lint_one(conn: sa.Connection, script: Any, rev: str, verb: str) -> RevisionLint:
    found = script.get_revision(rev)
    message = (found.doc or "").strip()
    recorder = _Recorder(conn)
    error = None
    trans = conn.begin()
    try:
        ctx = MigrationContext.configure(connection=conn)
        recorder.wrap(ctx)
        with Operations.context(ctx), warnings.catch_warnings():
            # Reflecting a table for a batch rebuild warns about an expression index it skips: the lint
            # reports that index itself.
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            getattr(found.module, verb)()
    except Exception as exc:  # the script raised: what it did before is still linted
        lines = str(exc).strip().splitlines()
        error = f"its {verb}() raised {type(exc).__name__}" + (f": {lines[0]}" if lines else "")
        log.info("lint of %s stopped: %s", rev, type(exc).__name__)
    finally:
        trans.rollback()
    return RevisionLint(rev, message, verb, recorder.findings, error)


class _Recorder:
    """Stands in for Alembic's DDL impl: every operation is noted, none is executed."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.findings: list[Finding] = []
        self.rebuilding: set[str] = set()
        self.real: Any = None

    def wrap(self, ctx: MigrationContext) -> None:
        """Put this recorder in place of the context's impl (the real one answers the questions)."""
        self.real = ctx.impl
        ctx.impl = self  # type: ignore[assignment]

    def __getattr__(self, name: str) -> Any:
        if name in _SILENT:
            return _ignore
        return getattr(self.real, name)

    @property
    def __dialect__(self) -> str:
        # Alembic dispatches each operation on the impl's dialect name.
        return str(self.real.__dialect__)

    # --- the operations that can lose something --------------------------------------------------

    def drop_table(self, table: sa.Table, **_kw: Any) -> None:
        if table.name in self.rebuilding:
            return  # the old table of a batch rebuild: its rows move to the new one
        rows = self.count(table.name)
        self.add("drop_table", table.name, None, f"drops table {table.name}{_rows(rows, 'hold data')}", rows)

    def drop_column(self, table_name: str, column: sa.Column[Any], **_kw: Any) -> None:
        self._dropped_column(table_name, column.name)

    def alter_column(self, table_name: str, column_name: str, **kw: Any) -> None:
        new_type, old_type = kw.get("type_"), kw.get("existing_type")
        if new_type is not None:
            old_type = old_type if old_type is not None else self.column_type(table_name, column_name)
            self._type_change(table_name, column_name, old_type, new_type)
        if kw.get("nullable") is False and kw.get("existing_nullable") is not False:
            self._not_null(table_name, column_name)

    def add_column(self, table_name: str, column: sa.Column[Any], **_kw: Any) -> None:
        if column.nullable is False and column.server_default is None:
            rows = self.count(table_name)
            if rows != 0:
                words = f"adds NOT NULL column {column.name} to {table_name} without a default"
                self.add("not_null", table_name, column.name, words + _rows(rows, "exist"), rows, loses=False)

    def drop_index(self, index: sa.Index, **_kw: Any) -> None:
        table = index.table.name if index.table is not None else None
        on = f" on {table}" if table else ""
        self.add("drop_index", table, None, f"drops index {index.name}{on}", None, loses=False)

    def drop_constraint(self, const: Any, **_kw: Any) -> None:
        table = getattr(const.table, "name", None)
        self.add(
            "drop_constraint", table, None, f"drops constraint {const.name} on {table}", None, loses=False
        )

    def execute(self, sql: Any, *_a: Any, **_kw: Any) -> None:
        text = str(sql) if not isinstance(sql, str) else sql
        m = RISKY_SQL.match(text)
        if m:
            verb = m.group(1).upper()
            words = f"runs a {verb} statement; the lint cannot tell what it changes"
            self.add("sql", None, None, words, None, loses=verb in ("DELETE", "DROP", "TRUNCATE", "UPDATE"))

    def create_table(self, table: sa.Table, **_kw: Any) -> None:
        if table.name.startswith(TEMP_PREFIX):
            self._rebuild(table.name[len(TEMP_PREFIX) :], table)

    # --- what the findings say -------------------------------------------------------------------

    def _dropped_column(self, table: str, column: str) -> None:
        rows = self.count(table, sa.column(column).is_not(None))
        self.add(
            "drop_column",
            table,
            column,
            f"drops column {column} from {table}{_rows(rows, 'hold a value')}",
            rows,
        )

    def _type_change(self, table: str, column: str, old: Any, new: Any) -> None:
        narrowed = narrowing(old, new)
        if narrowed is None:
            return
        length = getattr(new, "length", None)
        if length is not None and isinstance(new, sa.String):
            rows = self.count(table, sa.func.length(sa.column(column)) > length)
            tail = _rows(rows, "hold a longer value")
        else:
            rows = self.count(table, sa.column(column).is_not(None))
            tail = _rows(rows, "hold a value")
        self.add("narrow_type", table, column, f"narrows {table}.{column}: {narrowed}{tail}", rows)

    def _not_null(self, table: str, column: str) -> None:
        rows = self.count(table, sa.column(column).is_(None))
        if rows != 0:
            words = f"makes {table}.{column} NOT NULL{_rows(rows, 'have no value')}"
            self.add("not_null", table, column, words, rows, loses=False)

    def _rebuild(self, name: str, new: sa.Table) -> None:
        """A SQLite batch rebuild of `name`: what the new table lacks, and what dropping the old one takes."""
        self.rebuilding.add(name)
        try:
            inspector = sa.inspect(self.conn)
            old_columns = {c["name"]: c for c in inspector.get_columns(name)}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", sa.exc.SAWarning)
                reflected_indexes = {i["name"] for i in inspector.get_indexes(name)}
        except SQLAlchemyError:
            return
        for col, info in old_columns.items():
            if col not in new.c:
                self._dropped_column(name, col)
                continue
            self._type_change(name, col, info["type"], new.c[col].type)
            if info["nullable"] and not new.c[col].nullable and not new.c[col].primary_key:
                self._not_null(name, col)
        objects = self.conn.exec_driver_sql(
            "select type, name, tbl_name, sql from sqlite_master where type in ('trigger', 'view', 'index')"
        ).all()
        word = re.compile(rf"\b{re.escape(name)}\b", re.I)
        for kind, obj, tbl, sql in objects:
            if kind == "trigger" and tbl == name:
                words = (
                    f"rebuilds table {name}, which drops its trigger {obj} (batch mode does not recreate it)"
                )
                self.add("rebuild", name, None, words, None)
            elif kind == "view" and word.search(sql or ""):
                words = (
                    f"rebuilds table {name}, which view {obj} depends on: the rebuild fails while the view "
                    "exists (alembic#1207); drop and recreate the view in the revision"
                )
                self.findings.append(Finding("rebuild_view", name, None, words, None, False, blocks=True))
            elif kind == "index" and tbl == name and sql and obj not in reflected_indexes:
                words = f"rebuilds table {name}, which drops its expression index {obj} (not recreated)"
                self.add("rebuild", name, None, words, None, loses=False)

    def add(
        self,
        kind: str,
        table: str | None,
        column: str | None,
        words: str,
        rows: int | None,
        *,
        loses: bool = True,
    ) -> None:
        """Note one finding."""
        self.findings.append(Finding(kind, table, column, words, rows, loses))

    # --- questions to the live database --------------------------------------------------------

    def count(self, table: str, where: Any = None) -> int | None:
        """Rows of `table` (matching `where`), or None when the table is not there yet or cannot be read."""
        try:
            if not sa.inspect(self.conn).has_table(table):
                return None
            query = sa.select(sa.func.count()).select_from(sa.table(table))
            if where is not None:
                query = query.where(where)
            with self.conn.begin_nested():  # PostgreSQL: a failed count must not end the outer transaction
                return int(self.conn.execute(query).scalar_one())
        except (DBAPIError, WardenError):
            return None

    def column_type(self, table: str, column: str) -> Any:
        """The column's type as the database has it, or None."""
        try:
            for col in sa.inspect(self.conn).get_columns(table):
                if col["name"] == column:
                    return col["type"]
        except SQLAlchemyError:
            pass
        return None


#: Calls a revision or a batch rebuild makes that the lint neither executes nor flags.
_SILENT = frozenset(
    {
        "create_index",
        "add_constraint",
        "rename_table",
        "bulk_insert",
        "create_table_comment",
        "drop_table_comment",
        "create_column_comment",
        "prep_table_for_batch",
        "static_output",
        "_exec",
    }
)


def _ignore(*_a: Any, **_kw: Any) -> None:
    return None


_SINGULAR = {"hold": "holds", "have": "has", "exist": "exists"}


def _rows(rows: int | None, what: str) -> str:
    """ ": 240 rows hold a value" (": 1 row holds a value"); nothing when not counted."""
    if rows is None:
        return ""
    if rows == 1:
        verb, _, rest = what.partition(" ")
        return f": 1 row {_SINGULAR.get(verb, verb)}{' ' + rest if rest else ''}"
    return f": {rows} rows {what}"


def narrowing(old: Any, new: Any) -> str | None:
    """How `new` holds less than `old` ("length 100 to 40", "BIGINT to INTEGER"), or None if it does not."""
    if old is None or new is None:
        return None
    old_len, new_len = getattr(old, "length", None), getattr(new, "length", None)
    if isinstance(old, sa.String) and isinstance(new, sa.String):
        if new_len is not None and (old_len is None or new_len < old_len):
            return f"length {old_len if old_len is not None else 'unlimited'} to {new_len}"
        return None
    old_int, new_int = _int_bytes(old), _int_bytes(new)
    if old_int and new_int:
        return f"{_name(old)} to {_name(new)}" if new_int < old_int else None
    if isinstance(old, sa.Numeric) and isinstance(new, sa.Numeric) and not isinstance(new, sa.Float):
        if isinstance(old, sa.Float):
            return f"{_name(old)} to {_name(new)}"
        op, np_, os_, ns_ = old.precision, new.precision, old.scale, new.scale
        if (np_ is not None and (op is None or np_ < op)) or (ns_ is not None and (os_ is None or ns_ < os_)):
            return f"{_name(old)} to {_name(new)}"
        return None
    if isinstance(new, sa.String) and new_len is None:
        return None  # unlimited text holds any value as text
    if _python_type(old) is not None and _python_type(old) is _python_type(new):
        return None
    return f"{_name(old)} to {_name(new)}"


def _python_type(type_: Any) -> type | None:
    try:
        found = type_.python_type
    except (NotImplementedError, AttributeError):
        return None
    return found if isinstance(found, type) else None


def _int_bytes(type_: Any) -> int:
    for cls in type(type_).__mro__:
        if cls.__name__ in _INT_BYTES and cls.__module__.startswith("sqlalchemy"):
            return _INT_BYTES[cls.__name__]
    return 0


def _name(type_: Any) -> str:
    try:
        return str(type_.compile())
    except Exception:  # a dialect-specific type the default dialect cannot write
        return type(type_).__name__.upper()
