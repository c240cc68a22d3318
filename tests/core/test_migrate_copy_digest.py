"""The copy's server-side checksum (core/migrate/copy_digest.py): PostgreSQL spells the rows it holds in
SQL, the copy spells SQLite's raw rows the same in Python. Awkward but ordinary values of every planned
type (JSON keys of different lengths, numbers written 1.0 / 1e2 / -0.0, escapes and non-ASCII text,
separators inside text, NULLs beside empty text, times with offsets and without fractions, decimals rounded
at their scale, floats incl. -0.0 and 1e300, bytes, vectors) match after a copy; any changed value is a
mismatch."""

from __future__ import annotations

import json
import sqlite3
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from core.engine.db import Database, open_database
from core.migrate.copy import copy_database
from core.migrate.copy_digest import SEP, RowDigest
from core.migrate.copy_read import raw_batches
from core.migrate.copy_verify import digest_plan, server_digest, verify_tables
from core.schema.load import load_catalog
from tests.fixtures.postgres import new_pg_database

VEC = np.array([0.1, -2.5, 3.25], dtype="<f4")

ROWS: list[tuple[object, ...]] = [
    (1, "plain", "short", 7, 1, '{"bb": 1, "a": [1, 2.5, {"ccc": null, "d": true}]}',
     "2025-07-05 01:15:19.305213", "2024-01-02", "10:00:00.000000", 14.99, "3.10", 0.1, b"\x00\x01\xff",
     VEC.tobytes()),
    (2, "", None, -3, 0, '{"x": 1.0, "y": 1e2, "z": -0.0, "w": 10, "v": 1.50}', "2024-01-02 00:00:00",
     "2024-02-29", "23:59:59.5", 2.675, "-0.001", -0.0, b"", None),
    (3, "tab\there\nnew \\N back\\slash", "ünï", 2**62, 1,
     '{"k": "line\\nbreak \\u001e \\u00e9 \\ud83d\\ude00", "q": "said \\"hi\\", \\"bye\\": ok,  ", '
     '"c": "\\u0001\\u001f\\u007f\\u2028/\\\\ \\/", "nested": [{"b": 1, "a": [true, null]}, -0, 12]}',
     "2025-07-05 03:15:19.305213+02:00", None, None, -0.004, "1e3", 1e300, None, VEC[::-1].tobytes()),
    (4, f"a{SEP}", "b", None, None, "[]", "2025-01-01 12:00:00.100000", "1999-12-31", "00:00:01", 0.0, "0",
     5.0, b"\\x41", VEC.tobytes()),
    (5, "a", f"{SEP}b", 0, 0, '"just text"', "2025-01-01 12:00:00.1", "2000-01-01", "12:30:00", 12.5, None,
     1e16, b"z", VEC.tobytes()),
]  # fmt: skip


def _build(path: Path) -> None:
    with sqlite3.connect(path) as c:
        c.execute(
            "create table things (id integer primary key, words text, label varchar(12), n integer, "
            "flag boolean, doc json, at datetime, day date, clock time, price numeric(8, 2), "
            "amount numeric, ratio double, raw blob, embedding blob)"
        )
        c.executemany(f"insert into things values ({', '.join('?' * len(ROWS[0]))})", ROWS)
    c.close()


@pytest.fixture
def copied(tmp_path: Path, pg_server: object) -> Iterator[tuple[Database, Database]]:
    path = tmp_path / "awkward.db"
    _build(path)
    source, target = open_database(str(path)), open_database(new_pg_database(pg_server))
    yield source, target
    source.dispose()
    target.dispose()


def _types(db: Database) -> dict[str, str]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "select attname, format_type(atttypid, atttypmod) from pg_attribute "
                "where attrelid = 'things'::regclass and attnum > 0 and not attisdropped"
            )
        ).all()
    return {str(r[0]): str(r[1]) for r in rows}


def test_awkward_values_of_every_planned_type_match_after_a_copy(copied: tuple[Database, Database]) -> None:
    source, target = copied
    result = copy_database(source, target, batch_rows=2)
    (check,) = result.checks
    assert check.ok, check
    assert check.checksum_source.startswith("md5:"), "checked by the server, not read back"
    types = _types(target)
    assert types == {
        "id": "bigint", "words": "text", "label": "character varying(12)", "n": "bigint", "flag": "boolean",
        "doc": "jsonb", "at": "timestamp without time zone", "day": "date", "clock": "time without time zone",
        "price": "numeric(8,2)", "amount": "numeric", "ratio": "double precision", "raw": "bytea",
        "embedding": "vector(3)",
    }  # fmt: skip
    # The same source in another process: md5 gives the same digest (no per-process hash key).
    src_cat, tgt_cat = load_catalog(source), load_catalog(target)
    ent, tgt = src_cat.get("things"), tgt_cat.get("things")
    plan = digest_plan(target, tgt, [tgt.columns_by_name[c.name] for c in ent.columns])
    assert plan is not None
    again = RowDigest(plan)
    for batch in raw_batches(source, ent, ent.columns):
        again.add_rows(list(reversed(batch)))
    assert again.hexdigest == check.checksum_source == server_digest(target, tgt, plan, None)[1]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("words", "'plain '"),
        ("label", "'ünï '"),
        ("n", "-4"),
        ("flag", "not flag"),
        ("doc", """'{"bb": 1, "a": [1, 2.5, {"ccc": null, "d": false}]}'"""),
        ("at", "at + interval '1 microsecond'"),
        ("day", "day + 1"),
        ("clock", "clock + interval '1 second'"),
        ("price", "price + 0.01"),
        ("amount", "amount * 10"),
        ("ratio", "-ratio"),
        ("raw", "raw || '\\x00'::bytea"),
        ("embedding", "'[0.1, -2.5, 3.2500002]'"),
    ],
)
def test_any_changed_value_is_a_mismatch(copied: tuple[Database, Database], column: str, value: str) -> None:
    source, target = copied
    assert copy_database(source, target).ok
    with target.transaction() as conn:
        conn.exec_driver_sql(f"update things set {column} = {value} where id = 1")
    (check,) = verify_tables(source, target)
    assert check.rows_source == check.rows_target == len(ROWS)
    assert not check.checksum_match, column


def test_text_moved_between_columns_is_a_mismatch(copied: tuple[Database, Database]) -> None:
    source, target = copied
    assert copy_database(source, target).ok
    with target.transaction() as conn:
        conn.exec_driver_sql(f"update things set words = 'a', label = '{SEP}b' where id = 4")
    (check,) = verify_tables(source, target)
    assert not check.checksum_match


def test_the_float_form_is_the_binary_double() -> None:
    assert struct.pack(">d", -0.0).hex() != struct.pack(">d", 0.0).hex()
    assert json.loads("1e2") == 100.0  # the reason JSON numbers are read as decimals, not floats
