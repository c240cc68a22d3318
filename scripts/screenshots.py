"""Render the README's pictures offscreen into docs/screenshots/ from a fresh demo database.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py

Every picture is the real main window driven the way a user drives it (navigator filter box, F2 on a
cell, typing, the toolbar's actions, header clicks), grabbed once the background loads have painted real
rows. The demo database and the settings live in a temporary folder that is removed at the end.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from gui.editor.view import TableEditor
    from gui.graph.panel import GraphPanel
    from gui.main_window import MainWindow

SCALE = 10  # 100,000 tool executions, 240 locations; about 7 s to generate
SIZE = (1280, 800)
PLACEHOLDER = "…"


def settle(check: Callable[[], bool] = lambda: True, timeout_ms: int = 30_000) -> None:
    """Process events until no worker is busy and `check()` holds (or give up after `timeout_ms`)."""
    from PySide6.QtCore import QElapsedTimer
    from PySide6.QtWidgets import QApplication

    from gui.runtime import workers

    timer = QElapsedTimer()
    timer.start()
    while timer.elapsed() < timeout_ms:
        QApplication.processEvents()
        idle = workers.wait_idle(50)
        QApplication.processEvents()
        if idle and check():
            # One more round: a delivered page may have queued the next one.
            QApplication.processEvents()
            if workers.wait_idle(50) and check():
                return
    raise TimeoutError("the window did not settle in time")


def rows_painted(editor: TableEditor) -> bool:
    """Whether every row in the editor's viewport shows real values, not placeholders."""
    view, model = editor.view, editor.model
    if model.rowCount() == 0:
        return editor.count is not None
    first = max(view.rowAt(0), 0)
    last = view.rowAt(view.viewport().height() - 1)
    last = model.rowCount() - 1 if last < 0 else last
    return all(model.index(r, 0).data() != PLACEHOLDER for r in range(first, last + 1))


def save(window: MainWindow, name: str) -> None:
    """Grab the whole window into docs/screenshots/<name>."""
    path = OUT / name
    if not window.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    print(f"wrote {path.relative_to(ROOT)}")


def open_entity(window: MainWindow, name: str) -> TableEditor:
    """Open `name` the way a user does: type it in the navigator's filter box and press Enter."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from gui.editor.view import TableEditor

    box = window.navigator.filter_box
    box.setFocus()
    QTest.keyClicks(box, name)
    QTest.keyClick(box, Qt.Key.Key_Return)
    QTest.keyClick(box, Qt.Key.Key_Escape)  # clears the filter: the navigator lists every table again
    editor = window.tabs.currentWidget()
    assert isinstance(editor, TableEditor) and editor.entity.name == name, name
    settle(lambda: editor.count is not None and editor.count[1] and rows_painted(editor))
    editor.view.setFocus()
    return editor


def column(editor: TableEditor, name: str) -> int:
    """The grid column of `name`."""
    names = [editor.model.column_info(c).name for c in range(editor.model.columnCount())]
    return names.index(name)


def widths(editor: TableEditor, **sizes: int) -> None:
    """Set column widths as a user would drag them (the app remembers them per entity)."""
    header = editor.view.horizontalHeader()
    for name, width in sizes.items():
        header.resizeSection(column(editor, name), width)


def hide_columns(editor: TableEditor, *names: str) -> None:
    """Keep the picture on the columns that tell the story (the rest are scrolled out of view)."""
    for name in names:
        editor.view.setColumnHidden(column(editor, name), True)


def open_cell_editor(editor: TableEditor, row: int, name: str) -> Any:
    """Select a cell and press F2, as a user starts editing; the editor widget that opened."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    view = editor.view
    index = editor.model.index(row, column(editor, name))
    view.setFocus()
    view.setCurrentIndex(index)
    QTest.keyClick(view.viewport(), Qt.Key.Key_F2)
    cell = view.indexWidget(index)
    assert cell is not None, f"no editor opened on {name}"
    return cell


def type_into_cell(editor: TableEditor, row: int, name: str, text: str) -> None:
    """Open a cell's editor, replace its text and press Enter."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    cell = open_cell_editor(editor, row, name)
    QTest.keyClick(cell, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(cell, text)
    QTest.keyClick(cell, Qt.Key.Key_Return)
    settle()


def choose_in_cell(editor: TableEditor, row: int, name: str, value: str) -> None:
    """Open an enum cell's editor, pick `value` in its combo and press Enter."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QComboBox

    combo = open_cell_editor(editor, row, name)
    assert isinstance(combo, QComboBox), f"{name} has no combo editor"
    assert combo.findData(value) >= 0, f"{value!r} is not a {name}"
    combo.setCurrentIndex(combo.findData(value))
    QTest.keyClick(combo, Qt.Key.Key_Return)
    settle()


def location_scores(db_path: str) -> dict[str, int]:
    """How much hangs off each location (NPCs, objects, connections), read before the app opens."""
    with sqlite3.connect(db_path) as con:
        rows = con.execute(
            """
            SELECT l.name,
                   (SELECT count(*) FROM npcs n WHERE n.location_id = l.id) * 3
                 + (SELECT count(*) FROM objects o WHERE o.location_id = l.id)
                 + (SELECT count(*) FROM location_connections c WHERE c.source_location_id = l.id) * 2
                 + (SELECT count(*) FROM location_connections c WHERE c.target_location_id = l.id)
            FROM locations l
            """
        ).fetchall()
    return {str(name): int(score) for name, score in rows}


def main_window_picture(window: MainWindow) -> None:
    """The window as it opens: navigator with row counts, welcome page."""
    settle(lambda: window.overview is not None and all(
        window.navigator.item(n).text(1) not in ("", PLACEHOLDER) for n in window.entity_names()
    ))  # fmt: skip
    save(window, "main_window.png")


def staged_picture(window: MainWindow) -> None:
    """locations with a renamed row, a changed type and a new row, all staged (coloured, not saved)."""
    from PySide6.QtTest import QTest

    editor = open_entity(window, "locations")
    hide_columns(editor, "id")
    widths(
        editor, region_id=170, name=200, location_type=110, short_description=330,
        full_description=240, state_json=200,
    )  # fmt: skip
    region = editor.model.row_values(3)["region_id"]
    type_into_cell(editor, 1, "name", "Lantern Market")
    choose_in_cell(editor, 3, "location_type", "ruin")
    type_into_cell(editor, 3, "short_description", "Collapsed after the spring floods; the bridge is out.")
    QTest.mouseClick(editor.toolbar.widgetForAction(editor.actions_by_name["insert"]), _left())
    settle()
    type_into_cell(editor, 0, "name", "Moonwell Grotto")
    choose_in_cell(editor, 0, "location_type", "cave")
    editor.model.setData(editor.model.index(0, column(editor, "region_id")), region)  # as the picker would
    type_into_cell(editor, 0, "short_description", "A hidden spring under the old watchtower.")
    editor.view.setCurrentIndex(editor.model.index(5, column(editor, "name")))
    settle(lambda: rows_painted(editor))
    assert editor.staged_label.text(), "no staged count shown"
    save(window, "world_table_staged.png")
    editor.actions_by_name["revert"].trigger()
    if editor.revert_prompt is not None:  # more than two changes: Revert asks first
        editor.revert_prompt.choose(True)
    settle(lambda: not editor.model.has_changes)


def fk_picker_picture(window: MainWindow) -> None:
    """npcs with the location picker open on a location_id cell, a few letters typed."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from gui.editor.delegates.fk_picker import ForeignKeyPicker

    editor = open_entity(window, "npcs")
    hide_columns(editor, "id")
    widths(editor, location_id=190, name=170, npc_type=100, description=330)
    view = editor.view
    index = editor.model.index(2, column(editor, "location_id"))
    view.setFocus()
    view.setCurrentIndex(index)
    QTest.keyClick(view.viewport(), Qt.Key.Key_F2)
    picker = view.indexWidget(index)
    assert isinstance(picker, ForeignKeyPicker)
    settle(lambda: picker.list.count() > 0)
    QTest.keyClicks(picker.line_edit, "moor")
    settle(lambda: not picker.timer.isActive() and "match" in picker.status.text().lower())
    save(window, "fk_picker.png")
    QTest.keyClick(picker.line_edit, Qt.Key.Key_Escape)
    settle()


def record_form_picture(window: MainWindow, scores: dict[str, int]) -> None:
    """A location's record form: its fields, and tabs of its NPCs, objects and connections with counts."""
    from PySide6.QtTest import QTest

    from gui.editor.form import RecordForm

    editor = open_entity(window, "locations")
    view = editor.view
    hidden = [c for c in range(editor.model.columnCount()) if not view.isColumnHidden(c)]
    hidden = [c for c in hidden if editor.model.column_info(c).name not in ("name", "location_type")]
    for c in hidden:
        view.setColumnHidden(c, True)
    editor.view.scrollToTop()
    settle(lambda: rows_painted(editor))
    name_col = column(editor, "name")
    visible = range(0, max(editor.view.rowAt(editor.view.viewport().height() - 1), 1))
    row = max(visible, key=lambda r: scores.get(str(editor.model.index(r, name_col).data()), 0))
    editor.view.setCurrentIndex(editor.model.index(row, name_col))
    QTest.mouseClick(editor.toolbar.widgetForAction(editor.actions_by_name["form"]), _left())
    form = editor.form
    assert isinstance(form, RecordForm)
    settle(lambda: len(form.groups) > 0)
    widths(editor, name=180, location_type=95)
    editor.splitter.setSizes([330, editor.splitter.width() - 330])
    titles = form.tab_titles()
    npcs = next((t for t in titles if t.startswith("npcs")), titles[0])
    form.tabs.setCurrentWidget(form.related_tab(npcs))
    settle()
    save(window, "record_form.png")
    editor.actions_by_name["form"].setChecked(False)
    for c in hidden:
        view.setColumnHidden(c, False)


def tool_executions_picture(window: MainWindow) -> None:
    """100,000 tool executions, newest first, everything that did not succeed."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    editor = open_entity(window, "tool_executions")
    header = editor.view.horizontalHeader()
    # A support engineer drags the telling columns to the front: when, what, how it ended, why.
    for to, name in enumerate(("created_at", "tool_name", "status", "duration_ms", "error_message")):
        header.moveSection(header.visualIndex(column(editor, name)), to)
    widths(
        editor, created_at=150, tool_name=160, status=80, duration_ms=100, error_message=420,
        id=110, correlation_id=110, agent_id=110, user_id=110, inputs_json=260, outputs_json=200,
    )  # fmt: skip
    created = column(editor, "created_at")
    click = QPoint(header.sectionViewportPosition(created) + header.sectionSize(created) // 2, 10)
    QTest.mouseClick(header.viewport(), _left(), Qt.KeyboardModifier.NoModifier, click)
    settle(lambda: rows_painted(editor))
    if header.sortIndicatorOrder() != Qt.SortOrder.DescendingOrder:
        QTest.mouseClick(header.viewport(), _left(), Qt.KeyboardModifier.NoModifier, click)
        settle(lambda: rows_painted(editor))
    QTest.mouseClick(editor.filter_bar.add_button, _left())
    condition = editor.filter_bar.rows[-1]
    condition.column_box.setCurrentIndex(condition.column_box.findData("status"))
    condition.set_op("ne")
    QTest.keyClicks(condition.value_edit, "success")
    editor.filter_bar.apply_now()  # the pause after typing
    settle(lambda: editor.count is not None and editor.count[1] and rows_painted(editor))
    editor.view.setFocus()
    editor.view.setCurrentIndex(editor.model.index(0, created))
    settle(lambda: rows_painted(editor))
    save(window, "tool_executions.png")


def edit_menu_picture(window: MainWindow) -> None:
    """The Edit menu open over an editor: the standard shortcuts, greyed-out items with nothing staged."""
    from PySide6.QtGui import QPainter

    editor = open_entity(window, "npcs")
    editor.view.setCurrentIndex(editor.model.index(0, column(editor, "name")))
    settle(lambda: rows_painted(editor))
    menu, bar = window.menus.edit_menu, window.menuBar()
    menu.popup(bar.mapToGlobal(bar.actionGeometry(menu.menuAction()).bottomLeft()))
    settle(menu.isVisible)
    # A popup is a window of its own: paint it onto the main window where it opened.
    picture = window.grab()
    painter = QPainter(picture)
    painter.drawPixmap(window.mapFromGlobal(menu.pos()), menu.grab())
    painter.end()
    menu.hide()
    path = OUT / "edit_menu.png"
    if not picture.save(str(path)):
        raise OSError(f"could not write {path}")
    print(f"wrote {path.relative_to(ROOT)}")


def migration_pictures(target: str) -> None:
    """The migration runner on a copy of the demo back at its first revision: pending revisions, their lint
    and SQL; the same upgrade failing on a locked file (rolled back); then drift after manual DDL."""
    import shutil

    from core.engine.db import open_database, sqlite_driver
    from core.migrate import migrations
    from gui.migrate.dialog import MigrationDialog
    from gui.runtime.open_database import OpenDatabase

    behind = str(Path(target).with_name("behind.db"))
    shutil.copy(target, behind)
    db = open_database(behind)
    (first,) = [r.revision for r in migrations.history() if not r.down_revision]
    migrations.downgrade(db, first)
    holder = OpenDatabase()
    holder.set_database(db, owned=True)
    dialog = MigrationDialog(holder)
    dialog.resize(1200, 720)
    dialog.show()
    settle(lambda: dialog.view is not None)
    dialog.grab().save(str(OUT / "migrations_pending.png"))
    dialog._confirm = lambda *_a: True  # type: ignore[method-assign]  # the picture skips the question
    lock = sqlite_driver()[0].connect(behind, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # another program writing: the upgrade waits, fails, is rolled back
    dialog.upgrade_button.click()
    settle(lambda: "failed" in dialog.message.text() and dialog.upgrade_button.isEnabled())
    dialog.tabs.setCurrentIndex(2)
    dialog.grab().save(str(OUT / "migrations_failed.png"))
    lock.execute("ROLLBACK")
    lock.close()
    migrations.upgrade(db)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE locations ADD COLUMN scribbles TEXT")
        conn.exec_driver_sql("DROP INDEX ix_orders_status_created")
    dialog.message.clear()
    dialog.reload()
    settle(lambda: "difference" in dialog.header.text())
    dialog.tabs.setCurrentIndex(1)
    settle()
    dialog.grab().save(str(OUT / "migrations_drift.png"))
    print("wrote docs/screenshots/migrations_{pending,failed,drift}.png")
    dialog.close()
    holder.close()


def migration_banner_pictures(folder: str) -> None:
    """The banner over a database behind head (Review migrations…); then a database another app migrated
    with its own Alembic project: read-only editors with the reason, and the runner once that project is
    picked (its env.py runs in a separate process)."""
    from core.engine.db import open_database
    from core.migrate import migrations
    from core.migrate.project import call, find_project
    from gui.main_window import MainWindow
    from gui.migrate.dialog import MigrationDialog
    from tests.fixtures.external_project import E2, write_project

    behind = str(Path(folder) / "behind.db")
    db = open_database(behind, create=True)
    (first,) = [r.revision for r in migrations.history() if not r.down_revision]
    migrations.upgrade(db, first)
    db.dispose()
    window = MainWindow()
    window.resize(*SIZE)
    window.show()
    window.open_target(behind)
    settle(lambda: window.migration_banner.isVisible())
    save(window, "migration_banner.png")
    window.close()

    ini = write_project(Path(folder) / "shop")
    shop = str(Path(folder) / "shop.db")
    db = open_database(shop, create=True)
    call(find_project(ini), db, "upgrade", E2)
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            "insert into customers (id, name, email) values (1, 'Ada', 'ada@example.org'), "
            "(2, 'Grace', 'grace@example.org'), (3, 'Edsger', null)"
        )
    db.dispose()
    window = MainWindow()
    window.resize(*SIZE)
    window.show()
    window.open_target(shop)
    settle(lambda: window.migration_watch.standing is not None and bool(window.entity_names()))
    open_entity(window, "customers")
    settle()
    save(window, "migration_unknown.png")
    dialog = window.migration_watch.open_runner()
    assert isinstance(dialog, MigrationDialog)
    settle(lambda: dialog.view is not None)
    dialog.use_project(str(ini))
    settle(lambda: dialog.view is not None and dialog.upgrade_button.isEnabled())
    dialog.resize(1200, 560)
    settle()
    dialog.grab().save(str(OUT / "migration_project.png"))
    print("wrote docs/screenshots/migration_{banner,unknown,project}.png")
    dialog.close()
    window.close()


def graph_pictures(window: MainWindow, target: str, scores: dict[str, int]) -> None:
    """The record graph: the busiest location two hops out along connections, NPCs and objects; then a
    region whose locations pass the cap, so the rest is one aggregate node."""
    from gui.graph.panel import GraphPanel

    name = max(scores, key=lambda n: scores[n])
    with sqlite3.connect(target) as con:
        (location,) = con.execute("SELECT id FROM locations WHERE name = ?", (name,)).fetchone()
        (region,) = con.execute(
            "SELECT region_id FROM locations GROUP BY region_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    panel = window.show_graph()
    assert isinstance(panel, GraphPanel)
    window.menus.navigator_action.trigger()  # the graph gets the window's width (Ctrl+B)
    panel.depth_box.blockSignals(True)  # the depth is set before the first graph, not re-read for it
    panel.depth_box.setValue(2)
    panel.depth_box.blockSignals(False)
    panel.cap_box.setValue(12)
    panel.follow = {"location_connections", "npcs.location_id", "objects.location_id"}
    panel.show_record("locations", {"id": location})
    settle(lambda: bool(panel.document.hood.nodes) and not panel.busy)
    settle(lambda: panel.details.fields.rowCount() > 0)
    panel.view.fit()
    save(window, "graph_location.png")
    panel.follow = None
    panel.depth_box.blockSignals(True)
    panel.depth_box.setValue(1)
    panel.depth_box.blockSignals(False)
    panel.cap_box.setValue(10)
    panel.show_record("regions", {"id": region})
    settle(lambda: any(n.aggregate for n in panel.document.hood.nodes) and not panel.busy)
    aggregate = next(n for n in panel.document.hood.nodes if n.aggregate)
    panel.view.fit()
    panel._select(aggregate.id)
    settle()
    save(window, "graph_aggregate.png")
    window.menus.navigator_action.trigger()


def _graph_of_the_busiest_location(
    window: MainWindow, target: str, scores: dict[str, int]
) -> tuple[GraphPanel, Any]:
    """The graph tab, the navigator hidden, and the stored id of the location with the best score."""
    from gui.graph.panel import GraphPanel

    name = max(scores, key=lambda n: scores[n])
    with sqlite3.connect(target) as con:
        (start,) = con.execute("SELECT id FROM locations WHERE name = ?", (name,)).fetchone()
    panel = window.show_graph()
    assert isinstance(panel, GraphPanel)
    window.menus.navigator_action.trigger()
    return panel, start


def graph_link_picture(window: MainWindow, target: str, scores: dict[str, int]) -> None:
    """Editing links in the graph: a location two connections out, one new connection to a location two
    steps away staged (green, the unsaved-links bar above), and the form a Shift-drag to another one opened
    for the next link, drawn over the window."""
    import uuid

    from PySide6.QtGui import QColor, QPainter

    from core.graph.neighbourhood import node_id

    panel, start = _graph_of_the_busiest_location(window, target, scores)
    panel.depth_box.blockSignals(True)
    panel.depth_box.setValue(2)
    panel.depth_box.blockSignals(False)
    panel.follow = {"location_connections"}
    panel.show_record("locations", {"id": start})
    settle(lambda: bool(panel.document.hood.nodes) and not panel.busy)
    first = node_id("locations", (str(uuid.UUID(str(start))),))
    near = {end for e in panel.document.edges_of(first) for end in (e.source, e.target)}
    far = sorted(n.id for n in panel.document.hood.nodes if n.id not in near and not n.aggregate)
    spot = panel.document.positions
    # The two far ones whose straight line from the start passes furthest from every other node
    far.sort(
        key=lambda n: -min(_off_line(spot[first], spot[n], spot[m]) for m in spot if m not in {first, n})
    )
    panel.view.fit()
    panel.links.connect_nodes(first, far[0])
    form = panel.links.form
    assert form is not None
    form.set_value("direction", "north")
    form.set_value("connection_type", "bridge")
    form.ok.click()
    panel.links.connect_nodes(first, far[1])
    settle()
    picture = window.grab()
    form = panel.links.form
    assert form is not None
    form.set_value("direction", "east")
    form.adjustSize()
    painter = QPainter(picture)
    left, top = picture.width() - form.width() - 24, 120
    painter.drawPixmap(left, top, form.grab())
    painter.setPen(QColor("#8a94a6"))
    painter.drawRect(left - 1, top - 1, form.width() + 1, form.height() + 1)
    painter.end()
    picture.save(str(OUT / "graph_link.png"))
    print("wrote docs/screenshots/graph_link.png")
    form.reject()
    panel.links.discard()
    panel.follow = None
    panel.depth_box.blockSignals(True)
    panel.depth_box.setValue(1)
    panel.depth_box.blockSignals(False)
    window.menus.navigator_action.trigger()


def graph_unlink_picture(window: MainWindow, target: str, scores: dict[str, int]) -> None:
    """Deleting links in the graph asks first: two connections of a location Ctrl+clicked, Del pressed, the
    question drawn over the window."""
    import uuid

    from PySide6.QtGui import QColor, QPainter

    panel, start = _graph_of_the_busiest_location(window, target, scores)
    panel.show_record("locations", {"id": str(uuid.UUID(str(start)))})
    settle(lambda: bool(panel.document.hood.nodes) and not panel.busy)
    panel.view.fit()
    links = [e for e in panel.scene.edge_list if e.via == "location_connections"][:2]
    panel.view.edge_clicked.emit(links[0])
    panel.view.edge_toggled.emit(links[1])  # Ctrl+click
    panel.delete_edge_action.trigger()  # Del
    settle(lambda: panel.links.prompt is not None and panel.links.prompt.isVisible())
    prompt = panel.links.prompt
    assert prompt is not None
    picture = window.grab()
    painter = QPainter(picture)
    left, top = (picture.width() - prompt.width()) // 2, 160
    painter.drawPixmap(left, top, prompt.grab())
    painter.setPen(QColor("#8a94a6"))
    painter.drawRect(left - 1, top - 1, prompt.width() + 1, prompt.height() + 1)
    painter.end()
    picture.save(str(OUT / "graph_unlink.png"))
    print("wrote docs/screenshots/graph_unlink.png")
    prompt.choose(False)
    settle(lambda: panel.links.prompt is None)
    window.menus.navigator_action.trigger()


def _off_line(a: tuple[float, float], b: tuple[float, float], p: tuple[float, float]) -> float:
    """How far p is from the segment a-b."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    t = max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / max(dx * dx + dy * dy, 1e-9)))
    return float(((a[0] + t * dx - p[0]) ** 2 + (a[1] + t * dy - p[1]) ** 2) ** 0.5)


def schema_pictures(window: MainWindow, folder: str) -> None:
    """The schema view: the reference schema's ER diagram (key columns); then bench/catalog.py's generated
    2,500-table schema, opened as clusters."""
    from gui.graph.er_panel import ErPanel

    window.menus.navigator_action.trigger()  # the diagram gets the window's width
    panel = window.show_schema()
    assert isinstance(panel, ErPanel)
    settle(lambda: panel.diagram is not None and panel.diagram.method == "tables")
    panel.view.fit()
    save(window, "schema_reference.png")
    sys.path.insert(0, str(ROOT / "bench"))
    from catalog import schema_sql  # type: ignore[import-not-found]  # bench/catalog.py: <noun>_<n>, 1-3 FKs

    big = str(Path(folder) / "schema-2500.db")
    with sqlite3.connect(big) as con:
        con.executescript("BEGIN;\n" + ";\n".join(schema_sql("sqlite", 2500)) + ";\nCOMMIT;")
    window.open_target(big)  # another database: its tabs start afresh
    settle(lambda: window.catalog is not None and len(window.catalog.entities) >= 2500, timeout_ms=60_000)
    clusters = window.show_schema()
    assert isinstance(clusters, ErPanel)
    settle(lambda: clusters.diagram is not None and clusters.diagram.method == "prefix")
    clusters.view.fit()
    save(window, "schema_clusters.png")
    window.menus.navigator_action.trigger()


#: What each world row's vector is embedded from for the search pictures (the seeder leaves them empty).
def embed_world(db_path: str) -> str:
    """Store MiniLM vectors of the world rows' text before the app opens, through core's re-embedding (as
    the app's background fill does, so the embedding state is kept); an NPC's name to search for."""
    from core.engine.db import open_database
    from core.schema.load import load_catalog
    from core.search.embeddings import local_embedder
    from core.search.reembed import WORLD_ENTITIES, fill_missing

    db = open_database(db_path)
    try:
        fill_missing(db, load_catalog(db), local_embedder, WORLD_ENTITIES)
    finally:
        db.dispose()
    con = sqlite3.connect(db_path)
    try:
        first = con.execute("SELECT name FROM npcs WHERE name LIKE 'Brenna %' ORDER BY name").fetchone()
        return str(first[0])
    finally:
        con.close()


def search_pictures(window: MainWindow, npc: str) -> None:
    """The search panel: a query by meaning over the world, an NPC's name in hybrid, more like this."""
    from gui.search.panel import SearchPanel

    settle(lambda: window.catalog is not None)
    panel = window.show_search()
    assert isinstance(panel, SearchPanel)
    answers: list[int] = []
    panel.results_shown.connect(lambda: answers.append(1))

    def answer(start: Callable[[], None]) -> None:
        wanted = len(answers) + 1
        start()
        settle(lambda: len(answers) >= wanted and not panel.debounce.isActive(), timeout_ms=180_000)

    answer(lambda: panel.set_query("a dark cave where water drips"))
    save(window, "search_world.png")
    panel.choose_target("npcs")
    answer(lambda: panel.set_query(npc))
    save(window, "search_hybrid_npc.png")
    hit = panel.results.hits()[1]
    answer(lambda: panel.more_like_this(hit.entity, hit.key, label=hit.label))
    save(window, "search_more_like_this.png")


def stale_picture(window: MainWindow, target: str) -> None:
    """The search panel's stale badge: three locations' descriptions changed by another program since they
    were embedded, their tooltip drawn beside the badge, a query over locations on screen."""
    from PySide6.QtGui import QPainter
    from PySide6.QtWidgets import QLabel

    from gui.search.panel import SearchPanel

    panel = window.show_search()
    assert isinstance(panel, SearchPanel)
    con = sqlite3.connect(target)
    try:
        con.execute(
            "UPDATE locations SET short_description = 'Flooded to the rafters since the dam broke.'"
            " WHERE id IN (SELECT id FROM locations ORDER BY name LIMIT 3)"
        )
        con.commit()
    finally:
        con.close()
    answers: list[int] = []
    panel.results_shown.connect(lambda: answers.append(1))
    panel.choose_target("locations")
    panel.mode_box.setCurrentIndex(panel.mode_box.findData("semantic"))
    panel.set_query("a flooded cellar")
    bar = panel.stale_bar
    bar.refresh()
    settle(lambda: not bar.count_task and bar.stale == 3 and bool(answers) and not panel.debounce.isActive())
    picture = window.grab()
    tip = QLabel(bar.badge.toolTip())
    tip.setWordWrap(True)
    tip.setFixedWidth(520)
    tip.setStyleSheet("QLabel { background: #ffffe1; color: black; border: 1px solid #777; padding: 6px; }")
    tip.adjustSize()
    at = bar.badge.mapTo(window, bar.badge.rect().bottomLeft())
    painter = QPainter(picture)
    painter.drawPixmap(at.x(), at.y() + 4, tip.grab())
    painter.end()
    picture.save(str(OUT / "search_stale.png"))
    print("wrote docs/screenshots/search_stale.png")


def audit_pictures(window: MainWindow, folder: str) -> None:
    """The audit log as a tab after an edit of the demo (one update, a field checked to revert), and the
    question before the first save to a database Warden did not create (it has no audit log)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QPainter

    from gui.audit.consent import AuditChoice
    from gui.audit.panel import AuditPanel
    from gui.main_window import MainWindow as Window

    editor = open_entity(window, "users")
    type_into_cell(editor, 0, "display_name", "Mira Stonefield")
    editor.save()
    settle(lambda: not editor.model.saving and not editor.model.has_changes)
    window.menus.audit_action.trigger()
    panel = window.tabs.currentWidget()
    assert isinstance(panel, AuditPanel)
    settle(lambda: panel.entries.rowCount() > 0)
    panel.table.selectRow(0)
    panel.fields.setData(
        panel.fields.index(0, 0), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole
    )
    settle()
    save(window, "audit.png")

    path = Path(folder) / "guilds.db"
    conn = sqlite3.connect(path)  # closed before Warden opens it: one SQLite library per open file
    conn.executescript(
        "CREATE TABLE guilds (guild_id INTEGER PRIMARY KEY, title TEXT NOT NULL, motto TEXT);"
        "INSERT INTO guilds VALUES (1, 'Ashen Hand', 'Embers remember'), (2, 'Tide Wardens', 'Hold fast'),"
        " (3, 'Loam', NULL);"
    )
    conn.commit()
    conn.close()
    other = Window()
    other.resize(*SIZE)
    other.show()
    other.open_target(str(path))
    settle(lambda: other.catalog is not None and "guilds" in other.entity_names())
    guilds = open_entity(other, "guilds")
    guilds.model.setData(guilds.model.index(0, column(guilds, "motto")), "Embers never forget")  # typed
    guilds.save()
    settle(lambda: other.audit_gate.dialog is not None)
    dialog = other.audit_gate.dialog
    assert dialog is not None
    picture = other.grab()
    painter = QPainter(picture)  # the dialog is a window of its own: paint it over the window's middle
    painter.drawPixmap(
        (picture.width() - dialog.width()) // 2, (picture.height() - dialog.height()) // 3, dialog.grab()
    )
    painter.end()
    out = OUT / "audit_consent.png"
    if not picture.save(str(out)):
        raise OSError(f"could not write {out}")
    print(f"wrote {out.relative_to(ROOT)}")
    other.audit_gate.answer(AuditChoice.CANCEL)
    guilds.model.revert()
    other.close()
    settle()


def move_pictures(target: str) -> None:
    """Move to PostgreSQL… after copying a copy of the demo into a throwaway PostgreSQL (pgserver): every
    table listed with its rows and verified, and the offer to open the copy."""
    import shutil
    import warnings

    import sqlalchemy as sa

    from core.engine.db import open_database
    from gui.migrate.move_dialog import MoveDialog
    from gui.runtime.open_database import OpenDatabase

    source = str(Path(target).with_name("moving.db"))
    shutil.copy(target, source)
    with tempfile.TemporaryDirectory(prefix="warden-shots-pg-") as folder:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs on a headless machine; pgserver does not use it
            import pgserver

            server = pgserver.get_server(Path(folder), cleanup_mode="stop")
        try:
            url = sa.make_url(server.get_uri()).set(drivername="postgresql+psycopg")
            holder = OpenDatabase()
            holder.set_database(open_database(source), owned=True)
            settle(lambda: holder.catalog is not None)
            dialog = MoveDialog(holder, profiles=list)
            dialog.resize(820, 640)
            dialog.show()
            dialog.target.setCurrentText(url.render_as_string(hide_password=False))
            dialog.start_button.click()
            settle(lambda: dialog.outcome is not None, timeout_ms=300_000)
            dialog.target.setCurrentText(url.set(host="db.example.org", query={}).render_as_string())
            dialog.grab().save(str(OUT / "move_to_postgresql.png"))
            print("wrote docs/screenshots/move_to_postgresql.png")
            dialog.close()
            holder.close()
        finally:
            server.cleanup()


def _left() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def main() -> int:
    """Build a demo database, open the main window on it and save each picture."""
    from level_pictures import level_pictures  # beside this file
    from PySide6.QtCore import QSettings

    from core.bootstrap import create_demo_database
    from gui.app import create_application
    from gui.main_window import MainWindow
    from gui.runtime import workers

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="warden-shots-") as d:
        # Pictures must not touch the user's own settings (recent connections, geometry, column widths).
        for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
            QSettings.setPath(fmt, QSettings.Scope.UserScope, str(Path(d) / "settings"))
        target = str(Path(d) / "world.db")
        create_demo_database(target, scale=SCALE)
        scores = location_scores(target)
        npc = embed_world(target)
        app = create_application([])
        window = MainWindow()
        window.resize(*SIZE)
        window.show()
        window.open_target(target)
        try:
            main_window_picture(window)
            staged_picture(window)
            fk_picker_picture(window)
            record_form_picture(window, scores)
            tool_executions_picture(window)
            edit_menu_picture(window)
            search_pictures(window, npc)
            stale_picture(window, target)
            graph_pictures(window, target, scores)
            graph_link_picture(window, target, scores)
            graph_unlink_picture(window, target, scores)
            migration_pictures(target)
            migration_banner_pictures(d)
            schema_pictures(window, d)
            audit_pictures(window, d)
            level_pictures(target)  # scripts/level_pictures.py: the protection levels (issue 12)
            move_pictures(target)
        finally:
            window.close()
            workers.shutdown()
            app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
