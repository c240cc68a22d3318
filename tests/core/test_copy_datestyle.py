"""The server-side check spells times and dates as their own text in ISO DateStyle, whatever DateStyle the
target's database or role sets: a database set to 'SQL, DMY' still verifies a copy of its times, and a time
changed on the target afterwards is still a mismatch."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from core.engine.db import open_database
from core.migrate.copy import copy_database
from core.migrate.copy_verify import verify_tables
from tests.fixtures.postgres import new_pg_database

ROWS = [
    (1, "2024-01-01 10:00:00.000000", "2024-01-01 10:00:00.250000", "2024-01-02"),
    (2, "2024-03-05 23:59:59.999999", "2024-03-05 00:00:00.000001", "0099-12-31"),
    (3, None, None, None),
]


def test_a_copy_is_checked_in_iso_whatever_the_databases_datestyle(tmp_path: Path, pg_server: object) -> None:
    path = tmp_path / "events.db"
    with sqlite3.connect(path) as c:
        c.execute("create table events (id integer primary key, at datetime, at_tz datetime, day date)")
        c.executemany("insert into events values (?, ?, ?, ?)", ROWS)
    c.close()
    url = new_pg_database(pg_server)
    source, target = open_database(str(path)), open_database(url)
    try:
        with target.transaction() as conn:
            name = conn.exec_driver_sql("select current_database()").scalar_one()
            conn.exec_driver_sql(f"alter database \"{name}\" set datestyle = 'SQL, DMY'")
            conn.exec_driver_sql(
                "create table events (id integer primary key, at timestamp, at_tz timestamptz, day date)"
            )
        target.dispose()  # new connections take the database's DateStyle
        (check,) = copy_database(source, target).checks
        with target.transaction() as conn:
            conn.exec_driver_sql("update events set at_tz = at_tz + interval '1 microsecond' where id = 2")
        (changed,) = verify_tables(source, target)
    finally:
        source.dispose()
        target.dispose()
    assert check.checksum_source.startswith("md5:"), "checked by the server, not read back"
    assert check.ok, check
    assert changed.rows_source == changed.rows_target == len(ROWS) and not changed.checksum_match
