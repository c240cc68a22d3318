"""PostgreSQL's times and dates hold `infinity` and `-infinity`, and to_char gives NULL for them: the
server-side check spelt them as a NULL, so a copy of them was a false mismatch and a NULL changed to
`infinity` on the target afterwards went unseen. They are spelt as their own text on both sides."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from core.engine.db import open_database
from core.migrate.copy import copy_database
from core.migrate.copy_digest import NULL, column_plan
from core.migrate.copy_verify import verify_tables
from tests.fixtures.postgres import new_pg_database

ROWS = [
    (1, "infinity", "-infinity", "infinity"),
    (2, "-Infinity", " Infinity", "-infinity"),
    (3, None, None, None),
    (4, "2024-01-01 10:00:00", "2024-01-01 10:00:00.500000", "2024-01-02"),
]


def test_infinite_times_are_spelt_as_their_text() -> None:
    stamp = column_plan("at", "timestamp without time zone", "b", "timestamp")
    day = column_plan("day", "date", "b", "date")
    assert stamp is not None and day is not None
    assert stamp.canon([r[1] for r in ROWS]) == ["infinity", "-infinity", NULL, "2024-01-01 10:00:00"]
    assert day.canon([r[3] for r in ROWS]) == ["infinity", "-infinity", NULL, "2024-01-02"]


def test_a_copy_of_infinite_times_matches_and_a_null_made_infinite_does_not(
    tmp_path: Path, pg_server: object
) -> None:
    path = tmp_path / "events.db"
    with sqlite3.connect(path) as c:
        c.execute("create table events (id integer primary key, at datetime, at_tz datetime, day date)")
        c.executemany("insert into events values (?, ?, ?, ?)", ROWS)
    c.close()
    source, target = open_database(str(path)), open_database(new_pg_database(pg_server))
    try:
        with target.transaction() as conn:
            conn.exec_driver_sql(
                "create table events (id integer primary key, at timestamp, at_tz timestamptz, day date)"
            )
        (check,) = copy_database(source, target).checks
        assert check.checksum_source.startswith("md5:"), "checked by the server, not read back"
        assert check.ok, check
        with target.transaction() as conn:
            conn.exec_driver_sql("update events set at = 'infinity' where id = 3")
        (changed,) = verify_tables(source, target)
    finally:
        source.dispose()
        target.dispose()
    assert changed.rows_source == changed.rows_target == len(ROWS)
    assert changed.checksum_source.startswith("md5:") and not changed.checksum_match
