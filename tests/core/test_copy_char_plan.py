"""A char(n) column on the target is checked by the server's digest too (it used to fall back to reading both
sides back): its text drops the padding and a value's own trailing spaces, and the source spells it the same,
so a copy matches and a changed value does not."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from core.engine.db import open_database
from core.migrate.copy import copy_database
from core.migrate.copy_digest import NULL, column_plan
from core.migrate.copy_verify import verify_tables
from tests.fixtures.postgres import new_pg_database

CODES = [(1, "ab"), (2, "abcd"), (3, "ab  "), (4, None), (5, "a b "), (6, "")]


def test_char_n_has_a_plan_that_drops_trailing_spaces() -> None:
    plan = column_plan("code", "character(4)", "b", "bpchar")
    assert plan is not None
    assert plan.canon([c for _, c in CODES]) == ["ab", "abcd", "ab", NULL, "a b", ""]


def test_a_char_n_copy_matches_on_the_server_and_a_changed_value_does_not(
    tmp_path: Path, pg_server: object
) -> None:
    path = tmp_path / "codes.db"
    with sqlite3.connect(path) as c:
        c.execute("create table codes (id integer primary key, code text)")
        c.executemany("insert into codes values (?, ?)", CODES)
    c.close()
    source, target = open_database(str(path)), open_database(new_pg_database(pg_server))
    try:
        with target.transaction() as conn:
            conn.exec_driver_sql("create table codes (id integer primary key, code char(4))")
        (check,) = copy_database(source, target).checks
        assert check.checksum_source.startswith("md5:"), "checked by the server, not read back"
        assert check.ok, check
        with target.transaction() as conn:
            conn.exec_driver_sql("update codes set code = 'abc' where id = 2")
        (changed,) = verify_tables(source, target)
    finally:
        source.dispose()
        target.dispose()
    assert changed.rows_source == changed.rows_target == len(CODES)
    assert changed.checksum_source.startswith("md5:") and not changed.checksum_match
