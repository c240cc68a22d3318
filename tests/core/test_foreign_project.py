"""A SQLite file another project's test suite wrote (tests/fixtures/foreign_project.py): opening it, loading
its catalog, reading every entity's pages, rows, neighbours and counts, exporting each entity, `warden
inspect --json` and `warden export` crash on nothing and change no byte of it, and leave no -wal, -shm or
-journal beside it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from core import cli
from core.data.exporting import export_file
from core.data.overview import estimate_counts, load_overview
from core.data.repository import exact_count, fetch_page, get_row, related
from core.engine.db import open_database
from tests.fixtures.foreign_project import PLAIN_TABLES, VIEWS, VIRTUAL_TABLES, build_foreign_project
from tests.fixtures.journal_file import fingerprint, sidecars
from tests.fixtures.odd_names import ENTITIES as ODD_ENTITIES


def _shadow_tables(path: Path) -> list[str]:
    """The tables in the file named after one of its virtual tables (their shadow tables), read immutably."""
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    finally:
        conn.close()
    return [n for n in names if n.startswith(tuple(f"{v}_" for v in VIRTUAL_TABLES))]


def _strict(text: str) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def project_file(tmp_path: Path) -> Path:
    """The other project's file, alone in its own folder."""
    folder = tmp_path / "their project"
    folder.mkdir()
    return build_foreign_project(folder / "test-suite.sqlite3")


def test_every_entity_reads_and_exports_and_the_file_keeps_its_bytes(
    project_file: Path, tmp_path: Path
) -> None:
    """Catalog, overview counts, first and last pages, counts, a row by its key, its neighbours, and CSV and
    JSON exports of every entity: nothing raises, the JSON is strict, and the file is as it was."""
    before = fingerprint(project_file)
    db = open_database(project_file)
    try:
        catalog, _overview = load_overview(db)
        names = set(catalog.entities)
        assert {*PLAIN_TABLES, *VIRTUAL_TABLES, *VIEWS, *ODD_ENTITIES} <= names
        estimate_counts(db, catalog)
        for name, ent in catalog.entities.items():
            first = fetch_page(db, catalog, name, limit=2)
            assert first.rows, name
            fetch_page(db, catalog, name, limit=2, from_end=True)
            assert exact_count(db, ent) >= len(first.rows)
            if ent.primary_key:
                row = dict(zip(first.columns, first.rows[0], strict=True))
                key = {k: row[k] for k in ent.primary_key}
                assert get_row(db, catalog, name, key)
                related(db, catalog, name, key)
            csv_path, json_path = tmp_path / "out.csv", tmp_path / "out.json"
            n = export_file(db, catalog, name, csv_path, "csv").rows
            assert len(list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8"))))) == n + 1
            assert export_file(db, catalog, name, json_path, "json").rows == n
            assert len(_strict(json_path.read_text(encoding="utf-8"))) == n, name
            assert sidecars(project_file) == [], name  # not even while it is open
        assert fetch_page(db, catalog, "articles", quick="ember").rows[0][1] == "Ash and ember"
    finally:
        db.dispose()
    assert fingerprint(project_file) == before
    assert sidecars(project_file) == []


def test_shadow_tables_are_not_entities(project_file: Path) -> None:
    """The virtual tables' shadow tables (FTS4/5, R*Tree, vec0) are not listed: an edit there corrupts the
    index."""
    before = fingerprint(project_file)
    shadows = _shadow_tables(project_file)
    assert len(shadows) >= 12  # FTS5 4, FTS4 5, R*Tree 3, vec0 several
    db = open_database(project_file)
    try:
        catalog, _ = load_overview(db)
    finally:
        db.dispose()
    assert sorted(set(shadows) & set(catalog.entities)) == []
    assert fingerprint(project_file) == before and sidecars(project_file) == []


def test_warden_inspect_and_export_change_nothing(
    project_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`warden inspect --json` lists it all; `warden export` of every entity, to stdout and to a file."""
    before = fingerprint(project_file)
    assert cli.main(["inspect", "--db", str(project_file), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    names = [e["name"] for e in doc["entities"]]
    assert {*PLAIN_TABLES, *VIRTUAL_TABLES, *VIEWS, *ODD_ENTITIES} <= set(names)
    for name in names:
        assert cli.main(["export", "--db", str(project_file), "--entity", name, "--format", "json"]) == 0, (
            name
        )
        _strict(capsys.readouterr().out)
        out = tmp_path / "e.csv"
        assert cli.main(["export", "--db", str(project_file), "--entity", name, "-o", str(out)]) == 0, name
        capsys.readouterr()
    assert fingerprint(project_file) == before and sidecars(project_file) == []
