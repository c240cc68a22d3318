"""The audit viewer's Qt models: thin adapters over core.audit.log's plain entries and one entry's fields."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

if TYPE_CHECKING:
    from core.audit.log import Entry

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Id", "When", "User", "Action", "Entity", "Row", "Fields", "Reason")
FIELD_COLUMNS = ("Field", "Before", "After")
#: Characters of a value shown in a cell: a whole 10 MB text is opened elsewhere, not painted here.
SHOWN_CHARS = 200


def key_text(key: dict[str, Any]) -> str:
    """A row's key as people read it: the value alone for a one-column key, else name=value pairs."""
    if len(key) == 1:
        return str(next(iter(key.values())))
    return ", ".join(f"{k}={v}" for k, v in key.items())


def value_text(value: Any) -> str:
    """A logged value in a cell: JSON for objects and lists, NULL for none, cut to SHOWN_CHARS."""
    if value is None:
        return "NULL"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


class AuditEntriesModel(QAbstractTableModel):
    """Entries newest first, one per row."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.entries: list[Entry] = []

    def set_entries(self, entries: list[Entry]) -> None:
        """Show these entries instead."""
        self.beginResetModel()
        self.entries = list(entries)
        self.endResetModel()

    def entry(self, row: int) -> Entry:
        """The entry shown in `row`."""
        return self.entries[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008  (Qt's signature)
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.entries):
            return None
        e = self.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(e, index.column())
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 3 and e.reverts is not None:
            return f"Reverts entry {e.reverts}"
        return None

    @staticmethod
    def _text(e: Entry, column: int) -> str:
        if column == 0:
            return str(e.id)
        if column == 1:
            return e.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")  # shown in local time, stored in UTC
        if column == 2:
            return f"{e.user} ({e.profile})"
        if column == 3:
            return e.action
        if column == 4:
            return e.entity
        if column == 5:
            return key_text(e.key)
        if column == 6:
            return ", ".join(e.fields)
        return e.reason or ""


class EntryFieldsModel(QAbstractTableModel):
    """One entry's fields, before and after; fields of an update can be checked to revert only them."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.entry: Entry | None = None
        self.names: list[str] = []
        self.checked: set[str] = set()

    def set_entry(self, entry: Entry | None) -> None:
        """Show this entry's fields (none for None); nothing checked."""
        self.beginResetModel()
        self.entry = entry
        self.names = list(entry.fields) if entry is not None else []
        self.checked = set()
        self.endResetModel()

    def checked_fields(self) -> tuple[str, ...]:
        """The checked fields, in the order shown."""
        return tuple(n for n in self.names if n in self.checked)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.names)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(FIELD_COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return FIELD_COLUMNS[section] if 0 <= section < len(FIELD_COLUMNS) else None
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() == 0 and self._checkable():
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.entry is None or not index.isValid() or not 0 <= index.row() < len(self.names):
            return None
        name = self.names[index.row()]
        if role == Qt.ItemDataRole.CheckStateRole and index.column() == 0 and self._checkable():
            return Qt.CheckState.Checked if name in self.checked else Qt.CheckState.Unchecked
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if index.column() == 0:
            return name
        side = self.entry.before if index.column() == 1 else self.entry.after
        return "" if side is None else value_text(side.get(name))

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != 0 or not self._checkable():
            return False
        name = self.names[index.row()]
        if Qt.CheckState(value) == Qt.CheckState.Checked:
            self.checked.add(name)
        else:
            self.checked.discard(name)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True

    def _checkable(self) -> bool:
        """Only an update's fields revert one by one; an insert or a delete reverts whole."""
        return self.entry is not None and self.entry.kind == "update"
