"""A fresh table's rows go in frozen (COPY … FREEZE after a TRUNCATE in the copy's transaction): its pages are
all-visible at once (but those two of COPY's multi-row inserts share), so the check's digest and ANALYZE
right after the copy read them without rewriting them. A table whose truncation someone would notice (an ON
TRUNCATE trigger) is copied as before."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa

from core.engine.db import open_database
from core.migrate.copy import copy_database
from tests.fixtures.postgres import execute, new_pg_database


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


def _analyzed(url: str) -> dict[str, bool]:
    """Per table: whether an ANALYZE was run on it by a session (not by autovacuum)."""
    db = open_database(url)
    try:
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql("select relname, last_analyze is not null from pg_stat_user_tables")
            return {name: bool(done) for name, done in rows}
    finally:
        db.dispose()


def test_analyze_is_left_to_autovacuum_unless_the_table_opts_out(tmp_path: Path, pg_server: object) -> None:
    """Planner statistics are autovacuum's to take after the load, as after any bulk load; a table that opts
    out of autovacuum would get none, so the copy analyzes it itself."""
    url = new_pg_database(pg_server)
    source, target = open_database(str(_source(tmp_path / "s.db"))), open_database(url)
    try:
        with target.transaction() as conn:
            conn.exec_driver_sql(
                "create table parents (id bigint primary key, name text) with (autovacuum_enabled = false)"
            )
        result = copy_database(source, target, batch_rows=1000)
    finally:
        source.dispose()
        target.dispose()
    assert result.ok
    assert _analyzed(url) == {"parents": True, "kids": False}


def test_a_role_that_may_only_insert_still_copies(tmp_path: Path, pg_server: object) -> None:
    """An empty table another role owns, the copying role granted SELECT and INSERT (all COPY needs): the
    copy fills it without the freeze, which needs TRUNCATE. It failed as 'the target refused a value
    (SQLSTATE 42501)' (review RV6)."""
    url = sa.make_url(new_pg_database(pg_server, vector=False))
    execute(url, "CREATE ROLE insert_only LOGIN PASSWORD 'pw'")
    execute(url, "GRANT CREATE, USAGE ON SCHEMA public TO insert_only")
    execute(url, "CREATE TABLE notes (body text, n integer)")  # owned by the server's superuser
    execute(url, "GRANT SELECT, INSERT ON notes TO insert_only")
    with sqlite3.connect(tmp_path / "s.db") as c:
        c.execute("create table notes (body text, n integer)")
        c.executemany("insert into notes values (?, ?)", [(f"b{i}", i) for i in range(100)])
    c.close()
    as_role = url.set(username="insert_only", password="pw").render_as_string(hide_password=False)
    source, target = open_database(str(tmp_path / "s.db")), open_database(as_role)
    try:
        result = copy_database(source, target, batch_rows=50)
    finally:
        source.dispose()
        target.dispose()
        execute(url, "DROP TABLE notes")
        execute(url, "DROP OWNED BY insert_only")
        execute(url, "DROP ROLE insert_only")
    assert result.ok and [(t.table, t.rows_copied) for t in result.tables] == [("notes", 100)]
