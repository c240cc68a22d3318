"""The copy's server-side check on ordinary values Python's defaults spell unlike PostgreSQL:

- decimals wider than Python's default 28 digits (numeric(38, 2) money columns) are spelt at their scale,
  not refused by the decimal context (which failed the whole copy);
- times written with more than six fractional digits (.NET and EF Core write seven) are rounded to the
  microsecond as PostgreSQL rounds them, not truncated as fromisoformat does (a false mismatch);
- times before year 1000 (.NET's 0001-01-01 sentinel) keep a four-digit year, as PostgreSQL prints it;
- JSON whose strings hold ", " or ": " differs from JSON whose strings hold "," or ":" (a false match
  when both sides dropped every such space, in strings too);
- the source's caches of spelt values keep 1, 1.0 and True apart (equal keys in a dict);
- JSON with a lone surrogate escape gets the copy's refusal naming the table and column, not the digest's
  UnicodeEncodeError (jsonb refuses such text; json keeps it, but the check reads it as jsonb)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from core.engine.db import open_database
from core.errors import WardenError
from core.migrate.copy import copy_database
from core.migrate.copy_digest import NULL, column_plan
from core.migrate.copy_verify import verify_tables
from tests.fixtures.postgres import new_pg_database

WIDE = ["123456789012345678901234567890123456.785", "-99999999999999999999999999999999999.994", "0.005"]
STAMPS = [
    (1, "2024-01-01 12:00:00.1234567", "12:00:00.1234567"),
    (2, "2024-12-31 23:59:59.9999996", "23:59:59.9999996"),
    (3, "2024-01-01T08:30:00.0000004+02:00", "08:30:00.0000005"),
    (4, "2024-01-01 12:00:00.123456", "12:00:00.5"),
    (5, "0001-01-01 00:00:00", "00:00:00"),  # .NET's DateTime.MinValue, as EF Core writes it
]


def test_wide_numeric_is_spelt_at_its_scale() -> None:
    plan = column_plan("amount", "numeric(38,2)", "b", "numeric")
    assert plan is not None
    assert plan.canon(WIDE) == [
        "123456789012345678901234567890123456.79",
        "-99999999999999999999999999999999999.99",
        "0.01",
    ]


def test_the_source_rounds_a_seventh_digit_as_the_server_does() -> None:
    stamp = column_plan("at", "timestamp without time zone", "b", "timestamp")
    clock = column_plan("clock", "time without time zone", "b", "time")
    assert stamp is not None and clock is not None
    assert stamp.canon([r[1] for r in STAMPS]) == [
        "2024-01-01 12:00:00.123457",
        "2025-01-01 00:00:00",
        "2024-01-01 08:30:00",
        "2024-01-01 12:00:00.123456",
        "0001-01-01 00:00:00",
    ]
    assert clock.canon([r[2] for r in STAMPS]) == [
        "12:00:00.123457",
        "24:00:00",
        "08:30:00",
        "12:00:00.5",
        "00:00:00",
    ]


@pytest.mark.parametrize(
    ("ddl", "rows"),
    [
        ("create table ledger (id integer primary key, amount numeric(38, 2))", list(enumerate(WIDE, 1))),
        ("create table visits (id integer primary key, at datetime, clock time)", STAMPS),
    ],
    ids=["wide-numeric", "seven-digit-times"],
)
def test_a_copy_of_such_values_is_checked_by_the_server_and_matches(
    tmp_path: Path, pg_server: object, ddl: str, rows: Sequence[tuple[object, ...]]
) -> None:
    path = tmp_path / "edges.db"
    with sqlite3.connect(path) as c:
        c.execute(ddl)
        c.executemany(f"insert into {ddl.split()[2]} values ({', '.join('?' * len(rows[0]))})", rows)
    c.close()
    source, target = open_database(str(path)), open_database(new_pg_database(pg_server))
    try:
        (check,) = copy_database(source, target).checks
    finally:
        source.dispose()
        target.dispose()
    assert check.checksum_source.startswith("md5:"), "checked by the server, not read back"
    assert check.ok, check


def test_the_caches_of_spelt_values_keep_equal_numbers_of_other_types_apart() -> None:
    numeric = column_plan("amount", "numeric", "b", "numeric")
    jsonb = column_plan("doc", "jsonb", "b", "jsonb")
    assert numeric is not None and jsonb is not None
    assert numeric.canon([1, 1.0, 1]) == ["1", "1.0", "1"]
    assert numeric.canon([1.0, 1]) == ["1.0", "1"]
    assert jsonb.canon([1, 1.0, True, None, '{"a": 1}']) == ["1", "1.0", "true", NULL, '{"a": 1}']
    assert jsonb.canon([1.0]) == ["1.0"], "the cache kept across batches holds 1 as an int"
    assert jsonb.canon([True, 1]) == ["true", "1"]


SPACED = [
    {"a": "x, y", "b: c": ["1, 2", {"k": "v: w"}]},
    {"q": '\\", ', "r": "\\", "s": "tab\t, end"},  # escapes just before a ", " in a string
    {"n": 1.50, "m": [1e2, "p, q"]},  # the decimal path
]


def _tight(doc: object) -> object:
    """The same JSON with the space after every comma and colon inside its strings dropped."""
    if isinstance(doc, str):
        return doc.replace(", ", ",").replace(": ", ":")
    if isinstance(doc, dict):
        return {_tight(k): _tight(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return list(map(_tight, doc))
    return doc


def _copied(
    tmp_path: Path, pg_server: object, ddl: str, rows: Sequence[tuple[object, ...]]
) -> tuple[Path, str]:
    path = tmp_path / "edges.db"
    with sqlite3.connect(path) as c:
        c.execute(ddl)
        c.executemany(f"insert into {ddl.split()[2]} values ({', '.join('?' * len(rows[0]))})", rows)
    c.close()
    return path, new_pg_database(pg_server)


@pytest.mark.parametrize("kind", ["jsonb", "json"])
def test_json_whose_strings_lost_their_spaces_is_a_mismatch(
    tmp_path: Path, pg_server: object, kind: str
) -> None:
    rows = [(i, json.dumps(doc)) for i, doc in enumerate(SPACED, 1)]
    path, url = _copied(tmp_path, pg_server, "create table docs (id integer primary key, body json)", rows)
    source, target = open_database(str(path)), open_database(url)
    try:
        with target.transaction() as conn:
            conn.exec_driver_sql(f"create table docs (id integer primary key, body {kind})")
        (same,) = copy_database(source, target).checks
        assert same.checksum_source.startswith("md5:") and same.ok, same
        with target.transaction() as conn:
            for i, doc in enumerate(SPACED, 1):
                conn.exec_driver_sql(
                    f"update docs set body = %(b)s::{kind} where id = %(i)s",
                    {"b": json.dumps(_tight(doc)), "i": i},
                )
        (changed,) = verify_tables(source, target)
    finally:
        source.dispose()
        target.dispose()
    assert changed.rows_source == changed.rows_target == len(SPACED)
    assert not changed.checksum_match, "strings without their spaces must not match"


@pytest.mark.parametrize("kind", ["jsonb", "json"])
def test_json_with_a_lone_surrogate_is_refused_naming_table_and_column(
    tmp_path: Path, pg_server: object, kind: str
) -> None:
    rows = [(1, '{"fine": "ok"}'), (2, '{"secret": "plugh \\udc00 xyzzy"}')]
    path, url = _copied(tmp_path, pg_server, "create table docs (id integer primary key, body json)", rows)
    source, target = open_database(str(path)), open_database(url)
    try:
        with target.transaction() as conn:
            conn.exec_driver_sql(f"create table docs (id integer primary key, body {kind})")
        with pytest.raises(WardenError) as refused:
            copy_database(source, target)
    finally:
        source.dispose()
        target.dispose()
    message = str(refused.value)
    assert "docs" in message and "column body" in message
    assert not [w for w in ("secret", "plugh", "xyzzy") if w in message], "never the value"
