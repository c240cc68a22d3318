"""One tab of the record form: the rows linked to the shown row through one foreign key, as plain data."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.data.repository import Filter, RelatedGroup
from gui.editor.dialogs.conflict_dialog import value_text

CELL_LIMIT = 80


def nice(name: str) -> str:
    """A column or table name for people: 'source_location_id' → 'source location'."""
    base = name[:-3] if name.endswith("_id") else name
    return base.replace("_", " ")


def group_title(group: RelatedGroup, groups: list[RelatedGroup], *, count: bool = True) -> str:
    """'npcs (3)', '→ region (1)', or 'location connections via source location (4)' when ambiguous.

    The FK column is named only when the same entity links here through more than one foreign key.
    """
    suffix = f" ({group.count:,})" if count else ""
    if group.direction == "outgoing":
        return f"→ {nice(','.join(group.fk.columns))}{suffix}"
    twins = [g for g in groups if g.direction == "incoming" and g.entity == group.entity]
    title = nice(group.entity)
    if len(twins) > 1:
        title += f" via {nice(','.join(group.fk.columns))}"
    return title + suffix


class RelatedTab(QWidget):
    """A table of linked rows; double-click opens one, the button opens them all in their own editor."""

    open_requested = Signal(str, list)  # entity name, list[Filter]

    def __init__(
        self,
        group: RelatedGroup,
        groups: list[RelatedGroup],
        parent: QWidget | None = None,
        primary_key: tuple[str, ...] = ("id",),
        fk_labels: dict[str, dict[Any, str]] | None = None,
        label_column: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.group = group
        self.primary_key = tuple(c for c in primary_key if c in group.columns)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        shown = len(group.rows)
        if group.count == 0:
            note = "Nothing linked." if group.direction == "incoming" else "Not set."
        elif shown < group.count:
            note = f"Showing the first {shown:,} of {group.count:,}."
        else:
            note = f"{group.count:,} linked row{'s' if group.count != 1 else ''}."
        top = QHBoxLayout()
        self.note = QLabel(note)
        self.note.setStyleSheet("color: #5f6368;")
        top.addWidget(self.note, 1)
        self.open_button = QPushButton(f"Open in {group.entity}")
        self.open_button.setObjectName("openRelatedButton")
        self.open_button.setToolTip(f"Open these rows in their own {group.entity} editor")
        self.open_button.setEnabled(group.count > 0)
        self.open_button.clicked.connect(self._on_open_button_clicked)
        top.addWidget(self.open_button)
        layout.addLayout(top)

        fk_labels = fk_labels or {}
        # The bold first column is the row's label (the target's label column, not shown again); its key
        # goes in the tooltip, and a link back to the shown row says nothing.
        hidden = set(self.primary_key) | (set(group.fk.columns) if group.direction == "incoming" else set())
        hidden |= {label_column} if label_column else set()
        self.columns = [c for c in group.columns if c not in hidden]
        self.table = QTableWidget(len(group.rows), len(self.columns) + 1, self)
        self.table.setObjectName("relatedTable")
        self.table.setHorizontalHeaderLabels([nice(label_column or "name"), *(nice(c) for c in self.columns)])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        index = [group.columns.index(c) for c in self.columns]
        keys = [group.columns.index(c) for c in self.primary_key]
        for r, (row, label) in enumerate(zip(group.rows, group.labels, strict=True)):
            first = QTableWidgetItem(label)
            font = first.font()
            font.setBold(True)
            first.setFont(font)
            first.setToolTip(", ".join(f"{group.columns[i]} {value_text(row[i])}" for i in keys))
            self.table.setItem(r, 0, first)
            for c, i in enumerate(index, start=1):
                labels = fk_labels.get(group.columns[i])
                text = (labels.get(row[i]) if labels else None) or value_text(row[i])
                item = QTableWidgetItem(text if len(text) <= CELL_LIMIT else text[: CELL_LIMIT - 1] + "…")
                item.setToolTip(value_text(row[i])[:2000])
                self.table.setItem(r, c, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.resizeColumnsToContents()
        for c in range(self.table.columnCount()):
            header.resizeSection(c, min(header.sectionSize(c), 260))
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        layout.addWidget(self.table, 1)

    def filters(self) -> list[Filter]:
        """Filters that select every row of this group in its own editor."""
        g = self.group
        if not g.rows:
            return []
        cols = g.fk.columns if g.direction == "incoming" else g.fk.target_columns
        return [Filter(c, "eq", g.rows[0][g.columns.index(c)]) for c in cols]

    def row_filters(self, row: int) -> list[Filter]:
        """Filters that select one row of this group by its key."""
        values: tuple[Any, ...] = self.group.rows[row]
        return [Filter(c, "eq", values[self.group.columns.index(c)]) for c in self.primary_key]

    def _on_open_button_clicked(self) -> None:
        self.open_requested.emit(self.group.entity, self.filters())

    def _on_table_double_clicked(self, index: Any) -> None:
        if index.isValid() and self.primary_key:
            self.open_requested.emit(self.group.entity, self.row_filters(index.row()))


__all__ = ["RelatedTab", "group_title", "nice"]
