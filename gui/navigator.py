"""The left navigator: entities by group with row counts, a filter box that jumps, read-only markers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent
from PySide6.QtWidgets import QHeaderView, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

if TYPE_CHECKING:  # core.data.overview loads SQLAlchemy and numpy; the navigator comes first
    from core.data.overview import Overview, RowCount
    from core.engine.db import Database
    from gui.runtime.open_database import CatalogChange, OpenDatabase

GROUP_ORDER = ("World", "Players", "Operations", "Other")
ENTITY_ROLE = Qt.ItemDataRole.UserRole
EXACT_ROLE = Qt.ItemDataRole.UserRole + 1  # True once the count column holds an exact count
ESTIMATE_COLOUR = QColor("#8a94a3")
EXACT_COLOUR = QColor("#3e4c59")
READ_ONLY_SUFFIX = "  (read-only)"


def count_text(rows: int, exact: bool) -> str:
    """'1,234' for an exact count, '~1.2M' / '~12,000' for an estimate."""
    if exact:
        return f"{rows:,}"
    if rows >= 1_000_000:
        return f"~{rows / 1_000_000:.1f}M"
    return f"~{rows:,}"


@dataclass(frozen=True)
class _CountCell:
    """What an entity's count column shows, carried over when the list is rebuilt."""

    text: str
    tip: str
    exact: bool

    @staticmethod
    def read(item: QTreeWidgetItem) -> _CountCell:
        """The count cell of `item`."""
        return _CountCell(item.text(1), item.toolTip(1), bool(item.data(0, EXACT_ROLE)))

    def write(self, item: QTreeWidgetItem) -> None:
        """Show this count on `item`."""
        item.setText(1, self.text)
        item.setToolTip(1, self.tip)
        item.setData(0, EXACT_ROLE, self.exact)
        item.setForeground(1, QBrush(EXACT_COLOUR if self.exact else ESTIMATE_COLOUR))


class Navigator(QWidget):
    """Entities grouped World, Players, Operations and Other; Enter or double-click opens one."""

    entity_activated = Signal(str)  # the user opened an entity (double-click, Enter)
    entity_selected = Signal(str)  # the current entity changed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter_box = QLineEdit()
        self.filter_box.setObjectName("navigatorFilter")
        self.filter_box.setPlaceholderText("Filter tables…  (Enter opens)")
        self.filter_box.setClearButtonEnabled(True)
        self.filter_box.textChanged.connect(self._on_filter_box_text_changed)
        self.filter_box.returnPressed.connect(self._on_filter_box_return_pressed)
        self.filter_box.installEventFilter(self)
        self.tree = QTreeWidget()
        self.tree.setObjectName("navigator")
        self.tree.setColumnCount(2)
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setRootIsDecorated(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemActivated.connect(self._on_tree_item_activated)
        self.tree.currentItemChanged.connect(self._on_tree_current_item_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.filter_box)
        layout.addWidget(self.tree)
        self._items: dict[str, QTreeWidgetItem] = {}

    # --- following the open database ----------------------------------------------------------

    def follow(self, open_db: OpenDatabase) -> None:
        """List the open database's tables; after a schema change, list them again with their counts."""
        open_db.database_changed.connect(self._on_open_db_database_changed)
        open_db.catalog_changed.connect(self._on_open_db_catalog_changed)

    def _on_open_db_database_changed(self, db: Database | None) -> None:
        if db is None:
            self.clear()
        else:
            self.show_loading()

    def _on_open_db_catalog_changed(self, change: CatalogChange) -> None:
        self.show_overview(change.overview, keep_counts=not change.first)

    # --- filling -------------------------------------------------------------------------------

    def clear(self) -> None:
        """Show nothing."""
        self.tree.clear()
        self._items.clear()

    def show_loading(self) -> None:
        """A database is being opened."""
        self.clear()
        loading = QTreeWidgetItem(["Loading…", ""])
        loading.setFlags(Qt.ItemFlag.NoItemFlags)
        self.tree.addTopLevelItem(loading)

    def show_overview(self, overview: Overview, *, keep_counts: bool = False) -> None:
        """List the entities of `overview` by group, counts still unknown.

        With `keep_counts` (the same database, its schema changed), tables listed before keep their counts
        and the highlight stays.
        """
        kept = {name: _CountCell.read(item) for name, item in self._items.items()} if keep_counts else {}
        current = self.current_entity() if keep_counts else None
        self.clear()
        grouped: dict[str, list[str]] = {}
        for group, name in overview.tables:
            grouped.setdefault(group, []).append(name)
        order = [g for g in GROUP_ORDER if g in grouped] + [g for g in grouped if g not in GROUP_ORDER]
        bold = QFont(self.tree.font())
        bold.setBold(True)
        for group in order:
            group_item = QTreeWidgetItem([group, str(len(grouped[group]))])
            group_item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            group_item.setFont(0, bold)
            group_item.setForeground(1, QBrush(ESTIMATE_COLOUR))
            group_item.setToolTip(1, f"{len(grouped[group])} tables")
            self.tree.addTopLevelItem(group_item)
            for name in grouped[group]:
                group_item.addChild(self._entity_item(name, overview.read_only_reasons.get(name)))
            group_item.setExpanded(True)
        for name, cell in kept.items():
            if name in self._items:
                cell.write(self._items[name])
        self._on_filter_box_text_changed(self.filter_box.text())
        if current in self._items:
            self.select_entity(current)

    def _entity_item(self, name: str, read_only_reason: str | None) -> QTreeWidgetItem:
        item = QTreeWidgetItem([name, "…"])
        item.setData(0, ENTITY_ROLE, name)
        item.setData(0, EXACT_ROLE, False)
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setForeground(1, QBrush(ESTIMATE_COLOUR))
        item.setToolTip(1, "Counting rows…")
        if read_only_reason:
            item.setText(0, name + READ_ONLY_SUFFIX)
            item.setForeground(0, QBrush(ESTIMATE_COLOUR))
            item.setToolTip(0, f"{name} is read-only: {read_only_reason}")
        else:
            item.setToolTip(0, name)
        self._items[name] = item
        return item

    def set_counts(self, counts: dict[str, RowCount | None]) -> None:
        """Show row counts (estimates greyed with '~'); an exact count already shown is kept."""
        for name, count in counts.items():
            item = self._items.get(name)
            if item is None or item.data(0, EXACT_ROLE):
                continue
            if count is None:
                item.setText(1, "?")
                item.setToolTip(1, "The rows of this table cannot be counted.")
            elif count.exact:
                self.set_exact_count(name, count.rows)
            else:
                item.setText(1, count_text(count.rows, exact=False))
                item.setToolTip(1, f"About {count.rows:,} rows (an estimate; select it for the exact count)")

    def set_exact_count(self, name: str, rows: int) -> None:
        """Show the exact row count of `name`."""
        item = self._items.get(name)
        if item is None:
            return
        item.setData(0, EXACT_ROLE, True)
        item.setText(1, count_text(rows, exact=True))
        item.setForeground(1, QBrush(EXACT_COLOUR))
        item.setToolTip(1, f"{rows:,} rows")

    def update_counts(self, counts: dict[str, RowCount]) -> None:
        """Replace counts after rows changed (a save, a cascade): unlike set_counts, exact ones too."""
        for name, count in counts.items():
            item = self._items.get(name)
            if item is None:
                continue
            if count.exact:
                self.set_exact_count(name, count.rows)
                continue
            item.setData(0, EXACT_ROLE, False)
            item.setText(1, count_text(count.rows, exact=False))
            item.setForeground(1, QBrush(ESTIMATE_COLOUR))
            item.setToolTip(1, f"About {count.rows:,} rows (an estimate; select it for the exact count)")

    def select_entity(self, name: str | None) -> None:
        """Highlight `name` (the active tab's entity) without opening anything; None clears the highlight."""
        item = self._items.get(name) if name else None
        if item is None:
            self.tree.selectionModel().clearCurrentIndex()
            self.tree.clearSelection()
            return
        if self.tree.currentItem() is not item:
            self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item)

    # --- reading -------------------------------------------------------------------------------

    def entity_names(self) -> list[str]:
        """Every listed entity, in navigator order."""
        return list(self._items)

    def visible_entity_names(self) -> list[str]:
        """The entities the filter lets through, in order."""
        return [n for n, item in self._items.items() if not item.isHidden()]

    def item(self, name: str) -> QTreeWidgetItem | None:
        """The tree item of entity `name`."""
        return self._items.get(name)

    def has_exact_count(self, name: str) -> bool:
        """Whether `name` shows an exact count."""
        item = self._items.get(name)
        return bool(item is not None and item.data(0, EXACT_ROLE))

    def current_entity(self) -> str | None:
        """The selected entity, if any."""
        item = self.tree.currentItem()
        name = item.data(0, ENTITY_ROLE) if item is not None else None
        return str(name) if name else None

    # --- filter and activation -----------------------------------------------------------------

    def _on_filter_box_text_changed(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            assert group is not None  # i < topLevelItemCount()
            shown = 0
            for j in range(group.childCount()):
                child = group.child(j)
                assert child is not None  # j < childCount()
                name = str(child.data(0, ENTITY_ROLE) or "")
                hide = bool(needle) and needle not in name.lower()
                child.setHidden(hide)
                shown += not hide
            group.setHidden(group.childCount() > 0 and shown == 0)
        visible = self.visible_entity_names()
        if needle and visible:
            self.tree.setCurrentItem(self._items[self._best_match(needle, visible)])

    @staticmethod
    def _best_match(needle: str, names: list[str]) -> str:
        """An exact name first, then the shortest name it starts, then the first that contains it."""
        prefixed = [n for n in names if n.lower().startswith(needle)]
        exact = [n for n in prefixed if n.lower() == needle]
        return (exact or sorted(prefixed, key=len) or names)[0]

    def _on_filter_box_return_pressed(self) -> None:
        name = self.current_entity()
        visible = self.visible_entity_names()
        if name not in visible:
            name = self._best_match(self.filter_box.text().strip().lower(), visible) if visible else None
        if name:
            self.entity_activated.emit(name)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Down/Up in the filter box move through the matches; Escape clears it."""
        if (
            watched is self.filter_box
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
        ):
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                self._step(1 if key == Qt.Key.Key_Down else -1)
                return True
            if key == Qt.Key.Key_Escape and self.filter_box.text():
                self.filter_box.clear()
                return True
        return super().eventFilter(watched, event)

    def _step(self, delta: int) -> None:
        visible = self.visible_entity_names()
        if not visible:
            return
        current = self.current_entity()
        index = visible.index(current) + delta if current in visible else 0
        self.tree.setCurrentItem(self._items[visible[max(0, min(index, len(visible) - 1))]])

    def _on_tree_item_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        name = item.data(0, ENTITY_ROLE)
        if name:
            self.entity_activated.emit(str(name))

    def _on_tree_current_item_changed(self, current: QTreeWidgetItem | None, _previous: object) -> None:
        name = current.data(0, ENTITY_ROLE) if current is not None else None
        if name:
            self.entity_selected.emit(str(name))
