"""A fresh table's rows go in frozen (COPY … FREEZE after a TRUNCATE in the copy's transaction): its pages are
all-visible at once (but those two of COPY's multi-row inserts share), so the check's digest and ANALYZE
right after the copy read them without rewriting them. A table whose truncation someone would notice (an ON
TRUNCATE trigger) is copied as before."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from core.engine.db import open_database
from core.migrate.copy import copy_database
from tests.fixtures.postgres import new_pg_database


def _source(path: Path) -> Path:
    with sqlite3.connect(path) as c:
        c.execute("create table parents (id integer primary key, name text)")
        c.execute("create table kids (id integer primary key, parent_id integer references parents(id))")
        c.executemany("insert into parents values (?, ?)", [(i, f"p{i}") for i in range(1, 2001)])
        c.executemany("insert into kids values (?, ?)", [(i, 1 + i % 2000) for i in range(1, 5001)])
    c.close()
    return path


def _visible(url: str, table: str) -> tuple[int, int]:
    """The table's pages and its pages marked all-visible (as its ANALYZE counted them)."""
    db = open_database(url)
    try:
        with db.engine.connect() as conn:
            pages, visible = conn.exec_driver_sql(
                f"select relpages, relallvisible from pg_class where oid = '{table}'::regclass"
            ).one()
    finally:
        db.dispose()
    return int(pages), int(visible)


def test_a_fresh_tables_rows_are_written_frozen(tmp_path: Path, pg_server: object) -> None:
    url = new_pg_database(pg_server)
    source, target = open_database(str(_source(tmp_path / "s.db"))), open_database(url)
    try:
        result = copy_database(source, target, batch_rows=1000)
    finally:
        source.dispose()
        target.dispose()
    assert result.ok
    for table in ("parents", "kids"):  # parents: referenced by kids, whose foreign key went for its copy
        pages, visible = _visible(url, table)
        # Unfrozen rows leave every page unmarked until a VACUUM; a page that one of COPY's multi-row
        # inserts begins and the next one fills is left unmarked even so.
        assert pages > 0 and visible > 0, (table, pages, visible)


def test_a_table_with_a_truncate_trigger_is_not_truncated(tmp_path: Path, pg_server: object) -> None:
    url = new_pg_database(pg_server)
    source, target = open_database(str(_source(tmp_path / "s.db"))), open_database(url)
    try:
        with target.transaction() as conn:
            conn.exec_driver_sql("create table parents (id bigint primary key, name text)")
            conn.exec_driver_sql("create table truncations (at timestamptz default now())")
            conn.exec_driver_sql(
                "create function note_truncate() returns trigger language plpgsql as "
                "$$ begin insert into truncations default values; return null; end $$"
            )
            conn.exec_driver_sql(
                "create trigger noted after truncate on parents for each statement "
                "execute function note_truncate()"
            )
        result = copy_database(source, target, batch_rows=1000)
        with target.engine.connect() as conn:
            noted = conn.exec_driver_sql("select count(*) from truncations").scalar_one()
    finally:
        source.dispose()
        target.dispose()
    assert [(t.table, t.rows_copied) for t in result.tables if t.table != "truncations"] == [
        ("parents", 2000),
        ("kids", 5000),
    ]
    assert noted == 0
    assert _visible(url, "kids")[1] > 0  # the other table still went in frozen
