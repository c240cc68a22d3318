"""The graph panel (a tab): toolbar, the graph view and the side panel; every read and layout on a worker.

A graph starts from a record (Show in Graph in the table editor or the record form). Double-clicking a node
expands it (an aggregate node: its next page of records), the context menu also collapses it or expands it
by chosen edge types only. A Shift-drag from one node to another links them, Del deletes the selected
edge's link after asking (Ctrl+click selects several; gui/graph/link_editor.py: staged, undoable, saved
through core's audited save). Fetching a
neighbourhood, laying it out and remembering positions run on workers (gui/runtime/workers.py, jobs.py);
the GUI thread only draws. After a migration, Lay Out Again and a depth change the graph is read again from
its record with the expansions and collapses replayed (jobs.reopen_graph, gui/graph/reread.py); while writes
are held (unknown revision) Del and "Link to…" say why. Staged link edits are drawn whenever their nodes are
shown, also after the graph was cleared (its start record gone). The toolbar is gui/graph/toolbar.py, the
context menu gui/graph/node_menu.py.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction, QCursor, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSplitter,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from core.graph.layout import Point
from core.graph.link_edits import READ_ONLY_DATABASE
from core.graph.model import GraphEdge, GraphNode
from core.graph.neighbourhood import edge_identity
from gui.graph import jobs
from gui.graph.details import NodeDetails, preview
from gui.graph.document import GraphDocument
from gui.graph.export import export_view
from gui.graph.link_editor import LinkEditor, why
from gui.graph.node_menu import fill_node_menu
from gui.graph.reread import (
    NOT_READ_AGAIN,
    STAGED_KEPT,
    START_DELETED,
    START_GONE,
    MigrationPause,
    gone_text,
    reread_document,
    staged_part,
)
from gui.graph.scene import GraphScene
from gui.graph.toolbar import GraphToolbar
from gui.graph.view import GraphView
from gui.runtime import workers

if TYPE_CHECKING:
    from core.engine.db import Database
    from core.schema.catalog import Catalog
    from gui.runtime.open_database import OpenDatabase

log = logging.getLogger("warden.gui.graph")


class GraphPanel(QWidget):
    """A record's neighbourhood as a graph, with depth, cap, expand-by, find, filters and export."""

    open_entity_requested = Signal(str, list)  # entity name, list[core.data.repository.Filter]
    graph_shown = Signal()  # a graph (or an expansion, a collapse) is on screen
    failed = Signal(str)  # a message a person can act on
    links_saved = Signal(list)  # the tables a save of link edits wrote: their editors read them again

    def __init__(self, open_db: OpenDatabase, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("graphPanel")
        self.open_db = open_db
        self.document = GraphDocument()
        self.start_record: tuple[str, dict[str, Any]] | None = None
        self.busy = False
        self._task: workers.Task | None = None  # the running load or expansion
        self._hovered = ""  # the node under the mouse
        self.pause = MigrationPause()  # a migration runs (set_paused); the graph is read again after it
        self._held_said: str | None = None  # the write hold's reason, as the message line said it
        self.steps: list[jobs.Step] = []  # the expansions and collapses since the record was shown, in order
        self._shows_start = False  # the graph drawn is start_record's: read again after a migration
        self.scene = GraphScene(self)
        self.view = GraphView(self.scene)
        self.details = NodeDetails()
        self.message = QLabel()
        self.message.setObjectName("graphMessage")
        self.message.setWordWrap(True)
        self.toolbar = GraphToolbar(
            self.scene, lambda: self.open_db.catalog, self.view.fit, self.ask_export, self
        )
        bar = self.toolbar  # its boxes are the panel's, as before it had a module of its own
        self.depth_box, self.cap_box, self.find_box = bar.depth_box, bar.cap_box, bar.find_box
        self.depth_box.valueChanged.connect(self._on_depth_value_changed)
        self.find_box.textChanged.connect(self._on_find_text_changed)
        self.find_box.returnPressed.connect(self._on_find_return_pressed)
        self._found: list[str] = []  # the nodes the find box matches, and which of them Return went to last
        self._found_at = -1
        self.links = LinkEditor(open_db, lambda: self.document, self)
        self.scene.link_allowed = lambda: not self.links.database_read_only()
        self.selected_edges: list[GraphEdge] = []  # a click selects one, Ctrl+click adds more
        self.delete_edge_action = QAction("Delete Link…", self)
        self.delete_edge_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Delete)])
        self.delete_edge_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.delete_edge_action.triggered.connect(self._on_delete_edge_triggered)
        self.addAction(self.delete_edge_action)
        self._update_delete_action()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.view)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 1)
        splitter.setSizes([900, 300])
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.links.bar)
        message_row = QHBoxLayout()
        message_row.setContentsMargins(8, 2, 8, 2)
        message_row.addWidget(self.message, 1)
        layout.addLayout(message_row)
        layout.addWidget(splitter, 1)
        self.view.node_clicked.connect(self._on_view_node_clicked)
        self.view.node_activated.connect(self.expand)
        self.view.menu_requested.connect(self._on_view_menu_requested)
        self.view.node_hovered.connect(self._on_view_node_hovered)
        self.scene.node_moved.connect(self._on_scene_node_moved)
        self.scene.connect_requested.connect(self._on_scene_connect_requested)
        self.view.edge_clicked.connect(self._on_view_edge_clicked)
        self.view.edge_menu_requested.connect(self._on_view_edge_menu_requested)
        self.view.edge_toggled.connect(self._on_view_edge_toggled)
        self.links.changed.connect(self._on_links_changed)
        self.links.links_saved.connect(self._on_links_saved)
        open_db.database_swapped.connect(self._on_open_db_database_swapped)
        self.links.said.connect(self._on_links_said)
        self.links.hold_changed.connect(self._on_links_hold_changed)
        self.details.open_requested.connect(self._on_details_open_requested)
        self.details.expand_requested.connect(self._on_details_expand_requested)
        self.details.collapse_requested.connect(self._on_details_collapse_requested)
        open_db.database_changed.connect(self._on_open_db_database_changed)
        open_db.catalog_changed.connect(self._on_open_db_catalog_changed)
        self._say("Right-click a row in a table and choose Show in Graph to start from that record.")

    @property
    def follow(self) -> set[str] | None:
        """The edge types expansions follow (None: all): the toolbar's Expand By choice."""
        return self.toolbar.follow

    @follow.setter
    def follow(self, edge_types: set[str] | None) -> None:
        self.toolbar.follow = edge_types

    # --- starting, expanding, collapsing ---------------------------------------------------------

    def show_record(self, entity: str, key: dict[str, Any]) -> None:
        """Show the graph around the record of `entity` with `key` (column → value); while paused, once the
        migration has ended."""
        self.steps = []  # a new graph: the expansions of the one shown are not replayed on it
        self._shows_start = False  # until drawn: after a migration it is shown fresh, not re-read
        if self.paused is not None:
            self.start_record, self.pause.asked = (entity, dict(key)), True
        db, catalog = self._open()
        if db is None or catalog is None:
            return
        self.start_record = (entity, dict(key))
        self._run_open_job("Loading the neighbourhood…", self._on_graph_loaded, jobs.open_graph, db, catalog)

    def _run_open_job(
        self, text: str, on_done: Any, job: Any, db: Database, catalog: Catalog, **options: Any
    ) -> None:
        """Run a job that opens the graph from its start record (open_graph, or reopen_graph after a
        migration) at the toolbar's depth, following its Expand By choice."""
        if self.start_record is None:
            return
        entity, key = self.start_record
        followed = self.toolbar.followed()
        request = jobs.GraphRequest(
            entity, dict(key), depth=self.depth_box.value(), cap=self.cap_box.value(),
            follow=tuple(followed) if followed is not None else None,
        )  # fmt: skip
        self._run_graph_job(text, on_done, job, db, catalog, request, **options)

    def expand(self, node_id: str, follow: set[str] | None = None) -> None:
        """Show `node_id`'s neighbours (an aggregate: the next records it stands for), laid out around it;
        following only the edge types `follow` this once when given, else the Expand By choice."""
        db, catalog = self._open()
        if db is None or catalog is None or self.document.node(node_id) is None:
            return
        if self.busy:
            self._say("Still loading; try again in a moment.")
            return
        follow_now = sorted(follow) if follow is not None else self.toolbar.followed()
        step = jobs.Step(node_id, follow=tuple(follow_now) if follow_now is not None else None)
        self._run_graph_job(
            "Expanding…",
            functools.partial(self._on_expanded, step),
            jobs.expand_node,
            db,
            catalog,
            self.document.hood,
            node_id,
            dict(self.document.positions),
            depth=1,
            cap=self.cap_box.value(),
            follow=follow_now,
        )

    def _run_graph_job(self, text: str, on_done: Any, job: Any, *args: Any, **options: Any) -> None:
        """Run a job that brings a neighbourhood (open or expand), one at a time."""
        self._start_busy(text)
        self._task = workers.run(
            job,
            *args,
            **options,
            on_done=on_done,
            on_error=self._on_failed,
            on_aborted=self._on_aborted,
            owner=self,
            key="graph",
        )

    def collapse(self, node_id: str) -> None:
        """Hide the nodes that hang off `node_id` only."""
        gone = self.document.collapse(node_id)
        if not gone:
            self._say("Nothing hangs off this node alone.")
            return
        self.steps.append(jobs.Step(node_id, collapse=True))
        self.scene.show_document(self.document)
        self._say(f"Hid {len(gone):,} node{'s' if len(gone) != 1 else ''}.")
        self._remember()
        self.graph_shown.emit()

    def _on_graph_loaded(self, placed: jobs.Placed) -> None:
        self.busy = False
        self._shows_start = True
        self.document = GraphDocument(placed.start, placed.hood, dict(placed.positions), set(placed.pinned))
        self.scene.select(None)
        self.scene.show_document(self.document)
        self.view.fit()
        self.details.show_node(None)
        self.details.set_legend(self.scene.entities())
        start = self.document.node(placed.start)
        self._say(self._summary(start))
        if start is not None:
            self._select(start.id)
        self._remember()
        self.graph_shown.emit()

    def _on_expanded(self, step: jobs.Step, placed: jobs.Placed) -> None:
        self.busy = False
        self.steps.append(step)
        before = set(self.document.positions)
        self.document.set_hood(placed.hood, placed.positions)
        self.scene.show_document(self.document)
        self.details.set_legend(self.scene.entities())
        self.scene.find(self.find_box.text())
        added = len(set(self.document.positions) - before)
        self._say(f"{added:,} new node{'s' if added != 1 else ''}." if added else "No new neighbours.")
        self._remember()
        self.graph_shown.emit()

    def _on_failed(self, failure: workers.Failure) -> None:
        self.busy = False
        self._say(failure.message, error=True)
        self.failed.emit(failure.message)

    def _on_aborted(self) -> None:
        self.busy = False
        self._say("")

    def _start_busy(self, text: str) -> None:
        self.busy = True
        self._say(text)

    def _summary(self, start: GraphNode | None) -> str:
        nodes = len(self.document.hood.nodes)
        edges = len(self.document.hood.edges)
        name = start.label if start is not None else "the record"
        tip = " Shift-drag from one node to another to link them." if self.scene.link_allowed() else ""
        return f"{name}: {nodes:,} nodes, {edges:,} edges. Double-click a node to expand it.{tip}"

    # --- selection and the side panel --------------------------------------------------------------

    def _select(self, node_id: str) -> None:
        node = self.document.node(node_id) if node_id else None
        self.scene.select(node.id if node is not None else None)
        self.details.show_node(node)
        if node is None or node.aggregate:
            return
        db, catalog = self._open()
        key = self._key_of(node)
        if db is None or catalog is None or key is None:
            return
        self._read_fields(db, catalog, node, key, "fields", self._on_fields_loaded, self._on_fields_failed)

    def _on_fields_loaded(self, values: dict[str, Any]) -> None:
        self.details.show_fields(values)
        node = self.details.node
        if node is not None:
            self._set_preview(node.id, values)

    def _on_view_node_hovered(self, node_id: str) -> None:
        """Hovering a record: its row is read once (on a worker) and becomes the node's tooltip."""
        self._hovered = node_id
        node = self.document.node(node_id) if node_id else None
        item = self.scene.items_by_id.get(node_id)
        if node is None or node.aggregate or item is None or item.toolTip().count("\n") > 3:
            return  # nothing to read, or the preview is there already
        db, catalog = self.open_db.database, self.open_db.catalog
        key = self._key_of(node)
        if db is None or catalog is None or key is None:
            return
        # On an error the plain tooltip stays; the side panel says why on click.
        loaded = functools.partial(self._on_preview_loaded, node_id)
        self._read_fields(db, catalog, node, key, "preview", loaded, lambda _failure: None)

    def _read_fields(
        self,
        db: Database,
        catalog: Catalog,
        node: GraphNode,
        key: dict[str, Any],
        task: str,
        on_done: Callable[[dict[str, Any]], None],
        on_error: Callable[[workers.Failure], None],
    ) -> None:
        """Read a record's fields on a worker (the side panel's and the hover preview's reads); a newer read
        of the same `task` replaces one still under way."""
        workers.run(
            jobs.row_fields, db, catalog, node.entity, key,
            on_done=on_done, on_error=on_error, owner=self, key=task, interruptible=True,
        )  # fmt: skip

    def _on_preview_loaded(self, node_id: str, values: dict[str, Any]) -> None:
        self._set_preview(node_id, values)
        item = self.scene.items_by_id.get(node_id)
        if item is not None and self._hovered == node_id and self.view.underMouse():
            QToolTip.showText(QCursor.pos(), item.toolTip(), self.view.viewport())

    def _set_preview(self, node_id: str, values: dict[str, Any]) -> None:
        item = self.scene.items_by_id.get(node_id)
        if item is not None:
            item.setToolTip(preview(item.node, values))

    def _on_fields_failed(self, failure: workers.Failure) -> None:
        self.details.show_error(failure.message)

    def _key_of(self, node: GraphNode) -> dict[str, Any] | None:
        catalog = self.open_db.catalog
        if catalog is None or node.key is None or node.entity not in catalog.entities:
            return None
        return dict(zip(catalog.entities[node.entity].primary_key, node.key, strict=False))

    def _on_view_node_clicked(self, node_id: str) -> None:
        self._select(node_id)

    def _on_details_open_requested(self) -> None:
        node = self.details.node
        if node is not None:
            self.open_in_table(node.id)

    def _on_details_expand_requested(self) -> None:
        if self.details.node is not None:
            self.expand(self.details.node.id)

    def _on_details_collapse_requested(self) -> None:
        if self.details.node is not None:
            self.collapse(self.details.node.id)

    def open_in_table(self, node_id: str) -> None:
        """Open the node's table filtered to its record."""
        from core.data.repository import Filter

        node = self.document.node(node_id)
        key = self._key_of(node) if node is not None else None
        if node is None or key is None:
            return
        self.open_entity_requested.emit(node.entity, [Filter(k, "eq", v) for k, v in key.items()])

    # --- context menu --------------------------------------------------------------------------------

    def _on_view_menu_requested(self, node_id: str, where: QPoint) -> None:
        menu = self.node_menu(node_id)
        menu.popup(where)

    def node_menu(self, node_id: str) -> QMenu:
        """The context menu of a node (or of the background, for "")."""
        previous: QMenu | None = getattr(self, "context_menu", None)
        if previous is not None:
            previous.deleteLater()  # one menu at a time
        menu = QMenu(self)
        menu.setObjectName("graphContextMenu")
        self.context_menu = menu
        fill_node_menu(menu, self, node_id)
        return menu

    def expand_by(self, node_id: str, edge_types: set[str]) -> None:
        """Expand `node_id` following only `edge_types` (this once)."""
        self.expand(node_id, set(edge_types))

    def unpin(self, node_id: str) -> None:
        """Let a dragged node be laid out again (it keeps its place until the next layout)."""
        self.document.pinned.discard(node_id)
        item = self.scene.items_by_id.get(node_id)
        if item is not None:
            item.set_marks(pinned=False)
        self._remember()

    def relayout(self) -> None:
        """Lay the whole graph out again, the user's expansions and collapses kept; pinned nodes stay where
        the user put them."""
        pinned = {n: p for n, p in self.document.positions.items() if n in self.document.pinned}
        self._rebuild("Laying the graph out again…", pinned)

    def _rebuild(self, text: str, positions: dict[str, Point]) -> None:
        """Read the graph again from its record at the toolbar's depth, on a worker, with the expansions
        and collapses replayed (a node expanded that the depth no longer reaches is kept); the nodes with
        `positions` stay there."""
        if self.start_record is None:
            return
        if not self._shows_start:  # not drawn yet (still loading): it opens afresh
            self.show_record(*self.start_record)
            return
        db, catalog = self._open()
        if db is None or catalog is None:
            return
        self._run_open_job(
            text, self._on_rebuilt, jobs.reopen_graph, db, catalog,
            steps=tuple(self.steps), shown=self.document.hood, positions=positions, carry=True,
        )  # fmt: skip

    def _on_rebuilt(self, reread: jobs.Reread | None) -> None:
        if reread is None:  # deleted meanwhile (by another program)
            self._clear_saying(START_DELETED)
            return
        self._show_reread(reread, "")
        self.view.fit()
        self._select(reread.placed.start)  # as when it opened

    # --- toolbar ---------------------------------------------------------------------------------------

    def _on_depth_value_changed(self, _depth: int) -> None:
        self._rebuild("Loading the neighbourhood…", dict(self.document.positions))

    def _on_find_text_changed(self, text: str) -> None:
        self._found = self.scene.find(text)
        self._found_at = -1
        if text.strip():
            count = len(self._found)
            self._say(f"{count:,} node{'s' if count != 1 else ''} match." if count else "No node matches.")

    def _on_find_return_pressed(self) -> None:
        if not self._found:
            return
        self._found_at = (self._found_at + 1) % len(self._found)
        node_id = self._found[self._found_at]
        self.view.centre_on_node(node_id)
        self._select(node_id)

    def ask_export(self) -> None:
        """Ask where to save the view, then save it (PNG or SVG by the name's ending)."""
        name, _filter = QFileDialog.getSaveFileName(
            self, "Export Graph", str(Path.home() / "graph.png"), "PNG image (*.png);;SVG drawing (*.svg)"
        )
        if name:
            self.export(Path(name))

    def export(self, path: Path) -> bool:
        """Save the view as `path` (PNG, or SVG for a .svg name); says so, or why not."""
        try:
            export_view(self.view, path)
        except OSError as exc:
            self._say(str(exc), error=True)
            return False
        self._say(f"Saved {path.name}.")
        return True

    # --- editing links ----------------------------------------------------------------------------------

    def _on_scene_connect_requested(self, source: str, target: str) -> None:
        self.links.connect_nodes(source, target)

    @property
    def selected_edge(self) -> GraphEdge | None:
        """The edge selected last, if any."""
        return self.selected_edges[-1] if self.selected_edges else None

    def _on_view_edge_clicked(self, edge: GraphEdge | None) -> None:
        self._select_edges([edge] if edge is not None else [])
        if edge is not None:
            reason = self.links.edge_reason(edge)
            how = "Del deletes it." if reason is None else why("It cannot be deleted", reason)
            self._say(f"Selected the {edge.via} link. {how} Ctrl+click selects more.")

    def _on_view_edge_toggled(self, edge: GraphEdge) -> None:
        edges = [e for e in self.selected_edges if e != edge]
        self._select_edges(edges if len(edges) < len(self.selected_edges) else [*edges, edge])
        n = len(self.selected_edges)
        self._say(f"Selected {n:,} link{'s' if n != 1 else ''}. Del deletes {'them' if n != 1 else 'it'}.")

    def _select_edges(self, edges: list[GraphEdge]) -> None:
        self.selected_edges = edges
        self.scene.select_edges(edges)
        self._update_delete_action()

    def _update_delete_action(self) -> None:
        """Del deletes the selected links: disabled, saying why, when one of them cannot be deleted."""
        reason = self.links.first_reason(self.selected_edges)
        if not self.selected_edges and self.open_db.database is not None:
            reason = READ_ONLY_DATABASE if self.links.database_read_only() else self.links.hold_reason
        n = len(self.selected_edges)
        self.delete_edge_action.setText("Delete Link…" if n <= 1 else f"Delete {n:,} Links…")
        self.delete_edge_action.setEnabled(bool(self.selected_edges) and reason is None)
        tip = why("Cannot be deleted", reason) if reason else "Delete the selected links (asks first)"
        self.delete_edge_action.setToolTip(tip)

    def _on_open_db_database_swapped(self, _db: object) -> None:
        self._update_delete_action()  # an unlock (or its end) changes what Del may delete

    def _on_links_hold_changed(self) -> None:
        self._update_delete_action()  # held at an unknown revision, or free again after the upgrade
        held = self.links.hold_reason
        if held is not None and self.paused is None:
            self._say(held)  # what the line said before (Del deletes it…) is no longer so
        elif held is None and self.message.text() == self._held_said:
            self._say("")
        self._held_said = held

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Del reaches here only while its action is disabled: say why nothing happens."""
        if event.key() != Qt.Key.Key_Delete or not self.selected_edges:
            super().keyPressEvent(event)
            return
        if self.delete_edge_action.isEnabled():
            self.delete_edge_action.trigger()
        else:
            self._say(self.delete_edge_action.toolTip(), error=True)  # a sentence, its full stop included
        event.accept()

    def _on_view_edge_menu_requested(self, edge: GraphEdge, where: QPoint) -> None:
        self.edge_menu = self.links.edge_menu(edge, where, self.selected_edges)

    def _on_delete_edge_triggered(self) -> None:
        if self.selected_edges:
            self.links.ask_delete(list(self.selected_edges))  # Cancel keeps them selected

    def _on_links_changed(self) -> None:
        self.scene.set_staged(self.links.staging.added(), self.links.staging.removed_edges())
        # The scene's draw unselected the edges staged to go (or dropped again): keep the ones it kept
        kept = self.scene.selected_edges
        self._select_edges([e for e in self.selected_edges if edge_identity(e) in kept])

    def _on_links_saved(self, names: list[str]) -> None:
        self.scene.show_document(self.document)
        self.graph_shown.emit()
        self.links_saved.emit(names)

    def _on_links_said(self, text: str, error: bool) -> None:
        self._say(text, error=error)
        if error:
            self.failed.emit(text)

    # --- moving nodes, remembering -------------------------------------------------------------------

    def _on_scene_node_moved(self, node_id: str, point: tuple[float, float]) -> None:
        self.document.move(node_id, point)
        self._remember()

    def _remember(self) -> None:
        db = self.open_db.database
        if db is None or self.document.start is None:
            return
        doc = self.document
        workers.run(jobs.remember, db.display_url, doc.start, dict(doc.positions), frozenset(doc.pinned))

    # --- the database --------------------------------------------------------------------------------

    def _open(self) -> tuple[Database | None, Catalog | None]:
        if self.paused is not None:
            self._say(self.paused)
            return None, None
        db, catalog = self.open_db.database, self.open_db.catalog
        if db is None or catalog is None:
            self._say("Open a database first.", error=True)
        return db, catalog

    def _on_open_db_database_changed(self, _db: object) -> None:
        self.links.discard()  # staged links of the previous database cannot be saved to this one
        if self._task is not None:
            self._task.cancel()  # a graph of the previous database must not arrive in this one
        self._clear()

    def _clear(self) -> None:
        """No graph: nothing selected or read again after a migration; nothing drawn but the nodes of the
        link edits still staged (with them), so that what Save writes stays in sight."""
        self._select_edges([])
        self.busy = False
        self.document = staged_part(self.document, self.links.staging)
        self.start_record = None
        self.steps = []
        self._shows_start = self.pause.asked = False
        self.scene.show_document(self.document)
        self.view.fit()
        self.details.show_node(None)
        self.details.set_legend(self.scene.entities())

    def _clear_saying(self, why_cleared: str) -> None:
        """Clear the graph, its start record gone, and say so (and that staged link edits stay drawn)."""
        self._clear()
        self._say(f"{why_cleared} {STAGED_KEPT}" if self.document.hood.nodes else why_cleared, error=True)

    @property
    def paused(self) -> str | None:
        """Why nothing is read now (a migration runs: set_paused), else None."""
        return self.pause.reason

    def set_paused(self, reason: str | None) -> None:
        """A migration runs (`reason`, said in the message line) or has ended (None; gui/migrate/watch.py):
        while paused nothing is read and staged link edits stay unsaved; after it the graph is read again
        from its record, with the user's expansions, in the reloaded catalog (gui/graph/reread.py)."""
        if not self.pause.turn(reason):
            return  # no change (the watch tells every screen again when the standing changes)
        for widget in (self.toolbar, self.view, self.details, self.links.bar):
            widget.setEnabled(reason is None)  # no expansion, hover read or save meanwhile
        if reason is not None:
            if self._task is not None:
                self._task.cancel()
            self.busy = False
            self.pause.started(shown=self.start_record is not None)
            self._say(reason)
            return
        if self.pause.asked and self.pause.reloaded:
            self._read_again()
        elif self.pause.asked and self.start_record is not None:
            # The watch resumes without a catalog only when its reload failed (the window says why); one
            # that comes later (the server back) is read then (_on_open_db_catalog_changed)
            self._say(NOT_READ_AGAIN, error=True)
        else:
            self._say("")

    def hold_writes(self, reason: str | None) -> None:
        """Hold the link edits at a revision the migrations do not know (the watch calls it); None lifts."""
        self.links.hold_writes(reason)

    def _on_open_db_catalog_changed(self, _change: object) -> None:
        if self.pause.catalog_changed():
            self._read_again()

    def _read_again(self) -> None:
        """After a migration: the graph read again in the catalog now in place, or why it cannot be."""
        catalog = self.open_db.catalog
        if not self.pause.asked or self.start_record is None or not catalog:
            return
        self.pause.done()
        entity, key = self.start_record
        if entity in catalog.entities and not self._shows_start:
            self.show_record(entity, key)  # asked for (or still loading) when the migration began
        elif entity in catalog.entities:
            self._reread()  # staged link edits stay drawn on the new graph
        else:  # its table dropped
            self._clear_saying(START_GONE)

    def _reread(self) -> None:
        """Read the graph again after a migration: the same record, then the user's expansions and collapses
        on the nodes that still exist, each node where it was."""
        db, catalog = self._open()
        if db is None or catalog is None:
            return
        self._run_open_job(
            "Reading the graph again…", self._on_reread, jobs.reopen_graph, db, catalog,
            steps=tuple(self.steps), shown=self.document.hood, positions=dict(self.document.positions),
        )  # fmt: skip

    def _on_reread(self, reread: jobs.Reread | None) -> None:
        if reread is None:  # the start record went with the migration (its table is still there)
            self._clear_saying(START_GONE)
            return
        self._show_reread(reread, gone_text(reread.gone, self.open_db.catalog))

    def _show_reread(self, reread: jobs.Reread, gone: str) -> None:
        """Draw a graph read again with its steps replayed; the line says `gone` (what went, as a problem)
        before the summary."""
        self.busy = False
        self.document = reread_document(self.document, reread)
        self.steps = list(reread.steps)
        self.scene.select(None)
        self.scene.show_document(self.document)
        self.details.show_node(None)
        self.details.set_legend(self.scene.entities())
        self.scene.find(self.find_box.text())
        start = self.document.node(reread.placed.start)
        self._say(" ".join(t for t in (gone, self._summary(start)) if t), error=bool(gone))
        self._remember()
        self.graph_shown.emit()

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #b3261e;" if error else "")
