"""The main window's menus: Edit and View follow the current editor tab, one owner per shortcut, font size,
Tools placeholders that look and say "coming", Help's shortcuts, log folder and About."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QMenu
from pytestqt.qtbot import QtBot

from core.paths import data_dir, log_dir
from gui import settings as saved
from gui.main_window import MainWindow
from gui.menus import COMING_TOOLS
from gui.runtime import workers
from tests.fixtures import threads
from tests.fixtures.editing import open_window

if TYPE_CHECKING:
    from gui.editor.view import TableEditor

NATIVE = QKeySequence.SequenceFormat.NativeText
SHOTS = Path("/tmp/warden_shots")


@pytest.fixture(autouse=True)
def _fresh_view_settings() -> Iterator[None]:
    for key in (saved.OPEN_TABS_KEY, saved.GRID_FONT_KEY):
        saved.settings().remove(key)
    yield
    for key in (saved.OPEN_TABS_KEY, saved.GRID_FONT_KEY):
        saved.settings().remove(key)


def _open(qtbot: QtBot, window: MainWindow, name: str) -> TableEditor:
    window.navigator.entity_activated.emit(name)
    from gui.editor.view import TableEditor

    editor = window.tabs.currentWidget()
    assert isinstance(editor, TableEditor)
    qtbot.waitUntil(lambda: editor.model.rowCount() > 0 and editor.count is not None, timeout=10_000)
    return editor


def _shown(menu: QMenu) -> dict[str, QAction]:
    """The visible, non-separator items of `menu` by their plain text."""
    items = (a for a in menu.actions() if a.isVisible() and not a.isSeparator())
    return {a.text().replace("&", "").split("\t")[0]: a for a in items}


def test_edit_and_view_follow_the_current_editor(qtbot: QtBot, demo_copy_path: str) -> None:
    """No editor: every editor item is there but disabled. An editor: its own actions, enabled as there."""
    window = open_window(qtbot, demo_copy_path)
    menus = window.menus
    edit = _shown(menus.edit_menu)
    assert list(edit) == [
        "Undo", "Redo", "Cut", "Copy", "Copy with Headers", "Paste…",
        "Insert Row", "Duplicate Rows", "Delete Rows…", "Set NULL", "Find…",
    ]  # fmt: skip
    assert not any(a.isEnabled() for a in edit.values())
    assert {"Refresh", "Record Form", "Navigator"} <= set(_shown(menus.view_menu))
    assert not _shown(menus.view_menu)["Refresh"].isEnabled()

    npcs = _open(qtbot, window, "npcs")
    edit = _shown(menus.edit_menu)
    assert edit["Undo"] is npcs.actions_by_name["undo"] and not edit["Undo"].isEnabled()
    assert edit["Copy"] is npcs.actions_by_name["copy"] and edit["Copy"].isEnabled()
    assert _shown(menus.view_menu)["Refresh"] is npcs.actions_by_name["refresh"]
    assert _shown(menus.file_menu)["Save"] is npcs.actions_by_name["save"]

    npcs.model.setData(npcs.model.index(0, npcs.model.entity.column_names.index("name")), "Renamed")
    assert _shown(menus.edit_menu)["Undo"].isEnabled()  # in step with the editor
    assert _shown(menus.file_menu)["Save"].isEnabled()
    _shown(menus.edit_menu)["Undo"].trigger()  # acts on the current editor
    assert not npcs.model.has_changes

    regions = _open(qtbot, window, "regions")
    assert _shown(menus.edit_menu)["Copy"] is regions.actions_by_name["copy"]
    assert npcs.actions_by_name["copy"] not in menus.edit_menu.actions()  # one tab's actions at a time

    window.tabs.setCurrentWidget(window.welcome)
    assert not any(a.isEnabled() for a in _shown(menus.edit_menu).values())
    window.tabs.setCurrentWidget(regions)
    window.tabs.tabCloseRequested.emit(window.tabs.indexOf(regions))
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is not regions)
    QApplication.sendPostedEvents(None, 0)  # the closed editor is deleted
    assert all(a.text() for a in menus.edit_menu.actions() if not a.isSeparator())


def test_every_shortcut_has_one_owner_and_is_shown(qtbot: QtBot, demo_copy_path: str) -> None:
    """With an editor focused, no key is bound to two live actions; toolbar tooltips name their keys."""
    window = open_window(qtbot, demo_copy_path)
    editor = _open(qtbot, window, "npcs")
    live: dict[str, set[QAction]] = {}
    candidates = [*window.findChildren(QAction), *editor.actions()]
    for action in candidates:
        if not action.isVisible() or not action.associatedObjects():
            continue
        for key in action.shortcuts():
            live.setdefault(key.toString(NATIVE), set()).add(action)
    twice = {key: [a.text() for a in owners] for key, owners in live.items() if len(owners) > 1}
    assert not twice, f"keys bound to two actions at once: {twice}"

    for action in editor.toolbar.actions():
        if action.isSeparator():
            continue
        keys = action.shortcut().toString(NATIVE)
        assert keys, f"{action.iconText()} has no shortcut"
        assert f"{action.iconText()} ({keys})" in action.toolTip()
    assert editor.actions_by_name["save"].toolTip().startswith("Save (Ctrl+S)")
    assert editor.actions_by_name["revert"].shortcut().toString() == "Ctrl+Shift+R"
    assert editor.actions_by_name["export"].shortcut().toString() == "Ctrl+E"

    # Real key presses on the grid: the editor's keys and the window's font keys both reach their one
    # owner (an ambiguous pair would fire neither and print a Qt warning, which fails the test).
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    editor.view.setFocus()
    name_col = editor.model.entity.column_names.index("name")
    editor.view.setCurrentIndex(editor.model.index(0, name_col))
    ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(editor.view, Qt.Key.Key_C, ctrl | shift)
    assert QApplication.clipboard().text().split("\n")[0] == "name"
    before = editor.view.font().pointSize()
    qtbot.keyClick(editor.view, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert editor.view.font().pointSize() == before + 1
    qtbot.keyClick(editor.view, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert editor.view.font().pointSize() == saved.DEFAULT_GRID_FONT_PT


def test_font_size_applies_to_every_grid_and_is_remembered(qtbot: QtBot, demo_copy_path: str) -> None:
    """Bigger and smaller change every open grid (rows grow to fit); a new grid opens at the saved size."""
    window = open_window(qtbot, demo_copy_path)
    npcs = _open(qtbot, window, "npcs")
    regions = _open(qtbot, window, "regions")
    row_height = npcs.view.verticalHeader().defaultSectionSize()
    for _ in range(4):
        window.menus.bigger_font_action.trigger()
    size = saved.DEFAULT_GRID_FONT_PT + 4
    assert npcs.view.font().pointSize() == regions.view.font().pointSize() == size
    assert npcs.view.horizontalHeader().font().pointSize() == size
    assert npcs.view.verticalHeader().defaultSectionSize() > row_height
    assert saved.grid_font_size() == size
    players = _open(qtbot, window, "players")
    assert players.view.font().pointSize() == size
    window.menus.smaller_font_action.trigger()
    assert players.view.font().pointSize() == npcs.view.font().pointSize() == size - 1
    window.menus.reset_font_action.trigger()
    assert npcs.view.font().pointSize() == saved.DEFAULT_GRID_FONT_PT
    assert npcs.view.verticalHeader().defaultSectionSize() == row_height
    assert [k.toString() for k in window.menus.reset_font_action.shortcuts()] == ["Ctrl+0"]
    assert "Ctrl++" in [k.toString() for k in window.menus.bigger_font_action.shortcuts()]


def test_tools_are_disabled_placeholders_that_say_coming(qtbot: QtBot, demo_copy_path: str) -> None:
    """The planned tools are listed, disabled, and their tooltip and status tip say "coming"."""
    window = open_window(qtbot, demo_copy_path)
    coming = {name for name, _text, _what in COMING_TOOLS}
    items = [a for a in window.menus.tools_menu.actions() if a.objectName() in coming]
    assert len(items) == len(COMING_TOOLS)
    for action in items:
        assert not action.isEnabled()
        assert "coming" in action.toolTip().lower() and "coming" in action.statusTip().lower()
    assert window.menus.tools_menu.toolTipsVisible()


def test_navigator_toggles_from_the_view_menu(qtbot: QtBot, demo_copy_path: str) -> None:
    """View → Navigator hides and shows the tables dock, and its tick follows."""
    window = open_window(qtbot, demo_copy_path)
    dock = window.findChild(QDockWidget, "navigatorDock")
    assert dock is not None
    action = window.menus.navigator_action
    assert action.isEnabled() and action.isChecked()
    action.trigger()
    assert dock.isHidden() and not action.isChecked()
    action.trigger()
    assert not dock.isHidden() and action.isChecked()


def test_about_shows_versions_from_the_open_database_without_a_query(
    qtbot: QtBot, demo_copy_path: str
) -> None:
    """About reads SQLite and sqlite-vec versions from the capabilities: no statement runs for it."""
    window = open_window(qtbot, demo_copy_path)
    versions = window.overview.capabilities["library_versions"]  # type: ignore[union-attr]
    assert workers.wait_idle()
    with threads.statement_threads(sa.Engine) as idents:
        dialog = window.menus.show_about()
    qtbot.addWidget(dialog)
    assert not idents, "About ran a statement"
    sqlite, vec = versions["sqlite"], versions["sqlite-vec"]
    assert dialog.values["Open database"] == f"SQLite {sqlite}, sqlite-vec {vec}"
    assert dialog.values["Data folder"] == str(data_dir())
    assert dialog.values["Qt"].split()[0].count(".") == 2
    dialog.grab().save(str(SHOTS / "about.png")) if SHOTS.is_dir() else None
    dialog.close()

    empty = MainWindow()
    qtbot.addWidget(empty)
    nothing = empty.menus.show_about()
    qtbot.addWidget(nothing)
    assert nothing.values["Open database"] == "no database open"
    assert threading.main_thread().ident not in idents


def test_keyboard_shortcuts_dialog_lists_menus_and_editor_keys(qtbot: QtBot) -> None:
    """Help → Keyboard Shortcuts lists each command once with its keys, editor keys included."""
    window = MainWindow()
    qtbot.addWidget(window)
    dialog = window.menus.show_shortcuts()
    qtbot.addWidget(dialog)
    rows = dialog.rows()
    by_command = {command: (where, keys) for where, command, keys in rows}
    assert by_command["Undo"] == ("Edit", "Ctrl+Z")
    assert by_command["Save"] == ("File", "Ctrl+S")
    assert by_command["Bigger"][0] == "View → Font Size"
    assert by_command["Keyboard Shortcuts"] == ("Help", "F1")
    assert by_command["Last Rows"][1] == "Ctrl+End"
    assert len(by_command) == len(rows), "a command is listed twice"


class _UrlCatcher(QObject):
    """Receives the URLs QDesktopServices would open (a registered handler, public Qt API)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def catch(self, url: QUrl) -> None:
        """Remember `url`."""
        self.urls.append(url)


def test_open_log_folder_asks_the_desktop_to_open_the_log_dir(qtbot: QtBot) -> None:
    """Help → Open Log Folder opens core.paths.log_dir() (created if it is missing)."""
    window = MainWindow()
    qtbot.addWidget(window)
    catcher = _UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "catch")  # type: ignore[arg-type]  # stub says bytes; PySide wants str
    try:
        window.menus.log_folder_action.trigger()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert catcher.urls == [QUrl.fromLocalFile(str(log_dir()))]
    assert log_dir().is_dir()
