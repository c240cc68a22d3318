"""Staged-change bookkeeping, paste reading and the page window, as plain Python (no database, no Qt)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core.data.changes import Delete, Insert, Update
from core.engine.db import Database
from core.errors import Conflict, FieldProblem
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from gui.editor.model.page_cache import MAX_PAGES, PAGE_SIZE, PageCache
from gui.editor.model.page_loading import Loaded
from gui.editor.model.staging import UNSET, NewRow, PasteTarget, Staging, build_paste, new_token, parse_tsv


@pytest.fixture
def catalog(sqlite_db: Database) -> Catalog:
    """The reference schema's catalog."""
    return load_catalog(sqlite_db)


def location(name: str = "Glade", version: int = 1) -> dict[str, Any]:
    """A loaded locations row."""
    return {
        "id": uuid.uuid4(), "region_id": uuid.uuid4(), "name": name, "location_type": "forest",
        "short_description": "", "full_description": None, "state_json": {}, "embedding": None,
        "version": version, "created_at": None, "updated_at": None,
    }  # fmt: skip


def test_edits_are_kept_by_key_and_become_one_batch(catalog: Catalog) -> None:
    """Updates carry original values and version; inserts and deletes follow; refs name each change."""
    staging = Staging(catalog.get("locations"))
    a, b = location("A", 3), location("B", 5)
    ka, kb = staging.key_of(a), staging.key_of(b)
    staging.set_value(("key", ka), "name", "A2", a)
    staging.set_value(("key", ka), "full_description", None, a)  # NULL → NULL: nothing to save
    staging.mark_deleted(kb, b, True)
    new = NewRow(new_token(), {"name": "C"})
    staging.add_insert(new)
    assert staging.count == 3
    assert staging.value(("key", ka), "name") == "A2" and staging.value(("key", ka), "version") is UNSET
    changes, refs = staging.changes()
    assert changes == [
        Insert("locations", {"name": "C"}),
        Update("locations", {"id": a["id"]}, {"name": "A2"}, {"name": "A"}, 3),
        Delete("locations", {"id": b["id"]}, {k: v for k, v in b.items() if k != "embedding"}, 5),
    ]
    assert refs == [("new", new.token), ("key", ka), ("key", kb)]
    staging.set_value(("key", ka), "name", "A", a)  # back to the loaded value
    assert ka not in staging.edits and staging.count == 2


def test_problems_land_on_cells_and_saves_forget_what_they_wrote(catalog: Catalog) -> None:
    """FieldProblem.row maps back to the staged row; a save clears only what it sent."""
    staging = Staging(catalog.get("locations"))
    a = location("A")
    ka = staging.key_of(a)
    new = NewRow(new_token(), {})
    staging.add_insert(new)
    staging.set_value(("key", ka), "name", None, a)
    _, refs = staging.changes()
    loose = staging.place_problems(
        [
            FieldProblem("name", "is required", 0),
            FieldProblem("name", "is required", 1),
            FieldProblem("locations", "the database refused this change (UNIQUE)", 1),
            FieldProblem("cursor", "odd", None),
        ],
        refs,
    )
    assert loose == ["cursor: odd"]
    assert staging.errors[(("new", new.token), "name")] == "is required"
    assert "UNIQUE" in staging.errors[(("key", ka), "name")]
    sent = staging.snapshot()
    staging.set_value(("key", ka), "short_description", "typed during the save", a)
    staging.forget_saved(sent, {ka: 2})
    assert staging.inserts == [] and staging.errors == {}
    assert staging.edits[ka].values == {"short_description": "typed during the save"}
    assert staging.edits[ka].version == 2


def test_resolve_mine_theirs_and_values(catalog: Catalog) -> None:
    """Keep mine, take theirs or a merged value; the base becomes the stored row and its version."""
    staging = Staging(catalog.get("locations"))
    a = location("A", 1)
    ka = staging.key_of(a)
    for column, value in (("name", "Mine"), ("short_description", "my words"), ("full_description", "x")):
        staging.set_value(("key", ka), column, value, a)
    theirs = {**a, "name": "Theirs", "short_description": "their words", "version": 2}
    conflict = Conflict("locations", {"id": a["id"]}, theirs, {})
    staging.resolve(
        conflict, ka, {"name": "mine", "short_description": "theirs", "full_description": "merged"}
    )
    edit = staging.edits[ka]
    assert edit.values == {"name": "Mine", "full_description": "merged"} and edit.version == 2
    assert edit.original["name"] == "Theirs"
    staging.resolve(conflict, ka, None)
    assert ka not in staging.edits
    staging.mark_deleted(ka, a, True)
    staging.resolve(Conflict("locations", {"id": a["id"]}, None, {}), ka, {})
    assert ka not in staging.deletes  # the row is gone already


def test_paste_preview_reads_and_checks_each_cell(catalog: Catalog) -> None:
    """Values are read for their column; bad ones, read-only columns and overflow are reported."""
    ent = catalog.get("locations")
    a = location("A")
    left = ent.column_names.index("name")
    stamp = "2024-01-01T00:00:00Z"
    third = ["Third", "cave", "short", "full", "{}", "[1]", "3", stamp, stamp, "extra"]
    grid = [["Good", "forest"], ["", "swamp-ish"], third]
    targets = [PasteTarget(("key", (a["id"],)), a), PasteTarget(None), PasteTarget(None)]
    preview = build_paste(catalog, ent, grid, 4, left, targets)
    problems = {(c.row, c.column): c.problem for c in preview.cells if c.problem}
    assert problems.keys() == {(5, "name"), (5, "location_type"), (6, "embedding"), (6, "version")}
    assert problems[(5, "name")] == "is required and cannot be blank"  # the label of locations
    assert "must be one of" in str(problems[(5, "location_type")])
    assert preview.problems == ["row 7: 1 value(s) beyond the last column"]
    assert preview.new_rows_from == 5 and not preview.ok
    clean = build_paste(catalog, ent, [["Good", "forest"]], 0, left, targets[:1])
    assert clean.ok and [c.value for c in clean.cells] == ["Good", "forest"]


def test_paste_refuses_deleted_and_unloaded_rows(catalog: Catalog) -> None:
    """A pasted line cannot land on a row staged for deletion or one not loaded yet."""
    ent = catalog.get("regions")
    preview = build_paste(
        catalog,
        ent,
        [["a"], ["b"]],
        0,
        1,
        [PasteTarget(("key", (1,)), {}, deleted=True), PasteTarget(None, missing=True)],
    )
    assert [bool(c.problem) for c in preview.cells] == [True, True] and preview.new_rows_from is None


def test_parse_tsv_spreadsheet_quoting() -> None:
    """Excel's TSV: CRLF lines, a trailing newline, quoted cells holding tabs and newlines, blank cells."""
    assert parse_tsv("a\tb\r\nc\t\r\n") == [["a", "b"], ["c", ""]]
    assert parse_tsv('"two\nlines"\t"tab\there"\n') == [["two\nlines", "tab\there"]]
    assert parse_tsv("") == [] and parse_tsv("\n") == [[""]]


cell_text = st.text(st.characters(blacklist_characters='\t\n\r"', blacklist_categories=["Cs"]), max_size=8)


@given(st.lists(st.lists(cell_text, min_size=1, max_size=4), min_size=1, max_size=5))
def test_parse_tsv_round_trips_plain_cells(rows: list[list[str]]) -> None:
    """Any block of plain cells comes back as it was written."""
    assume(rows[-1] != [""])  # a trailing blank line is the clipboard's line end, not a row
    text = "\n".join("\t".join(r) for r in rows)
    assert parse_tsv(text) == rows


# --- the page window ------------------------------------------------------------------------------


def page(slot: tuple[str, int], start: int, n: int = PAGE_SIZE) -> Loaded:
    """A loaded page whose rows are their own positions (and cursors)."""
    rows = [(i,) for i in range(start, start + n)]
    return Loaded(slot, rows, rows[0], rows[-1])


def test_head_and_tail_pages_resolve_positions() -> None:
    """Head pages count from the start, tail pages from the end, against the current total."""
    cache = PageCache()
    total = 10 * PAGE_SIZE + 50
    cache.store(page(("head", 0), 0))
    cache.store(page(("tail", 0), total - PAGE_SIZE))
    assert cache.row(5, total) == (5,) and cache.row(total - 1, total) == (total - 1,)
    assert cache.row(PAGE_SIZE * 3, total) is None
    assert cache.span(("tail", 0), total) == (total - PAGE_SIZE, total)
    assert cache.slot_for(10, total, True) == ("head", 0)
    assert cache.slot_for(total - 1, total, True) == ("tail", 0)
    assert cache.rows_held == 2 * PAGE_SIZE


def test_walks_start_from_the_nearest_known_cursor() -> None:
    """The first page from the start, the last from the end, others from a neighbour's cursor."""
    cache = PageCache()
    total = 100 * PAGE_SIZE
    first = cache.walk(("head", 0), total, True)
    assert (first.cursor, first.backward, first.skip, first.limit) == (None, False, 0, PAGE_SIZE)
    last = cache.walk(("tail", 0), total, False)
    assert (last.cursor, last.backward, last.skip, last.end_space) == (None, True, 0, True)
    cache.store(page(("head", 10), 10 * PAGE_SIZE))
    after = cache.walk(("head", 12), total, True)
    assert after.cursor == (11 * PAGE_SIZE - 1,) and not after.backward and after.skip == PAGE_SIZE
    before = cache.walk(("head", 9), total, True)
    assert before.cursor == (10 * PAGE_SIZE,) and before.backward and before.skip == 0
    far = cache.walk(("head", 80), total, True)
    assert far.cursor is None and far.backward and far.skip == 19 * PAGE_SIZE  # from the end
    keyless = PageCache(keyed=False).walk(("head", 7), total, True)
    assert keyless.offset == 7 * PAGE_SIZE


def test_eviction_keeps_memory_bounded() -> None:
    """Beyond MAX_PAGES the pages farthest from the centre go; wanted pages always stay."""
    cache = PageCache()
    total = 200 * PAGE_SIZE
    for i in range(MAX_PAGES + 10):
        cache.store(page(("head", i * 3), i * 3 * PAGE_SIZE))
    keep = cache.wanted(0, 30, total, True)
    dropped = cache.evict(keep, 15, total)
    assert len(cache.pages) == MAX_PAGES and len(dropped) == 10
    assert ("head", 0) in cache.pages and ("head", (MAX_PAGES + 9) * 3) not in cache.pages
    assert cache.missing(keep) == []
    cache.mark_stale()
    assert cache.missing(keep) == keep
