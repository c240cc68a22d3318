"""The graph panel's toolbar: depth, cap, the Expand By and Show menus, find, Fit and Export.

The menus are filled when they open, from what the scene shows and the catalog in place: Expand By chooses
the edge types an expansion follows (`follow`, None: all), Show hides entities and edge types in the scene.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QLineEdit, QMenu, QSpinBox, QToolBar, QToolButton, QWidget

from gui.graph import jobs

if TYPE_CHECKING:
    from core.schema.catalog import Catalog
    from gui.graph.scene import GraphScene

DEFAULT_DEPTH = 1
DEFAULT_CAP = 50


class GraphToolbar(QToolBar):
    """Depth and cap of a graph's reads, the edge types expansions follow, the scene's filters, find, Fit and
    Export (`fit` and `export` are the panel's)."""

    def __init__(
        self,
        scene: GraphScene,
        catalog: Callable[[], Catalog | None],
        fit: Callable[[], Any],
        export: Callable[[], Any],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.scene = scene
        self.catalog = catalog
        self.follow: set[str] | None = None  # the edge types expansions follow (None: all)
        self.setObjectName("graphToolbar")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addWidget(QLabel(" Depth "))
        self.depth_box = QSpinBox()
        self.depth_box.setObjectName("graphDepth")
        self.depth_box.setRange(1, 3)
        self.depth_box.setValue(DEFAULT_DEPTH)
        self.depth_box.setToolTip("How many hops out from the starting record (1 to 3)")
        self.addWidget(self.depth_box)
        self.addWidget(QLabel("  Cap "))
        self.cap_box = QSpinBox()
        self.cap_box.setObjectName("graphCap")
        self.cap_box.setRange(5, 1000)
        self.cap_box.setSingleStep(5)
        self.cap_box.setValue(DEFAULT_CAP)
        self.cap_box.setToolTip("At most this many neighbours per edge type; the rest become one aggregate")
        self.addWidget(self.cap_box)
        self.addSeparator()
        self.expand_by_menu = QMenu(self)
        self.expand_by_menu.setObjectName("graphExpandByMenu")
        self.expand_by_button = self._menu_button("Expand by", self.expand_by_menu)
        self.expand_by_button.setToolTip("Which edge types expanding a node follows")
        self.expand_by_menu.aboutToShow.connect(self._fill_expand_by_menu)
        self.filter_menu = QMenu(self)
        self.filter_menu.setObjectName("graphFilterMenu")
        self.filter_button = self._menu_button("Show", self.filter_menu)
        self.filter_button.setToolTip("Show or hide entities and edge types")
        self.filter_menu.aboutToShow.connect(self._fill_filter_menu)
        self.addSeparator()
        self.find_box = QLineEdit()
        self.find_box.setObjectName("graphFind")
        self.find_box.setPlaceholderText("Find a node by label")
        self.find_box.setClearButtonEnabled(True)
        self.find_box.setMaximumWidth(240)
        self.addWidget(self.find_box)
        self.addSeparator()
        self.fit_action = self._action("Fit", "Show the whole graph", fit)
        self.export_action = self._action("Export…", "Save the view as a PNG or SVG image", export)

    def _menu_button(self, text: str, menu: QMenu) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setMenu(menu)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.addWidget(button)
        return button

    def _action(self, text: str, tip: str, slot: Callable[[], Any]) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    # --- Expand By -------------------------------------------------------------------------------------

    def followed(self) -> list[str] | None:
        """The edge types an expansion follows now, sorted (None: all)."""
        return sorted(self.follow) if self.follow is not None else None

    def _fill_expand_by_menu(self) -> None:
        menu = self.expand_by_menu
        menu.clear()
        everything = menu.addAction("All Edge Types")
        everything.setCheckable(True)
        everything.setChecked(self.follow is None)
        everything.toggled.connect(self._on_expand_by_all_toggled)
        menu.addSeparator()
        for name in self._known_edge_types():
            action = menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(self.follow is None or name in self.follow)
            action.toggled.connect(lambda on, name=name: self._on_expand_by_toggled(name, on))

    def _known_edge_types(self) -> list[str]:
        """Every edge type a node shown could be expanded by."""
        catalog = self.catalog()
        if catalog is None:
            return []
        names: dict[str, None] = {}
        for entity in self.scene.entities():
            if entity in catalog.entities:
                names.update((t.name, None) for t in jobs.edge_types(catalog, entity))
        return sorted(names)

    def _on_expand_by_all_toggled(self, on: bool) -> None:
        self.follow = None if on else set()

    def _on_expand_by_toggled(self, name: str, on: bool) -> None:
        chosen = set(self._known_edge_types()) if self.follow is None else set(self.follow)
        if on:
            chosen.add(name)
        else:
            chosen.discard(name)
        self.follow = None if chosen >= set(self._known_edge_types()) else chosen

    # --- Show ------------------------------------------------------------------------------------------

    def _fill_filter_menu(self) -> None:
        menu = self.filter_menu
        menu.clear()
        menu.addSection("Entities")
        for entity in self.scene.entities():
            action = menu.addAction(entity)
            action.setCheckable(True)
            action.setChecked(entity not in self.scene.hidden_entities)
            action.toggled.connect(lambda on, e=entity: self._on_filter_toggled(e, on, entity=True))
        menu.addSection("Edge types")
        for via in self.scene.edge_types():
            action = menu.addAction(via)
            action.setCheckable(True)
            action.setChecked(via not in self.scene.hidden_edge_types)
            action.toggled.connect(lambda on, v=via: self._on_filter_toggled(v, on, entity=False))

    def _on_filter_toggled(self, name: str, on: bool, *, entity: bool) -> None:
        entities, edge_types = set(self.scene.hidden_entities), set(self.scene.hidden_edge_types)
        target = entities if entity else edge_types
        if on:
            target.discard(name)
        else:
            target.add(name)
        self.scene.set_filters(entities, edge_types)
