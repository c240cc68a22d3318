"""Help → About: the versions of what this installation runs with (Qt, SQLite, sqlite-vec, pgvector), the
model and where its files are, the data and log folders; selectable, and copied whole by its Copy button."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import sqlite_vec
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from core.engine.db import sqlite_driver
from core.paths import data_dir, log_dir
from core.search.embeddings import model_dir
from gui.main_window import MainWindow


def test_about_names_versions_model_and_folders(qtbot: QtBot) -> None:
    """Without any database open, About says which SQLite, sqlite-vec and pgvector Warden runs with, the
    model, its folder and the user folders (read on a worker, "reading…" until then)."""
    window = MainWindow()
    qtbot.addWidget(window)
    dialog = window.menus.show_about()
    assert dialog.values["sqlite-vec"] == "reading…"
    with qtbot.waitSignal(dialog.installation_read, timeout=10_000):
        pass
    module, _ = sqlite_driver()
    values = dialog.values
    assert values["Qt"].startswith(f"{qVersion()} (PySide6 ")
    assert values["SQLite"] == f"{module.sqlite_version} ({module.__name__})"
    assert values["sqlite-vec"] == sqlite_vec.__version__
    assert values["pgvector"] == f"{metadata.version('pgvector')} (Python package)"
    assert values["Model"] == "all-MiniLM-L6-v2, 384 dimensions"
    assert values["Model folder"] == str(model_dir()) and Path(values["Model folder"]).is_dir()
    assert values["Data folder"] == str(data_dir()) and values["Log folder"] == str(log_dir())
    assert values["Open database"] == "no database open"
    shown = {label.objectName(): label for label in dialog.findChildren(QLabel)}
    assert shown["aboutSqliteVec"].text() == values["sqlite-vec"]
    assert shown["aboutModelFolder"].textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse


def test_copy_puts_every_row_on_the_clipboard(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    dialog = window.menus.show_about()
    with qtbot.waitSignal(dialog.installation_read, timeout=10_000):
        pass
    dialog.copy_button.click()
    copied = QApplication.clipboard().text().splitlines()
    assert copied == [f"{label}: {value}" for label, value in dialog.values.items()]
    assert f"sqlite-vec: {sqlite_vec.__version__}" in copied and f"Data folder: {data_dir()}" in copied
