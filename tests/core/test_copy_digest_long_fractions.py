"""The copy's server-side check on times written with more than six fractional digits (.NET and EF Core
write seven): PostgreSQL rounds them to the microsecond, so the source's spelling rounds alike instead of
truncating as Python's fromisoformat does (a false mismatch on ordinary data)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.engine.db import Database, open_database
from core.migrate.copy import copy_database
from core.migrate.copy_digest import column_plan
from tests.fixtures.postgres import new_pg_database

ROWS = [
    (1, "2024-01-01 12:00:00.1234567", "12:00:00.1234567"),
    (2, "2024-12-31 23:59:59.9999996", "23:59:59.9999996"),
    (3, "2024-01-01T08:30:00.0000004+02:00", "08:30:00.0000005"),
    (4, "2024-01-01 12:00:00.123456", "12:00:00.5"),
]


def test_the_source_rounds_a_seventh_digit_as_the_server_does() -> None:
    stamp = column_plan("at", "timestamp without time zone", "b", "timestamp")
    clock = column_plan("clock", "time without time zone", "b", "time")
    assert stamp is not None and clock is not None
    assert stamp.canon([r[1] for r in ROWS]) == [
        "2024-01-01 12:00:00.123457",
        "2025-01-01 00:00:00.000000",
        "2024-01-01 08:30:00.000000",
        "2024-01-01 12:00:00.123456",
    ]
    assert clock.canon([r[2] for r in ROWS]) == ["12:00:00.123457", "24:00:00", "08:30:00", "12:00:00.5"]


@pytest.fixture
def stamped(tmp_path: Path, pg_server: object) -> Iterator[tuple[Database, Database]]:
    path = tmp_path / "stamped.db"
    with sqlite3.connect(path) as c:
        c.execute("create table visits (id integer primary key, at datetime, clock time)")
        c.executemany("insert into visits values (?, ?, ?)", ROWS)
    c.close()
    source, target = open_database(str(path)), open_database(new_pg_database(pg_server))
    yield source, target
    source.dispose()
    target.dispose()


def test_a_copy_of_seven_digit_times_matches(stamped: tuple[Database, Database]) -> None:
    source, target = stamped
    (check,) = copy_database(source, target).checks
    assert check.checksum_source.startswith("md5:")
    assert check.ok, check
