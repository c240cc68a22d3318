"""A SQLite database Warden did not create, copied into PostgreSQL (issue 10): its tables are created from the
reflected schema with translated types (bigint keys, JSON text -> jsonb, a float32 BLOB embedding ->
pgvector), values arrive exactly, rows referencing their own table are copied, keys continue after it."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from core.engine.db import Database, open_database
from core.migrate.copy import copy_database
from tests.fixtures.postgres import new_pg_database

DIM = 8


def build_reflected(path: Path) -> np.ndarray:
    """Raw SQL, as another app would write it: integer keys, JSON text, a BLOB vector named embedding."""
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((30, DIM)).astype("<f4")
    with sqlite3.connect(path) as c:
        c.executescript(
            """
            create table authors (id integer primary key, name text not null, meta text);
            create table books (
                id integer primary key,
                author_id integer not null references authors(id),
                sequel_of integer references books(id),
                title text not null,
                price numeric(8, 2),
                published datetime,
                embedding blob
            );
            """
        )
        for i in range(1, 7):
            c.execute(
                "insert into authors values (?, ?, ?)",
                (i, f"author {i}", json.dumps({"n": i, "tags": ["a"]})),
            )
        for i in range(1, 31):
            # Later books are sequels of earlier ones, and a few point forward: row order cannot satisfy both.
            sequel = None if i == 1 else (i - 1 if i % 7 else i + 1)
            c.execute(
                "insert into books values (?, ?, ?, ?, ?, ?, ?)",
                (
                    i,
                    i % 6 + 1,
                    sequel,
                    f"book {i}",
                    f"{i}.25",
                    f"2024-02-{i % 28 + 1:02d} 10:00:{i:02d}",
                    vectors[i - 1].tobytes(),
                ),
            )
    c.close()
    return vectors


@pytest.fixture
def reflected(tmp_path: Path) -> Iterator[tuple[Database, np.ndarray]]:
    path = tmp_path / "theirs.db"
    vectors = build_reflected(path)
    db = open_database(str(path))
    yield db, vectors
    db.dispose()


@pytest.fixture
def pg_target(pg_server: object) -> Iterator[Database]:
    db = open_database(new_pg_database(pg_server))
    yield db
    db.dispose()


def test_a_reflected_database_is_created_and_copied_with_translated_types(
    reflected: tuple[Database, np.ndarray], pg_target: Database
) -> None:
    src, vectors = reflected
    result = copy_database(src, pg_target, batch_rows=4)
    assert sorted(result.created) == ["authors", "books"]
    assert not result.migrated, "a reflected database gets no reference schema"
    assert result.ok and {c.table: c.rows_target for c in result.checks} == {"authors": 6, "books": 30}
    with pg_target.engine.connect() as conn:
        types: dict[str, str] = dict(
            conn.execute(
                sa.text(
                    "select a.attrelid::regclass::text || '.' || a.attname, "
                    "format_type(a.atttypid, a.atttypmod) "
                    "from pg_attribute a where a.attrelid in ('authors'::regclass, 'books'::regclass) "
                    "and a.attnum > 0 and not a.attisdropped"
                )
            ).all()
        )
        assert types["authors.id"] == "bigint" and types["books.author_id"] == "bigint"
        assert types["authors.meta"] == "jsonb"
        assert types["books.embedding"] == f"vector({DIM})"
        assert types["books.price"] == "numeric(8,2)"
        assert types["books.published"] == "timestamp without time zone"
        meta = conn.execute(sa.text("select meta from authors where id = 3")).scalar_one()
        assert meta == {"n": 3, "tags": ["a"]}
        row = conn.execute(sa.text("select price, published, embedding from books where id = 12")).one()
        assert row.price == Decimal("12.25")
        assert row.published == dt.datetime(2024, 2, 13, 10, 0, 12)
        stored = row.embedding.to_numpy() if hasattr(row.embedding, "to_numpy") else row.embedding
        assert np.asarray(stored, dtype="<f4").tobytes() == vectors[11].tobytes(), "vectors bit for bit"
        fks = conn.execute(sa.text("select count(*) from pg_constraint where contype = 'f'")).scalar_one()
        assert fks == 2
    # The serial key continues after the copied rows, as SQLite's INTEGER PRIMARY KEY would.
    with pg_target.transaction() as conn:
        new_id = conn.execute(sa.text("insert into authors (name) values ('new') returning id")).scalar_one()
    assert new_id == 7
    again = copy_database(src, pg_target)
    assert not again.created and sum(t.rows_copied for t in again.tables) == 0
    # The row added on the target is reported: the counts differ for that table only.
    assert [c.table for c in again.checks if not c.ok] == ["authors"]


def test_tables_referencing_each_other_in_a_circle_are_copied(tmp_path: Path, pg_target: Database) -> None:
    path = tmp_path / "circle.db"
    with sqlite3.connect(path) as c:
        c.executescript(
            """
            create table clubs (id integer primary key, name text, captain_id integer references members(id));
            create table members (id integer primary key, name text, club_id integer references clubs(id));
            """
        )
        for i in range(1, 11):  # each club's captain is a member of it: rows point both ways
            c.execute("insert into clubs values (?, ?, ?)", (i, f"club {i}", i * 3))
        for i in range(1, 31):
            c.execute("insert into members values (?, ?, ?)", (i, f"member {i}", (i - 1) // 3 + 1))
    c.close()
    src = open_database(str(path))
    try:
        result = copy_database(src, pg_target, batch_rows=4)
    finally:
        src.dispose()
    assert result.ok and {c.table: c.rows_target for c in result.checks} == {"members": 30, "clubs": 10}
    with pg_target.engine.connect() as conn:
        flags = conn.execute(sa.text("select condeferrable from pg_constraint where contype = 'f'")).scalars()
        assert list(flags) == [False, False], "the constraints are as they were made: checked at once"
