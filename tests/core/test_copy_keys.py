"""The key decision of a fresh table's copy (core/migrate/copy_keys.py), alone: a key other tables' foreign
keys lean on goes with those keys when their tables are empty, and stays (with them) when one holds rows;
everything comes back as it was; and a duplicate in a referenced table still stops the copy naming it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from core.engine.db import Database, open_database
from core.errors import WardenError
from core.migrate.copy import copy_database
from core.migrate.copy_keys import DeferredKeys
from core.schema.load import load_catalog
from tests.fixtures.postgres import new_pg_database

_SCHEMA = (
    "create table parents (id uuid constraint parents_key primary key,"
    " email text constraint parents_email unique, code text constraint parents_code unique)",
    "create index parents_at on parents (email, code)",
    "create table kids (id bigint primary key, parent_id uuid constraint kids_parent references parents(id))",
    "create table notes (id bigint primary key,"
    " parent_code text constraint notes_parent references parents(code))",
)


def _constraints(target: Database) -> set[tuple[str, str, str]]:
    with target.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "select conrelid::regclass::text, conname, pg_get_constraintdef(oid) from pg_constraint "
            "where connamespace = 'public'::regnamespace union all "
            "select tablename, indexname, indexdef from pg_indexes where schemaname = 'public'"
        ).all()
    return {(str(a), str(b), str(c)) for a, b, c in rows}


def _taken(target: Database, notes_rows: bool) -> tuple[DeferredKeys, set[tuple[str, str, str]]]:
    """The decision on `parents` and what is left while it holds (rolled back after)."""
    raw: Any = target.engine.raw_connection()
    try:
        driver = raw.driver_connection
        if notes_rows:
            driver.execute("insert into notes values (1, null)")
        taken = DeferredKeys.take(driver, load_catalog(target, cached=False).get("parents"))
        with driver.cursor() as cur:
            cur.execute(
                "select conrelid::regclass::text, conname, contype::text from pg_constraint "
                "where connamespace = 'public'::regnamespace union all "
                "select tablename, indexname, 'i' from pg_indexes where schemaname = 'public'"
            )
            left = {(str(a), str(b), str(c)) for a, b, c in cur.fetchall()}
        taken.restore(driver)
        raw.rollback()
    finally:
        raw.close()
    return taken, left


@pytest.mark.parametrize("notes_rows", [False, True])
def test_a_referenced_key_goes_with_the_foreign_keys_of_empty_tables_only(
    pg_server: object, notes_rows: bool
) -> None:
    target = open_database(new_pg_database(pg_server))
    try:
        with target.transaction() as conn:
            for statement in _SCHEMA:
                conn.exec_driver_sql(statement)
        before = _constraints(target)
        taken, left = _taken(target, notes_rows)
        after = _constraints(target)
    finally:
        target.dispose()
    left_names = {name for _, name, _ in left}
    assert after == before
    assert "parents_key" not in left_names and "kids_parent" not in left_names  # kids is empty
    assert "parents_email" not in left_names and "parents_at" not in left_names
    assert [c[1] for c in taken.incoming] == (
        ["kids_parent"] if notes_rows else ["kids_parent", "notes_parent"]
    )
    if notes_rows:  # notes holds a row: its foreign key stays, and the key it leans on
        assert {"notes_parent", "parents_code"} <= left_names
    else:
        assert not {"notes_parent", "parents_code"} & left_names


def _source(path: Path, duplicate: bool) -> Path:
    with sqlite3.connect(path) as c:
        c.execute("create table parents (id text primary key, email text, code text)")
        c.execute("create table kids (id integer primary key, parent_id text references parents(id))")
        c.execute("create table notes (id integer primary key, parent_code text references parents(code))")
        ids = [f"{i:032x}" for i in range(1, 2001)]
        c.executemany("insert into parents values (?, ?, ?)", [(v, f"{v}@x", f"c{v}") for v in ids])
        if duplicate:
            c.execute("insert into parents values (?, ?, ?)", (f"{9999:032x}", f"{ids[7]}@x", "c-dup"))
        c.executemany("insert into kids values (?, ?)", [(i, ids[i % 2000]) for i in range(1, 3001)])
        c.executemany("insert into notes values (?, ?)", [(i, f"c{ids[i]}") for i in range(1, 11)])
    c.close()
    return path


@pytest.mark.parametrize("duplicate", [False, True])
def test_a_copy_builds_referenced_keys_after_the_rows_and_a_duplicate_names_the_table(
    tmp_path: Path, pg_server: object, duplicate: bool
) -> None:
    target = open_database(new_pg_database(pg_server))
    source = open_database(str(_source(tmp_path / "s.db", duplicate)))
    try:
        with target.transaction() as conn:
            for statement in _SCHEMA:
                conn.exec_driver_sql(statement)
        before = _constraints(target)
        if duplicate:
            with pytest.raises(WardenError, match=r"Copying parents.*a key the target already holds"):
                copy_database(source, target, batch_rows=500)
        else:
            result = copy_database(source, target, batch_rows=500)
            assert result.ok and [(t.table, t.rows_copied) for t in result.tables] == [
                ("parents", 2000),
                ("kids", 3000),
                ("notes", 10),
            ]
        after = _constraints(target)
        with target.engine.connect() as conn:
            held = conn.exec_driver_sql("select count(*) from parents").scalar_one()
    finally:
        source.dispose()
        target.dispose()
    assert after == before
    assert held == (0 if duplicate else 2000)


def test_a_partitioned_tables_foreign_key_goes_whole(pg_server: object) -> None:
    """An empty partitioned table's foreign key is dropped and made again as one (its partitions' copies
    of it go and come with it), not partition by partition: PostgreSQL refuses that."""
    target = open_database(new_pg_database(pg_server))
    try:
        with target.transaction() as conn:
            conn.exec_driver_sql(_SCHEMA[0])
            conn.exec_driver_sql(
                "create table events (id bigint, at date, parent_id uuid constraint events_parent"
                " references parents(id)) partition by range (at)"
            )
            conn.exec_driver_sql(
                "create table events_2024 partition of events"
                " for values from ('2024-01-01') to ('2025-01-01')"
            )
        before = _constraints(target)
        taken, left = _taken(target, notes_rows=False)
        after = _constraints(target)
    finally:
        target.dispose()
    assert after == before
    assert [c[1] for c in taken.incoming] == ["events_parent"]
    assert not {"events_parent", "parents_key"} & {name for _, name, _ in left}
