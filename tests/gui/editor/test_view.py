"""The table editor widget: filter bar, toolbar and shortcuts, save, delete preview, read-only tables."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from PySide6.QtCore import QModelIndex, QPoint, QRect, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionHeader
from pytestqt.qtbot import QtBot

from core.data.repository import Filter, exact_count, fetch_page
from core.engine.db import Database, open_database
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from gui import settings
from gui.editor.filter_bar import FilterBar
from gui.editor.model import roles
from gui.runtime import workers
from tests.fixtures.foreign import build_foreign

if TYPE_CHECKING:
    from gui.editor.view import TableEditor

SHOTS = Path("/tmp/warden_shots")


def test_filter_bar_builds_filters_core_accepts(qtbot: QtBot, sqlite_db: Database) -> None:
    """Contains, one-of, between, empty and quick filters become Filters that core runs."""
    catalog = load_catalog(sqlite_db)
    bar = FilterBar(catalog.get("locations"))
    qtbot.addWidget(bar)
    name = bar.add_condition("name")
    assert name.op == "contains"
    name.value_edit.setText("glade")
    kind = bar.add_condition("location_type")
    assert kind.op == "in" and kind.to_filter() is None
    kind.check_values(["forest", "cave"])
    when = bar.add_condition("created_at")
    when.set_op("range")
    when.value_edit.setText("2020-01-01")
    empty = bar.add_condition("full_description")
    empty.set_op("is_null")
    bar.quick.setText("  old ")
    with qtbot.waitSignal(bar.filters_changed, timeout=2000) as got:
        bar.apply_now()
    filters, quick = got.args
    assert filters == [
        Filter("name", "contains", "glade"),
        Filter("location_type", "in", ["forest", "cave"]),
        Filter("created_at", "range", ("2020-01-01", None)),
        Filter("full_description", "is_null"),
    ]
    assert quick == "old"
    page = fetch_page(sqlite_db, catalog, "locations", filters=filters, quick=quick)
    assert page.rows == []

    bar.clear()
    with qtbot.waitSignal(bar.filters_changed, timeout=2000) as got:
        bar.apply_now()
    assert got.args == [[], ""]


# --- the TableEditor widget on real data ------------------------------------------------------


def _open(qtbot: QtBot, db: Database, catalog: Catalog, entity: str) -> TableEditor:
    from gui.editor.view import TableEditor

    editor = TableEditor(db, catalog, entity)
    qtbot.addWidget(editor)
    editor.resize(1100, 560)
    editor.show()
    qtbot.waitUntil(
        lambda: editor.model.rowCount() > 0 and editor.model.row_key(0) is not None, timeout=10_000
    )
    qtbot.waitUntil(lambda: editor.count is not None and editor.count[1], timeout=10_000)
    return editor


def _column(editor: TableEditor, name: str) -> int:
    names = [editor.model.headerData(c, Qt.Orientation.Horizontal) for c in range(editor.model.columnCount())]
    return names.index(name)


def _stored(db: Database, sql: str, key: dict[str, Any]) -> Any:
    raw = key["id"] if db.backend == "postgresql" else uuid.UUID(str(key["id"])).hex
    with db.engine.connect() as conn:
        return conn.execute(sa.text(sql), {"id": raw}).scalar()


def test_edit_and_save_with_ctrl_s(qtbot: QtBot, demo_copy: tuple[Database, Catalog]) -> None:
    """A staged edit shows as unsaved; Ctrl+S writes it; the count label is exact."""
    db, catalog = demo_copy
    editor = _open(qtbot, db, catalog, "locations")
    assert editor.count_label.text() == "240 rows"
    assert not editor.actions_by_name["save"].isEnabled()
    col = _column(editor, "name")
    index = editor.model.index(0, col)
    key = editor.model.row_key(0)
    assert editor.model.setData(index, "Renamed Glade", Qt.ItemDataRole.EditRole)
    assert editor.staged_label.text() == "1 unsaved change"
    assert editor.actions_by_name["save"].isEnabled()
    if db.backend == "sqlite":
        editor.model.setData(editor.model.index(1, _column(editor, "short_description")), "A new line")
        editor.view.setCurrentIndex(index)
        SHOTS.mkdir(exist_ok=True)
        editor.grab().save(str(SHOTS / "world_table_staged.png"))
        editor.model.undo_stack.undo()
    editor.view.setFocus()
    with qtbot.waitSignal(editor.model.saved, timeout=10_000):
        qtbot.keyClick(editor.view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert _stored(db, "SELECT name FROM locations WHERE id = :id", key) == "Renamed Glade"
    assert editor.staged_label.text() == ""


def test_delete_key_previews_then_deletes(qtbot: QtBot, demo_copy: tuple[Database, Catalog]) -> None:
    """Del opens the delete preview; confirming stages the delete; Save removes the row and cascades."""
    db, catalog = demo_copy
    editor = _open(qtbot, db, catalog, "locations")
    editor.view.setCurrentIndex(editor.model.index(0, _column(editor, "name")))
    key = editor.model.row_key(0)
    editor.view.setFocus()
    qtbot.keyClick(editor.view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: getattr(editor, "delete_dialog", None) is not None, timeout=10_000)
    dialog = editor.delete_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    assert dialog.delete_button.isEnabled()
    dialog.delete_button.click()
    assert editor.staged_label.text() == "1 unsaved change"
    with qtbot.waitSignal(editor.model.saved, timeout=10_000):
        editor.save()
    assert _stored(db, "SELECT count(*) FROM locations WHERE id = :id", key) == 0
    assert _stored(db, "SELECT count(*) FROM location_connections WHERE source_location_id = :id", key) == 0


def test_ctrl_f_focuses_the_quick_filter(qtbot: QtBot, demo_copy: tuple[Database, Catalog]) -> None:
    """Ctrl+F puts the cursor in the quick filter; typing filters on the server."""
    db, catalog = demo_copy
    editor = _open(qtbot, db, catalog, "npcs")
    editor.view.setFocus()
    qtbot.keyClick(editor.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert editor.filter_bar.quick.hasFocus()
    editor.filter_bar.quick.setText("zzzz-no-such-npc")
    editor.filter_bar.apply_now()
    qtbot.waitUntil(lambda: editor.count == (0, True), timeout=10_000)


def test_read_only_table_shows_why_and_refuses_edits(qtbot: QtBot, empty_url: str) -> None:
    """A reflected view: the banner gives the reason; editing is off."""
    build_foreign(empty_url)
    db = open_database(empty_url)
    try:
        catalog = load_catalog(db)
        entity = catalog.get("gold_guilds")
        assert entity.read_only
        from gui.editor.view import TableEditor

        editor = TableEditor(db, catalog, "gold_guilds")
        qtbot.addWidget(editor)
        editor.show()
        qtbot.waitUntil(lambda: editor.model.rowCount() > 0, timeout=10_000)
        assert editor.banner.isVisible()
        assert str(entity.read_only_reason) in editor.banner.text()
        for name in ("save", "insert", "duplicate", "delete", "paste"):
            assert not editor.actions_by_name[name].isEnabled(), name
        index = editor.model.index(0, 0)
        assert not editor.model.flags(index) & Qt.ItemFlag.ItemIsEditable
        editor.view.setCurrentIndex(index)
        qtbot.keyClick(editor.view, Qt.Key.Key_F2)  # what a user does to edit (view.edit() would warn)
        assert editor.view.state() != editor.view.State.EditingState
        assert workers.wait_idle()  # background loads (exact count…) finish first
        editor.delete_selected()
        assert workers.pending_count() == 0, "a read-only table starts no delete preview"
    finally:
        workers.wait_idle()
        db.dispose()


def _background(editor: TableEditor, row: int, col: int) -> str:
    """The colour painted just inside a cell's left edge (where no text is drawn)."""
    editor.view.viewport().repaint()
    rect = editor.view.visualRect(editor.model.index(row, col))
    image = editor.view.viewport().grab().toImage()
    return str(image.pixelColor(rect.left() + 1, rect.center().y()).name())


def test_the_grid_paints_staged_state_and_nulls(qtbot: QtBot, demo_copy: tuple[Database, Catalog]) -> None:
    """What the grid paints follows the model: edited, new and deleted rows coloured, NULL in grey."""
    db, catalog = demo_copy
    editor = _open(qtbot, db, catalog, "locations")
    editor.view.clearSelection()
    editor.view.setCurrentIndex(QModelIndex())
    name, description = _column(editor, "name"), _column(editor, "short_description")
    plain = _background(editor, 0, name)
    assert plain not in {c.name() for c in (roles.STAGED_EDIT, roles.STAGED_INSERT, roles.STAGED_DELETE)}
    editor.model.setData(editor.model.index(0, name), "Renamed", Qt.ItemDataRole.EditRole)
    assert _background(editor, 0, name) == roles.STAGED_EDIT.name()
    assert _background(editor, 0, description) == plain  # only the edited cell
    editor.model.delete_rows([1])
    assert _background(editor, 1, name) == roles.STAGED_DELETE.name()
    editor.model.insert_row()
    assert _background(editor, 0, name) == roles.STAGED_INSERT.name()
    assert _background(editor, 1, name) == roles.STAGED_EDIT.name()  # the edited row moved down one
    editor.model.setData(editor.model.index(3, description), None, Qt.ItemDataRole.EditRole)
    look = editor.model.look(3, description)
    assert look.text == "NULL" and look.foreground == roles.PLACEHOLDER_TEXT
    assert editor.model.index(3, description).data(Qt.ItemDataRole.ForegroundRole) == roles.PLACEHOLDER_TEXT


def test_dragging_the_scrollbar_to_the_bottom_loads_the_end_by_keyset(
    qtbot: QtBot, demo_copy: tuple[Database, Catalog]
) -> None:
    """The last rows come straight from the end (a descending keyset page), not by reading up to them."""
    db, catalog = demo_copy
    editor = _open(qtbot, db, catalog, "tool_executions")
    model, bar = editor.model, editor.view.verticalScrollBar()
    n = model.rowCount()
    assert n == 10_000
    assert workers.wait_idle()  # the first pages have all arrived
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        bar.setValue(bar.maximum())  # where a drag to the bottom ends
        qtbot.waitUntil(
            lambda: (
                editor.view.rowAt(editor.view.viewport().height() - 1) in (n - 1, -1)
                and model.index(n - 1, 0).data(roles.Role.ROW_STATE) != roles.RowState.PLACEHOLDER
            ),
            timeout=10_000,
        )
        workers.wait_idle()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert model.sort_order == [("created_at", True)]  # newest first: the end is the oldest rows
    last = fetch_page(db, catalog, "tool_executions", sort=model.sort_order, from_end=True, limit=1).rows[0]
    assert model.row_key(n - 1) == {"id": last[0]}
    pages = [s for s in statements if "FROM tool_executions" in s]
    assert 1 <= len(pages) <= 3, pages  # the end's pages, in a few statements
    backwards = "ORDER BY tool_executions.created_at ASC"  # newest first, read from its far end
    assert all(backwards in s for s in pages), "\n\n".join(pages)
    assert model.rows_held <= 3 * 200  # not everything before them


def test_logs_open_newest_first_and_world_tables_in_key_order(
    qtbot: QtBot, demo_copy: tuple[Database, Catalog]
) -> None:
    """tool_executions opens sorted by created_at, newest first, and its header says so; locations opens
    in key order with no indicator; clearing the sort goes back to each one's default."""
    db, catalog = demo_copy
    logs = _open(qtbot, db, catalog, "tool_executions")
    header = logs.view.horizontalHeader()
    created = _column(logs, "created_at")
    assert header.isSortIndicatorShown() and header.sortIndicatorSection() == created
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    newest = fetch_page(db, catalog, "tool_executions", sort=[("created_at", True)], limit=3).rows
    assert [logs.model.row_key(r) for r in range(3)] == [{"id": row[0]} for row in newest]
    assert logs.sort == [("created_at", True)]  # what an export of this view uses
    logs.model.sort(_column(logs, "duration_ms"))
    assert logs.model.sort_order == [("duration_ms", False)]
    logs.model.sort(-1)
    assert logs.model.sort_order == [("created_at", True)]

    world = _open(qtbot, db, catalog, "locations")
    assert not world.view.horizontalHeader().isSortIndicatorShown()
    assert world.model.sort_order is None and world.sort is None
    first = fetch_page(db, catalog, "locations", limit=1).rows[0]
    assert world.model.row_key(0) == {"id": first[0]}


# --- sorting, filtering and column widths ---------------------------------------------------------


def test_a_new_sort_returns_to_the_top(qtbot: QtBot, demo_copy: tuple[Database, Catalog]) -> None:
    """Clicking a header far down the grid shows the new order from its first row, which is current."""
    db, catalog = demo_copy
    editor = _open(qtbot, db, catalog, "locations")
    bar = editor.view.verticalScrollBar()
    editor.view.setCurrentIndex(editor.model.index(200, 1))
    editor.view.scrollTo(editor.model.index(200, 1))
    qtbot.waitUntil(lambda: bar.value() > 0, timeout=5000)
    header = editor.view.horizontalHeader()
    name = _column(editor, "name")
    x = header.sectionViewportPosition(name) + header.sectionSize(name) // 2
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    assert editor.model.sort_order == [("name", False)] and editor.sort == [("name", False)]
    assert bar.value() == 0
    assert (editor.view.currentIndex().row(), editor.view.currentIndex().column()) == (0, name)
    first = fetch_page(db, catalog, "locations", sort=[("name", False)], limit=1).rows[0]
    qtbot.waitUntil(lambda: editor.model.row_key(0) == {"id": first[0]}, timeout=10_000)
    assert bar.value() == 0


def test_a_loading_filter_says_filtering_until_its_rows_and_count_arrive(
    qtbot: QtBot, demo_copy: tuple[Database, Catalog]
) -> None:
    """Between a new filter and its count the label says "Filtering…" (never the first page's length as
    "~64 rows"), and the empty grid says so too; a filter that matches nothing says that."""
    db, catalog = demo_copy
    editor = _open(qtbot, db, catalog, "tool_executions")
    shown: list[str] = []
    record = lambda *_a: shown.append(editor.count_label.text())  # noqa: E731
    editor.model.count_changed.connect(record)  # after the editor's own slots: the label is updated
    editor.model.loading_changed.connect(record)
    editor.model.rows_loaded.connect(record)
    editor.filter_bar.quick.setText("get_user")
    editor.filter_bar.apply_now()
    assert editor.count_label.text() == "Filtering…"
    assert editor.overlay.isVisible() and editor.overlay.text() == "Filtering…"
    assert editor.model.rowCount() == 0
    qtbot.waitUntil(lambda: not editor.model.counting and not editor.model.loading_rows, timeout=10_000)
    n = exact_count(db, catalog.get("tool_executions"), quick="get_user")
    assert n > 64  # more than the first screenful, which used to be shown as the count
    assert editor.count_label.text() == f"{n:,} rows"
    assert not editor.overlay.isVisible()
    final = f"{n:,} rows"
    counted = shown.index(final)
    assert set(shown[:counted]) == {"Filtering…"} and set(shown[counted:]) == {final}, shown

    editor.filter_bar.quick.setText("no tool is called this")
    editor.filter_bar.apply_now()
    qtbot.waitUntil(lambda: not editor.model.counting and not editor.model.loading_rows, timeout=10_000)
    assert editor.count_label.text() == "0 rows"
    assert editor.overlay.isVisible() and editor.overlay.text() == "No rows match the filter"
    editor.filter_bar.clear()
    qtbot.waitUntil(lambda: editor.count is not None and editor.count[0] > n, timeout=10_000)
    assert not editor.overlay.isVisible()


def _header_fits(editor: TableEditor, column: int) -> bool:
    """Whether the header's text fits its section beside a sort indicator, as the style lays it out."""
    header = editor.view.horizontalHeader()
    text = str(editor.model.headerData(column, Qt.Orientation.Horizontal))
    opt = QStyleOptionHeader()
    opt.initFrom(header)
    opt.text, opt.section = text, column
    opt.sortIndicator = QStyleOptionHeader.SortIndicator.SortDown
    opt.rect = QRect(0, 0, header.sectionSize(column), header.height())
    label = header.style().subElementRect(QStyle.SubElement.SE_HeaderLabel, opt, header)
    return header.fontMetrics().horizontalAdvance(text) <= label.width()


def _cell_image(editor: TableEditor, row: int, col: int) -> QImage:
    editor.view.viewport().repaint()
    return editor.view.viewport().grab(editor.view.visualRect(editor.model.index(row, col))).toImage()


def test_columns_fit_headers_and_content_and_a_uuid_is_elided_in_the_middle(
    qtbot: QtBot, demo_copy: tuple[Database, Catalog]
) -> None:
    """No header is clipped, even beside a sort indicator; text columns fit their first rows up to a cap;
    the id column is narrower than a UUID and shows both of its ends."""
    db, catalog = demo_copy
    editor = _open(qtbot, db, catalog, "tool_executions")
    header = editor.view.horizontalHeader()
    for c in range(editor.model.columnCount()):
        assert _header_fits(editor, c), editor.model.headerData(c, Qt.Orientation.Horizontal)
        assert header.sectionSize(c) <= 360 or _header_fits(editor, c)
    fm = editor.view.fontMetrics()
    tool = _column(editor, "tool_name")
    widest = max(fm.horizontalAdvance(str(editor.model.index(r, tool).data())) for r in range(50))
    assert widest < header.sectionSize(tool) <= widest + 24  # fitted, not Qt's 100 px default
    assert header.sectionSize(_column(editor, "inputs_json")) == 360  # long JSON: capped

    ident = _column(editor, "id")
    full = str(editor.model.index(2, ident).data(Qt.ItemDataRole.DisplayRole))
    assert len(full) == 36 and header.sectionSize(ident) < fm.horizontalAdvance(full)
    editor.view.setCurrentIndex(QModelIndex())
    editor.view.clearSelection()
    painted = _cell_image(editor, 2, ident)
    plain = QStyledItemDelegate(editor.view)  # Qt's own painting of the same text, elided as asked
    editor.view.setItemDelegateForColumn(ident, plain)
    editor.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    middle = _cell_image(editor, 2, ident)
    editor.view.setTextElideMode(Qt.TextElideMode.ElideRight)
    right = _cell_image(editor, 2, ident)
    assert painted == middle and painted != right


def test_a_user_resized_width_survives_reopening(qtbot: QtBot, demo_copy: tuple[Database, Catalog]) -> None:
    """A dragged width is saved for that column and wins over the fitted one next time; the others are
    fitted again."""
    db, catalog = demo_copy
    settings.set_column_widths("npcs", {})
    first = _open(qtbot, db, catalog, "npcs")
    header = first.view.horizontalHeader()
    name, ident = _column(first, "name"), _column(first, "id")
    fitted_id = header.sectionSize(ident)
    header.resizeSection(name, 333)  # what dragging the section's edge does
    qtbot.waitUntil(lambda: settings.column_widths("npcs") == {"name": 333}, timeout=5000)
    first.close()
    again = _open(qtbot, db, catalog, "npcs")
    qtbot.waitUntil(lambda: again.widths.restored, timeout=5000)
    assert again.view.horizontalHeader().sectionSize(name) == 333
    assert again.view.horizontalHeader().sectionSize(ident) == fitted_id
    settings.set_column_widths("npcs", {})


def test_ctrl_f_finds_an_order_number_in_json_and_a_condition_compares_numbers(
    qtbot: QtBot, demo_copy: tuple[Database, Catalog]
) -> None:
    """Support's search: an order number typed in the quick search finds the tool calls whose inputs_json
    holds it; a "≥" condition on duration_ms, applied with Enter, keeps only the slow calls."""
    db, catalog = demo_copy
    editor = _open(qtbot, db, catalog, "tool_executions")
    entity = catalog.get("tool_executions")
    col = _column(editor, "inputs_json")
    number = next(
        str(v["order_number"])
        for r in range(50)
        if isinstance(v := editor.model.index(r, col).data(Qt.ItemDataRole.EditRole), dict)
        and "order_number" in v
    )
    editor.filter_bar.focus_quick()
    QTest.keyClicks(editor.filter_bar.quick, number)
    QTest.keyClick(editor.filter_bar.quick, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not editor.model.counting and not editor.model.loading_rows, timeout=10_000)
    found = exact_count(db, entity, quick=number)
    assert found >= 1 and editor.count == (found, True)
    for r in range(found):
        assert number in str(editor.model.index(r, col).data(Qt.ItemDataRole.EditRole))

    editor.filter_bar.clear()
    row = editor.filter_bar.add_condition("duration_ms")
    row.set_op("ge")
    QTest.keyClicks(row.value_edit, "1000")
    QTest.keyClick(row.value_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not editor.model.counting and not editor.model.loading_rows, timeout=10_000)
    slow = exact_count(db, entity, [Filter("duration_ms", "ge", "1000")])
    assert 0 < slow < exact_count(db, entity) and editor.count == (slow, True)
    ms = _column(editor, "duration_ms")
    assert all(editor.model.index(r, ms).data(Qt.ItemDataRole.EditRole) >= 1000 for r in range(min(slow, 50)))


def test_an_empty_table_is_fitted_to_its_headers_then_to_its_rows(qtbot: QtBot, sqlite_db: Database) -> None:
    """With no rows, every header still shows whole; once rows arrive (here: a refresh) they are fitted."""
    from gui.editor.view import TableEditor

    catalog = load_catalog(sqlite_db)
    settings.set_column_widths("tool_executions", {})
    editor = TableEditor(sqlite_db, catalog, "tool_executions")
    qtbot.addWidget(editor)
    editor.resize(1100, 560)
    editor.show()
    qtbot.waitUntil(lambda: editor.widths.restored and editor.count == (0, True), timeout=10_000)
    assert all(_header_fits(editor, c) for c in range(editor.model.columnCount()))
    col = _column(editor, "correlation_id")
    narrow = editor.view.horizontalHeader().sectionSize(col)
    with sqlite_db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO tool_executions (id, correlation_id, tool_name, inputs_json, status,"
                " duration_ms, created_at)"
                " VALUES (:id, :c, 'ping', '{}', 'success', 1, '2024-01-01 00:00:00')"
            ),
            {"id": uuid.uuid4().hex, "c": "a-correlation-id-much-wider-than-its-header"},
        )
    editor.model.refresh()
    qtbot.waitUntil(lambda: editor.count == (1, True), timeout=10_000)
    qtbot.waitUntil(lambda: editor.view.horizontalHeader().sectionSize(col) > narrow, timeout=5000)


def test_every_toolbar_action_fits_beside_the_grid_with_changes_staged(
    qtbot: QtBot, demo_copy: tuple[Database, Catalog]
) -> None:
    """At the default window size (the editor is about 860 px wide beside the navigator), staging changes
    pushes no toolbar action into the overflow menu: the counts sit under the grid."""
    from tests.fixtures.editing import shown_editor

    db, catalog = demo_copy
    editor = shown_editor(qtbot, db, catalog, "locations", (860, 700))
    for row in range(3):
        assert editor.model.setData(editor.model.index(row, _column(editor, "name")), f"Staged {row}")
    qtbot.waitUntil(lambda: editor.staged_label.text() == "3 unsaved changes")
    qtbot.wait(100)  # the layouts settle on the label's new width
    for action in editor.toolbar.actions():
        if not action.isSeparator():
            widget = editor.toolbar.widgetForAction(action)
            assert widget is not None and widget.isVisible(), f"{action.text()} is in the overflow menu"
    editor.model.undo_stack.clear()
