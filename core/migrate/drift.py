"""Drift: Alembic autogenerate's comparison of the models with the live database, in words, with the SQL
that would fix each difference; plus enum values, which autogenerate does not compare (alembic#469)."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import produce_migrations
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.operations import ops as alembic_ops
from sqlalchemy.exc import SQLAlchemyError

import migrations as _env
from core.engine.db import Database
from core.schema import sqlite_tables

log = logging.getLogger("warden.migrate.drift")

#: Operations SQLite cannot ALTER in place: their fix is a batch rebuild of the table.
_SQLITE_REBUILD = (
    alembic_ops.AlterColumnOp,
    alembic_ops.DropColumnOp,
    alembic_ops.AddConstraintOp,
    alembic_ops.DropConstraintOp,
)


@dataclass(frozen=True)
class DriftItem:
    """One difference between the models and the database: what it is in words, and the SQL to fix it."""

    kind: str  # Alembic's diff name: add_table, remove_column, modify_type, enum_values…
    table: str | None
    column: str | None
    words: str
    fix_sql: str


def drift(db: Database) -> list[str]:
    """Differences between the database and the reference models, one line each."""
    return [item.words for item in drift_report(db)]


def skipped_tables(db: Database) -> set[str]:
    """SQLite virtual tables and their shadow tables: never in the models, and reflection cannot read them."""
    if db.backend != "sqlite":
        return set()
    virtual = sqlite_tables.virtual_tables(db)
    names = sa.inspect(db.engine).get_table_names()
    return set(virtual) | sqlite_tables.shadow_tables(db, names, virtual)


def drift_report(db: Database, metadata: sa.MetaData | None = None) -> list[DriftItem]:
    """Every difference between `metadata` (default: the reference models) and the live database."""
    skipped = skipped_tables(db)
    with db.engine.connect() as conn:
        opts = _env.context_options(db.backend, skipped)
        if metadata is not None:
            opts["target_metadata"] = metadata
        ctx = MigrationContext.configure(conn, opts=opts)
        target = opts["target_metadata"]
        upgrade_ops = produce_migrations(ctx, target).upgrade_ops
        found = upgrade_ops.ops if upgrade_ops is not None else []
        items = [_item(conn, db.backend, op) for op in _flatten(found)]
        items += enum_drift(conn, target, skipped)
    return items


def _flatten(found: list[Any]) -> list[Any]:
    """Table-level operations, with those grouped per table (ModifyTableOps) taken out of their group."""
    flat = []
    for op in found:
        if isinstance(op, alembic_ops.ModifyTableOps | alembic_ops.AlterColumnOp) and hasattr(op, "ops"):
            flat.extend(_flatten(op.ops))
        else:
            flat.append(op)
    return flat


def _item(conn: sa.Connection, dialect: str, op: Any) -> DriftItem:
    diff = op.to_diff_tuple()
    first = diff[0] if isinstance(diff, list) else diff
    table, column = _names(first)
    return DriftItem(
        kind=str(first[0]),
        table=table,
        column=column,
        words=describe(diff, conn.dialect),
        fix_sql=fix_sql(conn, dialect, op),
    )


def _names(diff: tuple[Any, ...]) -> tuple[str | None, str | None]:
    kind = diff[0]
    if kind in ("add_table", "remove_table"):
        return diff[1].name, None
    if kind in ("add_column", "remove_column"):
        return diff[2], diff[3].name
    if kind.startswith("modify_"):
        return diff[2], diff[3]
    obj = diff[1]
    table = getattr(obj, "table", None)
    return (getattr(table, "name", None), None)


def _type(type_: Any, dialect: sa.Dialect) -> str:
    """A type as the database writes it (VARCHAR(100), VECTOR(384)), or its class name if it cannot."""
    try:
        return str(type_.compile(dialect=dialect))
    except Exception:  # a type this dialect cannot compile (e.g. a reflected NullType)
        return type(type_).__name__.upper()


def describe(diff: Any, dialect: sa.Dialect) -> str:
    """An autogenerate difference in words: "missing table x", "type differs: t.c VARCHAR(100) vs TEXT"."""
    first = diff[0] if isinstance(diff, list) else diff
    kind = first[0]
    if kind == "add_table":
        return f"missing table {first[1].name}"
    if kind == "remove_table":
        return f"extra table {first[1].name}"
    if kind == "add_column":
        return f"missing column {first[2]}.{first[3].name}"
    if kind == "remove_column":
        return f"extra column {first[2]}.{first[3].name}"
    if kind == "modify_type":
        _, _, table, col, _kw, db_type, model_type = first
        have, want = _type(db_type, dialect), _type(model_type, dialect)
        return f"type differs: {table}.{col} is {have} in the database, {want} in the models"
    if kind == "modify_nullable":
        _, _, table, col, _kw, db_null, model_null = first
        words = {True: "NULL", False: "NOT NULL"}
        have, want = words[db_null], words[model_null]
        return f"nullable differs: {table}.{col} is {have} in the database, {want} in the models"
    if kind == "modify_default":
        return f"default differs: {first[2]}.{first[3]}"
    if kind == "modify_comment":
        return f"comment differs: {first[2]}.{first[3]}"
    if kind in ("add_index", "remove_index"):
        index = first[1]
        where = "missing" if kind == "add_index" else "extra"
        return f"{where} index {index.name} on {index.table.name}"
    if kind in ("add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        const = first[1]
        where = "missing" if kind.startswith("add") else "extra"
        what = "foreign key" if kind.endswith("fk") else "constraint"
        return f"{where} {what} {const.name or '(unnamed)'} on {const.table.name}"
    return f"{kind}: " + ", ".join(str(part) for part in first[1:] if part is not None)


def fix_sql(conn: sa.Connection, dialect: str, op: Any) -> str:
    """The SQL that would make the database match the models for this one operation (offline, literal)."""
    out = io.StringIO()
    ctx = MigrationContext.configure(
        dialect_name=dialect, opts={"as_sql": True, "output_buffer": out, "literal_binds": True}
    )
    operations = Operations(ctx)
    try:
        if dialect == "sqlite" and isinstance(op, _SQLITE_REBUILD):
            # SQLite cannot ALTER these: the fix is Alembic's batch rebuild, from the table as it is now.
            found: Any = op
            name = str(getattr(found, "table_name", None) or found.to_constraint().table.name)
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            with operations.batch_alter_table(name, copy_from=table, recreate="always") as batch:
                batch.invoke(op)
        else:
            operations.invoke(op)
    except (NotImplementedError, SQLAlchemyError, ValueError, KeyError) as exc:
        log.info("no fix SQL for %s: %s", type(op).__name__, type(exc).__name__)
        return ""
    return out.getvalue().strip()


# --- enums (alembic#469) ----------------------------------------------------------------------------


_QUOTED = re.compile(r"'((?:[^']|'')*)'")


def enum_drift(conn: sa.Connection, metadata: sa.MetaData, skipped: set[str]) -> list[DriftItem]:
    """Enum columns whose allowed values differ between the models and the database."""
    inspector = sa.inspect(conn)
    present = set(inspector.get_table_names()) - skipped
    native = _native_enums(conn) if conn.dialect.name == "postgresql" else {}
    found = []
    for table in metadata.sorted_tables:
        if table.name not in present:
            continue
        checks: list[Any] | None = None
        for col in table.columns:
            if not isinstance(col.type, sa.Enum):
                continue
            wanted = list(col.type.enums)
            if col.type.native_enum and conn.dialect.name == "postgresql":
                have = native.get(col.type.name or "")
                if have is not None and have != wanted:
                    found.append(
                        _enum_item(table.name, col.name, have, wanted, _alter_type_sql(col.type, have))
                    )
                continue
            if not col.type.create_constraint:
                continue
            if checks is None:
                checks = inspector.get_check_constraints(table.name)
            have = _check_values(list(checks), col.name)
            if have is not None and sorted(have) != sorted(wanted):
                found.append(_enum_item(table.name, col.name, have, wanted, ""))
    return found


def _enum_item(table: str, column: str, have: list[str], wanted: list[str], sql: str) -> DriftItem:
    extra = [v for v in have if v not in wanted]
    missing = [v for v in wanted if v not in have]
    parts = []
    if missing:
        parts.append(f"{len(missing)} value(s) missing in the database")
    if extra:
        parts.append(f"{len(extra)} value(s) the models do not have")
    words = f"enum values differ: {table}.{column}: " + ", ".join(parts or ["order differs"])
    return DriftItem("enum_values", table, column, words, sql)


def _native_enums(conn: sa.Connection) -> dict[str, list[str]]:
    rows = conn.exec_driver_sql(
        "select t.typname, e.enumlabel from pg_type t join pg_enum e on e.enumtypid = t.oid "
        "order by t.typname, e.enumsortorder"
    ).all()
    found: dict[str, list[str]] = {}
    for name, label in rows:
        found.setdefault(str(name), []).append(str(label))
    return found


def _alter_type_sql(type_: sa.Enum, have: list[str]) -> str:
    missing = [v for v in type_.enums if v not in have]
    return "\n".join(
        f"ALTER TYPE {type_.name} ADD VALUE '{v.replace(chr(39), chr(39) * 2)}';" for v in missing
    )


def _check_values(checks: list[Any], column: str) -> list[str] | None:
    """The values a reflected `CHECK (column IN (...))` allows, or None when there is none for the column."""
    pattern = re.compile(rf"\b{re.escape(column)}\b[\"'`\]]?\s*(?:::\w+\s*)?\)?\s*IN\s*\(", re.I)
    for check in checks:
        text = str(check.get("sqltext") or "")
        if pattern.search(text) or (f"{column}" in text and "ANY (ARRAY" in text.upper()):
            return [v.replace("''", "'") for v in _QUOTED.findall(text)]
    return None
