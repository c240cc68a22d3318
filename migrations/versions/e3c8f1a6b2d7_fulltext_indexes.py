"""Full-text indexes over the text a search reads: the label, the type and the descriptions of every table
that carries an embedding (the hybrid search's keyword side and the editor's quick filter use them).

SQLite: an external-content FTS5 table `<table>_fts` per table (its rowid is the table's rowid), kept in
step by three triggers, filled once here ('rebuild'). The update trigger fires only when an indexed column
is written, so re-embedding (which writes the vector alone) does not touch the index.
PostgreSQL: a GIN index `fts_<table>` over `setweight(to_tsvector('english', label), 'A') ||
setweight(to_tsvector('english', the other columns), 'B')`; core/search/fulltext.py reads the expression
back from the index and searches with it, so the planner can use the index.

A later revision that rebuilds one of these tables on SQLite (batch mode copies the rows into a new table,
which drops the triggers and may renumber rowids) must create the triggers again and 'rebuild' the index.

Revision ID: e3c8f1a6b2d7
Revises: b5e2a7c4d913
Create Date: 2026-12-03 06:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "e3c8f1a6b2d7"
down_revision: str | Sequence[str] | None = "b5e2a7c4d913"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Each indexed table's columns, its label first (the label weighs most in PostgreSQL's ranking).
INDEXED: dict[str, tuple[str, ...]] = {
    "regions": ("name", "climate", "description"),
    "locations": ("name", "location_type", "short_description", "full_description"),
    "npcs": ("name", "npc_type", "description"),
    "objects": ("name", "object_type", "description"),
    "player_knowledge": ("topic", "content"),
    "player_history": ("event_type", "description"),
    "rag_documents": ("source_path", "content"),
}
#: The text search configuration of the PostgreSQL indexes (English stems: "lighthouses" finds "lighthouse").
CONFIG = "english"


def upgrade() -> None:
    """Create the full-text index of each table and fill it from the rows already there."""
    postgres = op.get_context().dialect.name == "postgresql"
    for table, columns in INDEXED.items():
        for statement in _postgresql(table, columns) if postgres else _sqlite(table, columns):
            op.execute(statement)


def downgrade() -> None:
    """Drop the indexes (and on SQLite their triggers first)."""
    postgres = op.get_context().dialect.name == "postgresql"
    for table in reversed(INDEXED):
        if postgres:  # an index op (not text): the migration lint sees that it loses no rows
            op.drop_index(f"fts_{table}", table_name=table)
            continue
        for suffix in ("au", "ad", "ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {table}_fts")


def _postgresql(table: str, columns: tuple[str, ...]) -> list[str]:
    label, rest = columns[0], columns[1:]
    # ::text: enum columns have no || of their own; coalesce: one NULL would make the whole text NULL.
    others = " || ' ' || ".join(f"coalesce({c}::text, '')" for c in rest)
    vector = (
        f"setweight(to_tsvector('{CONFIG}'::regconfig, coalesce({label}::text, '')), 'A') || "
        f"setweight(to_tsvector('{CONFIG}'::regconfig, {others}), 'B')"
    )
    return [f"CREATE INDEX fts_{table} ON {table} USING gin (({vector}))"]


def _sqlite(table: str, columns: tuple[str, ...]) -> list[str]:
    fts = f"{table}_fts"
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    delete = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.rowid, {old});"
    insert = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.rowid, {new});"
    return [
        # remove_diacritics 2: "cafe" finds "café"; the table's rowid is the index's rowid (content_rowid).
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', content_rowid='rowid', "
        "tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {names} ON {table} BEGIN {delete} {insert} END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]
