"""Which relations a database has, by name: its user tables and views (no shadow tables, no internals), its
sqlite-vec tables, and which of them are the reference models' own tables.

The listing (core/schema/listing.py) is made of these few queries, so this module loads without the catalog
(numpy, pgvector) and without the models unless a name is one of theirs (core/schema/entity_kinds.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import sqlalchemy as sa

from core.engine.db import Database
from core.schema import pg_tables, sqlite_tables
from core.schema.entity_kinds import REFERENCE_TABLES

VEC0_RE = re.compile(r"create\s+virtual\s+table\s+\"?(\w+)\"?\s+using\s+vec0\s*\((.*)\)\s*$", re.I | re.S)
VEC0_READ_ONLY = "it is a sqlite-vec vec0 virtual table; Warden shows it read-only"


def model_tables(db: Database, names: Iterable[str]) -> set[str]:
    """Those of `names` that are the reference models' tables: a table of the same name whose columns are
    the model's. A database Warden did not create may have its own `orders` or `users`; those are reflected
    like any other table, never described (and queried) as the models' (one query for all of them)."""
    wanted = sorted(n for n in set(names) if n in REFERENCE_TABLES)
    if not wanted:
        return set()
    from core.schema.models import metadata  # loaded only for a database with the reference tables' names

    with db.engine.connect() as conn:
        if db.backend == "postgresql":  # each name as an unqualified name resolves, as the models use it
            rows = conn.execute(
                sa.text(
                    "SELECT n, a.attname FROM unnest(CAST(:names AS text[])) AS n "
                    "JOIN pg_catalog.pg_attribute a ON a.attrelid = to_regclass(quote_ident(n)) "
                    "WHERE a.attnum > 0 AND NOT a.attisdropped"
                ),
                {"names": wanted},
            ).all()
        else:
            marks = ", ".join("?" for _ in wanted)
            rows = conn.exec_driver_sql(
                "SELECT m.name, p.name FROM main.sqlite_master AS m, pragma_table_info(m.name) AS p "
                f"WHERE m.type = 'table' AND m.name IN ({marks})",
                tuple(wanted),
            ).all()
    found: dict[str, set[str]] = {}
    for table, col in rows:
        found.setdefault(str(table), set()).add(str(col))
    return {n for n in wanted if found.get(n) == {c.name for c in metadata.tables[n].columns}}


def table_names(db: Database) -> list[str]:
    """User tables and views, without any virtual table's shadow tables, the reference schema's full-text
    indexes (core/schema/sqlite_tables.py, reference_indexes) or SQLite internals."""
    if db.backend == "postgresql":  # every schema the user can see, partitions under their table
        return [r.entity for r in pg_tables.read_layout(db).entities()]
    with db.engine.connect() as conn:  # tables by name, then views (as SQLAlchemy's inspector lists them)
        rows = conn.exec_driver_sql(
            "SELECT name FROM main.sqlite_master WHERE type IN ('table', 'view') ORDER BY type, name"
        ).all()
    names = [str(name) for (name,) in rows]
    vec0 = vec0_tables(db)
    virtual = sqlite_tables.virtual_tables(db)
    hidden = sqlite_tables.shadow_tables(db, names, virtual) | sqlite_tables.reference_indexes(virtual)
    return [n for n in names if n not in hidden and not n.startswith("sqlite_")] + [
        v for v in vec0 if v not in names
    ]


def vec0_tables(db: Database) -> dict[str, str]:
    """sqlite-vec virtual tables by name, with their column declarations."""
    found = {}
    for name, sql in sqlite_tables.virtual_table_sql(db):
        m = VEC0_RE.match(sql)
        if m:
            found[name] = m.group(2)
    return found
