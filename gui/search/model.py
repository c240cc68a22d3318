"""The search results as a list: a header row per entity, then its hits, best first.

A thin Qt adapter over core's plain answer (core/search/panel_queries.py's PanelAnswer): it keeps the rows
as they came and builds nothing but the text Qt asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

if TYPE_CHECKING:
    from core.search.panel_queries import EntityFound, Found, PanelAnswer

#: The plain object behind a row: a Group (header) or a core Found (hit).
ITEM_ROLE = Qt.ItemDataRole.UserRole + 1
#: True for an entity's header row.
HEADER_ROLE = Qt.ItemDataRole.UserRole + 2

AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Group:
    """An entity's header row: its name, how many rows it found, how, or why it could not be searched."""

    entity: str
    count: int
    how: str
    problem: str | None


class SearchResultsModel(QAbstractListModel):
    """The rows of one answer: per entity a header, then its hits."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.answer: PanelAnswer | None = None
        self.rows: list[Group | Found] = []

    def set_answer(self, answer: PanelAnswer | None) -> None:
        """Show `answer` (None: nothing)."""
        self.beginResetModel()
        self.answer = answer
        self.rows = []
        for group in answer.groups if answer is not None else []:
            self.rows.append(_group(group))
            self.rows.extend(group.hits)
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008  (Qt's own default)
        """How many rows (headers and hits); a list has no children."""
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """A row's text, tooltip, or the plain object behind it."""
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        item = self.rows[index.row()]
        if role == ITEM_ROLE:
            return item
        if role == HEADER_ROLE:
            return isinstance(item, Group)
        if role == Qt.ItemDataRole.DisplayRole:
            return _header_text(item) if isinstance(item, Group) else item.label
        if role == Qt.ItemDataRole.ToolTipRole:
            return _header_tip(item) if isinstance(item, Group) else _hit_tip(item)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        """Hits can be selected; headers cannot."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if isinstance(self.rows[index.row()], Group):
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def hits(self) -> list[Found]:
        """Every hit, in the order shown."""
        return [r for r in self.rows if not isinstance(r, Group)]

    def hit_at(self, row: int) -> Found | None:
        """The hit on `row`, or None for a header or no row."""
        item = self.rows[row] if 0 <= row < len(self.rows) else None
        return None if item is None or isinstance(item, Group) else item

    def first_hit_row(self) -> int:
        """The row of the first hit, -1 when there is none."""
        return next((i for i, r in enumerate(self.rows) if not isinstance(r, Group)), -1)


def _group(found: EntityFound) -> Group:
    return Group(found.entity, len(found.hits), found.how, found.problem)


def _header_text(group: Group) -> str:
    if group.problem:
        return f"{group.entity}: not searched"
    return f"{group.entity} · {group.count} row{'s' if group.count != 1 else ''}"


def _header_tip(group: Group) -> str:
    return group.problem or (f"Answered by {group.how}" if group.how else "")


def _hit_tip(hit: Found) -> str:
    parts = [hit.entity]
    if hit.distance is not None:
        parts.append(f"distance {hit.distance:.4f}")
    if hit.keyword_rank is not None:
        parts.append(f"keyword rank {hit.keyword_rank}")
    if hit.semantic_rank is not None:
        parts.append(f"meaning rank {hit.semantic_rank}")
    return " · ".join(parts) + "\nDouble-click to open the record; right-click for more."


def ranks_text(hit: Found) -> str:
    """The distance and ranks shown at the right of a hit."""
    parts = []
    if hit.keyword_rank is not None:
        parts.append(f"words #{hit.keyword_rank}")
    if hit.semantic_rank is not None:
        parts.append(f"meaning #{hit.semantic_rank}")
    if hit.distance is not None:
        parts.append(f"{hit.distance:.3f}")
    return "   ".join(parts)


def summary(answer: PanelAnswer, label: str | None = None, *, like: bool = False) -> str:
    """The status line after an answer: what was found, by which provider and index, in how long."""
    searched = [g for g in answer.groups if g.problem is None]
    if not searched and answer.groups:
        return answer.groups[0].problem or ""
    how = list(dict.fromkeys(g.how for g in searched if g.how))
    notes = list(dict.fromkeys(g.note for g in searched if g.note))
    rows = f"{answer.count} row{'s' if answer.count != 1 else ''}"
    if len(answer.groups) > 1:
        rows += f" in {len(answer.groups)} entities"
    if like:
        itself = answer.groups[0].hits[0].label if answer.groups and answer.groups[0].hits else None
        rows += f" like {label or itself or 'the chosen row'}"
    parts = [rows, *how]
    if answer.provider:
        parts.append(f"query embedded by {answer.provider}")
    parts.append(f"{answer.elapsed_ms:.0f} ms")
    text = " · ".join(parts)
    if notes:
        text += f" ({'; '.join(notes)})"
    if answer.count == 0:
        text += ". Rows without a stored vector are found by their words only (Hybrid or Keywords)."
    return text
