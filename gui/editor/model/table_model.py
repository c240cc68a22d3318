"""TableEditorModel: one entity's rows as a lazy grid over core keyset pages, with staged, undoable edits.

A thin Qt adapter over plain objects composed inside it (napari's `_qt/containers` way):

- the row window (model/row_window.py): database rows in pages, placeholders, loading, the count, labels;
- the staging (model/staging.py): what is staged, by row key, so it survives sorting and filtering;
- the grid (model/grid.py): staged new rows first, then the window's rows; what each cell shows;
- the edit history (model/history.py, commands in model/undo.py): every staged change is one undo step;
- the saver (model/saving.py): one save in a worker and its outcome;
- the cell looks (model/cells.py): how a cell reads and looks.

The model answers Qt's questions from them and turns what they report into Qt's model notifications and
its own signals. Nothing here touches the database.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QUndoStack

from core.data.repository import Filter
from core.engine.db import Database
from core.schema.catalog import Catalog, ColumnInfo, Entity, ForeignKeyInfo
from core.schema.keys import column_note
from gui.editor.model import roles
from gui.editor.model.cells import LOOK_ROLES, CellLooks, Look, full_text, tooltip_text
from gui.editor.model.column_hints import column_tip, header_font
from gui.editor.model.grid import Grid
from gui.editor.model.history import EditHistory
from gui.editor.model.notices import ModelNotices
from gui.editor.model.roles import Role, RowState
from gui.editor.model.row_window import Cancellable, RowWindow
from gui.editor.model.saving import Saver
from gui.editor.model.staging import UNSET, NewRow, PastePreview, RowEdit, RowRef, Staging
from gui.editor.staged_follow import follow_query
from gui.runtime import workers

if TYPE_CHECKING:
    from gui.runtime.connection_state import ConnectionMonitor

Index = QModelIndex | QPersistentModelIndex
UNSORTABLE = ("json", "vector", "array", "binary")
DISPLAY, EDIT, TIP = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.ToolTipRole
#: The roles data() answers; any other (decoration, check state, size hint…) is None before any lookup.
_R = Qt.ItemDataRole
SERVED = frozenset(map(int, (DISPLAY, EDIT, TIP, _R.BackgroundRole, _R.ForegroundRole, _R.FontRole, *Role)))
SERVED |= {int(_R.TextAlignmentRole)}
HEADER_ROLES = frozenset({int(DISPLAY), int(TIP), int(Qt.ItemDataRole.FontRole)})
#: Item flags, combined once: combining Qt flags builds Python enum values, and flags() runs per painted cell.
NO_FLAGS = Qt.ItemFlag.NoItemFlags
READ_ONLY = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
EDITABLE = READ_ONLY | Qt.ItemFlag.ItemIsEditable
DEBOUNCE_MS = 15


class TableEditorModel(QAbstractTableModel):
    """A lazy, editable grid of one entity: pages load in workers; edits are staged until save()."""

    rows_loaded = Signal(int, int)  # grid rows first..last filled in
    count_changed = Signal(int, bool)  # database rows, exact
    changes_staged = Signal(int)  # rows with staged changes
    saved = Signal(object)  # core SaveResult
    save_failed = Signal(str)
    conflicted = Signal(list)  # core Conflicts
    save_progressed = Signal(str, bool)  # what the running save does ("" once it ended), waiting for a lock
    save_cancelled = Signal(str)  # the note after Cancel: nothing written, everything still staged
    busy_changed = Signal(bool)
    load_failed = Signal(str)
    loading_changed = Signal()  # `loading_rows` or `counting` changed
    reconnected = Signal()  # the database answers again after it was unavailable (failed reads are retried)

    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        entity_name: str,
        parent: QObject | None = None,
        *,
        start: bool = True,
    ) -> None:
        super().__init__(parent)
        self._busy = False
        self.connection: ConnectionMonitor | None = None  # the open database's state, once followed
        #: Asked before a save is sent (the window's audit consent, gui/audit/consent_gate.py): False holds
        #: the save back, and the gate calls save() again once it may go.
        self.save_gate: Callable[[TableEditorModel], bool] | None = None
        self.debounce = QTimer(self)  # the row window's: placeholders painted meanwhile load together
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.undo_stack = QUndoStack(self)
        self._notices = ModelNotices(self)
        self._compose(db, catalog, catalog.get(entity_name), Staging(catalog.get(entity_name)))
        if start:  # else nothing is read until window.start() (opened while a migration runs)
            self.window.start()

    def _compose(self, db: Database, catalog: Catalog, entity: Entity, staging: Staging) -> None:
        """Build the parts for `entity`, around what is staged."""
        self._entity = entity
        self._columns = list(entity.columns)
        # Per column: READ_ONLY for a read-only entity, vectors, the version column and a rowid, else EDITABLE
        # (still read-only on placeholders, rows staged for deletion and the keys of saved rows).
        self._column_flags = [
            READ_ONLY if entity.read_only or c.kind == "vector" or c.is_version or c.row_id else EDITABLE
            for c in self._columns
        ]
        # Generated, identity-always and unknown-type columns are never written (core/schema/column_kinds.py).
        self._column_flags = [
            READ_ONLY if c.never_written_reason else flag
            for c, flag in zip(self._columns, self._column_flags, strict=True)
        ]
        run = functools.partial(_run, self)
        self.window = RowWindow(db, catalog, entity, self._notices, run)
        self._staging = staging
        self.grid = Grid(staging, self.window)
        self.history = EditHistory(catalog, self.grid, self._notices, self.undo_stack, {})
        self.saver = Saver(self.history, self.window, self._notices, run)
        self.cells = CellLooks(self.grid)
        self.debounce.timeout.connect(self.window.on_debounce)

    def follow_catalog(self, catalog: Catalog, staging: Staging | None) -> None:
        """Use a reloaded catalog; with `staging` (what is staged, on the entity's new shape) show the entity
        anew: its columns, its rows in the same order and filters where their columns remain (not while a
        save is in flight). Undo starts afresh: its steps name the columns as they were."""
        if staging is None:  # the entity is unchanged: later core calls get the new catalog, nothing reloads
            self.window.catalog = self.history.catalog = catalog
            return
        old, before = self.window, self._entity
        old.close()
        self.debounce.stop()
        self.debounce.timeout.disconnect(old.on_debounce)
        self.undo_stack.clear()
        self.beginResetModel()
        self._compose(old.db, catalog, catalog.get(before.name), staging)
        self.window.query = follow_query(old.query, before, self._entity)
        self.endResetModel()
        self.window.start()
        self.changes_staged.emit(staging.count)
        self.update_busy()

    # --- Qt model -------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Staged new rows plus the database rows (estimated until counted)."""
        return 0 if parent.isValid() else len(self._staging.inserts) + self.window.total

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """One column per entity column."""
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        """Cell text, value, colours and the custom roles of gui/editor/model/roles.py."""
        if role not in SERVED or not index.isValid():
            return None  # a view asks ~10 roles per cell while painting: the unserved ones cost nothing
        row, col = index.row(), index.column()
        slot = LOOK_ROLES.get(role)
        if slot is not None:
            return self.cells.look(row, col)[slot]
        info = self._columns[col]
        if role == Role.COLUMN:
            return info
        if role == Role.FOREIGN_KEY:
            return self.window.fks.get(info.name)
        ref, loaded = self.grid.locate(row)
        if ref is None:
            return RowState.PLACEHOLDER if role == Role.ROW_STATE else None
        value, staged = self.grid.shown(ref, loaded, col)
        error = self._staging.errors.get((ref, info.name))
        if role == EDIT:
            return value
        if role == TIP:
            text = tooltip_text(info, value)
            label = self.cells.label(row, ref, info.name, value)
            if label is not None:
                return error or f"{label} — {text}"
            return error or (text if len(text) > roles.DISPLAY_LIMIT or "\n" in text else None)
        return self._custom(role, ref, loaded, col, value, staged, error)

    def _custom(
        self, role: int, ref: RowRef, loaded: Any, col: int, value: Any, staged: Any, error: Any
    ) -> Any:
        if role == Role.ROW_STATE:
            return self.grid.state(ref)
        if role == Role.ERROR:
            return error
        if role == Role.ROW_KEY:
            return self.grid.key_dict(ref[1]) if ref[0] == "key" and self.window.pk else None
        if role == Role.ORIGINAL:
            return loaded[col] if loaded is not None else None
        if role == Role.STAGED:
            return staged is not UNSET
        if role == Role.FULL_TEXT:
            return full_text(self._columns[col], value)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        """Column names; row numbers marked '+' new, '*' edited, '−' to be deleted."""
        if role not in HEADER_ROLES:
            return None  # a header asks ~7 roles per section while painting: most cost nothing
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._columns):
            info = self._columns[section]
            if role == DISPLAY:
                return info.name
            if role == Qt.ItemDataRole.ToolTipRole:
                note = column_note(self._entity.key_source, info.name, info.primary_key)
                return note or column_tip(info)
            return header_font(info)  # FontRole: italic for a column the database computes
        if orientation != Qt.Orientation.Vertical or role != DISPLAY or not 0 <= section < self.rowCount():
            return None
        n = len(self._staging.inserts)
        if section < n:
            return "+"
        ref, _ = self.grid.locate(section)
        mark = {RowState.EDITED: "* ", RowState.DELETED: "− "}.get(self.grid.state(ref) if ref else "", "")
        return f"{mark}{section - n + 1:,}"

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Editable unless read-only: the connection, the entity, vectors, the version, keys of saved rows,
        deleted rows."""
        if not index.isValid():
            return NO_FLAGS
        col = index.column()
        if self._column_flags[col] is READ_ONLY or self.window.db.capabilities.read_only:
            return READ_ONLY  # a read-only connection too: its cells and form fields do not edit
        ref, _ = self.grid.locate(index.row())
        if ref is None:
            return READ_ONLY  # a placeholder
        if ref[0] == "key" and (self._columns[col].primary_key or ref[1] in self._staging.deletes):
            return READ_ONLY  # keys of saved rows, rows staged for deletion
        return EDITABLE

    def setData(self, index: Index, value: Any, role: int = EDIT) -> bool:
        """Stage a cell edit (an undoable command); nothing is written until save()."""
        if role != EDIT or not index.isValid() or not self.flags(index) & Qt.ItemFlag.ItemIsEditable:
            return False
        return self.history.edit_cell(index.row(), index.column(), value)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort on the server by one column (a new keyset order); -1 restores the entity's default order."""
        sort = self._entity.default_sort
        if 0 <= column < len(self._columns):
            info = self._columns[column]
            if info.kind in UNSORTABLE:
                self.load_failed.emit(f"{info.name} ({info.kind}) cannot be sorted")
                return
            sort = [(info.name, order == Qt.SortOrder.DescendingOrder)]
        self.window.set_query(replace(self.window.query, sort=sort))

    # --- public API -----------------------------------------------------------------------------

    @property
    def sort_order(self) -> list[tuple[str, bool]] | None:
        """The order shown, as (column, descending) pairs; None is key order."""
        return self.window.query.sort

    @property
    def entity(self) -> Entity:
        """The entity shown."""
        return self._entity

    @property
    def has_changes(self) -> bool:
        """Whether anything is staged."""
        return self._staging.count > 0

    @property
    def staged_count(self) -> int:
        """Rows with staged changes."""
        return self._staging.count

    @property
    def saving(self) -> bool:
        """Whether a save is in flight (saved, save_failed or conflicted follows)."""
        return self.saver.saving

    @property
    def staging(self) -> Staging:
        """What is staged, to read (the recovery journal); it changes only through undo commands."""
        return self._staging

    @property
    def loading_rows(self) -> bool:
        """Whether the first page of a new sort or filter is on its way (the grid shows none of its rows)."""
        return self.window.loading_rows

    @property
    def counting(self) -> bool:
        """Whether the rows of a new filter are still being counted (`total` is not a count yet)."""
        return self.window.counting

    @property
    def total(self) -> int:
        """Database rows shown (an estimate until `exact`)."""
        return self.window.total

    @property
    def exact(self) -> bool:
        """Whether the row count is exact (not an estimate)."""
        return self.window.exact

    @property
    def rows_held(self) -> int:
        """Database rows held in memory."""
        return self.window.cache.rows_held

    def look(self, row: int, col: int) -> Look:
        """What a cell paints with, in one lookup (the delegate's fast path)."""
        return self.cells.look(row, col)

    def column_info(self, col: int) -> ColumnInfo:
        """The catalog's description of a column."""
        return self._columns[col]

    def foreign_key(self, col: int) -> ForeignKeyInfo | None:
        """The single-column foreign key a column is, or None (what Role.FOREIGN_KEY answers)."""
        return self.window.fks.get(self._columns[col].name)

    def row_key(self, row: int) -> dict[str, Any] | None:
        """The primary key of a loaded row; None for new rows, placeholders and keyless entities."""
        ref, _ = self.grid.locate(row)
        return self.grid.key_dict(ref[1]) if ref is not None and ref[0] == "key" and self.window.pk else None

    def row_values(self, row: int) -> dict[str, Any]:
        """The row as shown (staged values over loaded ones); {} for a placeholder."""
        return self.grid.row_values(row)

    def set_filters(self, filters: list[Filter], quick: str | None) -> None:
        """Show only matching rows (filtered on the server); staged edits stay."""
        self.window.set_query(replace(self.window.query, filters=tuple(filters), quick=quick or None))

    def refresh(self) -> None:
        """Reload what is shown and count again (F5); staged edits stay."""
        self.window.refresh()

    def request_rows(self, first: int, last: int) -> None:
        """The view shows grid rows first..last: load them (debounced) and let far pages go."""
        n = len(self._staging.inserts)
        self.window.show(first - n, last - n)

    def jump_to_end(self) -> None:
        """Load the last rows now, keyset from the end (Ctrl+End)."""
        self.window.jump_to_end()

    # --- staged edits (the edit history) and saving ---------------------------------------------

    def insert_row(self, defaults: dict[str, Any] | None = None) -> int:
        """Stage a new row (missing columns take their defaults); its grid row."""
        return self.history.insert_row(defaults)

    def duplicate_rows(self, rows: list[int]) -> list[int]:
        """Stage copies of rows (without key and version); their grid rows."""
        return self.history.duplicate_rows(rows)

    def delete_rows(self, rows: list[int]) -> None:
        """Stage deletes of loaded rows and drop staged new rows (the view previews first)."""
        self.history.delete_rows(rows)

    def paste_preview(self, top_left: Index, tsv_text: str) -> PastePreview:
        """Where a TSV block would land, each value read for its column and checked; nothing is staged."""
        top = max(0, top_left.row()) if top_left.isValid() else self.rowCount()
        left = max(0, top_left.column()) if top_left.isValid() else 0
        return self.history.paste_preview(top, left, tsv_text)

    def apply_paste(self, preview: PastePreview) -> bool:
        """Stage a previewed paste as one undoable step, only when it has no problems."""
        return self.history.apply_paste(preview)

    def revert(self) -> None:
        """Discard every staged change, as one step Undo brings back."""
        self.history.revert()

    def put_staged_rows(
        self, edits: dict[Any, RowEdit | None], deletes: dict[Any, RowEdit | None]
    ) -> tuple[dict[Any, RowEdit | None], dict[Any, RowEdit | None]]:
        """Stage whole row edits and deletes by key (None unstages one); what each replaced (for undo)."""
        return self.history.put_staged_rows(edits, deletes)

    def insert_new_rows(self, rows: list[tuple[int, NewRow]]) -> None:
        """Stage new rows at positions of the insert list, -1 = last (undo commands)."""
        self.history.insert_new_rows(rows)

    def remove_new_rows(self, tokens: list[int]) -> list[tuple[int, NewRow]]:
        """Unstage new rows; where each was, ascending (undo commands)."""
        return self.history.remove_new_rows(tokens)

    def save(self) -> None:
        """Write every staged change in one transaction (in a worker); saved, save_failed or conflicted.

        While the database is unavailable the save is refused at once (save_failed, on the next turn of the
        event loop, as a worker's would come): nothing is sent, and everything stays staged.
        """
        connection = self.connection
        if connection is not None and not connection.connected and self.has_changes and not self.saving:
            QTimer.singleShot(0, self, functools.partial(self._refuse_save, connection.refusal()))
            return
        if self.save_gate is not None and self.has_changes and not self.saving and not self.save_gate(self):
            return
        self.saver.save()

    def _refuse_save(self, message: str) -> None:
        self.save_failed.emit(message)

    def follow_connection(self, connection: ConnectionMonitor) -> None:
        """Refuse saves while `connection` is unavailable; read again what failed once it has recovered."""
        self.connection = connection
        connection.recovered.connect(self._on_connection_recovered)

    def _on_connection_recovered(self) -> None:
        self.window.retry_failed()
        self.reconnected.emit()

    def cancel_save(self) -> None:
        """Stop a save that waits for another program's write lock (save_cancelled follows)."""
        self.saver.cancel()

    def resolve_conflict(self, key: dict[str, Any], resolution: dict[str, Any] | None) -> None:
        """Re-base a conflicting row on what is stored now; per column 'mine', 'theirs' or a value."""
        self.saver.resolve_conflict(key, resolution)

    # --- notifications ----------------------------------------------------------------------------

    def changed_rows(self, first: int, last: int) -> None:
        """Grid rows first..last show other values (cells and row headers)."""
        if last >= first and self._columns:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self._columns) - 1))
            self.headerDataChanged.emit(Qt.Orientation.Vertical, first, last)

    def changed_all(self) -> None:
        """Every row may show other values; tell how much is staged."""
        self.changed_rows(0, self.rowCount() - 1)
        self.changes_staged.emit(self._staging.count)

    def update_busy(self) -> None:
        """Tell whether pages load or a save runs, when that changed."""
        busy = self.window.in_flight or self.saver.saving
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)


def _run(owner: TableEditorModel, fn: Callable[..., Any], *args: Any, key: Hashable | None = None,
         **kwargs: Any) -> Cancellable:  # fmt: skip
    """The model's worker door: results for a model that is gone are dropped."""
    return workers.run(fn, *args, owner=owner, key=key, **kwargs)
