"""The schema view (a tab): the database's tables as an ER diagram, readable from 10 to 2,500 tables.

A small schema is drawn whole; a big one opens as clusters, and double-clicking a cluster shows its tables.
The toolbar picks what boxes show (names, key columns, all columns), a table and its neighbours N hops out,
and the shortest chain of foreign keys between two tables. Double-clicking a table opens its editor. The
model comes from the catalog in memory and every layout runs on a worker (gui/graph/er_jobs.py); the view
is the record graph's (pan, zoom to the cursor, fit, dots far out).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QSpinBox,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.graph.er import ErModel, Mode
from core.graph.er_layout import ErDiagram
from core.graph.er_views import SavedView
from gui.graph import er_jobs
from gui.graph.er_scene import ErScene
from gui.graph.view import GraphView
from gui.migrate.pausable import Pause
from gui.runtime import workers

if TYPE_CHECKING:
    from gui.runtime.open_database import CatalogChange, OpenDatabase

MODES: tuple[tuple[str, Mode], ...] = (("Names", "names"), ("Key columns", "keys"), ("All columns", "all"))
#: What a view is, to show it again in another mode or go back to it: ("overview", members or None),
#: ("around", table, hops) or ("path", start, end).
Request = tuple[Any, ...]


class ErPanel(QWidget):
    """The schema as an ER diagram: clusters to drill into, a table and its neighbours, a path between two."""

    open_entity_requested = Signal(str, list)  # entity name, filters (none)
    diagram_shown = Signal()  # a view is on screen
    view_saved = Signal(str)  # a view's name: its file is written
    failed = Signal(str)  # a message a person can act on

    def __init__(self, open_db: OpenDatabase, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("erPanel")
        self.open_db = open_db
        self.er: ErModel | None = None  # not "model": the main window takes a tab with a model for an editor
        self.diagram: ErDiagram | None = None
        self.request: Request = ("overview", None)
        self.history: list[Request] = []
        # A migration runs (set_paused); asked: the catalog was reloaded meanwhile, drawn from when it ends
        self.pause = Pause()
        self.scene = ErScene(self)
        self.view = GraphView(self.scene)
        self.view.setObjectName("erView")
        self.message = QLabel()
        self.message.setObjectName("erMessage")
        self.message.setWordWrap(True)
        self._build_toolbar()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        row = QHBoxLayout()
        row.setContentsMargins(8, 2, 8, 2)
        row.addWidget(self.message, 1)
        layout.addLayout(row)
        layout.addWidget(self.view, 1)
        self.view.node_clicked.connect(self._on_view_node_clicked)
        self.view.node_activated.connect(self._on_view_node_activated)
        self.view.menu_requested.connect(self._on_view_menu_requested)
        open_db.catalog_changed.connect(self._on_open_db_catalog_changed)
        open_db.database_changed.connect(self._on_open_db_database_changed)
        if open_db.catalog is not None:
            self.reload()
        else:
            self._say("Open a database to see its tables and foreign keys.")

    def _build_toolbar(self) -> None:
        bar = QToolBar()
        bar.setObjectName("erToolbar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.back_action = bar.addAction("Back", self.back)
        self.back_action.setToolTip("The previous view")
        self.back_action.setEnabled(False)
        overview = bar.addAction("Overview", lambda: self.show_request(("overview", None)))
        overview.setToolTip("The whole schema (a big one as clusters)")
        bar.addAction("Fit", self.view.fit).setToolTip("Show the whole view")
        self.views_menu = QMenu(self)
        self.views_menu.setObjectName("erViewsMenu")
        self.views_menu.aboutToShow.connect(self._fill_views_menu)
        views = QToolButton()
        views.setObjectName("erViews")
        views.setText("Views")
        views.setMenu(self.views_menu)
        views.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        views.setToolTip("Save this view with its positions, or open a saved one")
        bar.addWidget(views)
        bar.addSeparator()
        self.mode_box = QComboBox()
        self.mode_box.setObjectName("erMode")
        for text, mode in MODES:
            self.mode_box.addItem(text, mode)
        self.mode_box.setCurrentIndex(1)
        self.mode_box.setToolTip("What each table box shows")
        self.mode_box.currentIndexChanged.connect(self._on_mode_box_current_index_changed)
        bar.addWidget(self.mode_box)
        self.straight_action = bar.addAction("Straight Lines")
        self.straight_action.setObjectName("erStraightLines")
        self.straight_action.setCheckable(True)
        self.straight_action.setToolTip("Draw foreign keys as straight lines instead of right-angle routes")
        self.straight_action.toggled.connect(self._on_straight_action_toggled)
        bar.addSeparator()
        bar.addWidget(QLabel(" Table "))
        self.table_box = self._table_box("erTable", "A table to show with its neighbours")
        bar.addWidget(self.table_box)
        bar.addWidget(QLabel(" + "))
        self.hops_box = QSpinBox()
        self.hops_box.setObjectName("erHops")
        self.hops_box.setRange(1, 4)
        self.hops_box.setSuffix(" hop")
        self.hops_box.setToolTip("How many foreign keys away from the table")
        self.hops_box.valueChanged.connect(
            lambda hops: self.hops_box.setSuffix(" hop" if hops == 1 else " hops")
        )
        bar.addWidget(self.hops_box)
        bar.addAction("Show", self._on_show_triggered).setToolTip("The table and its neighbours")
        bar.addSeparator()
        bar.addWidget(QLabel(" Path "))
        self.start_box = self._table_box("erPathStart", "Where the path starts")
        bar.addWidget(self.start_box)
        bar.addWidget(QLabel(" → "))
        self.end_box = self._table_box("erPathEnd", "Where the path ends")
        bar.addWidget(self.end_box)
        bar.addAction("Find Path", self._on_find_path_triggered).setToolTip(
            "The shortest chain of foreign keys between the two tables (either way)"
        )
        self.toolbar = bar

    def _table_box(self, name: str, tip: str) -> QComboBox:
        box = QComboBox()
        box.setObjectName(name)
        box.setEditable(True)
        box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        box.setMinimumContentsLength(14)
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        box.setToolTip(tip)
        return box

    # --- views --------------------------------------------------------------------------------------

    @property
    def mode(self) -> Mode:
        """What table boxes show now."""
        mode: Mode = self.mode_box.currentData()
        return mode

    def reload(self) -> None:
        """Build the model from the open database's catalog (on a worker) and show the view shown before in it
        (the overview at first, or when the tables of that view are gone)."""
        catalog = self.open_db.catalog
        if catalog is None:
            return
        self.er = None
        self.history.clear()
        self.back_action.setEnabled(False)
        self._say("Reading the schema…")
        workers.run(
            er_jobs.open_schema,
            catalog,
            self.mode,
            self.request,
            on_done=self._on_schema_opened,
            on_error=self._on_failed,
            owner=self,
            key="er",
        )

    def show_request(self, request: Request, *, remember: bool = True) -> None:
        """Lay out and show the view `request` names (in the current mode)."""
        model = self.er
        if model is None:
            self._say("The schema is still being read.")
            return
        if remember and self.diagram is not None and request != self.request:
            self.history.append(self.request)
            self.back_action.setEnabled(True)
        self.request = request
        kind, *args = request
        jobs: dict[str, Callable[..., ErDiagram]] = {
            "overview": er_jobs.overview,
            "around": er_jobs.around,
            "path": er_jobs.path,
        }
        job = jobs[kind]
        self._say("Laying out…")
        workers.run(
            job,
            model,
            *args,
            self.mode,
            on_done=self._on_diagram_laid_out,
            on_error=self._on_failed,
            owner=self,
            key="er",
        )

    def show_table(self, table: str, hops: int | None = None) -> None:
        """`table` and its neighbours `hops` FKs away (default: the toolbar's)."""
        self.show_request(("around", table, hops or self.hops_box.value()))

    def show_path(self, start: str, end: str) -> None:
        """The shortest FK path from `start` to `end`."""
        self.show_request(("path", start, end))

    def drill(self, cluster_id: str) -> None:
        """Show the tables of the cluster `cluster_id`."""
        box = self.scene.box(cluster_id)
        if box is not None and box.box.kind == "cluster":
            self.show_request(("overview", box.box.members))

    def back(self) -> None:
        """Show the previous view again."""
        if self.history:
            request = self.history.pop()
            self.back_action.setEnabled(bool(self.history))
            self.show_request(request, remember=False)

    def _on_schema_opened(self, result: tuple[ErModel, ErDiagram, Request]) -> None:
        self.er, diagram, self.request = result
        names = sorted(self.er.tables)
        for box in (self.table_box, self.start_box, self.end_box):
            text = box.currentText()
            box.clear()
            box.addItems(names)
            box.setCurrentText(text if text in self.er.tables else "")
        self._on_diagram_laid_out(diagram)

    def _on_diagram_laid_out(self, diagram: ErDiagram) -> None:
        self.diagram = diagram
        self.scene.select(None)
        self.scene.show_diagram(diagram)
        self.view.fit()
        self._say(self._summary(diagram))
        self.diagram_shown.emit()

    def _summary(self, diagram: ErDiagram) -> str:
        if diagram.method == "tables" or not diagram.nodes:
            fks = len(diagram.links)
            count = f"{len(diagram.nodes):,} tables, {fks:,} foreign key{'s' if fks != 1 else ''}."
            tail = " Double-click a table to open it; right-click for more." if diagram.nodes else ""
            return (
                " ".join(p for p in (f"{diagram.title}:", count if diagram.nodes else "", diagram.note) if p)
                + tail
            )
        return f"{diagram.title}: {diagram.note}"

    # --- saved views ---------------------------------------------------------------------------------

    def _database_key(self) -> str | None:
        db = self.open_db.database
        return db.display_url if db is not None else None

    def _fill_views_menu(self) -> None:
        from core.graph.er_views import view_names

        self.views_menu.clear()
        self.views_menu.addAction("Save View…", self._on_save_view_triggered).setEnabled(
            self.diagram is not None
        )
        database = self._database_key()
        names = view_names(database) if database else []  # a folder listing: a few small files
        if names:
            self.views_menu.addSeparator()
        for name in names:
            self.views_menu.addAction(name, functools.partial(self.open_view, name))

    def _on_save_view_triggered(self) -> None:
        name, ok = QInputDialog.getText(self, "Save View", "Name of this view:")
        if ok and name.strip():
            self.save_view(name.strip())

    def save_view(self, name: str) -> None:
        """Save what is shown as `name`: the view, its mode and every box's position (dragged ones too)."""
        from core.graph.er_views import save_view

        database = self._database_key()
        if database is None or self.diagram is None:
            return
        positions = {n: (item.pos().x(), item.pos().y()) for n, item in self.scene.items_by_id.items()}
        view = SavedView(name, tuple(self.request), self.mode, positions)
        workers.run(
            save_view,
            database,
            view,
            on_done=lambda _path: self._on_view_saved(name),
            on_error=self._on_failed,
            owner=self,
        )

    def _on_view_saved(self, name: str) -> None:
        self._say(f"Saved the view '{name}'.")
        self.view_saved.emit(name)

    def open_view(self, name: str) -> None:
        """Show the saved view `name` on today's schema (saved boxes where they were, new tables beside)."""
        database = self._database_key()
        if database is None or self.er is None:
            return
        workers.run(
            _open_saved_view,
            self.er,
            database,
            name,
            on_done=self._on_saved_view_opened,
            on_error=self._on_failed,
            owner=self,
            key="er",
        )

    def _on_saved_view_opened(self, result: tuple[SavedView, ErDiagram]) -> None:
        view, diagram = result
        if self.diagram is not None:
            self.history.append(self.request)
            self.back_action.setEnabled(True)
        self.request = view.request
        self.mode_box.blockSignals(True)  # the view's own mode, without laying it out again
        self.mode_box.setCurrentIndex(next(i for i, (_t, m) in enumerate(MODES) if m == view.mode))
        self.mode_box.blockSignals(False)
        self._on_diagram_laid_out(diagram)
        self._say(f"{view.name}: {self._summary(diagram)}")

    # --- input --------------------------------------------------------------------------------------

    def _on_view_node_clicked(self, node_id: str) -> None:
        self.scene.select(node_id or None)
        box = self.scene.box(node_id)
        if box is not None and box.box.table is not None:
            table = box.box.table
            self.table_box.setCurrentText(table.name)
            fks = sum(1 for link in (self.diagram.links if self.diagram else ()) if link.source == table.name)
            kind = "link table" if table.is_link else table.kind
            self._say(
                f"{table.name}: {kind}, {len(table.columns)} columns, {fks} foreign keys shown. "
                "Double-click to open it."
            )

    def _on_view_node_activated(self, node_id: str) -> None:
        box = self.scene.box(node_id)
        if box is None:
            return
        if box.box.kind == "cluster":
            self.drill(node_id)
        elif box.box.table is not None:
            self.open_entity_requested.emit(box.box.table.name, [])

    def _on_view_menu_requested(self, node_id: str, where: QPoint) -> None:
        box = self.scene.box(node_id)
        menu = QMenu(self)
        menu.setObjectName("erMenu")
        if box is not None and box.box.kind == "cluster":
            menu.addAction("Show Its Tables", lambda: self.drill(node_id))
        elif box is not None and box.box.table is not None:
            name = box.box.table.name
            menu.addAction("Open Table", lambda: self.open_entity_requested.emit(name, []))
            hops = self.hops_box.value()
            menu.addAction(
                f"Show With Neighbours ({hops} hop{'s' if hops != 1 else ''})", lambda: self.show_table(name)
            )
            menu.addAction("Path From Here…", lambda: self.start_box.setCurrentText(name))
            menu.addAction("Path To Here", lambda: self._path_to(name))
        menu.addAction("Overview", lambda: self.show_request(("overview", None)))
        menu.addAction("Fit", self.view.fit)
        menu.popup(where)

    def _path_to(self, name: str) -> None:
        self.end_box.setCurrentText(name)
        self._on_find_path_triggered()

    def _on_show_triggered(self) -> None:
        name = self.table_box.currentText().strip()
        if self._known(name):
            self.show_table(name)

    def _on_find_path_triggered(self) -> None:
        start, end = self.start_box.currentText().strip(), self.end_box.currentText().strip()
        if not start or not end:
            self._say("Choose the two tables of the path.", error=True)
            return
        if self._known(start) and self._known(end):
            self.show_path(start, end)

    def _known(self, name: str) -> bool:
        if self.er is None:
            self._say("The schema is still being read.")
            return False
        if name not in self.er.tables:
            self._say(f"There is no table called '{name}'." if name else "Choose a table.", error=True)
            return False
        return True

    def _on_straight_action_toggled(self, straight: bool) -> None:
        self.scene.set_orthogonal(not straight)

    def _on_mode_box_current_index_changed(self, _index: int) -> None:
        if self.er is not None and self.diagram is not None:
            self.show_request(self.request, remember=False)

    def _on_open_db_catalog_changed(self, _change: CatalogChange) -> None:
        if self.paused is not None:
            self.pause.asked = True  # drawn from it once the migration has ended
            return
        self.reload()

    @property
    def paused(self) -> str | None:
        """Why nothing is redrawn now (a migration runs: set_paused), else None."""
        return self.pause.reason

    def set_paused(self, reason: str | None) -> None:
        """A migration runs (`reason`, said in the message line) or has ended (None; gui/migrate/watch.py):
        meanwhile the diagram stays as it was and nothing is laid out or opened; after it the view is drawn
        again from the reloaded catalog (at once when it came during the pause, else when it comes)."""
        if not self.pause.turn(reason):
            return
        for widget in (self.toolbar, self.view):
            widget.setEnabled(reason is None)
        if reason is not None:
            self.pause.asked = False
            self._say(reason)
        elif self.pause.take_asked():
            self.reload()
        else:
            self._say(self._summary(self.diagram) if self.diagram is not None else "")

    def _on_open_db_database_changed(self, _db: object) -> None:
        self.er = None
        self.diagram = None
        self.request = ("overview", None)
        self.scene.show_diagram(ErDiagram("", (), (), {}))
        self._say("Reading the schema…" if _db is not None else "Open a database to see its tables.")

    def _on_failed(self, failure: workers.Failure) -> None:
        self._say(failure.message, error=True)
        self.failed.emit(failure.message)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #b00020;" if error else "")


def _open_saved_view(model: ErModel, database: str, name: str) -> tuple[SavedView, ErDiagram]:
    """On a worker: read a saved view and lay out what is new in it."""
    from core.graph.er_views import load_view, show_view

    view = load_view(database, name)
    return view, show_view(model, view)
