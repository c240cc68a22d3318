"""Show in Graph from a table row's menu and from the record form, Open in Table back, and Tools → Record
Graph: the graph panel opens as a tab of the main window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gui.editor import cell_commands
from gui.editor.view import TableEditor
from gui.graph.panel import GraphPanel
from gui.runtime import workers
from tests.fixtures.editing import open_editor, open_window


def test_show_in_graph_from_a_rows_menu_and_open_in_table_back(qtbot: QtBot, demo_copy_path: str) -> None:
    window = open_window(qtbot, demo_copy_path)
    editor = open_editor(qtbot, window, "locations")
    key = editor.model.row_key(0)
    assert key is not None
    menu = cell_commands.context_menu(editor, editor.model.index(0, 0))
    action = next(a for a in menu.actions() if a.objectName() == "showInGraphAction")
    assert action.isEnabled()
    panel = None

    def opened() -> bool:
        nonlocal panel
        panel = window.findChild(GraphPanel, "graphPanel")
        return panel is not None and bool(panel.document.hood.nodes) and not panel.busy

    action.trigger()
    qtbot.waitUntil(opened, timeout=20_000)
    assert isinstance(panel, GraphPanel)
    assert window.tabs.currentWidget() is panel and window.tabs.tabText(window.tabs.currentIndex()) == "Graph"
    start = panel.document.node(panel.document.start or "")
    assert start is not None and start.entity == "locations"
    qtbot.waitUntil(lambda: workers.pending_count() == 0, timeout=10_000)

    panel.open_in_table(start.id)
    filtered = window.tabs.currentWidget()
    assert isinstance(filtered, TableEditor) and filtered.entity.name == "locations"
    qtbot.waitUntil(lambda: filtered.model.exact and filtered.model.rowCount() == 1, timeout=10_000)
    assert filtered.model.row_key(0) == key


def test_show_in_graph_from_the_record_form(qtbot: QtBot, demo_copy_path: str) -> None:
    window = open_window(qtbot, demo_copy_path)
    editor = open_editor(qtbot, window, "npcs")
    form = editor.show_form(0)
    qtbot.waitUntil(lambda: form.key is not None, timeout=10_000)
    assert form.graph_link.isVisibleTo(form)
    form.graph_link.linkActivated.emit("graph")

    def opened() -> bool:
        page = window.tabs.currentWidget()
        return isinstance(page, GraphPanel) and bool(page.document.hood.nodes)

    qtbot.waitUntil(opened, timeout=20_000)
    panel = window.tabs.currentWidget()
    assert isinstance(panel, GraphPanel)
    start = panel.document.node(panel.document.start or "")
    assert start is not None and start.entity == "npcs"
    qtbot.waitUntil(lambda: workers.pending_count() == 0, timeout=10_000)


def test_tools_record_graph_opens_one_graph_tab(qtbot: QtBot, demo_copy_path: str) -> None:
    window = open_window(qtbot, demo_copy_path)
    window.menus.graph_action.trigger()
    panel = window.tabs.currentWidget()
    assert isinstance(panel, GraphPanel)
    assert "Show in Graph" in panel.message.text()
    window.menus.graph_action.trigger()
    assert sum(isinstance(window.tabs.widget(i), GraphPanel) for i in range(window.tabs.count())) == 1
    assert window.tabs.tabBar().tabButton(
        window.tabs.currentIndex(), window.tabs.tabBar().ButtonPosition.RightSide
    )
    assert (
        window.tabs.currentWidget() is panel and panel.view.dragMode() == panel.view.DragMode.ScrollHandDrag
    )
    assert panel.view.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
