"""SQLite's virtual tables: shadow tables hidden, virtual tables and views read-only, FTS indexes used.

The file is made with raw SQL by the plain driver (tests/fixtures/virtual_tables.py): FTS5 and FTS4 with
external content, FTS4 with its own content, an R*Tree, a vec0 table, a view.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import cli
from core.data import writes
from core.data.changes import Delete, Insert, Update
from core.data.exporting import export_file
from core.data.query import fulltext_query
from core.data.repository import exact_count, fetch_page, get_row
from core.engine.db import Database, open_database
from core.errors import NotFoundError, ReadOnlyError
from core.schema import sqlite_tables
from core.schema.catalog import Catalog, EntityKind, FullTextIndex
from core.schema.load import load_catalog
from tests.fixtures.journal_file import fingerprint, sidecars
from tests.fixtures.virtual_tables import SHADOWS, build_virtual_tables

ALL_SHADOWS = {name for names in SHADOWS.values() for name in names}
#: Text a person may type that is FTS query syntax, or breaks it, when passed to MATCH as it is.
FTS_SYNTAX = [
    "AND",
    "OR NOT",
    "NEAR(dragon fire)",
    '"',
    '"dragon',
    'dra"gon',
    "title:dragon",
    "-fire",
    "*",
    "drag*",
    "^dragon",
    "(",
    ")",
    "'",
    ":",
    "+",
    "{title body}: fire",
    "fire -",
    "dra\x00gon",
]


@pytest.fixture
def virtual_tables_file(tmp_path: Path) -> Path:
    """A fresh virtual-tables file, in a folder of its own."""
    folder = tmp_path / "theirs"
    folder.mkdir()
    return build_virtual_tables(folder / "virtual.db")


@pytest.fixture
def opened(virtual_tables_file: Path) -> Iterator[tuple[Database, Catalog]]:
    """The virtual-tables file opened by Warden, and its catalog read afresh."""
    db = open_database(virtual_tables_file)
    try:
        yield db, load_catalog(db)
    finally:
        db.dispose()


def _ids(db: Database, catalog: Catalog, entity: str, quick: str) -> list[int]:
    return [int(row[0]) for row in fetch_page(db, catalog, entity, quick=quick).rows]


# --- shadow tables --------------------------------------------------------------------------------


def test_no_shadow_table_is_an_entity(opened: tuple[Database, Catalog]) -> None:
    """FTS3/4/5, R*Tree and vec0 shadow tables are not in the catalog, so no tool offers or edits them."""
    _db, catalog = opened
    names = set(catalog.entities)
    assert not names & ALL_SHADOWS
    assert names == {
        "items", "items_fts", "articles", "articles_fts", "notes", "boxes", "boxes_labels", "lore_vectors",
        "cheap_items",
    }  # fmt: skip
    with pytest.raises(NotFoundError):
        catalog.get("items_fts_data")


def test_warden_inspect_lists_no_shadow_table(
    virtual_tables_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`warden inspect --json` lists the virtual tables with their kind, and none of their shadow tables."""
    assert cli.main(["inspect", "--db", str(virtual_tables_file), "--json"]) == 0
    entities = {e["name"]: e for e in json.loads(capsys.readouterr().out)["entities"]}
    assert not set(entities) & ALL_SHADOWS
    assert entities["items_fts"]["kind"] == "fts" and entities["items_fts"]["read_only"]
    assert entities["boxes"]["kind"] == "virtual" and entities["cheap_items"]["kind"] == "view"
    assert entities["items"]["fulltext"] == {"table": "items_fts", "module": "fts5", "key": "id"}
    assert cli.main(["inspect", "--db", str(virtual_tables_file)]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:] if line.strip()}
    assert "full-text index: items_fts (FTS5)" in lines["items"]
    assert "read-only: it is an R*Tree" in lines["boxes"]
    assert not set(lines) & ALL_SHADOWS


def test_shadow_tables_by_name_alone(opened: tuple[Database, Catalog]) -> None:
    """Without PRAGMA table_list (SQLite before 3.37) the names find every shadow table, and only those."""
    db, _catalog = opened
    with db.engine.connect() as conn:
        every = [r[0] for r in conn.exec_driver_sql("select name from sqlite_master where type = 'table'")]
    virtual = sqlite_tables.virtual_tables(db)
    assert {v.module for v in virtual.values()} == {"fts5", "fts4", "rtree", "vec0"}
    found = sqlite_tables.shadow_tables_by_name(every, virtual)
    assert found == ALL_SHADOWS
    assert "boxes_labels" not in found  # named like a shadow of boxes, but not one of R*Tree's


def test_table_list_and_names_together(opened: tuple[Database, Catalog]) -> None:
    """SQLite's own word (table_list) misses sqlite-vec's vector chunks; the names add them."""
    db, _catalog = opened
    with db.engine.connect() as conn:
        reported = {r[1] for r in conn.exec_driver_sql("PRAGMA main.table_list") if r[2] == "shadow"}
    assert reported >= set(SHADOWS["items_fts"]) | set(SHADOWS["boxes"])
    assert "lore_vectors_vector_chunks00" not in reported
    every = list(reported | {"lore_vectors_vector_chunks00", "boxes_labels", "items"})
    assert sqlite_tables.shadow_tables(db, every, sqlite_tables.virtual_tables(db)) == reported | {
        "lore_vectors_vector_chunks00"
    }


# --- read-only kinds --------------------------------------------------------------------------------


def test_virtual_tables_and_views_are_read_only_with_their_kind(opened: tuple[Database, Catalog]) -> None:
    """Each says what it is and why it cannot be edited; a save touching one writes nothing."""
    db, catalog = opened
    kinds = {e.name: e.kind for e in catalog}
    assert kinds["items_fts"] == kinds["articles_fts"] == kinds["notes"] == EntityKind.FTS
    assert kinds["boxes"] == EntityKind.VIRTUAL
    assert kinds["lore_vectors"] == EntityKind.VEC0
    assert kinds["cheap_items"] == EntityKind.VIEW
    assert kinds["items"] == kinds["boxes_labels"] == EntityKind.TABLE
    for name in ("items_fts", "articles_fts", "notes", "boxes", "lore_vectors", "cheap_items"):
        assert catalog.get(name).read_only, name
    assert "full-text index (FTS5) of items" in (catalog.get("items_fts").read_only_reason or "")
    assert "R*Tree" in (catalog.get("boxes").read_only_reason or "")
    assert "view" in (catalog.get("cheap_items").read_only_reason or "")
    assert not catalog.get("items").read_only
    before = fetch_page(db, catalog, "boxes").rows
    for change in (
        Insert("boxes", {"id": 9, "min_x": 0.0, "max_x": 1.0, "min_y": 0.0, "max_y": 1.0}),
        Update("notes", {"rowid": 1}, {"body": "x"}, original={"body": "dragons are loud"}),
        Delete("items_fts", {"rowid": 1}),
        Update("cheap_items", {"id": 2}, {"title": "x"}, original={"title": "Ice wyrm"}),
    ):
        with pytest.raises(ReadOnlyError, match="read-only"):
            writes.save(db, catalog, [change])
    assert fetch_page(db, catalog, "boxes").rows == before


def test_virtual_tables_are_read_by_their_rowid(opened: tuple[Database, Catalog]) -> None:
    """FTS and R*Tree rows come in key order and one row is found by its key (the record form's read)."""
    db, catalog = opened
    assert catalog.get("boxes").primary_key == ("id",)
    assert [r[0] for r in fetch_page(db, catalog, "boxes").rows] == [1, 2]
    assert catalog.get("notes").primary_key == ("rowid",)
    assert get_row(db, catalog, "notes", {"rowid": 2})["body"] == "quiet mice"
    assert get_row(db, catalog, "items_fts", {"rowid": 3})["title"] == "Fire opal"


def test_a_view_pages_and_exports(opened: tuple[Database, Catalog], tmp_path: Path) -> None:
    """A view's rows page (by offset: it has no key) and export to CSV and JSON."""
    db, catalog = opened
    page = fetch_page(db, catalog, "cheap_items")
    assert sorted(r[1] for r in page.rows) == ["Fire opal", "Ice wyrm", "Rope"]
    result = export_file(db, catalog, "cheap_items", tmp_path / "cheap.json", "json")
    assert result.rows == 3
    rows = json.loads((tmp_path / "cheap.json").read_text(encoding="utf-8"))
    assert {r["title"] for r in rows} == {"Fire opal", "Ice wyrm", "Rope"}
    assert export_file(db, catalog, "cheap_items", tmp_path / "cheap.csv", "csv").rows == 3


# --- full-text search ------------------------------------------------------------------------------


def test_the_catalog_notes_the_fulltext_index(opened: tuple[Database, Catalog]) -> None:
    """External-content FTS5 (content_rowid) and FTS4 (the rowid: an INTEGER PRIMARY KEY) cover tables."""
    _db, catalog = opened
    assert catalog.get("items").fulltext == FullTextIndex("items_fts", "fts5", "id")
    assert catalog.get("articles").fulltext == FullTextIndex("articles_fts", "fts4", "article_id")
    assert catalog.get("notes").fulltext == FullTextIndex("notes", "fts4", "rowid")
    assert catalog.get("boxes_labels").fulltext is None and catalog.get("cheap_items").fulltext is None
    assert catalog.get("items").as_dict()["fulltext"] == {"table": "items_fts", "module": "fts5", "key": "id"}


def test_quick_filter_matches_words_through_the_index(opened: tuple[Database, Catalog]) -> None:
    """Words are matched from their start (prefix), all of them, in any column the index holds."""
    db, catalog = opened
    assert _ids(db, catalog, "items", "drag") == [1, 4]
    assert _ids(db, catalog, "items", "Dragon fire") == [1]
    assert _ids(db, catalog, "items", "breath DRAG") == [1]  # words from two columns, any case
    assert _ids(db, catalog, "items", "ragon") == []  # MATCH finds words, not any substring (LIKE would)
    assert _ids(db, catalog, "items", "3") == [3]  # a typed key finds its row
    assert exact_count(db, catalog.get("items"), quick="wyrm") == 2
    assert _ids(db, catalog, "articles", "hills") == [1]
    assert _ids(db, catalog, "notes", "loud drag") == [1]
    assert _ids(db, catalog, "items_fts", "gem") == [3]


def test_quick_filter_without_an_index_is_unchanged(opened: tuple[Database, Catalog]) -> None:
    """A table no index covers keeps the substring search."""
    db, catalog = opened
    assert _ids(db, catalog, "boxes_labels", "shadow") == [1]
    assert _ids(db, catalog, "cheap_items", "pal") == [3]


@pytest.mark.parametrize("typed", FTS_SYNTAX)
def test_fts_syntax_typed_is_words_not_an_error(opened: tuple[Database, Catalog], typed: str) -> None:
    """Operators, quotes, column filters and stars are searched as words: never a syntax error."""
    db, catalog = opened
    for entity in ("items", "articles", "notes"):
        fetch_page(db, catalog, entity, quick=typed)  # no error
    if typed in ("^dragon", "drag*", '"dragon'):  # the word itself, whatever surrounds it
        assert 1 in _ids(db, catalog, "items", typed)


def test_no_typing_is_an_fts_error(opened: tuple[Database, Catalog]) -> None:
    """Thousands of random strings of FTS syntax, quotes, NULs and letters: each is a query MATCH takes."""
    db, _catalog = opened
    rnd = random.Random(14)
    alphabet = string.printable + "\x00éß漢字\u200b\"'*^:-+(){}[]" + "NEAR AND OR NOT "
    with db.engine.connect() as conn:
        for _ in range(1500):
            typed = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 14)))
            for table, module in (("items_fts", "fts5"), ("articles_fts", "fts4")):
                query = fulltext_query(typed, module)
                if query is not None:
                    conn.exec_driver_sql(f"select rowid from {table} where {table} match ?", (query,)).all()


def test_fulltext_query_quotes_every_word() -> None:
    """Each word a prefix phrase; quotes doubled (FTS5) or dropped (FTS4); words without letters skipped."""
    assert fulltext_query('drag "fire', "fts5") == '"drag"* """fire"*'
    assert fulltext_query('drag "fire', "fts4") == '"drag*" " fire*"'
    assert fulltext_query("- * (", "fts5") is None
    assert fulltext_query("é", "fts5") == '"é"*'
    assert fulltext_query("dra\x00gon", "fts5") == '"dra"* "gon"*'


def test_quick_filter_export_uses_the_index(opened: tuple[Database, Catalog], tmp_path: Path) -> None:
    """An export of the filtered view holds the rows the grid shows."""
    db, catalog = opened
    out = tmp_path / "dragons.json"
    assert export_file(db, catalog, "items", out, "json", quick="dragon").rows == 2
    assert [r["id"] for r in json.loads(out.read_text(encoding="utf-8"))] == [1, 4]


def test_reading_changes_no_byte(virtual_tables_file: Path, tmp_path: Path) -> None:
    """Catalog, pages of every entity, searches and exports leave the file as it was."""
    before = fingerprint(virtual_tables_file)
    db = open_database(virtual_tables_file)
    try:
        catalog = load_catalog(db)
        for entity in catalog:
            fetch_page(db, catalog, entity.name)
            fetch_page(db, catalog, entity.name, quick="dragon")
        export_file(db, catalog, "items", tmp_path / "items.csv", "csv", quick="fire")
    finally:
        db.dispose()
    assert fingerprint(virtual_tables_file) == before and sidecars(virtual_tables_file) == []
