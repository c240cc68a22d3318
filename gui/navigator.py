"""The left navigator: entities by group with row counts, a filter box that jumps, read-only markers.

On PostgreSQL with more than one schema the groups are the schemas (those on the search path first). In each
group, views and materialized views sit apart under "Views", and SQLite's virtual tables under "Virtual
tables". A partitioned table lists its partitions under it; they are shown, never opened: its rows are read
and written through the table itself. A materialized view's context menu refreshes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent
from PySide6.QtWidgets import (
    QHeaderView,
    QLineEdit,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

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
MATERIALIZED_VIEW = "materialized_view"  # core.schema.catalog.EntityKind's value, without importing core
VIEW_KINDS = ("view", MATERIALIZED_VIEW)
VIEWS_SECTION = "Views"
VIRTUAL_SECTION = "Virtual tables"  # SQLite's virtual tables: full-text, R*Tree, vec0…
REFRESH_TEXT = "Refresh materialized view"
SECTION_WORDS = {VIEWS_SECTION: "view", VIRTUAL_SECTION: "virtual table"}  # what a section holds


def section_of(kind: str) -> str | None:
    """The sub-group an entity of `kind` is listed in apart from the tables; None for a table."""
    if kind in VIEW_KINDS:
        return VIEWS_SECTION
    return None if kind == "table" else VIRTUAL_SECTION


@dataclass
class _Node:
    """A group of the tree being built: its entities first, then its sub-groups."""

    label: str
    entities: list[str] = field(default_factory=list)
    subs: dict[str, _Node] = field(default_factory=dict)

    def sub(self, label: str) -> _Node:
        """The sub-group `label`, made on first use."""
        return self.subs.setdefault(label, _Node(label))

    def total(self) -> int:
        """Entities in this group and below."""
        return len(self.entities) + sum(s.total() for s in self.subs.values())

    def summary(self) -> str:
        """'3 tables, 1 view': what this group holds, by section."""
        by_section: dict[str, int] = {}
        self._tally(by_section, SECTION_WORDS.get(self.label, "table"))
        return ", ".join(f"{n} {what}{'' if n == 1 else 's'}" for what, n in by_section.items() if n)

    def _tally(self, into: dict[str, int], what: str) -> None:
        into[what] = into.get(what, 0) + len(self.entities)
        for sub in self.ordered_subs():
            sub._tally(into, SECTION_WORDS.get(sub.label, what))

    def ordered_subs(self) -> list[_Node]:
        """Sub-groups: navigator groups in their order, others as they came, Views and Virtual tables last."""
        last = (VIEWS_SECTION, VIRTUAL_SECTION)

        def rank(node: _Node) -> tuple[int, int]:
            if node.label in last:
                return (2, last.index(node.label))
            if node.label in GROUP_ORDER:
                return (0, GROUP_ORDER.index(node.label))
            return (1, 0)

        return sorted(self.subs.values(), key=rank)  # sorted is stable: others keep their order


def by_schema(overview: Overview) -> bool:
    """Whether the navigator groups `overview`'s entities by schema (PostgreSQL, more than one schema)."""
    return len(set(overview.schemas.values())) > 1


def shown_name(overview: Overview, name: str, *, grouped: bool | None = None) -> str:
    """An entity's name as listed: under its schema's group a qualified name is shown bare. `grouped` is
    by_schema(overview) when the caller knows it (that looks at every entity: once a listing, not a name)."""
    schema = overview.schemas.get(name)
    if not schema:
        return name
    return name.removeprefix(f"{schema}.") if (by_schema(overview) if grouped is None else grouped) else name


def layout_of(overview: Overview) -> list[_Node]:
    """The navigator's top-level groups for `overview`: schemas when there are several, else groups."""
    schemas = overview.schemas
    grouped_by_schema = by_schema(overview)
    groups_per_schema: dict[str, set[str]] = {}
    for group, name in overview.tables:
        groups_per_schema.setdefault(schemas.get(name, ""), set()).add(group)
    tops: dict[str, _Node] = {}
    # Under a schema, names sort as shown ("public.settings" is listed as "settings", among the s's).
    entries = (
        sorted(overview.tables, key=lambda e: shown_name(overview, e[1], grouped=True))
        if grouped_by_schema
        else overview.tables
    )
    for group, name in entries:
        schema = schemas.get(name, "")
        label = schema if grouped_by_schema and schema else group
        node = tops.setdefault(label, _Node(label))
        if grouped_by_schema and len(groups_per_schema[schema]) > 1:  # the reference schema's World…
            node = node.sub(group)
        section = section_of(overview.kinds.get(name, "table"))
        (node.sub(section) if section else node).entities.append(name)
    if grouped_by_schema:
        path = [s for s in overview.search_path if s in tops]
        order = path + sorted(s for s in tops if s not in path)
    else:
        order = [g for g in GROUP_ORDER if g in tops] + [g for g in tops if g not in GROUP_ORDER]
    return [tops[key] for key in order]


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
    """Entities by group (World, Players, Operations, Other) or by schema; Enter or double-click opens one."""

    entity_activated = Signal(str)  # the user opened an entity (double-click, Enter)
    entity_selected = Signal(str)  # the current entity changed
    refresh_requested = Signal(str)  # the user asked to refresh a materialized view

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
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._on_tree_custom_context_menu_requested)
        self.tree.currentItemChanged.connect(self._on_tree_current_item_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.filter_box)
        layout.addWidget(self.tree)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._groups: list[QTreeWidgetItem] = []  # every group item, each before its sub-groups
        self._kinds: dict[str, str] = {}  # entity name → kind (table, view, materialized_view…)
        self._listed = False  # the names shown come from a listing; the catalog is still being read
        self._partitions: dict[str, list[QTreeWidgetItem]] = {}  # partitioned table → its partitions' items
        self._refreshing: dict[
            str, _CountCell
        ] = {}  # materialized views being refreshed, their counts before

    # --- following the open database ----------------------------------------------------------

    def follow(self, open_db: OpenDatabase) -> None:
        """List the open database's tables; after a schema change, list them again with their counts."""
        open_db.database_changed.connect(self._on_open_db_database_changed)
        open_db.listed.connect(self._on_open_db_listed)
        open_db.catalog_changed.connect(self._on_open_db_catalog_changed)

    def _on_open_db_database_changed(self, db: Database | None) -> None:
        self._listed = False
        if db is None:
            self.clear()
        else:
            self.show_loading()

    def _on_open_db_listed(self, overview: Overview) -> None:
        """The entities' names, before the catalog: listed at once, highlight kept when the catalog comes."""
        self._listed = True
        self.show_overview(overview)

    def _on_open_db_catalog_changed(self, change: CatalogChange) -> None:
        self.show_overview(change.overview, keep_counts=not change.first or self._listed)
        self._listed = False

    # --- filling -------------------------------------------------------------------------------

    def clear(self) -> None:
        """Show nothing."""
        self.tree.clear()
        self._items.clear()
        self._groups.clear()
        self._kinds.clear()
        self._partitions.clear()

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
        self._kinds = dict(overview.kinds)
        grouped = by_schema(overview)
        self.tree.addTopLevelItems(
            [self._group_item(node, overview, top=True, grouped=grouped) for node in layout_of(overview)]
        )
        for group in self._groups:  # once in the tree: an item outside it cannot be expanded
            group.setExpanded(True)
        for name, cell in kept.items():
            if name in self._items:
                cell.write(self._items[name])
        self._on_filter_box_text_changed(self.filter_box.text())
        if current in self._items:
            self.select_entity(current)

    def _group_item(self, node: _Node, overview: Overview, *, top: bool, grouped: bool) -> QTreeWidgetItem:
        """The item of group `node` with its entities and sub-groups, in navigator order."""
        total = node.total()
        item = QTreeWidgetItem([node.label, str(total)])
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = QFont(self.tree.font())
        font.setBold(top)
        font.setItalic(not top)
        item.setFont(0, font)
        item.setForeground(1, QBrush(ESTIMATE_COLOUR))
        item.setToolTip(1, node.summary())
        if top and overview.schemas and node.label in overview.schemas.values():
            item.setToolTip(0, f"Schema {node.label}")
        self._groups.append(item)
        item.addChildren([self._entity_item(name, overview, grouped) for name in node.entities])
        item.addChildren(
            [self._group_item(sub, overview, top=False, grouped=grouped) for sub in node.ordered_subs()]
        )
        return item

    def _entity_item(self, name: str, overview: Overview, grouped: bool) -> QTreeWidgetItem:
        read_only_reason = overview.read_only_reasons.get(name)
        shown = shown_name(overview, name, grouped=grouped)  # the tooltip keeps the full name
        item = QTreeWidgetItem([shown, "…"])
        item.setData(0, ENTITY_ROLE, name)
        item.setData(0, EXACT_ROLE, False)
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setForeground(1, QBrush(ESTIMATE_COLOUR))
        item.setToolTip(1, "Counting rows…")
        partitions = overview.partitions.get(name, ())
        if read_only_reason:
            item.setText(0, shown + READ_ONLY_SUFFIX)
            item.setForeground(0, QBrush(ESTIMATE_COLOUR))
            tip = f"{name} is read-only: {read_only_reason}"
            if overview.kinds.get(name) == MATERIALIZED_VIEW:
                tip += "\nRight-click it to refresh its rows."
            item.setToolTip(0, tip)
        elif partitions:
            item.setToolTip(0, f"{name}: partitioned into {len(partitions)}; its rows are edited here")
        else:
            item.setToolTip(0, name)
        self._items[name] = item
        self._partitions[name] = [self._partition_item(name, p) for p in partitions]
        item.addChildren(self._partitions[name])
        return item

    @staticmethod
    def _partition_item(parent: str, partition: str) -> QTreeWidgetItem:
        """A partition, listed under its table: shown, never opened (rows go through the table)."""
        item = QTreeWidgetItem([partition, ""])
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        item.setForeground(0, QBrush(ESTIMATE_COLOUR))
        item.setToolTip(0, f"A partition of {parent}: its rows are read and edited through {parent}")
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

    def partition_items(self, name: str) -> list[QTreeWidgetItem]:
        """The items listing the partitions of `name` (none unless it is partitioned)."""
        return list(self._partitions.get(name, ()))

    def kind(self, name: str) -> str | None:
        """The kind of entity `name` (table, view, materialized_view…), if listed."""
        return self._kinds.get(name)

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
        for name, item in self._items.items():
            # A partition's name finds its table, the one that opens.
            names = [name] + [p.text(0) for p in self._partitions.get(name, ())]
            item.setHidden(bool(needle) and not any(needle in n.lower() for n in names))
        for group in reversed(self._groups):  # sub-groups before the groups that hold them
            children = [group.child(j) for j in range(group.childCount())]
            group.setHidden(bool(children) and all(c is None or c.isHidden() for c in children))
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

    def context_menu(self, item: QTreeWidgetItem | None) -> QMenu | None:
        """The context menu of an entity's item: Open, and Refresh for a materialized view; None elsewhere."""
        name = item.data(0, ENTITY_ROLE) if item is not None else None
        if not name:
            return None
        name = str(name)
        menu = QMenu(self)
        menu.addAction("Open", lambda: self.entity_activated.emit(name))
        if self._kinds.get(name) == MATERIALIZED_VIEW:
            refresh = menu.addAction(REFRESH_TEXT, lambda: self.request_refresh(name))
            refresh.setEnabled(name not in self._refreshing)
            refresh.setToolTip("Run the view's query again and keep its new rows (in the background)")
        return menu

    def request_refresh(self, name: str) -> None:
        """Ask for materialized view `name` to be refreshed, unless that is already under way."""
        if name in self._items and name not in self._refreshing:
            self.refresh_requested.emit(name)

    def set_refreshing(self, name: str, refreshing: bool) -> None:
        """Show that materialized view `name` is being refreshed (its count says so), or no longer is."""
        item = self._items.get(name)
        if refreshing and item is not None and name not in self._refreshing:
            self._refreshing[name] = _CountCell.read(item)
            _CountCell("refreshing…", "Refreshing: the view's query runs again", False).write(item)
        elif not refreshing:
            before = self._refreshing.pop(name, None)
            if before is not None and item is not None:
                before.write(item)

    def is_refreshing(self, name: str) -> bool:
        """Whether a refresh of `name` is under way."""
        return name in self._refreshing

    def _on_tree_custom_context_menu_requested(self, pos: QPoint) -> None:
        menu = self.context_menu(self.tree.itemAt(pos))
        if menu is not None:
            menu.exec(self.tree.viewport().mapToGlobal(pos))
            menu.deleteLater()

    def _on_tree_current_item_changed(self, current: QTreeWidgetItem | None, _previous: object) -> None:
        name = current.data(0, ENTITY_ROLE) if current is not None else None
        if name:
            self.entity_selected.emit(str(name))
