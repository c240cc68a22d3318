"""The copy's check on SQLite values stored in a column of another type (SQLite keeps what it is given):

- bytes in a text column are copied as bytea's hex input, which the text column stores as that text; the
  check spells them the same way (it used to spell Python's `b'…'`, a false mismatch);
- a UUID column holding 32 hex digits beside 16-byte BLOBs converts the BLOBs per value (the whole-column
  shortcut for text is taken only when every value is text), and the copy matches;
- a value changed on the target afterwards is still a mismatch."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from core.engine.db import open_database
from core.migrate.copy import copy_database
from core.migrate.copy_values import copy_column, copy_texts, to_copy, value_text
from core.migrate.copy_verify import verify_tables
from core.schema.catalog import ColumnInfo
from core.schema.kinds import ColumnKind
from tests.fixtures.postgres import new_pg_database

KEY = uuid.UUID("12345678-9abc-def0-1234-56789abcdef0")
HEX_1, HEX_4 = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
ROWS = [
    (1, b"\x00\xffhi", HEX_1),
    (2, 42, KEY.bytes),
    (3, "plain\ttext", None),
    (4, 2.5, HEX_4),
]


def test_bytes_in_a_text_column_are_spelt_as_copy_sends_them() -> None:
    assert value_text(b"\x00\xffhi") == "\\x00ff6869"
    assert copy_texts([b"\x00\xffhi", None, 7]) == ["\\\\x00ff6869", "\\N", "7"]


def test_a_text_only_column_skips_the_per_value_conversion_and_a_mixed_one_does_not() -> None:
    convert = to_copy(ColumnInfo("ref", "UUID", ColumnKind.UUID, nullable=True, primary_key=False))
    texts = ["0123456789abcdef0123456789abcdef", None]
    assert copy_column(convert, texts) is texts
    assert copy_column(convert, [KEY.bytes, None]) == [KEY, None]


def test_mixed_values_copy_and_match_and_a_later_change_does_not(tmp_path: Path, pg_server: object) -> None:
    path = tmp_path / "mixed.db"
    with sqlite3.connect(path) as c:
        c.execute("create table things (id integer primary key, body text, ref text)")
        c.executemany("insert into things values (?, ?, ?)", ROWS)
    c.close()
    source, target = open_database(str(path)), open_database(new_pg_database(pg_server))
    try:
        with target.transaction() as conn:
            conn.exec_driver_sql("create table things (id integer primary key, body text, ref uuid)")
        (check,) = copy_database(source, target).checks
        assert check.checksum_source.startswith("md5:"), "checked by the server, not read back"
        assert check.ok, check
        with target.transaction() as conn:
            stored = conn.exec_driver_sql("select body, ref from things order by id").all()
            conn.exec_driver_sql("update things set body = 'b''\\x00\\xffhi''' where id = 1")
        (changed,) = verify_tables(source, target)
    finally:
        source.dispose()
        target.dispose()
    assert stored == [
        ("\\x00ff6869", uuid.UUID(HEX_1)),
        ("42", KEY),
        ("plain\ttext", None),
        ("2.5", uuid.UUID(HEX_4)),
    ]
    assert changed.rows_source == changed.rows_target == len(ROWS)
    assert not changed.checksum_match, "Python's spelling of the bytes is not what was copied"
