"""A fresh table's primary key and unique constraints that no foreign key leans on are dropped for its copy
and built again after its rows (a sort, not upkeep per row): they are all back as they were, and a
duplicate the target's constraint forbids still stops the copy naming the table and leaves it empty."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from core.engine.db import Database, open_database
from core.errors import WardenError
from core.migrate.copy import copy_database
from tests.fixtures.postgres import new_pg_database


def _source(path: Path, duplicate: bool) -> Path:
    with sqlite3.connect(path) as c:
        c.execute("create table codes (id integer primary key, code text)")
        c.execute(
            "create table uses (id integer primary key, code_id integer references codes(id), tag text)"
        )
        c.executemany("insert into codes values (?, ?)", [(i, f"c{i}") for i in range(1, 3001)])
        if duplicate:
            c.execute("insert into codes values (3001, 'c7')")
        c.executemany(
            "insert into uses values (?, ?, ?)", [(i, 1 + i % 3000, f"t{i}") for i in range(1, 4001)]
        )
    c.close()
    return path


def _target(target: Database) -> None:
    with target.transaction() as conn:  # codes' key is referenced (kept); the other keys are not
        conn.exec_driver_sql(
            "create table codes (id bigint primary key, code text constraint codes_code unique)"
        )
        conn.exec_driver_sql(
            "create table uses (id bigint constraint uses_key primary key,"
            " code_id bigint references codes(id), tag text, constraint uses_tag unique (tag, code_id))"
        )


def _constraints(target: Database) -> set[tuple[str, str, str]]:
    with target.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "select conrelid::regclass::text, conname, pg_get_constraintdef(oid) from pg_constraint "
            "where conrelid in ('codes'::regclass, 'uses'::regclass)"
            " union all select attrelid::regclass::text, attname, 'not null' from pg_attribute "
            "where attrelid in ('codes'::regclass, 'uses'::regclass) and attnotnull and attnum > 0"
        ).all()
    return {(str(a), str(b), str(c)) for a, b, c in rows}


def test_keys_dropped_for_the_copy_are_all_back_and_checked(tmp_path: Path, pg_server: object) -> None:
    url = new_pg_database(pg_server)
    source, target = open_database(str(_source(tmp_path / "s.db", duplicate=False))), open_database(url)
    try:
        _target(target)
        before = _constraints(target)
        result = copy_database(source, target, batch_rows=1000)
        after = _constraints(target)
    finally:
        source.dispose()
        target.dispose()
    assert result.ok and [(t.table, t.rows_copied) for t in result.tables] == [
        ("codes", 3000),
        ("uses", 4000),
    ]
    assert len({c for c in before if "KEY" in c[2] or "UNIQUE" in c[2]}) == 5 and after == before


def test_a_duplicate_the_targets_unique_key_forbids_names_the_table_and_leaves_it_empty(
    tmp_path: Path, pg_server: object
) -> None:
    url = new_pg_database(pg_server)
    source, target = open_database(str(_source(tmp_path / "s.db", duplicate=True))), open_database(url)
    try:
        _target(target)
        before = _constraints(target)
        with pytest.raises(WardenError) as refused:
            copy_database(source, target, batch_rows=1000)
        after = _constraints(target)
        with target.engine.connect() as conn:
            held = conn.exec_driver_sql("select count(*) from codes").scalar_one()
    finally:
        source.dispose()
        target.dispose()
    message = str(refused.value)
    assert "Copying codes" in message and "23505" in message and "c7" not in message
    assert held == 0 and after == before
