"""What the table editor model's parts report, turned into Qt model notifications and the model's signals.

The row window (WindowHost), the edit history (HistoryHost) and the saver (SaveHost) speak plain Python;
`ModelNotices` answers for the model. The row window counts database rows; the grid shows the staged new rows
above them, so its positions are moved down by their number here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, QTimer

from core.data.repository import SaveResult
from core.errors import Conflict
from gui.editor.model.staging import RowRef

if TYPE_CHECKING:
    from gui.editor.model.table_model import TableEditorModel

DISPLAY, TIP = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole


class ModelNotices:
    """What the model's parts report, as Qt model notifications and the model's signals.

    The row window speaks in database positions; the grid shows the staged new rows above them.
    """

    def __init__(self, model: TableEditorModel) -> None:
        self.model = model

    # the row window (WindowHost)

    def reset_rows(self, apply: Callable[[], None]) -> None:
        """A model reset around `apply`."""
        self.model.beginResetModel()
        apply()
        self.model.endResetModel()

    def resize_rows(self, old: int, new: int, apply: Callable[[], None]) -> None:
        """Rows inserted or removed at the end, around `apply`."""
        m, first = self.model, self.model.grid.new_rows
        if new > old:
            m.beginInsertRows(QModelIndex(), first + old, first + new - 1)
            apply()
            m.endInsertRows()
        else:
            m.beginRemoveRows(QModelIndex(), first + new, first + old - 1)
            apply()
            m.endRemoveRows()

    def rows_changed(self, start: int, end: int) -> None:
        """Database rows [start, end) changed."""
        n = self.model.grid.new_rows
        self.model.changed_rows(n + start, n + end - 1)

    def all_rows_changed(self) -> None:
        """Every row may have changed."""
        self.model.changed_all()

    def column_changed(self, name: str) -> None:
        """A column's labels changed."""
        m = self.model
        col, rows = m.window.names.index(name), m.rowCount()
        if rows:
            m.dataChanged.emit(m.index(0, col), m.index(rows - 1, col), [DISPLAY, TIP])

    def rows_arrived(self, start: int, end: int) -> None:
        """Database rows [start, end) were loaded."""
        n = self.model.grid.new_rows
        self.model.rows_loaded.emit(n + start, n + end - 1)

    def count_changed(self, n: int, exact: bool) -> None:
        """The row count changed."""
        self.model.count_changed.emit(n, exact)

    def loading_changed(self) -> None:
        """Rows or a count are (no longer) on their way."""
        self.model.loading_changed.emit()

    def load_failed(self, message: str) -> None:
        """A read failed."""
        self.model.load_failed.emit(message)

    def busy_changed(self) -> None:
        """Loads or a save started or ended."""
        self.model.update_busy()

    def start_debounce(self, restart: bool) -> None:
        """Start the debounce timer, or restart it when it runs already and `restart` says so."""
        if restart or not self.model.debounce.isActive():
            self.model.debounce.start()

    def call_later(self, ms: int, fn: Callable[[], None]) -> None:
        """Call `fn` after `ms`, unless the model is gone."""
        QTimer.singleShot(ms, self.model, fn)

    # the edit history (HistoryHost) and the saver (SaveHost)

    def insert_new_row(self, at: int, apply: Callable[[], None]) -> None:
        """A staged new row at grid row `at`."""
        self.model.beginInsertRows(QModelIndex(), at, at)
        apply()
        self.model.endInsertRows()

    def remove_new_row(self, at: int, apply: Callable[[], None]) -> None:
        """The staged new row at grid row `at` goes."""
        self.model.beginRemoveRows(QModelIndex(), at, at)
        apply()
        self.model.endRemoveRows()

    def touch(self, refs: set[RowRef]) -> None:
        """Repaint the rows of these refs wherever they are now, and tell how much is staged."""
        for r in self.model.grid.rows_of(refs):
            self.model.changed_rows(r, r)
        self.staged_count_changed()

    def all_changed(self) -> None:
        """Repaint everything; tell how much is staged."""
        self.model.changed_all()

    def staged_count_changed(self) -> None:
        """Tell how much is staged."""
        self.model.changes_staged.emit(self.model.staging.count)

    def saved(self, result: SaveResult) -> None:
        """The save went through."""
        self.model.saved.emit(result)

    def save_failed(self, message: str) -> None:
        """The save wrote nothing."""
        self.model.save_failed.emit(message)

    def conflicted(self, conflicts: list[Conflict]) -> None:
        """The save found rows changed underneath."""
        self.model.conflicted.emit(conflicts)

    def save_progressed(self, text: str, waiting: bool) -> None:
        """What the running save does ("" once it ended), and whether it waits for a lock."""
        self.model.save_progressed.emit(text, waiting)

    def save_cancelled(self, message: str) -> None:
        """The save was cancelled while it waited; everything is still staged."""
        self.model.save_cancelled.emit(message)
