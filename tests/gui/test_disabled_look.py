"""Disabled commands look disabled under the real app style sheet: a pixel test on the text colour.

style.qss sets a text colour on every QWidget, which overrides Qt's greyed-out palette; without its
:disabled rules a disabled Save, Insert, "Stage paste" or menu item is drawn exactly like an enabled one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QAction, QImage
from PySide6.QtWidgets import QApplication, QMenu, QWidget
from pytestqt.qtbot import QtBot

from core.engine.db import open_database
from core.schema.load import load_catalog
from gui.app import load_stylesheet
from gui.editor.dialogs.paste_dialog import PastePreviewDialog
from gui.editor.model.staging import PasteCell, PastePreview
from gui.runtime import workers
from tests.fixtures.foreign import build_foreign

#: How much lighter (0–255 luminance) the darkest pixel of a disabled control must be than an enabled one's.
MIN_GAP = 60


@pytest.fixture
def app_style(qapp: QApplication) -> Iterator[None]:
    """The application style sheet Warden runs with, for this test only."""
    previous = qapp.styleSheet()
    qapp.setStyleSheet(load_stylesheet())
    yield
    qapp.setStyleSheet(previous)


def _darkest(image: QImage, rect: QRect | None = None) -> int:
    """The luminance of the darkest pixel (the text) in `rect` of `image`."""
    area = rect or image.rect()
    darkest = 255
    for y in range(area.top(), area.bottom() + 1):
        for x in range(area.left(), area.right() + 1):
            c = image.pixelColor(x, y)
            darkest = min(darkest, round(0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue()))
    return darkest


def _text_of(widget: QWidget) -> int:
    return _darkest(widget.grab().toImage())


def test_disabled_toolbar_actions_are_grey(qtbot: QtBot, app_style: None, tmp_path: Path) -> None:
    """Save, Revert and Undo with nothing staged, and Insert and Delete on a read-only table, are grey."""
    url = str(tmp_path / "foreign.db")
    build_foreign(url)
    db = open_database(url)
    try:
        from gui.editor.view import TableEditor

        editor = TableEditor(db, load_catalog(db), "gold_guilds")  # a view: read-only
        qtbot.addWidget(editor)
        editor.resize(1000, 400)
        editor.show()
        qtbot.waitUntil(lambda: editor.model.rowCount() > 0, timeout=10_000)
        a = editor.actions_by_name
        button = editor.toolbar.widgetForAction
        enabled = _text_of(button(a["refresh"]))
        assert a["refresh"].isEnabled() and a["export"].isEnabled()
        assert abs(_text_of(button(a["export"])) - enabled) < 20  # enabled ones agree with each other
        for name in ("save", "revert", "undo", "insert", "delete"):
            assert not a[name].isEnabled(), name
            assert _text_of(button(a[name])) >= enabled + MIN_GAP, f"{name} looks enabled"
    finally:
        workers.wait_idle()
        db.dispose()


def test_stage_paste_is_grey_when_every_value_is_bad(qtbot: QtBot, app_style: None) -> None:
    """The paste preview's "Stage paste" is disabled and looks it when no value can be pasted."""
    cells = [PasteCell(0, "level", 1, "x", problem="level takes a whole number")]
    dialog = PastePreviewDialog(PastePreview(cells, {}), entity="npcs")
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.stage_button.isEnabled()
    assert _text_of(dialog.stage_button) >= _text_of(dialog.cancel_button) + MIN_GAP


def test_disabled_menu_items_are_grey(qtbot: QtBot, app_style: None) -> None:
    """A disabled menu item is drawn lighter than an enabled one."""
    menu = QMenu()
    qtbot.addWidget(menu)
    on, off = QAction("Refresh rows", menu), QAction("Refresh rows", menu)
    off.setEnabled(False)
    menu.addActions([on, off])
    menu.adjustSize()  # laid out and polished without popping up (which would grab the keyboard)
    image = menu.grab().toImage()
    assert _darkest(image, menu.actionGeometry(off)) >= _darkest(image, menu.actionGeometry(on)) + MIN_GAP
