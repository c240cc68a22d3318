"""TableEditorModel: one entity's rows as a lazy grid over core keyset pages, with staged, undoable edits.

Grid rows are the staged new rows first, then the database rows in the current order. Database rows live
in a sparse page window (model/page_cache.py, filled by workers: model/pages.py); staged state
(gui/editor/model/staging.py) is kept by row key, so it survives sorting, filtering and refreshing. How a cell
reads and looks is gui/editor/model/cells.py. Nothing here touches the database.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QUndoStack

from core.data.coercion import coerce
from core.data.repository import Filter
from core.engine.db import Database
from core.schema.catalog import Catalog, ColumnInfo, Entity, ForeignKeyInfo
from gui.editor.model import roles
from gui.editor.model.cells import LOOK_ROLES, CellLooks, full_text, tooltip_text
from gui.editor.model.pages import PAGE_SIZE, PageCache, Query, Slot, WindowLoading
from gui.editor.model.roles import Role, RowState
from gui.editor.model.staging import UNSET, RowEdit, RowRef, Staging
from gui.editor.model.undo import EditCellsCommand, Index, StagedEdits
from gui.runtime import workers

UNSORTABLE = ("json", "vector", "array", "binary")
DISPLAY, EDIT, TIP = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.ToolTipRole
#: The roles data() answers; any other (decoration, check state, size hint…) is None before any lookup.
_R = Qt.ItemDataRole
SERVED = frozenset(map(int, (DISPLAY, EDIT, TIP, _R.BackgroundRole, _R.ForegroundRole, _R.FontRole, *Role)))
SERVED |= {int(_R.TextAlignmentRole)}
HEADER_ROLES = frozenset({int(DISPLAY), int(TIP)})
#: Item flags, combined once: combining Qt flags builds Python enum values, and flags() runs per painted cell.
NO_FLAGS = Qt.ItemFlag.NoItemFlags
READ_ONLY = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
EDITABLE = READ_ONLY | Qt.ItemFlag.ItemIsEditable


class TableEditorModel(CellLooks, StagedEdits, WindowLoading, QAbstractTableModel):
    """A lazy, editable grid of one entity: pages load in workers; edits are staged until save()."""

    rows_loaded = Signal(int, int)  # grid rows first..last filled in
    count_changed = Signal(int, bool)  # database rows, exact
    changes_staged = Signal(int)  # rows with staged changes
    saved = Signal(object)  # core SaveResult
    save_failed = Signal(str)
    conflicted = Signal(list)  # core Conflicts
    busy_changed = Signal(bool)
    load_failed = Signal(str)
    loading_changed = Signal()  # `loading_rows` or `counting` changed

    def __init__(
        self, db: Database, catalog: Catalog, entity_name: str, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._db, self._catalog = db, catalog
        self._entity = catalog.get(entity_name)
        self._columns = list(self._entity.columns)
        self._names = [c.name for c in self._columns]
        self._pk = [self._names.index(c) for c in self._entity.primary_key]
        # Per column: READ_ONLY for a read-only entity, vectors and the version column, else EDITABLE (still
        # read-only on placeholders, rows staged for deletion and the keys of saved rows).
        self._column_flags = [
            READ_ONLY if self._entity.read_only or c.kind == "vector" or c.is_version else EDITABLE
            for c in self._columns
        ]
        self._fks = {fk.columns[0]: fk for fk in self._entity.foreign_keys if len(fk.columns) == 1}
        self._more_labels: dict[tuple[str, Any], str | None] = {}
        self._query = Query(sort=self._entity.default_sort)  # newest first for logs, else key order
        self._cache = PageCache(keyed=bool(self._pk))
        self._staging = Staging(self._entity)
        self._total, self._exact = 0, False
        self._loading: dict[Slot, int] = {}
        self._load_tasks: dict[Slot, workers.Task] = {}  # in flight, cancelled when superseded
        self._settling = False  # the first screenful has arrived and is being painted: no other loads yet
        self._queue: list[Slot] = []
        self._tokens = itertools.count(1)
        self._visible = (0, PAGE_SIZE - 1)
        self._asked: tuple[int, int] | None = None
        self._count_token, self._count_deferred = 0, False
        self._located_at: tuple[int, ...] = ()
        self._located: tuple[Any, Any] = (None, None)
        self._saving: Staging | None = None
        self._conflicts: dict[Any, Any] = {}
        self._busy = False
        self._failed: str | None = None
        self._pending_rows = self._pending_count = False  # a new sort or filter's first page / count is due
        self.undo_stack = QUndoStack(self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(15)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._reload(reset=True, recount=True)

    # --- Qt model -------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Staged new rows plus the database rows (estimated until counted)."""
        return 0 if parent.isValid() else len(self._staging.inserts) + self._total

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
            return self.look(row, col)[slot]
        info = self._columns[col]
        if role == Role.COLUMN:
            return info
        if role == Role.FOREIGN_KEY:
            return self._fks.get(info.name)
        ref, loaded = self._locate(row)
        if ref is None:
            return RowState.PLACEHOLDER if role == Role.ROW_STATE else None
        value, staged = self._shown(ref, loaded, col)
        error = self._staging.errors.get((ref, info.name))
        if role == EDIT:
            return value
        if role == TIP:
            text = tooltip_text(info, value)
            label = self._cell_label(row, ref, info.name, value)
            if label is not None:
                return error or f"{label} — {text}"
            return error or (text if len(text) > roles.DISPLAY_LIMIT or "\n" in text else None)
        return self._custom(role, ref, loaded, col, value, staged, error)

    def _custom(
        self, role: int, ref: RowRef, loaded: Any, col: int, value: Any, staged: Any, error: Any
    ) -> Any:
        if role == Role.ROW_STATE:
            return self._state(ref)
        if role == Role.ERROR:
            return error
        if role == Role.ROW_KEY:
            return self._key_dict(ref[1]) if ref[0] == "key" and self._pk else None
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
                return f"{info.name}: {info.type}{'' if info.nullable else ', required'}"
            return None
        if orientation != Qt.Orientation.Vertical or role != DISPLAY or not 0 <= section < self.rowCount():
            return None
        n = len(self._staging.inserts)
        if section < n:
            return "+"
        ref, _ = self._locate(section)
        mark = {RowState.EDITED: "* ", RowState.DELETED: "− "}.get(self._state(ref) if ref else "", "")
        return f"{mark}{section - n + 1:,}"

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Editable unless read-only: the entity, vectors, the version, keys of saved rows, deleted rows."""
        if not index.isValid():
            return NO_FLAGS
        col = index.column()
        if self._column_flags[col] is READ_ONLY:
            return READ_ONLY
        ref, _ = self._locate(index.row())
        if ref is None:
            return READ_ONLY  # a placeholder
        if ref[0] == "key" and (self._columns[col].primary_key or ref[1] in self._staging.deletes):
            return READ_ONLY  # keys of saved rows, rows staged for deletion
        return EDITABLE

    def setData(self, index: Index, value: Any, role: int = EDIT) -> bool:
        """Stage a cell edit (an undoable command); nothing is written until save()."""
        if role != EDIT or not index.isValid() or not self.flags(index) & Qt.ItemFlag.ItemIsEditable:
            return False
        info = self._columns[index.column()]
        try:
            value = coerce(info, value)
        except ValueError:
            if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
                return False
            # What was typed but is no value of the column (too long, not JSON, out of range…) is staged as
            # typed and marked with why (apply_cells); Save refuses it. Dropping it would lose the typing.
        ref, loaded = self._locate(index.row())
        assert ref is not None
        if self.data(index, EDIT) == value and type(self.data(index, EDIT)) is type(value):
            return True
        row = self._row_dict(loaded)
        before = self._staging.value(ref, info.name)
        cmd = EditCellsCommand(self, [(ref, info.name, value, row)], [(ref, info.name, before, row)], "")
        cmd.setText(f"Edit {info.name}")
        self.undo_stack.push(cmd)
        return True

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort on the server by one column (a new keyset order); -1 restores the entity's default order."""
        sort = self._entity.default_sort
        if 0 <= column < len(self._columns):
            info = self._columns[column]
            if info.kind in UNSORTABLE:
                self.load_failed.emit(f"{info.name} ({info.kind}) cannot be sorted")
                return
            sort = [(info.name, order == Qt.SortOrder.DescendingOrder)]
        if sort != self._query.sort:
            self._query = replace(self._query, sort=sort)
            self._visible = (0, PAGE_SIZE - 1)  # a new order starts at its top
            self._reload(reset=True, recount=False)

    # --- public API -----------------------------------------------------------------------------

    @property
    def sort_order(self) -> list[tuple[str, bool]] | None:
        """The order shown, as (column, descending) pairs; None is key order."""
        return self._query.sort

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
        return self._saving is not None

    @property
    def staging(self) -> Staging:
        """What is staged, to read (the recovery journal); it changes only through undo commands."""
        return self._staging

    def put_staged_rows(
        self, edits: dict[Any, RowEdit | None], deletes: dict[Any, RowEdit | None]
    ) -> tuple[dict[Any, RowEdit | None], dict[Any, RowEdit | None]]:
        """Stage whole row edits and deletes by key (None unstages one); what each replaced (for undo)."""
        was_edits = _put_rows(self._staging.edits, edits)
        was_deletes = _put_rows(self._staging.deletes, deletes)
        self._touch({("key", key) for key in (*edits, *deletes)})
        return was_edits, was_deletes

    @property
    def loading_rows(self) -> bool:
        """Whether the first page of a new sort or filter is on its way (the grid shows none of its rows)."""
        return self._pending_rows

    @property
    def counting(self) -> bool:
        """Whether the rows of a new filter are still being counted (`total` is not a count yet)."""
        return self._pending_count

    @property
    def total(self) -> int:
        """Database rows shown (an estimate until `exact`)."""
        return self._total

    @property
    def exact(self) -> bool:
        """Whether the row count is exact (not an estimate)."""
        return self._exact

    @property
    def rows_held(self) -> int:
        """Database rows held in memory."""
        return self._cache.rows_held

    def column_info(self, col: int) -> ColumnInfo:
        """The catalog's description of a column."""
        return self._columns[col]

    def foreign_key(self, col: int) -> ForeignKeyInfo | None:
        """The single-column foreign key a column is, or None (what Role.FOREIGN_KEY answers)."""
        return self._fks.get(self._columns[col].name)

    def row_key(self, row: int) -> dict[str, Any] | None:
        """The primary key of a loaded row; None for new rows, placeholders and keyless entities."""
        ref, _ = self._locate(row)
        return self._key_dict(ref[1]) if ref is not None and ref[0] == "key" and self._pk else None

    def row_values(self, row: int) -> dict[str, Any]:
        """The row as shown (staged values over loaded ones); {} for a placeholder."""
        if self._locate(row)[0] is None:
            return {}
        return {name: self.index(row, c).data(EDIT) for c, name in enumerate(self._names)}

    def set_filters(self, filters: list[Filter], quick: str | None) -> None:
        """Show only matching rows (filtered on the server); staged edits stay."""
        query = replace(self._query, filters=tuple(filters), quick=quick or None)
        if query != self._query:
            self._query = query
            self._visible = (0, PAGE_SIZE - 1)  # the matches start at their top
            self._reload(reset=True, recount=True)

    def refresh(self) -> None:
        """Reload what is shown and count again (F5); staged edits stay."""
        self._reload(reset=False, recount=True)

    def request_rows(self, first: int, last: int) -> None:
        """The view shows grid rows first..last: load them (debounced) and let far pages go."""
        n = len(self._staging.inserts)
        self._visible = (max(0, first - n), max(0, last - n))
        self._asked = None
        self._timer.start()

    def jump_to_end(self) -> None:
        """Load the last rows now, keyset from the end (Ctrl+End)."""
        last = max(0, self._total - 1)
        self._visible = (max(0, last - PAGE_SIZE // 4), last)
        self._plan()

    # --- helpers --------------------------------------------------------------------------------

    def _key(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(row[i] for i in self._pk)

    def _key_dict(self, key: tuple[Any, ...]) -> dict[str, Any]:
        return dict(zip(self._entity.primary_key, key, strict=True))

    def _row_dict(self, row: tuple[Any, ...] | None) -> dict[str, Any] | None:
        return dict(zip(self._names, row, strict=True)) if row is not None else None

    def _locate(self, row: int) -> tuple[RowRef | None, tuple[Any, ...] | None]:
        """A grid row's identity and its loaded values (None, None for a placeholder).

        A view asks for every cell of a row in turn: the last database row located is kept until the
        page cache, the row count or the number of staged new rows changes.
        """
        inserts = self._staging.inserts
        n = len(inserts)
        if row < n:
            return ("new", inserts[row].token), None
        stamp = (row, n, self._total, self._cache.generation)
        if stamp == self._located_at:
            return self._located
        loaded = self._cache.row(row - n, self._total)
        found = (None, None) if loaded is None else (("key", self._key(loaded)), loaded)
        self._located_at, self._located = stamp, found
        return found

    def _state(self, ref: RowRef) -> str:
        kind, ident = ref
        if kind == "new":
            return RowState.INSERTED
        if ident in self._staging.deletes:
            return RowState.DELETED
        return RowState.EDITED if ident in self._staging.edits else RowState.LOADED

    def _touch(self, refs: set[RowRef]) -> None:
        """Repaint the rows of these refs wherever they are now, and tell how much is staged."""
        n = len(self._staging.inserts)
        keys = {ident for kind, ident in refs if kind == "key"}
        rows = (
            [n + p for p in self._cache.positions_of(lambda r: self._key(r) in keys, self._total)]
            if keys
            else []
        )
        rows += [i for i, r in enumerate(self._staging.inserts) if ("new", r.token) in refs]
        for r in rows:
            self.dataChanged.emit(self.index(r, 0), self.index(r, len(self._columns) - 1))
            self.headerDataChanged.emit(Qt.Orientation.Vertical, r, r)
        self.changes_staged.emit(self._staging.count)

    def _changed_rows(self, start: int, end: int) -> None:
        """Positions [start, end) of database rows changed."""
        n = len(self._staging.inserts)
        if end > start and self._columns:
            self.dataChanged.emit(self.index(n + start, 0), self.index(n + end - 1, len(self._columns) - 1))
            self.headerDataChanged.emit(Qt.Orientation.Vertical, n + start, n + end - 1)

    def _changed_column(self, name: str) -> None:
        col, rows = self._names.index(name), self.rowCount()
        if rows:
            self.dataChanged.emit(self.index(0, col), self.index(rows - 1, col), [DISPLAY, TIP])

    def _changed_all(self) -> None:
        rows = self.rowCount()
        if rows and self._columns:
            self.dataChanged.emit(self.index(0, 0), self.index(rows - 1, len(self._columns) - 1))
            self.headerDataChanged.emit(Qt.Orientation.Vertical, 0, rows - 1)
        self.changes_staged.emit(self._staging.count)


def _put_rows(staged: dict[Any, RowEdit], rows: dict[Any, RowEdit | None]) -> dict[Any, RowEdit | None]:
    """Put whole staged rows by key (None removes one); what was there before."""
    before: dict[Any, RowEdit | None] = {}
    for key, row in rows.items():
        before[key] = staged.pop(key, None)
        if row is not None:
            staged[key] = row
    return before
