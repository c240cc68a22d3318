"""The copy's server-side check on decimals wider than Python's default 28 digits (numeric(38, 2) money
columns): a value PostgreSQL holds exactly is spelt at its scale, not refused by the decimal context."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.engine.db import Database, open_database
from core.migrate.copy import copy_database
from core.migrate.copy_digest import column_plan
from tests.fixtures.postgres import new_pg_database

WIDE = ["123456789012345678901234567890123456.785", "-99999999999999999999999999999999999.994", "0.005"]


def test_wide_numeric_is_spelt_at_its_scale() -> None:
    plan = column_plan("amount", "numeric(38,2)", "b", "numeric")
    assert plan is not None
    assert plan.canon(WIDE) == [
        "123456789012345678901234567890123456.79",
        "-99999999999999999999999999999999999.99",
        "0.01",
    ]


@pytest.fixture
def wide(tmp_path: Path, pg_server: object) -> Iterator[tuple[Database, Database]]:
    path = tmp_path / "wide.db"
    with sqlite3.connect(path) as c:
        c.execute("create table ledger (id integer primary key, amount numeric(38, 2))")
        c.executemany("insert into ledger values (?, ?)", list(enumerate(WIDE, 1)))
    c.close()
    source, target = open_database(str(path)), open_database(new_pg_database(pg_server))
    yield source, target
    source.dispose()
    target.dispose()


def test_a_copy_of_wide_decimals_is_checked_by_the_server(wide: tuple[Database, Database]) -> None:
    source, target = wide
    result = copy_database(source, target)
    (check,) = result.checks
    assert check.ok, check
    assert check.checksum_source.startswith("md5:")
