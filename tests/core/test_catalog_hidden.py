"""Which tables the catalog and the listing leave out: a reference table's full-text index `<table>_fts` only
when it is that FTS index (SQLite), never a plain table that happens to have its name."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.engine.db import Database, open_database
from core.schema.entity_kinds import FULLTEXT_INDEXED, EntityKind
from core.schema.listing import list_entities
from core.schema.load import load_catalog
from tests.fixtures.postgres import new_pg_database

SQLITE_DDL = [
    # A plain table with a reference index's name: another app's own table, listed and editable.
    "CREATE TABLE npcs_fts (id INTEGER PRIMARY KEY, note TEXT)",
    "INSERT INTO npcs_fts (note) VALUES ('kept')",
    # The index of its table, as the reference schema makes it: left out, as are its shadow tables.
    "CREATE TABLE locations (id INTEGER PRIMARY KEY, name TEXT)",
    "CREATE VIRTUAL TABLE locations_fts USING fts5(name, content='locations', content_rowid='id')",
    # A full-text table of that name that indexes no table of its name: listed, read-only.
    "CREATE VIRTUAL TABLE objects_fts USING fts5(body)",
]


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[Database]:
    """The tables above in a SQLite file built by hand, open."""
    path = tmp_path / "theirs.db"
    conn = sqlite3.connect(path)
    for sql in SQLITE_DDL:
        conn.execute(sql)
    conn.commit()
    conn.close()
    db = open_database(str(path))
    yield db
    db.dispose()


def test_a_plain_table_named_like_a_reference_index_is_listed_and_editable(sqlite_file: Database) -> None:
    """`npcs_fts` that is an ordinary table is an entity like any other, in the catalog and the listing."""
    cat = load_catalog(sqlite_file, cached=False)
    plain = cat.get("npcs_fts")
    assert plain.kind == EntityKind.TABLE and plain.read_only_reason is None and plain.primary_key == ("id",)
    listed = {e.name: e for e in list_entities(sqlite_file).entities}
    assert listed["npcs_fts"].kind == EntityKind.TABLE and listed["npcs_fts"].read_only_reason is None


def test_the_index_of_its_table_is_left_out(sqlite_file: Database) -> None:
    """`locations_fts` indexing `locations` is not an entity; `locations` is searched through it."""
    cat = load_catalog(sqlite_file, cached=False)
    names = set(cat.entities)
    assert not {n for n in names if n.startswith("locations_fts")}
    index = cat.get("locations").fulltext
    assert index is not None and index.table == "locations_fts"
    assert not {e.name for e in list_entities(sqlite_file).entities if e.name.startswith("locations_fts")}


def test_a_fulltext_table_that_indexes_no_such_table_is_listed(sqlite_file: Database) -> None:
    """`objects_fts` with no content table is a full-text table of its own: listed, read-only."""
    cat = load_catalog(sqlite_file, cached=False)
    assert cat.get("objects_fts").kind == EntityKind.FTS and cat.get("objects_fts").read_only
    assert sorted(cat.entities) == sorted(e.name for e in list_entities(sqlite_file).entities)


def test_postgresql_lists_tables_named_like_reference_indexes(pg_server: object) -> None:
    """PostgreSQL has no FTS tables: a table called `npcs_fts` there is always listed."""
    url = new_pg_database(pg_server, vector=False)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for table in FULLTEXT_INDEXED[:2]:
            conn.exec_driver_sql(f"CREATE TABLE {table}_fts (id integer PRIMARY KEY, note text)")
    engine.dispose()
    db = open_database(url)
    try:
        expected = {f"{t}_fts" for t in FULLTEXT_INDEXED[:2]}
        assert expected <= set(load_catalog(db, cached=False).entities)
        assert expected <= {e.name for e in list_entities(db).entities}
    finally:
        db.dispose()


def test_the_reference_schemas_indexes_stay_hidden(demo_copy_path: str) -> None:
    """The demo database's FTS5 indexes (one per indexed reference table) are neither listed nor entities;
    each indexed table is searched through its own."""
    db = open_database(demo_copy_path)
    try:
        cat = load_catalog(db, cached=False)
        listed = {e.name for e in list_entities(db).entities}
    finally:
        db.dispose()
    assert not [n for n in set(cat.entities) | listed if "_fts" in n]
    assert all(cat.get(t).fulltext is not None for t in FULLTEXT_INDEXED)
    rag = cat.get("rag_documents").fulltext
    assert rag is not None and rag.table == "rag_documents_fts"
