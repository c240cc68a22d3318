"""Export of a filtered, sorted view to CSV and JSON in a worker; cancel removes the partial file."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.data.exporting import ExportResult, export_file
from core.data.repository import Filter, export_rows, to_jsonable
from core.engine.db import Database
from core.progress import Progress, TaskState
from core.schema.catalog import Catalog
from gui.editor.dialogs.export import (
    CSV_BOM_FILTER,
    CSV_FILTER,
    FILE_FILTERS,
    JSON_FILTER,
    ExportJob,
    ExportRequest,
    ExportTarget,
    default_filter,
    format_for,
    target_for,
)

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
    return blocker.args[0]


def test_json_export_matches_export_rows(
    qtbot: QtBot, demo_copy: tuple[Database, Catalog], tmp_path: Path
) -> None:
    """The JSON file holds exactly the rows core.export_rows yields for the same view, in order."""
    db, catalog = demo_copy
    expected = _expected(db, catalog)
    assert 0 < len(expected) < 320
    job = ExportJob(db, catalog, REQUEST, None)
    result = _run(qtbot, job, tmp_path / "npcs.json", "json")
    assert not result.cancelled and result.rows == len(expected)
    assert json.loads((tmp_path / "npcs.json").read_text(encoding="utf-8")) == expected


def test_csv_export_matches_export_rows(
    qtbot: QtBot, demo_copy: tuple[Database, Catalog], tmp_path: Path
) -> None:
    """The CSV file has the header and, per row, the same names and keys in the same order."""
    db, catalog = demo_copy
    expected = _expected(db, catalog)
    job = ExportJob(db, catalog, REQUEST, None)
    result = _run(qtbot, job, tmp_path / "npcs.csv", "csv")
    with (tmp_path / "npcs.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert result.rows == len(rows) == len(expected)
    assert list(rows[0]) == catalog.get("npcs").column_names
    assert [(r["id"], r["name"]) for r in rows] == [(e["id"], e["name"]) for e in expected]
    assert {r["npc_type"] for r in rows} <= {"merchant", "guard"}


def test_cancel_leaves_no_file(
    qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog], tmp_path: Path
) -> None:
    """Cancel from the progress dialog stops the worker and leaves no file behind (no partial either)."""
    db, catalog = sqlite_demo_copy
    job = ExportJob(db, catalog, ExportRequest("tool_executions", total=10_000), None)
    path = tmp_path / "tools.csv"
    job.progress.canceled.emit()  # the user pressed Cancel before the first row
    result = _run(qtbot, job, path, "csv")
    assert result.cancelled and not path.exists() and not _partials(tmp_path)
    assert not job.running


def test_cancel_between_batches_leaves_no_file(
    sqlite_demo_copy: tuple[Database, Catalog], tmp_path: Path
) -> None:
    """A cancel in the middle of a stream stops before the next batch; the half-written file is removed."""
    db, catalog = sqlite_demo_copy
    path = tmp_path / "tools.json"
    seen: list[int] = []

    def on_progress(p: Progress) -> None:
        seen.append(p.done)
        if p.done == 500:
            assert _partials(tmp_path)  # being written beside the target
            state.cancel()

    state = TaskState(on_progress=on_progress)
    result = export_file(db, catalog, "tool_executions", path, "json", state=state, batch=250)
    assert result.cancelled and not path.exists() and not _partials(tmp_path)
    assert seen == [250, 500]


def test_progress_reaches_the_row_count(
    qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog], tmp_path: Path
) -> None:
    """The job's progress count ends at the rows written (reported per batch from the worker)."""
    db, catalog = sqlite_demo_copy
    job = ExportJob(db, catalog, ExportRequest("tool_executions", total=10_000), None)
    seen: list[tuple[int, bool]] = []
    job.progressed.connect(lambda n: seen.append((n, job.running)))
    result = _run(qtbot, job, tmp_path / "tools.csv", "csv")
    assert result.rows == job.written == 10_000 and not job.running
    done = [n for n, _running in seen]
    assert done == sorted(set(done)) and done[-1] == 10_000  # in order, never twice, the last before finished
    assert all(running for _n, running in seen)
    assert len(done) <= 10_000 // 250  # throttled: never more than one per batch


def test_format_from_name_or_filter() -> None:
    """The suffix decides; without one, the file-dialog filter does."""
    assert format_for("/x/a.json") == "json"
    assert format_for("/x/a.CSV", JSON_FILTER) == "csv"
    assert format_for("/x/a", JSON_FILTER) == "json"


def test_bom_is_a_file_type_of_the_save_dialog() -> None:
    """'CSV for Excel' asks for the byte-order mark; it is the starting type on Windows only; JSON never."""
    assert target_for("/x/a", CSV_BOM_FILTER) == ExportTarget("/x/a.csv", "csv", bom=True)
    assert target_for("/x/a.csv", CSV_FILTER) == ExportTarget("/x/a.csv", "csv", bom=False)
    assert target_for("/x/a.json", CSV_BOM_FILTER) == ExportTarget("/x/a.json", "json", bom=False)
    assert default_filter(windows=True) == CSV_BOM_FILTER and default_filter(windows=False) == CSV_FILTER
    assert CSV_BOM_FILTER in FILE_FILTERS and "Excel" in CSV_BOM_FILTER


def test_job_writes_the_bom_when_asked(
    qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog], tmp_path: Path
) -> None:
    """The GUI's choice reaches the file: EF BB BF first, then the same CSV as without."""
    db, catalog = sqlite_demo_copy
    for bom in (False, True):
        job = ExportJob(db, catalog, ExportRequest("regions"), None)
        with qtbot.waitSignal(job.finished, timeout=20_000):
            job.start(str(tmp_path / f"r{bom}.csv"), "csv", bom=bom)
    plain = (tmp_path / "rFalse.csv").read_bytes()
    assert not plain.startswith(b"\xef\xbb\xbf")
    assert (tmp_path / "rTrue.csv").read_bytes() == b"\xef\xbb\xbf" + plain


def test_unwritable_target_is_an_inline_message(
    qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder that does not exist: the editor shows the CLI's one-line message inline, no crash dialog."""
    from gui.editor.dialogs import export
    from gui.editor.view import TableEditor

    db, catalog = sqlite_demo_copy
    missing = tmp_path / "no" / "such"
    # The save-file dialog is the user's part: answer it with a path whose folder is gone meanwhile.
    monkeypatch.setattr(export, "ask_export_path", lambda _parent, _entity: (str(missing / "r.csv"), "csv"))
    editor = TableEditor(db, catalog, "regions")
    qtbot.addWidget(editor)
    editor.show()
    editor.export()
    job = editor.export_job
    assert job is not None
    with qtbot.waitSignal(job.failed, timeout=20_000) as blocker:
        pass
    message = blocker.args[0]
    assert str(missing) in message and "does not exist" in message and "Create it" in message
    assert job.error == message and not job.running
    qtbot.waitUntil(lambda: message in editor.message.text(), timeout=5_000)
    assert editor.message.isVisible() and not missing.exists()


def _partials(folder: Path) -> list[str]:
    """Files an export writes before moving them into place."""
    return [p.name for p in folder.iterdir() if p.name.endswith(".partial")]


