"""Odd names in every core tool, on both backends: spaces, slashes, a leading digit, reserved words, both
quotes and non-ASCII letters, in table and column names, and foreign keys between such tables
(tests/fixtures/odd_names.py). Pages, sorts, every filter kind, get, related rows, the FK search, the
delete preview, saves, exports and the CLI's `--entity`, `--where` and `--sort`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core import cli
from core.data import writes
from core.data.audit_trail import AUDIT_OFF
from core.data.changes import Delete, Insert, Update
from core.data.exporting import export_file, write_export
from core.data.lookup import search_labels
from core.data.query import UNSORTABLE_KINDS
from core.data.repository import Filter, exact_count, fetch_page, get_row, related
from core.engine.db import Database, open_database
from core.errors import ConflictError
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from tests.fixtures.odd_names import (
    ENTITIES,
    GUILD_KEY,
    GUILD_LABEL,
    GUILD_NAMES,
    GUILD_RESERVED,
    GUILD_SCORE,
    GUILDS,
    QUOTED,
    QUOTED_FK,
    QUOTED_KEY,
    QUOTED_LABEL,
    SELECT,
    SELECT_FK,
    SELECT_KEY,
    SELECT_LABEL,
    SELECT_RATIO,
    SELECT_ROWS,
    SELECT_WHERE,
    build_odd_names,
)
from tests.fixtures.postgres import new_pg_database


@pytest.fixture
def odd_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The odd-named tables on the current backend: a SQLite file another program made, or a PG database."""
    if backend == "sqlite":
        url = str(tmp_path / "odd names 'x'.db")
    else:
        url = new_pg_database(request.getfixturevalue("pg_server"), vector=False)
    build_odd_names(url)
    return url


@pytest.fixture
def odd(odd_url: str) -> Iterator[tuple[Database, Catalog]]:
    """The odd-named database, open, with its catalog."""
    db = open_database(odd_url)
    try:
        yield db, load_catalog(db)
    finally:
        db.dispose()


def _dicts(db: Database, catalog: Catalog, entity: str, **view: Any) -> list[dict[str, Any]]:
    page = fetch_page(db, catalog, entity, **view)
    return [dict(zip(page.columns, row, strict=True)) for row in page.rows]


def test_the_catalog_holds_every_odd_name(odd: tuple[Database, Catalog]) -> None:
    """Each table is an editable entity under its own name, with its key, label and foreign keys."""
    _db, catalog = odd
    assert set(ENTITIES) <= set(catalog.entities)
    guilds, select, quoted = (catalog.get(n) for n in (GUILDS, SELECT, QUOTED))
    assert guilds.column_names == [GUILD_KEY, GUILD_LABEL, GUILD_RESERVED, GUILD_SCORE]
    assert guilds.primary_key == (GUILD_KEY,) and guilds.label == GUILD_LABEL and not guilds.read_only
    assert [(fk.columns, fk.target, fk.target_columns) for fk in select.foreign_keys] == [
        ((SELECT_FK,), GUILDS, (GUILD_KEY,))
    ]
    assert [(fk.columns, fk.target) for fk in quoted.foreign_keys] == [((QUOTED_FK,), SELECT)]
    assert quoted.primary_key == (QUOTED_KEY,) and quoted.label == QUOTED_LABEL


def test_pages_sorts_and_keyset_paging(odd: tuple[Database, Catalog]) -> None:
    """Every sortable column sorts both ways, and paging two rows at a time by keyset reads every row once."""
    db, catalog = odd
    for name in ENTITIES:
        ent = catalog.get(name)
        every = _dicts(db, catalog, name)
        assert every, name
        for info in ent.columns:
            if info.kind in UNSORTABLE_KINDS:
                continue
            for desc in (False, True):
                sort = [(info.name, desc)]
                page = fetch_page(db, catalog, name, sort=sort, limit=2)
                seen = list(page.rows)
                while page.has_more:
                    page = fetch_page(db, catalog, name, sort=sort, limit=2, after=page.last_cursor)
                    seen.extend(page.rows)
                # As text: a NaN is not equal to itself.
                assert sorted(map(repr, seen)) == sorted(repr(tuple(r.values())) for r in every), (
                    name,
                    info.name,
                    desc,
                )
        last = fetch_page(db, catalog, name, limit=1, from_end=True)
        assert repr(last.rows) == repr([tuple(every[-1].values())])


def test_every_filter_kind_on_odd_columns(odd: tuple[Database, Catalog]) -> None:
    """eq, ne, comparisons, between, contains, one of, is set / is empty and the quick filter."""
    db, catalog = odd
    keys = {
        "eq": [Filter(SELECT_WHERE, "eq", 20)],
        "ne": [Filter(SELECT_WHERE, "ne", 20)],
        "lt": [Filter(SELECT_RATIO, "lt", 0.5)],
        "le": [Filter(SELECT_RATIO, "le", 0.5)],
        "gt": [Filter(SELECT_WHERE, "gt", 40)],
        "ge": [Filter(SELECT_WHERE, "ge", 40)],
        "range": [Filter(SELECT_WHERE, "range", (20, 40))],
        "contains": [Filter(SELECT_LABEL, "contains", "RT 3")],
        "in": [Filter(SELECT_LABEL, "in", ["wört 1", "wört 6"])],
        "is_null": [Filter(SELECT_RATIO, "is_null")],
        "not_null": [Filter(SELECT_FK, "not_null")],
        "fk": [Filter(SELECT_FK, "eq", 1)],
    }
    expected = {
        "eq": {2},
        "ne": {1, 3, 4, 5, 6},
        "lt": {1},
        "le": {1, 2},
        "gt": {5, 6},
        "ge": {4, 5, 6},
        "range": {2, 3, 4},
        "contains": {3},
        "in": {1, 6},
        "is_null": set(),
        "not_null": {1, 2, 3, 4, 5, 6},
        "fk": {k for k, g, *_ in SELECT_ROWS if g == 1},
    }
    for kind, filters in keys.items():
        rows = _dicts(db, catalog, SELECT, filters=filters)
        assert {r[SELECT_KEY] for r in rows} == expected[kind], kind
        assert exact_count(db, catalog.get(SELECT), filters) == len(expected[kind]), kind
    assert {r[GUILD_KEY] for r in _dicts(db, catalog, GUILDS, quick="hand")} == {1}
    assert {r[GUILD_KEY] for r in _dicts(db, catalog, GUILDS, quick="from 3")} == {3}  # the `select` column
    assert [r[QUOTED_LABEL] for r in _dicts(db, catalog, QUOTED, quick="ë")] == ["ë"]


def test_get_related_fk_search_and_delete_preview(odd: tuple[Database, Catalog]) -> None:
    """A row by its odd key, its neighbours both ways, the FK picker's search and what a delete cascades."""
    db, catalog = odd
    assert get_row(db, catalog, GUILDS, {GUILD_KEY: 2})[GUILD_LABEL] == GUILD_NAMES[1]
    groups = {(g.entity, g.direction): g for g in related(db, catalog, SELECT, {SELECT_KEY: 1})}
    assert groups[(GUILDS, "outgoing")].count == 1 and groups[(GUILDS, "outgoing")].labels == [GUILD_NAMES[1]]
    assert groups[(QUOTED, "incoming")].count == 1
    found = search_labels(db, catalog, GUILDS, "'hand'")
    assert [(m.key, m.label) for m in found] == [({GUILD_KEY: 1}, GUILD_NAMES[0])]
    assert [m.key for m in search_labels(db, catalog, GUILDS, '"Wardens"')] == [{GUILD_KEY: 2}]
    assert [m.label for m in search_labels(db, catalog, SELECT, "wört 4")] == ["wört 4"]
    preview = writes.delete_preview(db, catalog, GUILDS, [{GUILD_KEY: 1}])
    assert [(e.entity, e.count) for e in preview.effects][:1] == [(SELECT, 2)]


def test_saves_update_insert_and_delete(odd: tuple[Database, Catalog]) -> None:
    """An edit (checked against the loaded values), an insert and a delete, each by its odd names."""
    db, catalog = odd
    key = {SELECT_KEY: 3}
    row = get_row(db, catalog, SELECT, key)
    change = Update(
        SELECT, key, {SELECT_LABEL: "it's \"new\"", SELECT_RATIO: 9.5},
        original={SELECT_LABEL: row[SELECT_LABEL], SELECT_RATIO: row[SELECT_RATIO]},
    )  # fmt: skip
    writes.save(db, catalog, [change], audit=AUDIT_OFF)
    assert get_row(db, catalog, SELECT, key)[SELECT_LABEL] == 'it\'s "new"'
    with pytest.raises(ConflictError):  # the loaded value is no longer there
        writes.save(
            db,
            catalog,
            [Update(SELECT, key, {SELECT_LABEL: "x"}, original={SELECT_LABEL: "wört 3"})],
            audit=AUDIT_OFF,
        )
    saved = writes.save(
        db,
        catalog,
        [Insert(GUILDS, {GUILD_LABEL: "Nëw/Guild", GUILD_RESERVED: "select *", GUILD_SCORE: 0.5})],
        audit=AUDIT_OFF,
    )
    new_key = saved.inserted[0].key
    assert get_row(db, catalog, GUILDS, new_key)[GUILD_RESERVED] == "select *"
    writes.save(db, catalog, [Insert(QUOTED, {QUOTED_FK: 2, QUOTED_LABEL: "ï"})], audit=AUDIT_OFF)
    writes.save(db, catalog, [Delete(GUILDS, {GUILD_KEY: 1})], audit=AUDIT_OFF)
    assert {r[SELECT_FK] for r in _dicts(db, catalog, SELECT)} == {2, 3}  # ON DELETE CASCADE followed


def test_exports_carry_odd_names(odd: tuple[Database, Catalog], tmp_path: Path) -> None:
    """CSV headers and JSON keys are the names as they are; a filtered, sorted export of each table."""
    db, catalog = odd
    for name in ENTITIES:
        ent = catalog.get(name)
        out = io.StringIO()
        assert write_export(out, db, catalog, name, "csv") == len(_dicts(db, catalog, name))
        assert next(csv.reader(io.StringIO(out.getvalue()))) == ent.column_names
    target = tmp_path / "sélect 'x' \"y\".json"
    result = export_file(
        db, catalog, SELECT, target, "json",
        sort=[(SELECT_WHERE, True)], filters=[Filter(SELECT_FK, "eq", 1)], quick="wört",
    )  # fmt: skip
    rows = json.loads(target.read_text(encoding="utf-8"))
    assert result.rows == 2 and [r[SELECT_KEY] for r in rows] == [6, 3]
    assert list(rows[0]) == catalog.get(SELECT).column_names


def test_the_cli_takes_odd_entity_and_column_names(
    odd_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`warden inspect` (text and --json) lists the odd names; `warden export --entity`, --where, --sort."""
    assert cli.main(["inspect", "--db", odd_url]) == 0
    text = capsys.readouterr().out
    assert all(name in text for name in ENTITIES) and f"→ {GUILDS}" in text
    assert cli.main(["inspect", "--db", odd_url, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    by_name = {e["name"]: e for e in doc["entities"]}
    assert set(ENTITIES) <= set(by_name)
    assert [c["name"] for c in by_name[GUILDS]["columns"]] == [
        GUILD_KEY,
        GUILD_LABEL,
        GUILD_RESERVED,
        GUILD_SCORE,
    ]
    out = tmp_path / "select.json"
    args = ["export", "--db", odd_url, "--entity", SELECT, "--format", "json", "-o", str(out)]
    assert cli.main([*args, "--where", f"{SELECT_FK}=2", "--sort", f"{SELECT_WHERE}:desc"]) == 0
    assert [r[SELECT_KEY] for r in json.loads(out.read_text(encoding="utf-8"))] == [4, 1]
    for name in ENTITIES:
        assert cli.main(["export", "--db", odd_url, "--entity", name]) == 0
        header = next(csv.reader(io.StringIO(capsys.readouterr().out)))
        assert header[0] in (GUILD_KEY, SELECT_KEY, QUOTED_KEY, "id")
    assert cli.main(["export", "--db", odd_url, "--entity", "selec"]) != 0
    assert "selec" in capsys.readouterr().err


def test_the_graph_and_keyword_search_over_odd_names(odd: tuple[Database, Catalog]) -> None:
    """The record graph walks foreign keys between odd-named tables both ways, and the search panel's
    keyword side finds a row by its odd-named label column (issue 14: odd names hold in every tool)."""
    from core.graph.neighbourhood import neighbourhood
    from core.search.hybrid import search_text

    db, catalog = odd
    hood = neighbourhood(db, catalog, GUILDS, {GUILD_KEY: 2}, depth=2)
    entities = {n.entity for n in hood.nodes if not n.aggregate}
    assert {GUILDS, SELECT, QUOTED} <= entities  # guild ← select rows ← quoted rows, two hops out
    labels = {n.label for n in hood.nodes if n.entity == SELECT}
    expected = {label for _key, guild, label, _w, _r in SELECT_ROWS if guild == 2}
    assert labels == expected
    found = search_text(db, catalog, SELECT, "wört 4", None, mode="keyword", k=3)
    assert found.hits and found.hits[0].label == "wört 4"
