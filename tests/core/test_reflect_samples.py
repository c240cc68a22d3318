"""What reflection learns from a table's rows (core/schema/samples.py): JSON kept as text is found in the
first rows, or further on when those hold no value, on both backends; on PostgreSQL across several batches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.engine.db import Database, open_database
from core.schema import samples
from core.schema.kinds import ColumnKind
from core.schema.load import load_catalog
from tests.fixtures.postgres import new_pg_database

ROWS = samples.SAMPLE_ROWS + 5


def _ddl(backend: str) -> list[str]:
    doc = json.dumps({"lit": True}).replace("'", "''")
    n = samples.SAMPLE_ROWS
    if backend == "sqlite":  # generate_series is an extension on SQLite
        first = f"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {n}) "
        first += "SELECT n FROM c"
    else:
        first = f"SELECT n FROM generate_series(1, {n}) AS n"
    out = [
        # The first SAMPLE_ROWS rows hold no note: the sample looks further for one.
        "CREATE TABLE late_notes (id integer PRIMARY KEY, notes text)",
        f"INSERT INTO late_notes (id) {first}",
        f"INSERT INTO late_notes VALUES ({ROWS - 1}, '{doc}'), ({ROWS}, '[1, 2]')",
        # ... and there, plain text: not JSON.
        "CREATE TABLE late_words (id integer PRIMARY KEY, notes text)",
        f"INSERT INTO late_words (id) {first}",
        f"INSERT INTO late_words VALUES ({ROWS}, 'hello')",
        "CREATE TABLE counts (id integer PRIMARY KEY, n integer)",  # nothing to sample
        "INSERT INTO counts VALUES (1, 2)",
    ]
    for i in range(5):  # one JSON column each, in batches of two on PostgreSQL
        out += [
            f"CREATE TABLE docs_{i} (id integer PRIMARY KEY, body text, title text)",
            f"INSERT INTO docs_{i} VALUES (1, '{doc}', 'first'), (2, '[{i}]', 'second')",
        ]
    return out


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The tables above on each backend, open."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'samples.db'}"
    else:
        url = new_pg_database(request.getfixturevalue("pg_server"), vector=False)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for sql in _ddl(request.param):
            conn.exec_driver_sql(sql)
    engine.dispose()
    opened = open_database(url)
    yield opened
    opened.dispose()


def _kind(db: Database, entity: str, column: str) -> ColumnKind:
    return load_catalog(db, cached=False).entities[entity].column(column).kind


def test_json_found_past_the_first_rows_when_they_hold_none(db: Database) -> None:
    """A column empty in the first rows of a longer table is sampled further on: JSON there is JSON."""
    assert _kind(db, "late_notes", "notes") == ColumnKind.JSON
    assert _kind(db, "late_words", "notes") == ColumnKind.TEXT


def test_every_batch_of_samples_reaches_its_table(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL the samples come in batches read side by side: each table gets its own rows."""
    monkeypatch.setattr(samples, "PG_BATCH", 2)
    cat = load_catalog(db, cached=False)
    for i in range(5):
        assert cat.entities[f"docs_{i}"].column("body").kind == ColumnKind.JSON
        assert cat.entities[f"docs_{i}"].column("title").kind == ColumnKind.TEXT
    assert cat.entities["late_notes"].column("notes").kind == ColumnKind.JSON
    assert cat.entities["counts"].column("n").kind == ColumnKind.INTEGER
