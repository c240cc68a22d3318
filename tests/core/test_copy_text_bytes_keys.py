"""Bytes SQLite keeps in a text column are copied as bytea's hex input (`\\x0102`), which the text column
stores as that text (b8181a2 made the server-side check spell them so). The other two places that compare a
source text value with the target's spelt it as Python's `b'\\x01\\x02'`:

- a resumed copy's keys: the row whose key the target already holds was sent again and refused as a
  duplicate key, so the copy could not be completed;
- the check that reads both sides back (a table with a column whose type has no server-side plan, such as
  `real`): a false mismatch.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from core.engine.db import open_database
from core.migrate.copy import copy_database
from core.migrate.copy_values import value_form
from core.migrate.copy_verify import verify_tables
from core.schema.kinds import ColumnKind
from tests.fixtures.postgres import new_pg_database

CODES = [(b"\x01\x02", 1), ("plain", 2), ("more", 3)]


def test_bytes_in_a_text_column_have_the_text_copy_stores() -> None:
    form = value_form(ColumnKind.TEXT)
    assert form is not None
    assert [form(v) for v in (b"\x01\x02", "\\x0102", 7, None)] == ["\\x0102", "\\x0102", "7", None]


def test_a_resumed_copy_skips_a_bytes_key_the_target_holds(tmp_path: Path, pg_server: object) -> None:
    path = tmp_path / "codes.db"
    with sqlite3.connect(path) as c:
        c.execute("create table codes (code text primary key, n integer)")
        c.executemany("insert into codes values (?, ?)", CODES)
    c.close()
    source, target = open_database(str(path)), open_database(new_pg_database(pg_server))
    try:
        with target.transaction() as conn:  # an earlier copy wrote the first row as COPY sends it
            conn.exec_driver_sql("create table codes (code text primary key, n bigint)")
            conn.exec_driver_sql("insert into codes values ('\\x0102', 1)")
        result = copy_database(source, target)
    finally:
        source.dispose()
        target.dispose()
    (table,) = result.tables
    assert (table.rows_copied, table.rows_present) == (2, 1)
    assert result.ok, result.checks


def test_bytes_in_a_text_column_match_when_both_sides_are_read_back(
    tmp_path: Path, pg_server: object
) -> None:
    path = tmp_path / "things.db"
    with sqlite3.connect(path) as c:
        c.execute("create table things (id integer primary key, body text, score real)")
        c.executemany("insert into things values (?, ?, ?)", [(1, b"\x00\xffhi", 2.5), (2, "text", 0.5)])
    c.close()
    source, target = open_database(str(path)), open_database(new_pg_database(pg_server))
    try:
        with target.transaction() as conn:  # `real` has no server-side plan: both sides are read back
            conn.exec_driver_sql("create table things (id integer primary key, body text, score real)")
        (check,) = copy_database(source, target).checks
        assert not check.checksum_source.startswith("md5:"), "read back, not summed by the server"
        assert check.ok, check
        with target.transaction() as conn:
            conn.exec_driver_sql("update things set body = 'b''\\x00\\xffhi''' where id = 1")
        (changed,) = verify_tables(source, target)
    finally:
        source.dispose()
        target.dispose()
    assert changed.rows_source == changed.rows_target == 2
    assert not changed.checksum_match, "Python's spelling of the bytes is not what was copied"
