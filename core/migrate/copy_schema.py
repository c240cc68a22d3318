"""The tables of a copy: which entities are copied, in foreign-key order, and a reflected database's tables
created on PostgreSQL with their types translated (integer keys, JSON text -> jsonb, BLOB vectors ->
pgvector)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from pgvector.sqlalchemy import VECTOR
from sqlalchemy.dialects import postgresql

from core.engine.db import Database
from core.schema.catalog import Catalog, ColumnInfo, Entity, EntityKind
from core.schema.kinds import ColumnKind

#: Tables a copy leaves alone: each side keeps its own migration history.
SKIPPED = {"alembic_version"}


def copied_entities(catalog: Catalog) -> list[Entity]:
    """The source's plain tables (no views or virtual tables), parents before the tables that reference
    them; a cycle keeps its tables next to each other (see `cycles`)."""
    tables = {
        e.name: e for e in catalog.entities.values() if e.kind == EntityKind.TABLE and e.name not in SKIPPED
    }
    order: list[str] = []
    state: dict[str, int] = {}  # 1: being visited, 2: placed

    def visit(name: str) -> None:
        if state.get(name):
            return  # placed, or a cycle back to a table being visited: its rows go in one transaction
        state[name] = 1
        for fk in sorted(tables[name].foreign_keys, key=lambda f: f.target):
            if fk.target in tables and fk.target != name:
                visit(fk.target)
        state[name] = 2
        order.append(name)

    for name in sorted(tables):
        visit(name)
    return [tables[n] for n in order]


def self_referencing(entity: Entity) -> bool:
    """Whether rows of the table reference other rows of it (a parent in a later batch would fail)."""
    return any(fk.target == entity.name for fk in entity.foreign_keys)


def cycles(entities: Iterable[Entity]) -> list[set[str]]:
    """Groups of two or more tables whose foreign keys reference each other in a circle."""
    ents = {e.name: e for e in entities}
    edges = {
        n: {fk.target for fk in e.foreign_keys if fk.target in ents and fk.target != n}
        for n, e in ents.items()
    }
    found: list[set[str]] = []
    for start in ents:
        reach = _reachable(edges, start)
        group = {n for n in reach if start in _reachable(edges, n)} | {start}
        if len(group) > 1 and group not in found:
            found.append(group)
    return found


def _reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(edges[start])
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(edges[n])
    return seen


def written_columns(entity: Entity) -> list[ColumnInfo]:
    """The columns a copy writes: not generated ones, nor SQLite's rowid added as a key."""
    return [c for c in entity.columns if not c.generated and not c.row_id]


def copied_column(target: Entity, name: str) -> bool:
    """Whether the copy writes (and checks) the column of this name: the target has it and does not compute
    it."""
    col = target.columns_by_name.get(name)
    return col is not None and not col.generated


def pg_type(col: ColumnInfo) -> sa.types.TypeEngine[Any]:
    """The PostgreSQL type a reflected column gets (SQLite's integers are 64-bit: bigint)."""
    kind = col.kind
    if kind == ColumnKind.INTEGER:
        return sa.BigInteger()
    if kind == ColumnKind.JSON:
        return postgresql.JSONB()
    if kind == ColumnKind.VECTOR and col.vector_dim:
        return VECTOR(col.vector_dim)
    if kind == ColumnKind.DECIMAL:
        return sa.Numeric(col.precision, col.scale) if col.precision else sa.Numeric()
    if kind == ColumnKind.FLOAT:
        return postgresql.DOUBLE_PRECISION()
    if kind == ColumnKind.BOOLEAN:
        return sa.Boolean()
    if kind == ColumnKind.DATETIME:
        return sa.DateTime()
    if kind == ColumnKind.DATE:
        return sa.Date()
    if kind == ColumnKind.TIME:
        return sa.Time()
    if kind == ColumnKind.UUID:
        return sa.Uuid()
    if kind in (ColumnKind.BINARY, ColumnKind.VECTOR):
        return postgresql.BYTEA()
    if kind == ColumnKind.STRING and col.length:
        return sa.String(col.length)
    return sa.Text()


def create_reflected(target: Database, entities: list[Entity]) -> list[str]:
    """Create on `target` the tables of `entities` it lacks, types translated; the names created."""
    present = set(sa.inspect(target.engine).get_table_names())
    todo = [e for e in entities if e.table_name not in present]
    if not todo:
        return []
    md = sa.MetaData()
    names = {e.name for e in todo}  # a constraint's table must be in the same MetaData to be created
    for ent in todo:
        sole = (
            len(ent.primary_key) == 1 and ent.columns_by_name[ent.primary_key[0]].kind == ColumnKind.INTEGER
        )
        cols: list[Any] = [
            sa.Column(
                c.name,
                pg_type(c),
                primary_key=c.primary_key,
                nullable=c.nullable,
                # SQLite's INTEGER PRIMARY KEY numbers new rows itself: a serial does that on PostgreSQL.
                autoincrement=sole and c.primary_key,
            )
            for c in written_columns(ent)
        ]
        for fk in ent.foreign_keys:
            if fk.target in names:
                cols.append(
                    sa.ForeignKeyConstraint(
                        list(fk.columns),
                        [f"{fk.target}.{c}" for c in fk.target_columns],
                        ondelete=fk.ondelete.value if fk.ondelete else None,
                    )
                )
        sa.Table(ent.table_name, md, *cols)
    target.allow_writes()
    with target.engine.begin() as conn:
        if _needs_vector(todo):
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS vector")
        md.create_all(conn)
    return [e.name for e in todo]


def _needs_vector(entities: list[Entity]) -> bool:
    return any(c.kind == ColumnKind.VECTOR and c.vector_dim for e in entities for c in e.columns)
