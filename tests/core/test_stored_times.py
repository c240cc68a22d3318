"""Times another app wrote into a SQLite file as its own text: sorted pages, filters and saves by meaning.

SQLAlchemy spells a SQLite DATETIME '2026-01-01 10:00:00.000000'; most apps store '2026-01-01 10:00:00'.
Compared as TEXT the two differ, which lost rows between sorted pages, made '=' find nothing and turned
every save of such a row into a false conflict.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.data import repository as repo
from core.data.audit_trail import AUDIT_OFF
from core.data.changes import Delete, Update
from core.data.query import Filter, where_clauses
from core.engine.db import Database, open_database
from core.errors import ConflictError
from core.schema.catalog import Catalog
from core.schema.load import load_catalog

# Twelve rows, three to a timestamp: a page boundary falls inside a run of equal times at every page size.
STAMPS = [f"2026-01-01 10:0{i // 3}:00" for i in range(12)]
# Row i+1 of `seen` is NULL for every fourth row: the keyset's NULL-aware path.
SEEN = [None if i % 4 == 3 else f"2026-01-0{1 + i % 3}T08:00:00" for i in range(12)]
# One instant (2026-03-01 10:00 UTC) spelt the ways apps spell it, and two other times around it.
SHAPES = [
    (1, "2026-03-01 10:00:00"),
    (2, "2026-03-01T10:00:00"),
    (3, "2026-03-01 10:00:00.000"),
    (4, "2026-03-01T10:00:00Z"),
    (5, "2026-03-01 12:00:00+02:00"),
    (6, "2026-03-01 09:59:59.500"),
    (7, "2026-03-01T10:00:00.250Z"),
]


def build(path: Path) -> Path:
    """A SQLite file made by another program with plain sqlite3: DATETIME and TIME text, no fractions."""
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, happened DATETIME NOT NULL, seen DATETIME,"
        " at_time TIME, note TEXT)"
    )
    conn.execute("CREATE INDEX events_happened ON events (happened)")
    conn.executemany(
        "INSERT INTO events (id, happened, seen, at_time, note) VALUES (?, ?, ?, ?, ?)",
        [(i + 1, STAMPS[i], SEEN[i], f"0{i // 4}:30:00", f"n{i}") for i in range(12)],
    )
    conn.execute("CREATE TABLE shapes (id INTEGER PRIMARY KEY, at DATETIME)")
    conn.executemany("INSERT INTO shapes (id, at) VALUES (?, ?)", SHAPES)
    conn.commit()
    conn.close()
    return path


@pytest.fixture
def foreign(tmp_path: Path) -> Iterator[tuple[Database, Catalog, Path]]:
    """The file, opened as Warden opens a database it did not create."""
    path = build(tmp_path / "theirs.db")
    db = open_database(path)
    try:
        yield db, load_catalog(db), path
    finally:
        db.dispose()


def stored(path: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """What the file holds, read with the plain driver."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def ids(db: Database, cat: Catalog, entity: str, *filters: Filter) -> list[int]:
    page = repo.fetch_page(db, cat, entity, filters=list(filters), limit=100)
    return sorted(r[0] for r in page.rows)


def walk(
    db: Database, cat: Catalog, sort: list[tuple[str, bool]], limit: int, *, backward: bool
) -> list[int]:
    """Every page of a sorted grid, one after another, from the start (or from the end, backwards)."""
    seen: list[int] = []
    page = repo.fetch_page(db, cat, "events", sort=sort, limit=limit, from_end=backward)
    for _ in range(len(STAMPS) + 1):  # a cursor that goes nowhere must fail the test, not loop forever
        got = [r[0] for r in page.rows]
        seen = got + seen if backward else seen + got
        if not page.has_more:
            return seen
        if backward:
            page = repo.fetch_page(db, cat, "events", sort=sort, limit=limit, before=page.first_cursor)
        else:
            page = repo.fetch_page(db, cat, "events", sort=sort, limit=limit, after=page.last_cursor)
    raise AssertionError(f"paging never ended: {seen}")


def test_reflected_sqlite_times_are_marked_and_read_as_before(
    foreign: tuple[Database, Catalog, Path],
) -> None:
    """DATETIME and TIME of a foreign file compare by meaning; the grid still reads the values it read."""
    db, cat, _ = foreign
    ent = cat.get("events")
    marked = {c.name for c in ent.columns if c.times_as_text}
    assert marked == {"happened", "seen", "at_time"}
    rows = {r[0]: r for r in repo.fetch_page(db, cat, "shapes", limit=100).rows}
    assert rows[2][1] == dt.datetime(2026, 3, 1, 10, 0)  # '…T…' read as SQLAlchemy reads it
    assert rows[5][1] == dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert len(rows[1]) == 2  # no stored-text column leaks into the rows


@pytest.mark.parametrize("column", ["happened", "seen", "at_time"])
@pytest.mark.parametrize("desc", [False, True])
@pytest.mark.parametrize("limit", [1, 2, 5, 200])
def test_sorted_pages_hold_every_row_exactly_once(
    foreign: tuple[Database, Catalog, Path], column: str, desc: bool, limit: int
) -> None:
    """Pages sorted by a stored-text time, forwards and backwards, concatenate to the one-page order."""
    db, cat, _ = foreign
    sort = [(column, desc)]
    whole = [r[0] for r in repo.fetch_page(db, cat, "events", sort=sort, limit=100).rows]
    assert sorted(whole) == list(range(1, 13))
    assert walk(db, cat, sort, limit, backward=False) == whole
    assert walk(db, cat, sort, limit, backward=True) == whole


def test_sorted_pages_after_a_middle_cursor(foreign: tuple[Database, Catalog, Path]) -> None:
    """The page after a row inside a run of equal times holds the rest of that run, then the next run."""
    db, cat, _ = foreign
    first = repo.fetch_page(db, cat, "events", sort=[("happened", False)], limit=4)
    assert [r[0] for r in first.rows] == [1, 2, 3, 4]
    assert first.last_cursor == ("2026-01-01 10:01:00", 4)  # the stored text, not a re-spelt datetime
    rest = repo.fetch_page(db, cat, "events", sort=[("happened", False)], limit=3, after=first.last_cursor)
    assert [r[0] for r in rest.rows] == [5, 6, 7]
    back = repo.fetch_page(db, cat, "events", sort=[("happened", False)], limit=3, before=rest.first_cursor)
    assert [r[0] for r in back.rows] == [2, 3, 4]


def test_filters_compare_times_by_meaning(foreign: tuple[Database, Catalog, Path]) -> None:
    """=, ≠, <, ≤, >, ≥, between and in find the rows whose stored text means those times."""
    db, cat, _ = foreign
    at = "2026-01-01 10:01:00"
    assert ids(db, cat, "events", Filter("happened", "eq", at)) == [4, 5, 6]
    assert ids(db, cat, "events", Filter("happened", "ne", at)) == [1, 2, 3, 7, 8, 9, 10, 11, 12]
    assert ids(db, cat, "events", Filter("happened", "ge", at)) == list(range(4, 13))
    assert ids(db, cat, "events", Filter("happened", "gt", at)) == list(range(7, 13))
    assert ids(db, cat, "events", Filter("happened", "le", at)) == list(range(1, 7))
    assert ids(db, cat, "events", Filter("happened", "lt", at)) == [1, 2, 3]
    between = Filter("happened", "range", ("2026-01-01T10:01:00Z", "2026-01-01 10:02:00"))
    assert ids(db, cat, "events", between) == list(range(4, 10))
    assert ids(db, cat, "events", Filter("happened", "in", [at, "2026-01-01 10:03"])) == [4, 5, 6, 10, 11, 12]
    # "Filter by this value": the grid's value as text, and the loaded datetime itself.
    loaded = repo.get_row(db, cat, "events", {"id": 5})["happened"]
    assert ids(db, cat, "events", Filter("happened", "eq", str(loaded))) == [4, 5, 6]
    assert ids(db, cat, "events", Filter("happened", "eq", loaded)) == [4, 5, 6]
    assert repo.exact_count(db, cat.get("events"), [Filter("seen", "ne", "2026-01-01 08:00")]) == 9
    assert ids(db, cat, "events", Filter("at_time", "eq", "01:30")) == [5, 6, 7, 8]
    assert ids(db, cat, "events", Filter("at_time", "ge", "01:30:00")) == list(range(5, 13))


def test_filters_read_every_spelling_of_a_time(foreign: tuple[Database, Catalog, Path]) -> None:
    """'T' or space, fractions, 'Z' and offsets: the same instant is found however the app spelt it."""
    db, cat, _ = foreign
    assert ids(db, cat, "shapes", Filter("at", "eq", "2026-03-01T10:00:00+00:00")) == [1, 2, 3, 4, 5]
    assert ids(db, cat, "shapes", Filter("at", "ge", "2026-03-01 10:00")) == [1, 2, 3, 4, 5, 7]
    assert ids(db, cat, "shapes", Filter("at", "lt", "2026-03-01 10:00")) == [6]
    assert ids(db, cat, "shapes", Filter("at", "eq", "2026-03-01 12:00:00+02:00")) == [1, 2, 3, 4, 5]


def test_own_schema_keeps_plain_comparisons(schema_db: Database) -> None:
    """Warden's own UTC timestamps (both backends) are compared as bound, which an index serves directly."""
    cat = load_catalog(schema_db)
    assert not any(c.times_as_text for e in cat.entities.values() for c in e.columns)
    ent = next(e for e in cat.entities.values() if any(c.kind == "datetime" for c in e.columns))
    name = next(c.name for c in ent.columns if c.kind == "datetime")
    (clause,) = where_clauses(ent, [Filter(name, "ge", "2026-01-01 10:00")], None, schema_db.backend)
    assert "strftime" not in str(clause.compile(dialect=schema_db.engine.dialect))


def test_edits_of_a_row_with_a_stored_text_time_save(foreign: tuple[Database, Catalog, Path]) -> None:
    """Editing the time, another column, then deleting: each is checked against the row as loaded."""
    db, cat, path = foreign
    row = repo.get_row(db, cat, "events", {"id": 5})
    new = dt.datetime(2026, 1, 1, 11, 0, tzinfo=dt.UTC)
    repo.save(db, cat, [Update("events", {"id": 5}, {"happened": new}, original=dict(row))], audit=AUDIT_OFF)
    assert stored(path, "SELECT happened FROM events WHERE id = 5") == [("2026-01-01 11:00:00.000000",)]

    row = repo.get_row(db, cat, "events", {"id": 6})
    repo.save(db, cat, [Update("events", {"id": 6}, {"note": "edited"}, original=dict(row))], audit=AUDIT_OFF)
    repo.save(
        db,
        cat,
        [Update("events", {"id": 6}, {"at_time": dt.time(9, 15)}, original=dict(row))],
        audit=AUDIT_OFF,
    )
    assert stored(path, "SELECT happened, seen, note FROM events WHERE id = 6") == [
        ("2026-01-01 10:01:00", "2026-01-03T08:00:00", "edited")
    ]
    # Two rows in one batch (the general path), one of them with a NULL time.
    r7, r8 = (repo.get_row(db, cat, "events", {"id": i}) for i in (7, 8))
    repo.save(db, cat, [
        Update("events", {"id": 7}, {"seen": None, "note": "x"}, original=dict(r7)),
        Update("events", {"id": 8}, {"seen": "2026-02-01 00:00", "note": "y"}, original=dict(r8)),
    ], audit=AUDIT_OFF)  # fmt: skip
    assert stored(path, "SELECT id, note FROM events WHERE id IN (7, 8)") == [(7, "x"), (8, "y")]

    row = repo.get_row(db, cat, "events", {"id": 9})
    repo.save(db, cat, [Delete("events", {"id": 9}, original=dict(row))], audit=AUDIT_OFF)
    assert stored(path, "SELECT count(*) FROM events WHERE id = 9") == [(0,)]


def test_a_real_change_of_the_time_is_still_a_conflict(foreign: tuple[Database, Catalog, Path]) -> None:
    """Another program changed the stored time since it was loaded: the save writes nothing."""
    db, cat, path = foreign
    row = repo.get_row(db, cat, "events", {"id": 2})
    conn = sqlite3.connect(path)
    conn.execute("UPDATE events SET happened = '2026-01-01 10:00:01' WHERE id = 2")
    conn.commit()
    conn.close()
    with pytest.raises(ConflictError):
        later = Update("events", {"id": 2}, {"happened": "2026-01-02 00:00"}, original=dict(row))
        repo.save(db, cat, [later], audit=AUDIT_OFF)
    with pytest.raises(ConflictError):
        repo.save(db, cat, [Delete("events", {"id": 2}, original=dict(row))], audit=AUDIT_OFF)
    assert stored(path, "SELECT happened, note FROM events WHERE id = 2") == [("2026-01-01 10:00:01", "n1")]
    # The same spelling, re-read: no longer a conflict.
    fresh = repo.get_row(db, cat, "events", {"id": 2})
    repo.save(db, cat, [Update("events", {"id": 2}, {"note": "ok"}, original=dict(fresh))], audit=AUDIT_OFF)
    assert stored(path, "SELECT note FROM events WHERE id = 2") == [("ok",)]
