"""Export of a filtered, sorted view to CSV and JSON in a worker; cancel removes the partial file."""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.bootstrap import create_demo_database
from core.catalog import Catalog, load_catalog
from core.db import Database, open_database
from core.exporting import ExportResult, export_file
from core.repository import Filter, export_rows, to_jsonable
from gui.editor.export import ExportJob, ExportRequest, format_for

REQUEST = ExportRequest(
    "npcs",
    sort=[("name", True)],
    filters=[Filter("npc_type", "in", ["merchant", "guard"]), Filter("is_hostile", "eq", False)],
    quick="a",
)


def _expected(db: Database, catalog: Catalog) -> list[dict[str, object]]:
    rows = export_rows(db, catalog, "npcs", sort=REQUEST.sort, filters=REQUEST.filters, quick=REQUEST.quick)
    return [{k: to_jsonable(v) for k, v in row.items()} for row in rows]


def _run(qtbot: QtBot, job: ExportJob, path: Path, fmt: str) -> ExportResult:
    with qtbot.waitSignal(job.finished, timeout=20_000) as blocker:
        job.start(str(path), fmt)
    return blocker.args[0]  # type: ignore[no-any-return]


def test_json_export_matches_export_rows(
    qtbot: QtBot, demo: tuple[Database, Catalog], tmp_path: Path
) -> None:
    """The JSON file holds exactly the rows core.export_rows yields for the same view, in order."""
    db, catalog = demo
    expected = _expected(db, catalog)
    assert 0 < len(expected) < 320
    job = ExportJob(db, catalog, REQUEST, None)
    result = _run(qtbot, job, tmp_path / "npcs.json", "json")
    assert not result.cancelled and result.rows == len(expected)
    assert json.loads((tmp_path / "npcs.json").read_text(encoding="utf-8")) == expected


def test_csv_export_matches_export_rows(qtbot: QtBot, demo: tuple[Database, Catalog], tmp_path: Path) -> None:
    """The CSV file has the header and, per row, the same names and keys in the same order."""
    db, catalog = demo
    expected = _expected(db, catalog)
    job = ExportJob(db, catalog, REQUEST, None)
    result = _run(qtbot, job, tmp_path / "npcs.csv", "csv")
    with (tmp_path / "npcs.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert result.rows == len(rows) == len(expected)
    assert list(rows[0]) == catalog.get("npcs").column_names
    assert [(r["id"], r["name"]) for r in rows] == [(e["id"], e["name"]) for e in expected]
    assert {r["npc_type"] for r in rows} <= {"merchant", "guard"}


def test_cancel_removes_the_partial_file(
    qtbot: QtBot, sqlite_demo: tuple[Database, Catalog], tmp_path: Path
) -> None:
    """Cancel from the progress dialog stops the worker and leaves no file behind."""
    db, catalog = sqlite_demo
    job = ExportJob(db, catalog, ExportRequest("tool_executions", total=10_000), None)
    path = tmp_path / "tools.csv"
    job.progress.canceled.emit()  # the user pressed Cancel before the first row
    result = _run(qtbot, job, path, "csv")
    assert result.cancelled and not path.exists()
    assert not job.running


def test_cancel_between_rows_removes_the_partial_file(
    sqlite_demo: tuple[Database, Catalog], tmp_path: Path
) -> None:
    """A cancel in the middle of a stream stops at the next row; the half-written file is removed."""
    db, catalog = sqlite_demo
    cancel = threading.Event()
    path = tmp_path / "tools.json"
    seen: list[int] = []

    def on_row(n: int) -> None:
        seen.append(n)
        if n == 500:
            assert path.exists()
            cancel.set()

    result = export_file(db, catalog, "tool_executions", path, "json", cancel=cancel, on_row=on_row)
    assert result.cancelled and not path.exists()
    assert seen[-1] == 500


def test_format_from_name_or_filter() -> None:
    """The suffix decides; without one, the file-dialog filter does."""
    assert format_for("/x/a.json") == "json"
    assert format_for("/x/a.CSV", "JSON files (*.json)") == "csv"
    assert format_for("/x/a", "JSON files (*.json)") == "json"


@pytest.fixture
def sqlite_demo(tmp_path: Path) -> Iterator[tuple[Database, Catalog]]:
    """A scale-1 demo database on SQLite only."""
    url = str(tmp_path / "demo.db")
    create_demo_database(url, scale=1)
    db = open_database(url)
    yield db, load_catalog(db)
    db.dispose()
