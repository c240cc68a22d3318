"""A bug in the editor's core calls (a page's count, a save) reaches the one crash handler, once; the editor
stays usable (not stuck loading or saving) and its staged edits are kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.data import repository
from core.engine.db import Database
from core.schema.load import load_catalog
from gui.editor.model import page_loading
from gui.editor.model.table_model import TableEditorModel
from gui.runtime import workers
from tests.fixtures.workers import crash_count


def _broken(*_args: Any, **_kwargs: Any) -> Any:
    """A core function with a bug in it (not a WardenError: nothing a user could act on)."""
    return {}["no such key"]


def test_a_bug_in_a_page_load_reaches_the_crash_handler_once(
    qtbot: QtBot, sqlite_db: Database, crash_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, a bug in a page load was only logged; now it is a crash report, once, and the model stops
    loading instead of loading for ever; it shows nothing of the bug itself (the crash handler does)."""
    monkeypatch.setattr(page_loading, "fetch_page", _broken)
    model = TableEditorModel(sqlite_db, load_catalog(sqlite_db), "regions")
    failed: list[str] = []
    model.load_failed.connect(failed.append)
    qtbot.waitUntil(lambda: crash_count(crash_log) == 1, timeout=10_000)
    qtbot.waitUntil(lambda: not model.loading_rows, timeout=5_000)
    assert workers.wait_idle(5_000)
    assert crash_count(crash_log) == 1 and failed == []
    text = crash_log.read_text(encoding="utf-8")
    assert "KeyError" in text and "in _broken" in text


def test_a_bug_in_a_save_reaches_the_crash_handler_once(
    qtbot: QtBot, sqlite_db: Database, crash_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, a bug at save time was only shown inline; now it is a crash report (once) and nothing inline,
    the editor is no longer saving and the staged row is still there to save again."""
    model = TableEditorModel(sqlite_db, load_catalog(sqlite_db), "regions")
    qtbot.waitUntil(lambda: not model.counting and not model.loading_rows, timeout=10_000)
    model.insert_row()
    name = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())].index("name")
    assert model.setData(model.index(0, name), "Broken Marches")
    monkeypatch.setattr(repository, "save", _broken)
    busy: list[bool] = []
    failed: list[str] = []
    model.busy_changed.connect(busy.append)
    model.save_failed.connect(failed.append)
    model.save()
    qtbot.waitUntil(lambda: busy == [True, False], timeout=10_000)  # it saved, then it no longer does
    assert crash_count(crash_log) == 1 and failed == []  # the crash handler told; the editor shows nothing
    assert model.staged_count == 1 and not model.saving
