"""Tables without a declared primary key: keyed by a unique NOT NULL column on both backends, by SQLite's
rowid otherwise, and read-only on PostgreSQL when neither exists (issue 14)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.data import repository as repo
from core.data.audit_trail import AUDIT_OFF
from core.data.changes import Change, Delete, Insert, Update
from core.data.exporting import export_file
from core.engine.db import Database, open_database
from core.errors import ConflictError, ReadOnlyError, ValidationError
from core.schema.load import load_catalog
from tests.fixtures.journal_file import fingerprint
from tests.fixtures.keyless import RUNES, SPELL_CLASSES, build_keyless_pg, build_keyless_sqlite
from tests.fixtures.postgres import new_pg_database


@pytest.fixture
def keyless_file(tmp_path: Path) -> Path:
    path = tmp_path / "keyless.db"
    build_keyless_sqlite(str(path))
    return path


@pytest.fixture
def sqlite_db(keyless_file: Path) -> Iterator[Database]:
    db = open_database(str(keyless_file))
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def runes_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with the table `runes`, whose only key is its unique NOT NULL `code`, on each backend."""
    if request.param == "sqlite":
        url = str(tmp_path / "keyless.db")
        build_keyless_sqlite(url)
    else:
        url = new_pg_database(request.getfixturevalue("pg_server"), vector=False)
        build_keyless_pg(url)
    db = open_database(url)
    yield db
    db.dispose()


def _rows(db: Database, name: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in repo.fetch_page(db, load_catalog(db), name).rows]


def _other_app(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    try:
        for stmt in statements:
            conn.execute(stmt)
        conn.commit()
    finally:
        conn.close()


# --- which key ------------------------------------------------------------------------------------


def test_sqlite_tables_are_keyed_by_primary_key_unique_column_or_rowid(sqlite_db: Database) -> None:
    cat = load_catalog(sqlite_db)
    links = cat.get("spell_classes")
    assert not links.read_only and links.key_source == "rowid" and links.primary_key == ("rowid",)
    assert links.is_link  # the rowid is bookkeeping, not payload
    rowid = links.column("rowid")
    assert rowid.row_id and rowid.primary_key and not rowid.nullable
    assert "VACUUM may renumber it" in str(rowid.never_written_reason)
    assert [c.name for c in links.columns] == ["spell_id", "class_id", "rowid"]

    runes = cat.get("runes")  # a nullable unique column and a partial unique index do not count
    assert runes.key_source == "unique" and runes.primary_key == ("code",) and not runes.read_only
    assert "rowid" not in runes.column_names and runes.column("code").primary_key

    words = cat.get("words")  # WITHOUT ROWID: it has no rowid, and always a primary key
    assert words.key_source == "primary key" and words.primary_key == ("word",)
    assert not any(c.row_id for c in words.columns)

    tallies = cat.get("tallies")  # a real column is called rowid: the rowid is reached as _rowid_
    assert tallies.primary_key == ("_rowid_",) and not tallies.column("rowid").row_id
    assert _rows(sqlite_db, "tallies") == [("a", 1, 1), ("b", 2, 2)]

    doc = links.as_dict()
    assert doc["key_source"] == "rowid" and doc["primary_key"] == ["rowid"]
    assert [c["name"] for c in doc["columns"] if c["row_id"]] == ["rowid"]
    assert cat.get("spells").as_dict()["key_source"] == "primary key"


def test_inspect_says_what_keys_each_table(keyless_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from core import cli

    assert cli.main(["inspect", "--db", str(keyless_file), "--json"]) == 0
    entities = {e["name"]: e for e in json.loads(capsys.readouterr().out)["entities"]}
    assert entities["spell_classes"]["key_source"] == "rowid"
    assert entities["runes"]["key_source"] == "unique" and entities["runes"]["primary_key"] == ["code"]
    assert cli.main(["inspect", "--db", str(keyless_file)]) == 0
    out = capsys.readouterr().out
    assert "keyed by its rowid (rowid; VACUUM may renumber it)" in out and "keyed by unique code" in out


def test_postgres_table_without_any_key_stays_read_only(pg_server: object) -> None:
    url = new_pg_database(pg_server, vector=False)
    build_keyless_pg(url)
    db = open_database(url)
    try:
        cat = load_catalog(db)
        notes = cat.get("loose_notes")
        assert notes.read_only and notes.key_source is None and notes.primary_key == ()
        assert notes.read_only_reason == (
            "it has no primary key and no unique NOT NULL column, so Warden cannot tell its rows apart"
        )
        assert notes.column_names == ["body", "weight"]  # neither a rowid nor a ctid is made up
        with pytest.raises(ReadOnlyError, match="no unique NOT NULL column"):
            repo.save(db, cat, [Insert("loose_notes", {"body": "third"})], audit=AUDIT_OFF)
        assert len(_rows(db, "loose_notes")) == 2
    finally:
        db.dispose()


# --- the rowid ------------------------------------------------------------------------------------


def test_rowid_table_edits_inserts_and_deletes_by_rowid(sqlite_db: Database) -> None:
    cat = load_catalog(sqlite_db)
    assert _rows(sqlite_db, "spell_classes") == [(*r, i) for i, r in enumerate(SPELL_CLASSES, 1)]
    loaded = repo.get_row(sqlite_db, cat, "spell_classes", {"rowid": 5})
    assert loaded == {"spell_id": 2, "class_id": 10, "rowid": 5}
    result = repo.save(
        sqlite_db,
        cat,
        [
            Insert("spell_classes", {"spell_id": 2, "class_id": 40}),
            Insert("spell_classes", {"spell_id": 1, "class_id": 40}),
            Update("spell_classes", {"rowid": 5}, {"class_id": 20}, dict(loaded)),
            Delete("spell_classes", {"rowid": 4}, {"spell_id": 2, "class_id": 10, "rowid": 4}),
        ],
        audit=AUDIT_OFF,
    )
    assert [r.key for r in result.inserted] == [{"rowid": 6}, {"rowid": 7}]  # SQLite numbered them
    assert [r.key for r in result.updated] == [{"rowid": 5}] and [r.key for r in result.deleted] == [
        {"rowid": 4}
    ]
    # Of the two equal rows only the one asked for changed, and the other equal row went.
    assert _rows(sqlite_db, "spell_classes") == [
        (1, 10, 1),
        (1, 20, 2),
        (1, 30, 3),
        (2, 20, 5),
        (2, 40, 6),
        (1, 40, 7),
    ]


def test_rowid_is_never_written(sqlite_db: Database) -> None:
    cat = load_catalog(sqlite_db)
    with pytest.raises(ValidationError) as exc:
        repo.save(
            sqlite_db,
            cat,
            [Insert("spell_classes", {"spell_id": 1, "class_id": 50, "rowid": 99})],
            audit=AUDIT_OFF,
        )
    assert [p.column for p in exc.value.problems] == ["rowid"]
    with pytest.raises(ValidationError):
        repo.save(
            sqlite_db,
            cat,
            [Update("spell_classes", {"rowid": 1}, {"rowid": 99}, {"rowid": 1})],
            audit=AUDIT_OFF,
        )
    assert _rows(sqlite_db, "spell_classes") == [(*r, i) for i, r in enumerate(SPELL_CLASSES, 1)]


def test_rowid_renumbered_by_vacuum_is_a_conflict_not_another_rows_edit(
    keyless_file: Path, sqlite_db: Database
) -> None:
    """Rows found by their rowid are checked whole: after another program's VACUUM renumbered rowid 2 to
    another row with the same spell_id, my edit of spell_id is a conflict, not a write to that row."""
    cat = load_catalog(sqlite_db)
    second = repo.get_row(sqlite_db, cat, "spell_classes", {"rowid": 2})  # (1, 20)
    third = repo.get_row(sqlite_db, cat, "spell_classes", {"rowid": 3})  # (1, 30)
    edits: list[Change] = [
        Update("spell_classes", {"rowid": 2}, {"spell_id": 2}, dict(second)),
        Update("spell_classes", {"rowid": 3}, {"spell_id": 2}, dict(third)),
    ]
    sqlite_db.engine.dispose()  # let the other program VACUUM
    _other_app(keyless_file, "DELETE FROM spell_classes WHERE rowid = 1")
    _other_app(keyless_file, "VACUUM")
    after = [(1, 20, 1), (1, 30, 2), (2, 10, 3), (2, 10, 4)]
    assert _rows(sqlite_db, "spell_classes") == after  # renumbered: rowid 2 is (1, 30) now
    for batch in (edits, edits[:1]):  # a run of updates (one statement, many rows) and one alone
        with pytest.raises(ConflictError) as exc:
            repo.save(sqlite_db, cat, batch, audit=AUDIT_OFF)
        assert {c.key["rowid"] for c in exc.value.conflicts} >= {2}
        assert _rows(sqlite_db, "spell_classes") == after  # nothing was written
    # A delete carries the row as loaded too.
    with pytest.raises(ConflictError):
        repo.save(sqlite_db, cat, [Delete("spell_classes", {"rowid": 2}, dict(second))], audit=AUDIT_OFF)
    assert _rows(sqlite_db, "spell_classes") == after


def test_reading_a_keyless_file_changes_no_byte(keyless_file: Path, tmp_path: Path) -> None:
    before = fingerprint(keyless_file)
    db = open_database(str(keyless_file))
    try:
        cat = load_catalog(db)
        for name in ("spell_classes", "runes", "words", "tallies"):
            assert repo.fetch_page(db, cat, name).rows
        assert repo.get_row(db, cat, "spell_classes", {"rowid": 1})["class_id"] == 10
        export_file(db, cat, "spell_classes", tmp_path / "links.json", "json")
    finally:
        db.dispose()
    assert fingerprint(keyless_file) == before
    # The rowid is no data: an export leaves it out.
    exported = json.loads((tmp_path / "links.json").read_text())
    assert exported[0] == {"spell_id": 1, "class_id": 10}


# --- a unique NOT NULL key ------------------------------------------------------------------------


def test_unique_key_edits_inserts_deletes_and_checks_conflicts(runes_db: Database) -> None:
    cat = load_catalog(runes_db)
    runes = cat.get("runes")
    assert runes.key_source == "unique" and runes.primary_key == ("code",) and not runes.read_only
    assert "rowid" not in runes.column_names
    ka = repo.get_row(runes_db, cat, "runes", {"code": "ka"})
    repo.save(
        runes_db,
        cat,
        [
            Insert("runes", {"code": "zu", "power": 9}),
            Update("runes", {"code": "ka"}, {"note": "hot"}, {"note": ka["note"]}),
            Delete("runes", {"code": "lu"}, {"code": "lu", "alias": None, "power": 5, "note": None}),
        ],
        audit=AUDIT_OFF,
    )
    stored = {r[0]: r for r in _rows(runes_db, "runes")}
    assert set(stored) == {"ka", "mo", "zu"}
    assert stored["ka"][3] == "hot" and stored["zu"][2] == 9
    with pytest.raises(ValidationError, match="cannot be changed"):  # the key is not edited in place
        repo.save(
            runes_db, cat, [Update("runes", {"code": "ka"}, {"code": "kb"}, {"code": "ka"})], audit=AUDIT_OFF
        )
    # Someone else changed the note since I loaded it: a conflict, found by the unique key.
    with runes_db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE runes SET note = 'cold' WHERE code = 'ka'")
    with pytest.raises(ConflictError) as exc:
        repo.save(
            runes_db,
            cat,
            [Update("runes", {"code": "ka"}, {"note": "warmer"}, {"note": "hot"})],
            audit=AUDIT_OFF,
        )
    assert exc.value.conflicts[0].key == {"code": "ka"} and exc.value.conflicts[0].stored is not None
    assert {r[0]: r[3] for r in _rows(runes_db, "runes")}["ka"] == "cold"
    assert RUNES[2][0] in {r[0] for r in _rows(runes_db, "runes")}
