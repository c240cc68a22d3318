"""Alembic environment for the reference schema, plus the autogenerate hooks env.py uses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

#: Prefix of the PostgreSQL-only HNSW indexes created by hand in revisions (not in the models).
HNSW_PREFIX = "hnsw_"
#: Prefix of the PostgreSQL-only full-text GIN expression indexes, likewise made in a revision.
FTS_PREFIX = "fts_"


def script_location() -> Path:
    """The folder holding env.py and versions/, found from this package (works frozen, never the CWD)."""
    return Path(__file__).resolve().parent


def context_options(dialect_name: str, skipped_tables: set[str] | None = None) -> dict[str, Any]:
    """MigrationContext options shared by env.py and core's drift check, so both compare alike."""
    from core.schema.models import metadata

    return {
        "target_metadata": metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        "render_as_batch": dialect_name == "sqlite",
        "compare_type": compare_type,
        "include_object": include_object,
        "include_name": make_include_name(skipped_tables or set()),
        "render_item": render_item,
    }


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Leave PostgreSQL HNSW and full-text indexes out of autogenerate: they live in revisions, not in the
    models."""
    if type_ == "index" and reflected and compare_to is None:
        using = obj.dialect_options["postgresql"].get("using") if obj is not None else None
        if (name or "").startswith((HNSW_PREFIX, FTS_PREFIX)) or using in ("hnsw", "ivfflat"):
            return False
    return True


def make_include_name(skipped_tables: set[str]) -> Any:
    """An include_name hook that skips the given tables (SQLite virtual tables and their shadows)."""

    def include_name(name: str | None, type_: str, _parent_names: Any) -> bool:
        return not (type_ == "table" and name in skipped_tables)

    return include_name


def sqlite_virtual_tables(conn: sa.Connection) -> set[str]:
    """Virtual tables (vec0, fts5) and their shadow tables: reflection cannot read their column types."""
    rows = conn.exec_driver_sql("select name, sql from sqlite_master where type = 'table'").all()
    virtual = {name for name, sql in rows if (sql or "").lstrip().upper().startswith("CREATE VIRTUAL TABLE")}
    return {name for name, _ in rows if name in virtual or any(name.startswith(v + "_") for v in virtual)}


def compare_type(
    _context: Any, _inspected: Any, _metadata_col: Any, inspected_type: Any, metadata_type: Any
) -> bool | None:
    """Compare vectors by dimension where the database knows it; let Alembic decide everything else."""
    from core.types import Vector

    if not isinstance(metadata_type, Vector):
        return None
    dim = getattr(inspected_type, "dim", None)
    if dim is not None:  # pgvector's vector(n)
        return bool(dim != metadata_type.dim)
    # SQLite stores vectors as BLOBs: the dimension is not in the schema, only the storage class is.
    return not isinstance(inspected_type, sa.LargeBinary | sa.types.NullType)


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render Warden's own column types as `core.types.X(...)` and PostgreSQL types as importable code."""
    if type_ != "type":
        return False
    module = type(obj).__module__
    if module == "core.types":
        autogen_context.imports.add("import core.types")
        return f"core.types.{obj!r}"
    if module.startswith("sqlalchemy.dialects.postgresql") and autogen_context.dialect.name != "postgresql":
        # Autogenerating against SQLite leaves nested types bare (`JSONB(astext_type=Text())`): prefix them.
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        head, _, rest = repr(obj).partition("(")
        return f"postgresql.{head}(" + re.sub(r"(?<![\w.])([A-Z]\w*\()", r"sa.\1", rest)
    return False


@contextmanager
def sqlite_migration_mode(conn: sa.Connection) -> Iterator[None]:
    """Foreign keys off and real BEGIN for DDL while migrating a SQLite connection; restored after."""
    # Batch mode drops and recreates tables: with foreign keys on, the drop would cascade to children.
    # The PRAGMA is ignored inside a transaction, so it is set before Alembic begins one.
    conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
    conn.commit()

    def _begin(c: sa.Connection) -> None:
        # sqlite3 only opens transactions before DML; an explicit BEGIN makes DDL roll back too. IMMEDIATE
        # takes the write lock at once, waiting the busy timeout for another writer: a deferred one would
        # read first and then fail at once on its first write (SQLite does not wait to upgrade a reader).
        c.exec_driver_sql("BEGIN IMMEDIATE")

    event.listen(conn, "begin", _begin)
    try:
        yield
    finally:
        event.remove(conn, "begin", _begin)
        conn.rollback()
        conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        conn.commit()


def sqlite_foreign_key_check(ctx: Any, step: Any, **_kw: Any) -> None:
    """Fail a SQLite revision, inside its transaction, if it left rows pointing at nothing."""
    bad = ctx.connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if bad:
        tables = sorted({str(row[0]) for row in bad})
        raise RuntimeError(f"{len(bad)} rows break foreign keys afterwards (tables: {', '.join(tables)})")
