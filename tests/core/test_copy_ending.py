"""A fresh table's end (its indexes and foreign keys made again, its audit entry, its commit) runs beside the
next table's reading (tables ready to copy go largest first, so a large table's end overlaps a large
next table): a refusal there still stops the copy naming the table, keeps the tables before it,
leaves the refused one empty and writes nothing of the tables after it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from core.engine.db import open_database
from core.errors import WardenError
from core.migrate.copy import copy_database
from core.progress import Cancelled, Progress, TaskState
from tests.fixtures.postgres import new_pg_database


def _source(path: Path, orphan: bool) -> Path:
    with sqlite3.connect(path) as c:
        c.execute("create table parents (id integer primary key, name text)")
        c.execute("create table kids (id integer primary key, parent_id integer references parents(id))")
        c.execute("create index kids_parent on kids (parent_id)")
        c.execute("create table zoo (id integer primary key, animal text)")
        c.execute("create table toys (id integer primary key, kid_id integer references kids(id))")
        c.executemany("insert into parents values (?, ?)", [(i, f"p{i}") for i in range(1, 4)])
        kids = [(i, 1 + i % 3) for i in range(1, 5001)] + [(5001, 99 if orphan else 2)]
        c.executemany("insert into kids values (?, ?)", kids)
        c.executemany("insert into zoo values (?, ?)", [(i, "okapi") for i in range(1, 101)])
        c.executemany("insert into toys values (?, ?)", [(i, i) for i in range(1, 11)])
    c.close()
    return path


def _counts(url: str) -> dict[str, int]:
    db = open_database(url)
    try:
        with db.engine.connect() as conn:
            return {
                t: int(conn.exec_driver_sql(f"select count(*) from {t}").scalar_one())
                for t in ("parents", "kids", "zoo", "toys")
            }
    finally:
        db.dispose()


def test_a_key_refused_at_a_tables_end_names_it_and_keeps_the_tables_before(
    tmp_path: Path, pg_server: object
) -> None:
    url = new_pg_database(pg_server)
    source, target = open_database(str(_source(tmp_path / "s.db", orphan=True))), open_database(url)
    try:
        with pytest.raises(WardenError) as refused:
            copy_database(source, target, batch_rows=1000)
    finally:
        source.dispose()
        target.dispose()
    message = str(refused.value)
    assert "Copying kids" in message and "references a row the target does not hold" in message
    assert _counts(url) == {"parents": 3, "kids": 0, "zoo": 100, "toys": 0}


def test_tables_ended_beside_the_next_ones_reading_are_whole_and_checked(
    tmp_path: Path, pg_server: object
) -> None:
    url = new_pg_database(pg_server)
    source, target = open_database(str(_source(tmp_path / "s.db", orphan=False))), open_database(url)
    try:
        with target.transaction() as conn:  # the target's own index, beside the reflected key
            conn.exec_driver_sql("create table parents (id bigint primary key, name text)")
            conn.exec_driver_sql(
                "create table kids (id bigint primary key, parent_id bigint references parents(id))"
            )
            conn.exec_driver_sql("create index kids_parent on kids (parent_id)")
        result = copy_database(source, target, batch_rows=1000)
        with target.engine.connect() as conn:
            kept = conn.exec_driver_sql(
                "select count(*) from pg_indexes where tablename = 'kids' and indexname = 'kids_parent'"
            ).scalar_one()
            keys = conn.exec_driver_sql(
                "select count(*) from pg_constraint where conrelid = 'kids'::regclass and contype = 'f'"
            ).scalar_one()
    finally:
        source.dispose()
        target.dispose()
    # Parents before their children; of the tables ready, the larger first.
    assert [(t.table, t.rows_copied) for t in result.tables] == [
        ("zoo", 100),
        ("parents", 3),
        ("kids", 5001),
        ("toys", 10),
    ]
    assert result.ok and all(c.checksum_source.startswith("md5:") for c in result.checks)
    assert (kept, keys) == (1, 1), "the index and the foreign key dropped for the copy are back"
    assert _counts(url) == {"parents": 3, "kids": 5001, "zoo": 100, "toys": 10}


def test_a_cancel_asked_as_a_committed_tables_end_is_told_still_reports_that_table(
    tmp_path: Path, pg_server: object
) -> None:
    path = tmp_path / "s.db"
    with sqlite3.connect(path) as c:
        for table, rows in (("big", 3000), ("small", 2000)):
            c.execute(f"create table {table} (id integer primary key, name text)")
            c.executemany(f"insert into {table} values (?, ?)", [(i, f"n{i}") for i in range(1, rows + 1)])
    c.close()
    url = new_pg_database(pg_server)
    reported: list[int] = []
    partial: list[str] = []

    def cancel_at_a_told_end(progress: Progress) -> None:
        # A table's end is told as a report of no new rows, once its commit is done.
        if reported and progress.done == reported[-1]:
            state.cancel()
        reported.append(progress.done)

    state = TaskState(on_progress=cancel_at_a_told_end, on_partial=lambda done: partial.append(done.table))
    source, target = open_database(str(path)), open_database(url)
    try:
        with pytest.raises(Cancelled):
            copy_database(source, target, batch_rows=1000, state=state)
        with target.engine.connect() as conn:
            held = [
                t for t in ("big", "small") if conn.exec_driver_sql(f"select count(*) from {t}").scalar_one()
            ]
    finally:
        source.dispose()
        target.dispose()
    assert "big" in held, "the cancel came after big's commit"
    assert partial == held, "every table committed is reported as done"
