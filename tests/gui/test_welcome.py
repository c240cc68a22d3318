"""The Welcome page describes a foreign database in its own terms; the reference schema in Warden's."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from core.data.overview import RowCount
from gui.main_window import MainWindow
from gui.welcome import database_summary, rows_summary
from tests.fixtures.ideas import build_ideas

SHOTS = Path("/tmp/warden_shots")


pytestmark = pytest.mark.usefixtures("no_saved_tabs")


def _open(qtbot: QtBot, path: str) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.counts_loaded, timeout=15_000):
        window.open_target(path)
    return window


def _card(window: MainWindow) -> dict[str, str]:
    form = window.welcome.form
    out = {}
    for row in range(form.rowCount()):
        label_item = form.itemAt(row, form.ItemRole.LabelRole)
        value_item = form.itemAt(row, form.ItemRole.FieldRole)
        assert label_item is not None and value_item is not None
        label, value = label_item.widget(), value_item.widget()
        assert isinstance(label, QLabel) and isinstance(value, QLabel)
        out[label.text().rstrip(":")] = value.text()
    return out


def test_foreign_database_in_its_own_terms(qtbot: QtBot, tmp_path: Path) -> None:
    """ideas.db reads as its tables, views and rows, with its largest table; nothing of 'world content'."""
    path = tmp_path / "ideas.db"
    build_ideas(str(path))
    window = _open(qtbot, str(path))
    summary = window.welcome.summary()
    assert summary == "ideas.db — 5 tables, 2 views, 1,234 rows; largest: ideas (900)"
    assert _card(window)["Tables"] == "5 tables, 2 views"
    page_text = " ".join(w.text() for w in window.welcome.findChildren(QLabel)).lower()
    assert "world content" not in page_text and "players" not in page_text
    window.tabs.setCurrentWidget(window.welcome)
    SHOTS.mkdir(exist_ok=True)
    window.grab().save(str(SHOTS / "welcome_foreign.png"))


def test_reference_schema_keeps_its_wording(qtbot: QtBot, demo_copy_path: str) -> None:
    """A demo database (Warden's own schema) is described as world content, players and operations."""
    window = _open(qtbot, demo_copy_path)
    assert "world content" in window.welcome.summary()
    # 21, the audit log (issue 12) and the embedding state (issue 9)
    assert _card(window)["Tables"].startswith("23 — World 7")


def test_summaries_mark_estimates_and_wait_for_counts() -> None:
    """Estimated counts read '~'; before any count arrives the summary says it is counting."""
    kinds = {"a": "table", "b": "view", "c": "vec0"}
    assert database_summary("x.db", kinds, None) == "x.db — 1 table, 1 view, 1 vector table, counting rows…"
    counts: dict[str, RowCount | None] = {
        "a": RowCount(2_000_000, exact=False),
        "b": RowCount(10, exact=True),
        "c": None,
    }
    assert rows_summary(counts) == "~2,000,010 rows; largest: a (~2,000,000)"
    assert database_summary("x.db", kinds, counts) == (
        "x.db — 1 table, 1 view, 1 vector table, ~2,000,000 rows"  # a view's rows are not counted twice
    )
