"""TableEditor: the grid of one entity with its filter bar, toolbar, inline messages and record form.

The widget wires the TableEditorModel (pages, staged edits) to the dialogs; every core call goes through
gui/runtime/workers.py, and the model does its own loading and saving in workers too.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSplitter,
    QTableView,
    QTextEdit,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from core.data.repository import Filter
from core.engine.db import Database
from core.schema.catalog import Catalog
from gui.editor import cell_commands
from gui.editor.actions import EDITING, build_actions, selection_tsv
from gui.editor.column_widths import ColumnWidths
from gui.editor.delegates import grid_font
from gui.editor.delegates.cell_delegate import CellDelegate, EditorContext
from gui.editor.dialog_commands import DialogCommands
from gui.editor.dialogs.conflict_dialog import ConflictDialog
from gui.editor.dialogs.delete_dialog import DeletePreviewDialog
from gui.editor.dialogs.export import ExportJob
from gui.editor.dialogs.paste_dialog import PastePreviewDialog
from gui.editor.dialogs.revert_prompt import REVERT_WITHOUT_ASKING, RevertPrompt
from gui.editor.filter_bar import FilterBar
from gui.editor.form import RecordForm, form_split
from gui.editor.grid_overlay import GridOverlay
from gui.editor.message_bar import MessageBar
from gui.editor.model.table_model import TableEditorModel
from gui.editor.save_status import SaveStatus
from gui.safety.state import locked_reason

#: Widgets whose keys are typing: a key they do not claim themselves must still not reach the editor's
#: shortcuts (Alt+Del is Set NULL).
TEXT_INPUTS = (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox)

BANNER = "QLabel { background: #fff4c2; border: 1px solid #e6d48a; border-radius: 3px; padding: 6px; }"


class TableEditor(QWidget):
    """One entity's editor: grid, filters, staged edits with undo, delete and paste previews, conflicts."""

    open_entity_requested = Signal(str, list)  # entity name, list[Filter]
    graph_requested = Signal(str, dict)  # entity name, a row's key: Show in Graph
    similar_requested = Signal(str, dict)  # entity name, a row's key: More Like This (the search panel)
    reembed_requested = Signal(str, object)  # entity name, the selected rows' keys (a list): embed them again

    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        entity: str,
        parent: QWidget | None = None,
        *,
        filters: list[Filter] | None = None,
        reads_paused: bool = False,
    ) -> None:
        super().__init__(parent)
        self.db, self.catalog = db, catalog
        self.entity = catalog.get(entity)
        self.hold_reason: str | None = None  # set by hold(): no editing for now, whatever the rights
        self.setObjectName("tableEditor")
        self.sort: list[tuple[str, bool]] | None = None
        self.filters: list[Filter] = list(filters or [])
        self.quick = ""
        self.count: tuple[int, bool] | None = None
        self.revert_prompt: RevertPrompt | None = None  # while "Revert 12 unsaved changes…?" is open
        self.read_error: str | None = None  # the message of a failed read, cleared once a read succeeds
        self.offline_error: str | None = None  # a save that failed while the server was away, cleared with it

        #: Opened while a migration runs: nothing is read until resume_reads() (gui/migrate/watch.py).
        self.reads_paused = reads_paused
        self.model = TableEditorModel(db, catalog, entity, parent=self, start=not reads_paused)
        self.view = QTableView()
        self.view.setObjectName("grid")
        self.edit_triggers = self.view.editTriggers()  # given back when a read-only connection is unlocked
        self.view.setModel(self.model)
        self.delegate = CellDelegate(self.view, context=EditorContext(db, catalog))
        self.view.setItemDelegate(self.delegate)
        self.dialogs = DialogCommands(self)  # delete, paste, export and conflicts, through their dialogs
        # Qt sorts by its sort indicator the moment sorting is enabled: point it at the order the model
        # already loads (the entity's default, e.g. newest first), else at nothing (key order).
        self.sort = self.model.sort_order
        section, descending = self._indicator(self.sort)
        header = self.view.horizontalHeader()
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        header.setSortIndicator(section, order)
        self.view.setSortingEnabled(True)
        header.setSortIndicatorShown(section >= 0)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setDefaultSectionSize(24)
        grid_font.apply(self.view)  # View → Font size, as last chosen (also sets the row height)

        self.toolbar = QToolBar()
        self.toolbar.setObjectName("editorToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.actions_by_name = build_actions(self, self.toolbar)
        self.count_label = QLabel("Loading…")
        self.count_label.setObjectName("countLabel")
        self.overlay = GridOverlay(self.view.viewport())
        if reads_paused:
            self.overlay.show_text("The rows are read when the migration ends")  # until resume_reads()
        self.staged_label = QLabel("")
        self.staged_label.setObjectName("stagedLabel")
        self.staged_label.setStyleSheet("color: #8a6d00; font-weight: bold;")
        # The counts sit under the grid: beside the toolbar, "3 unsaved changes" pushed Record form into the
        # toolbar's overflow menu at the default window size.
        foot = QHBoxLayout()
        foot.setContentsMargins(4, 0, 4, 0)
        foot.addWidget(self.count_label)
        foot.addSpacing(16)
        foot.addWidget(self.staged_label)
        self.save_status = SaveStatus(self.model)  # "Saving 3 changes…", or a lock wait with Cancel
        foot.addSpacing(16)
        foot.addWidget(self.save_status)
        foot.addStretch(1)

        self.banner = QLabel()
        self.banner.setObjectName("readOnlyBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(BANNER)
        self.banner.setVisible(self.entity.read_only)
        if self.entity.read_only:
            self.banner.setText(f"<b>{self.entity.name} is read-only:</b> {self.entity.read_only_reason}.")

        self.message = MessageBar()
        self.message.float_over(self.view)  # notes like "Saved." float over the grid; they never shift it

        self.filter_bar = FilterBar(self.entity)
        self.filter_bar.set_filters(self.filters)

        self.form: RecordForm | None = None
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.view)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.toolbar)
        for w in (self.banner, self.filter_bar, self.message):
            layout.addWidget(w)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(foot)

        self.widths = ColumnWidths(self.view, self.entity.name, self)
        self._connect()
        self._update_actions()
        if self.filters and not reads_paused:
            self.model.set_filters(self.filters, None)

    # --- wiring ---------------------------------------------------------------------------------

    def _connect(self) -> None:
        a = self.actions_by_name
        a["save"].triggered.connect(self.save)
        a["revert"].triggered.connect(self._on_revert_triggered)
        a["undo"].triggered.connect(self.model.undo_stack.undo)
        a["redo"].triggered.connect(self.model.undo_stack.redo)
        a["insert"].triggered.connect(self._on_insert_triggered)
        a["duplicate"].triggered.connect(self._on_duplicate_triggered)
        a["delete"].triggered.connect(self.delete_selected)
        a["refresh"].triggered.connect(self.model.refresh)
        a["export"].triggered.connect(self.export)
        a["form"].toggled.connect(self._on_form_toggled)
        a["find"].triggered.connect(self.filter_bar.focus_quick)
        a["copy"].triggered.connect(self.copy_selection)
        a["copy_headers"].triggered.connect(lambda: cell_commands.copy(self, headers=True))
        a["cut"].triggered.connect(lambda: cell_commands.cut(self))
        a["set_null"].triggered.connect(lambda: cell_commands.set_null(self))
        a["paste"].triggered.connect(self.paste)
        a["end"].triggered.connect(self.jump_to_end)
        self.model.undo_stack.canUndoChanged.connect(self._on_undo_stack_changed)
        self.model.undo_stack.canRedoChanged.connect(self._on_undo_stack_changed)
        self.model.changes_staged.connect(self._on_model_changes_staged)
        self.model.count_changed.connect(self._on_model_count_changed)
        self.model.saved.connect(self._on_model_saved)
        self.model.save_failed.connect(self._on_model_save_failed)
        self.model.save_cancelled.connect(self._on_model_save_cancelled)
        self.model.conflicted.connect(self.dialogs.show_conflicts)
        self.model.load_failed.connect(self._on_model_load_failed)
        self.model.reconnected.connect(self._on_model_reconnected)
        self.model.rows_loaded.connect(self._on_model_rows_loaded)
        self.model.loading_changed.connect(self._on_model_loading_changed)
        self.filter_bar.filters_changed.connect(self._on_filter_bar_filters_changed)
        self.view.horizontalHeader().sortIndicatorChanged.connect(self._on_header_sort_changed)
        self.view.verticalScrollBar().valueChanged.connect(self._on_scrollbar_value_changed)
        self.view.customContextMenuRequested.connect(self._on_view_context_menu_requested)
        self.view.selectionModel().currentRowChanged.connect(self._on_selection_current_row_changed)
        self.delegate.open_reference_requested.connect(self._on_delegate_open_reference_requested)

    def event(self, event: QEvent) -> bool:
        """Delete and Backspace with any modifier, typed in a text field of the editor (a cell or form
        editor, the filter bar), stay in that field.

        Otherwise Alt+Del would fire Set NULL on the cell being edited: the open editor is then refilled
        with NULL, and what was typed in it is gone."""
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
            and isinstance(QApplication.focusWidget(), TEXT_INPUTS)
        ):
            event.accept()
            return True
        return super().event(event)

    def read_only_reason(self) -> str | None:
        """Why nothing can be edited here (a hold, the entity, a read-only connection); None when it can."""
        if self.hold_reason:
            return self.hold_reason
        if self.entity.read_only:
            return f"{self.entity.name} is read-only: {self.entity.read_only_reason}."
        return locked_reason(self.db) if self.db.capabilities.read_only else None

    def hold(self, reason: str | None) -> None:
        """Make editing unavailable for `reason` (a migration runs, an unknown revision); None lifts it.
        Staged edits stay; the editing actions say the reason (gui/migrate/watch.py holds editors)."""
        self.hold_reason = reason
        self._update_actions()

    def resume_reads(self) -> None:
        """The migration this editor was opened during has ended: read its first page and count now."""
        if not self.reads_paused:
            return
        self.reads_paused = False
        if self.filters:
            self.model.set_filters(self.filters, None)  # the filtered rows' first page, counted
        else:
            self.model.window.start()

    def use_database(self, db: Database) -> None:
        """Work on `db`, this editor's database reopened with other rights (an unlock or its end): rows,
        filters and staged edits stay; the editing actions follow its rights."""
        self.db = db
        self.model.window.db = db
        if self.delegate.context is not None:  # shared with the form's delegate
            self.delegate.context.db = db
        if self.form is not None:
            self.form.db = db
        self._update_actions()

    def _update_actions(self) -> None:
        a = self.actions_by_name
        staged = self.model.has_changes  # not the undo stack: a revert is on it, and leaves nothing staged
        locked = self.read_only_reason()
        for name in EDITING:
            a[name].setEnabled(not locked)
            tip = a[name].property("writeTip") or a[name].toolTip()
            a[name].setProperty("writeTip", tip)
            a[name].setToolTip(locked or tip)  # a disabled action says why
        a["save"].setEnabled(not locked and staged)
        a["revert"].setEnabled(not locked and staged)
        a["undo"].setEnabled(self.model.undo_stack.canUndo())
        a["redo"].setEnabled(self.model.undo_stack.canRedo())
        if locked:
            self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        else:
            self.view.setEditTriggers(self.edit_triggers)

    # --- messages -------------------------------------------------------------------------------

    def show_message(self, text: str, *, error: bool = True, timeout_ms: int = 0) -> None:
        """One short inline message above the grid (replacing any previous one)."""
        self.message.show_message(text, error=error, timeout_ms=timeout_ms)

    def clear_message(self) -> None:
        """Hide the inline message."""
        self.message.hide()

    # --- commands -------------------------------------------------------------------------------

    def selected_rows(self) -> list[int]:
        """Rows with a selected cell, else the current row; sorted."""
        rows = {i.row() for i in self.view.selectionModel().selectedIndexes()}
        current = self.view.currentIndex()
        if not rows and current.isValid():
            rows = {current.row()}
        return sorted(rows)

    def save(self) -> None:
        """Save every staged change (Ctrl+S)."""
        if self.entity.read_only:
            return
        self.view.setFocus()  # commits an open cell editor first
        self.model.save()

    def delete_selected(self) -> None:
        """Preview what deleting the selected rows would do; stage the delete if the user agrees (Del)."""
        self.dialogs.delete_selected()

    def paste(self) -> None:
        """Preview pasting the clipboard's TSV at the current cell; stage it if the user agrees (Ctrl+V)."""
        self.dialogs.paste()

    def export(self) -> None:
        """Export this view (filters and sort applied) to a CSV or JSON file."""
        self.dialogs.export()

    @property
    def export_job(self) -> ExportJob | None:
        """The last export started from this editor."""
        return self.dialogs.export_job

    @property
    def delete_dialog(self) -> DeletePreviewDialog | None:
        """The last delete preview opened."""
        return self.dialogs.delete_dialog

    @property
    def paste_dialog(self) -> PastePreviewDialog | None:
        """The last paste preview opened."""
        return self.dialogs.paste_dialog

    @property
    def conflict_dialog(self) -> ConflictDialog | None:
        """The last conflict dialog opened."""
        return self.dialogs.conflict_dialog

    def copy_selection(self) -> None:
        """Copy the selected cells as TSV (whole values)."""
        text = selection_tsv(self.view.selectionModel().selectedIndexes())
        if text:
            QApplication.clipboard().setText(text)

    def jump_to_end(self) -> None:
        """Show the last rows at once (Ctrl+End)."""
        self.model.jump_to_end()
        self.view.scrollToBottom()
        last = self.model.rowCount() - 1
        if last >= 0:
            self.view.setCurrentIndex(self.model.index(last, max(self.view.currentIndex().column(), 0)))

    def show_form(self, row: int | None = None) -> RecordForm:
        """Open the record form panel (on `row`, else the current row)."""
        self.actions_by_name["form"].setChecked(True)
        assert self.form is not None
        target = row if row is not None else self.view.currentIndex().row()
        if target >= 0:
            self.form.set_row(target)
        return self.form

    # --- slots ----------------------------------------------------------------------------------

    def _on_revert_triggered(self) -> None:
        self.view.setFocus()  # an open cell editor hands its typing over first: counted, reverted too
        n = self.model.staged_count
        if n <= REVERT_WITHOUT_ASKING:
            self._revert()
            return
        if self.revert_prompt is not None:  # already asking
            self.revert_prompt.raise_()
            return
        self.revert_prompt = RevertPrompt(n, self.entity.name, self)
        self.revert_prompt.answered.connect(self._on_revert_prompt_answered)
        self.revert_prompt.open()

    def _on_revert_prompt_answered(self, revert: bool) -> None:
        self.revert_prompt = None
        if revert:
            self._revert()

    def _revert(self) -> None:
        self.model.revert()
        self.clear_message()

    def _on_insert_triggered(self) -> None:
        row = self.model.insert_row()
        target = row if isinstance(row, int) else self.model.rowCount() - 1
        self.view.scrollTo(self.model.index(target, 0))
        self.view.setCurrentIndex(self.model.index(target, 0))

    def _on_duplicate_triggered(self) -> None:
        rows = self.selected_rows()
        if rows:
            self.model.duplicate_rows(rows)

    def _on_undo_stack_changed(self, _flag: bool) -> None:
        self._update_actions()

    def _on_model_changes_staged(self, n: int) -> None:
        self.staged_label.setText(f"{n:,} unsaved change{'s' if n != 1 else ''}" if n else "")
        self._update_actions()

    def _on_model_count_changed(self, n: int, exact: bool) -> None:
        self.count = (n, exact)
        if exact:
            self._clear_read_error()
        self._show_loading_state()

    def _on_model_loading_changed(self) -> None:
        self._show_loading_state()
        if not self.model.loading_rows:
            self.widths.restore()  # also when no rows came (an empty table: fitted to its headers)

    def _show_loading_state(self) -> None:
        """The count label and the grid's overlay: "Filtering…" until a new filter's rows and count are in
        (the first page's length is no count), then the count, or "No rows match" over an empty grid."""
        m = self.model
        filtering = bool(self.filters or self.quick)
        busy = "Filtering…" if filtering else "Loading…"
        n, exact = m.total, m.exact
        if m.counting:
            self.count_label.setText(busy)
        elif n == 0 and not exact:
            self.count_label.setText("—")  # nothing counted: the read failed (the message says why)
        else:
            self.count_label.setText(f"{'' if exact else '~'}{n:,} row{'s' if n != 1 else ''}")
        if m.loading_rows and n == 0:
            self.overlay.show_text(busy)
        elif filtering and exact and n == 0 and not m.counting:
            self.overlay.show_text("No rows match the filter")
        elif n == 0 and not exact and m.connection is not None and not m.connection.connected:
            self.overlay.show_text("The rows load when the server is back")  # nothing came: no empty grid
        else:
            self.overlay.show_text("")

    def _on_model_saved(self, *_args: Any) -> None:
        self.dialogs.show_saved()  # "Saved.", and which rows merged with someone else's changes on the way
        self._update_actions()

    def _on_model_save_failed(self, message: str) -> None:
        self.show_message(f"Not saved: {message}")
        connection = self.model.connection
        offline = connection is not None and not connection.connected
        self.offline_error = self.message.text() if offline else None

    def _on_model_reconnected(self) -> None:
        if not self.message.isHidden() and self.message.text() == self.offline_error:
            self.clear_message()  # the server is back: Save works again
        self.offline_error = None

    def _on_model_save_cancelled(self, message: str) -> None:
        self.show_message(message, error=False)

    def _on_model_load_failed(self, message: str) -> None:
        connection = self.model.connection
        if connection is not None and not connection.connected:
            return  # the window's one banner says the server is unavailable; the read is retried with it
        self.show_message(message)
        self.read_error = message

    def _clear_read_error(self) -> None:
        """A read succeeded: a message about an earlier failed read no longer holds."""
        shown = not self.message.isHidden() and self.message.text() == self.read_error
        if self.read_error is not None and shown:
            self.clear_message()
        self.read_error = None

    def _on_model_rows_loaded(self, *_args: Any) -> None:
        self._clear_read_error()
        self.widths.restore()

    def _on_filter_bar_filters_changed(self, filters: list[Filter], quick: str) -> None:
        self.filters, self.quick = filters, quick
        self.clear_message()
        self.model.set_filters(filters, quick or None)
        self._show_loading_state()

    def _on_header_sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        self.view.horizontalHeader().setSortIndicatorShown(True)
        before = self.sort
        self.sort = self.model.sort_order  # Qt's own slot has asked the model to sort already
        if self.sort != before:
            # A new order starts at its top, as in every table app; the current cell is its first row.
            self.view.scrollToTop()
            if self.model.rowCount() > 0 and column >= 0:
                self.view.setCurrentIndex(self.model.index(0, column))

    def _on_scrollbar_value_changed(self, _value: int) -> None:
        first = self.view.rowAt(0)
        last = self.view.rowAt(self.view.viewport().height() - 1)
        if first >= 0:
            self.model.request_rows(first, last if last >= 0 else self.model.rowCount() - 1)

    def _on_selection_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self.form is not None and self.form.isVisible() and current.isValid():
            self.form.set_row(current.row())

    def _on_form_toggled(self, on: bool) -> None:
        if on and self.form is None:
            context = self.delegate.context or EditorContext(self.db, self.catalog)
            delegate = CellDelegate(self, context=context)  # one context: an unlock reaches both delegates
            self.form = RecordForm(self.db, self.catalog, self.entity.name, self, delegate=delegate)
            self.form.set_model(self.model)
            self.form.open_entity_requested.connect(self.open_entity_requested)
            self.form.graph_requested.connect(self.graph_requested)
            self.splitter.addWidget(self.form)
            self.splitter.setSizes(form_split(self.splitter.width() or self.width()))
        if self.form is not None:
            self.form.setVisible(on)
            if on and self.view.currentIndex().isValid():
                self.form.set_row(self.view.currentIndex().row())

    def _on_delegate_open_reference_requested(self, entity: str, key: dict[str, Any]) -> None:
        self.open_entity_requested.emit(entity, [Filter(k, "eq", v) for k, v in key.items()])

    def _on_view_context_menu_requested(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return
        if not self.view.selectionModel().isSelected(index):
            flag = QItemSelectionModel.SelectionFlag.ClearAndSelect
            self.view.selectionModel().setCurrentIndex(index, flag)
        previous: QWidget | None = getattr(self, "context_menu", None)
        if previous is not None:
            previous.deleteLater()  # one menu at a time, not one per right-click for the tab's life
        menu = cell_commands.context_menu(self, index)
        menu.popup(self.view.viewport().mapToGlobal(pos))
        self.context_menu = menu

    def add_filter(self, condition: Filter) -> None:
        """Add `condition` to the filter bar, where the user sees and can remove it, and apply it now."""
        self.filter_bar.set_filters([condition])
        self._on_filter_bar_filters_changed(self.filter_bar.filters(), self.filter_bar.quick_text())

    def _indicator(self, sort: list[tuple[str, bool]] | None) -> tuple[int, bool]:
        """The header section and direction that show a one-column `sort`; (-1, False) otherwise."""
        if not sort or len(sort) != 1:
            return -1, False
        name, descending = sort[0]
        names = self.entity.column_names
        return (names.index(name), descending) if name in names else (-1, False)
