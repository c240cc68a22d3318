"""to_char leaves a year before 1 without its era: the server-side check spelt 2024-01-01 BC as 2024-01-01,
so a time or date moved to BC on the target after a copy went unseen. The server's spelling says " BC"."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from core.engine.db import open_database
from core.migrate.copy import copy_database
from core.migrate.copy_verify import verify_tables
from tests.fixtures.postgres import new_pg_database


@pytest.mark.parametrize("column", ["at", "at_tz", "day"])
def test_a_time_moved_to_bc_on_the_target_is_a_mismatch(
    tmp_path: Path, pg_server: object, column: str
) -> None:
    path = tmp_path / "events.db"
    with sqlite3.connect(path) as c:
        c.execute("create table events (id integer primary key, at datetime, at_tz datetime, day date)")
        c.executemany(
            "insert into events values (?, ?, ?, ?)",
            [
                (1, "2024-01-01 10:00:00.000000", "2024-01-01 10:00:00.000000", "2024-01-02"),
                (2, None, None, None),
            ],
        )
    c.close()
    source, target = open_database(str(path)), open_database(new_pg_database(pg_server))
    try:
        with target.transaction() as conn:
            conn.exec_driver_sql(
                "create table events (id integer primary key, at timestamp, at_tz timestamptz, day date)"
            )
        (check,) = copy_database(source, target).checks
        assert check.ok and check.checksum_source.startswith("md5:"), check
        era = {
            "at": "'2024-01-01 10:00:00 BC'",
            "at_tz": "'2024-01-01 10:00:00+00 BC'",
            "day": "'2024-01-02 BC'",
        }
        with target.transaction() as conn:
            conn.exec_driver_sql(
                f"set local time zone 'UTC'; update events set {column} = {era[column]} where id = 1"
            )
        (changed,) = verify_tables(source, target)
    finally:
        source.dispose()
        target.dispose()
    assert changed.rows_source == changed.rows_target == 2
    assert changed.checksum_source.startswith("md5:") and not changed.checksum_match
