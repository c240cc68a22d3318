"""Editing links in the record graph: Shift-drag between two nodes links them, Del (or the edge's menu)
removes a link, both staged with undo and redo until Save writes them in one audited transaction.

A drag between two records offers the ways core finds (core/graph/link_edits.py): a new link-table row,
whose attributes a small form asks for, or the referring record's foreign key, checked against the row as
read when the link is staged. Deleting an edge deletes its link row, or sets its foreign key to NULL when
it may be NULL (otherwise the message says why and what to do), after a question naming the link (Del or
the edge's menu; several selected links, one question: gui/graph/unlink_prompt.py). The save goes through
the table editor's save door (gui/audit/audited_save.py → core.data.writes.save: validation, conflict
check, audit trail), on a worker; afterwards the graph shows what was written and `links_saved` names the
tables, so their open editors read their rows again. On a read-only database no drag starts, and the menu
items and Del are disabled with the reason.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QCursor, QKeySequence
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMenu, QPushButton, QWidget

from core.data.changes import Change, Insert
from core.graph import link_edits
from core.graph.link_edits import LinkRefused, LinkWay
from core.graph.model import GraphEdge, GraphNode, Neighbourhood
from core.graph.neighbourhood import edge_identity
from gui.audit import audited_save
from gui.graph import jobs
from gui.graph.link_form import LinkForm
from gui.graph.link_staging import LinkStaging, StageCommand, StagedLink, UnstageCommand, new_stack
from gui.graph.unlink_prompt import UnlinkPrompt
from gui.runtime import workers
from gui.runtime.priority import Priority

if TYPE_CHECKING:
    from core.data.writes import SaveResult
    from gui.graph.document import GraphDocument
    from gui.runtime.open_database import OpenDatabase

BAR_STYLE = "QFrame#graphLinkBar { background: #fff4d6; border-bottom: 1px solid #e5c878; }"


#: A menu item's short word for the migration hold (its whole sentence is in the item's tooltip).
HELD_LABEL = "read-only"


def why(what: str, reason: str) -> str:
    """`what` happened and why, with one full stop each: a reason that is a fragment ("it is a view") after a
    colon, a whole sentence (the migration hold's, "Read-only: … to edit it.") as a sentence of its own."""
    return f"{what}. {reason}" if reason.endswith(".") else f"{what}: {reason}."


def unsaved_text(n: int) -> str:
    """The bar's text: "3 unsaved link changes"."""
    return f"{n:,} unsaved link change{'s' if n != 1 else ''}"


class LinkEditor(QObject):
    """The graph's link edits: staging, undo history, the unsaved-changes bar and the save."""

    changed = Signal()  # the staged edits changed: the scene shows them again
    links_saved = Signal(list)  # the names of the tables a save wrote
    said = Signal(str, bool)  # a message for the panel's message line, and whether it is an error
    save_finished = Signal(bool)  # a save that was sent ended: written (True), or failed and still staged
    hold_changed = Signal()  # writes were held or the hold was lifted: what the graph offers follows

    def __init__(self, open_db: OpenDatabase, document: Callable[[], GraphDocument], parent: QWidget) -> None:
        super().__init__(parent)
        self.open_db, self._document, self._parent = open_db, document, parent
        self.staging = LinkStaging()
        self.history = new_stack(self)
        self.saving = False
        #: Why no link may be written now (an unknown revision: gui/migrate/watch.py holds it), else None.
        self.hold_reason: str | None = None
        self.form: LinkForm | None = None  # the open form of a new link row, if any
        self.way_menu: QMenu | None = None  # the open "link how?" menu, if any
        self.prompt: UnlinkPrompt | None = None  # the open "Delete the link …?" question, if any
        #: The audit question's door (gui/audit/consent_gate.AuditGate.allows); it calls save() again later.
        self.save_gate: Callable[[Any], bool] = lambda _editor: True
        self.undo_action = self._shortcut(
            self.history.createUndoAction(self, "Undo"), QKeySequence.StandardKey.Undo
        )
        self.redo_action = self._shortcut(
            self.history.createRedoAction(self, "Redo"), QKeySequence.StandardKey.Redo
        )
        self.bar = self._build_bar()
        self.history.indexChanged.connect(self._on_history_index_changed)

    def _shortcut(self, action: QAction, key: QKeySequence.StandardKey) -> QAction:
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)  # this graph's tab only
        self._parent.addAction(action)
        return action

    def _build_bar(self) -> QFrame:
        bar = QFrame()
        bar.setObjectName("graphLinkBar")
        bar.setStyleSheet(BAR_STYLE)
        row = QHBoxLayout(bar)
        row.setContentsMargins(8, 3, 8, 3)
        self.bar_label = QLabel()
        self.bar_label.setObjectName("graphLinkCount")
        row.addWidget(self.bar_label, 1)
        self.undo_button = QPushButton("Undo")
        self.undo_button.clicked.connect(self.history.undo)
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("graphLinkSave")
        self.save_button.clicked.connect(self.save)
        self.discard_button = QPushButton("Discard")
        self.discard_button.setObjectName("graphLinkDiscard")
        self.discard_button.clicked.connect(self.discard)
        for button in (self.undo_button, self.save_button, self.discard_button):
            row.addWidget(button)
        bar.hide()
        return bar

    # --- what may be edited --------------------------------------------------------------------------

    @property
    def staged_count(self) -> int:
        """How many link edits wait for Save (the audit gate reads it)."""
        return self.staging.count

    def database_read_only(self) -> bool:
        """Whether the open database refuses every write."""
        db = self.open_db.database
        return db is None or bool(db.capabilities.read_only)

    def hold_writes(self, reason: str | None) -> None:
        """Stage no link edit for `reason` (as the table editors are held); None lifts it; staged stay."""
        if reason != self.hold_reason:
            self.hold_reason = reason
            self.hold_changed.emit()

    def link_reason(self) -> str | None:
        """Why no link may be added now (the database is read-only, or writes are held), else None."""
        if self.database_read_only():
            return "the database is open read-only"
        return self.hold_reason

    def reason(self, entity: str) -> str | None:
        """Why links kept in `entity` cannot be edited here, or None."""
        catalog = self.open_db.catalog
        if catalog is None:
            return "no database is open"
        if self.hold_reason is not None:
            return self.hold_reason
        return link_edits.read_only_reason(catalog, entity, database_read_only=self.database_read_only())

    def first_reason(self, edges: Iterable[GraphEdge]) -> str | None:
        """Why the first of `edges` that cannot be deleted here cannot be, or None when all can."""
        return next((r for e in edges if (r := self.edge_reason(e)) is not None), None)

    def edge_reason(self, edge: GraphEdge) -> str | None:
        """Why `edge` cannot be deleted here, or None."""
        if self.staging.writes(edge) is not None:
            return None  # a staged new link is always dropped again
        if edge_identity(edge) in self.staging.removed():
            return "its deletion is staged already"
        return self.reason(edge.via if edge.kind == "link" else edge.via.split(".", 1)[0])

    # --- linking ------------------------------------------------------------------------------------

    def connect_nodes(self, source_id: str, target_id: str, choice: int | None = None) -> None:
        """Link two shown records: the only way there is, or the one chosen (a menu asks when several)."""
        catalog, nodes = self.open_db.catalog, self._document().nodes
        source, target = nodes.get(source_id), nodes.get(target_id)
        if catalog is None or source is None or target is None:
            return
        ways = link_edits.ways_to_link(catalog, source, target)
        if not ways:
            self._say(link_edits.why_no_way(catalog, source, target), error=True)
            return
        if choice is None and len(ways) > 1:
            self._ask_way(source_id, target_id, ways)
            return
        way = ways[choice or 0]
        reason = self.reason(way.entity)
        if reason is not None:
            held = reason == self.hold_reason  # a whole sentence, said as the table editors say it
            self._say(reason if held else f"Links cannot be added here: {reason}.", error=True)
            return
        if way.kind == "link":
            self._open_form(way, source, target)
        else:
            self._read_referring_row(way, source)

    def _ask_way(self, source_id: str, target_id: str, ways: list[LinkWay]) -> None:
        if self.way_menu is not None:
            self.way_menu.deleteLater()
        menu = QMenu(self._parent)
        menu.setObjectName("graphLinkWayMenu")
        for i, way in enumerate(ways):
            menu.addAction(way.title, functools.partial(self.connect_nodes, source_id, target_id, i))
        self.way_menu = menu
        menu.popup(QCursor.pos())

    def _open_form(self, way: LinkWay, source: GraphNode, target: GraphNode) -> None:
        catalog = self.open_db.catalog
        assert catalog is not None
        if self.form is not None:
            self.form.deleteLater()
        first, second = (source, target) if way.source == source.id else (target, source)
        form = LinkForm(
            f"New {way.entity} row",
            f"{first.label} → {second.label}",
            link_edits.link_fields(catalog, way.entity),
            self._parent,
        )
        form.accepted.connect(lambda: self._stage_link(way, form.values(), None))
        self.form = form
        form.open()

    def _read_referring_row(self, way: LinkWay, source: GraphNode) -> None:
        """Read the referring row first: its FK value and version as now are the save's conflict check."""
        db, catalog = self.open_db.database, self.open_db.catalog
        if db is None or catalog is None or source.key is None:
            return
        key = dict(zip(catalog.get(source.entity).primary_key, source.key, strict=True))
        workers.run(
            jobs.row_fields,
            db,
            catalog,
            source.entity,
            key,
            on_done=functools.partial(self._stage_link, way, {}),
            on_error=self._on_failed,
            owner=self,
            key="link-read",
        )

    def _stage_link(self, way: LinkWay, values: dict[str, Any], loaded: dict[str, Any] | None) -> None:
        catalog, doc = self.open_db.catalog, self._document()
        nodes = doc.nodes
        if catalog is None or way.source not in nodes or way.target not in nodes:
            return
        try:
            change = link_edits.link_change(catalog, way, nodes, values, loaded)
        except LinkRefused as exc:
            self._say(str(exc), error=True)
            return
        added = link_edits.new_edge(catalog, way, change)
        replaced = tuple(
            e for e in doc.hood.edges if way.kind == "fk" and e.via == way.via and e.source == way.source
        )
        text = f"Link {nodes[way.source].label} → {nodes[way.target].label}"
        self.history.push(
            StageCommand(self.staging, StagedLink(change, text, added, replaced, way), self._staged)
        )
        self._say(f"Staged: {way.title}. Save writes it; Ctrl+Z takes it back.")

    # --- unlinking ----------------------------------------------------------------------------------

    def ask_delete(self, edges: list[GraphEdge]) -> None:
        """Delete `edges` after asking (Del, the edge menu): Delete stages their deletion as one undo step,
        Cancel changes nothing. Staged new links are dropped without asking: no row holds them yet."""
        if self.prompt is not None:
            self.prompt.raise_()
            return
        edges = list({edge_identity(e): e for e in edges}.values())  # each once (edges hold dicts: no hash)
        new = [e for e in edges if self.staging.writes(e) is not None]
        rows = [e for e in edges if self.staging.writes(e) is None]
        reasons = [self.edge_reason(e) for e in rows]
        refused = next((r for r in reasons if r is not None), None)
        if refused is not None:
            self._say(why("This link cannot be deleted", refused), error=True)
            rows = [e for e, r in zip(rows, reasons, strict=True) if r is None]
        for edge in new:
            self.delete_edge(edge)
        if not rows:
            return
        prompt = UnlinkPrompt(rows, self._document().nodes, self._parent)
        prompt.answered.connect(functools.partial(self._on_prompt_answered, rows))
        self.prompt = prompt
        prompt.open()

    def _on_prompt_answered(self, edges: list[GraphEdge], delete: bool) -> None:
        self.prompt = None
        if not delete:
            return
        if len(edges) == 1:
            self.delete_edge(edges[0])
            return
        self.history.beginMacro(f"Unlink {len(edges):,} links")
        for edge in edges:
            self.delete_edge(edge, quiet=True)
        self.history.endMacro()
        n = self.staging.count
        self._say(
            f"Staged {n:,} link change{'s' if n != 1 else ''}. Save writes them; Ctrl+Z takes them back."
        )

    def delete_edge(self, edge: GraphEdge, *, quiet: bool = False) -> None:
        """Stage removing `edge` without asking (ask_delete asks first; a staged new link is simply dropped
        again)."""
        staged = self.staging.writes(edge)
        if staged is not None:
            self.history.push(UnstageCommand(self.staging, staged, self._staged))
            return
        reason = self.edge_reason(edge)
        if reason is not None:
            self._say(why("This link cannot be deleted", reason), error=True)
            return
        catalog, nodes = self.open_db.catalog, self._document().nodes
        if catalog is None or edge.source not in nodes or edge.target not in nodes:
            return
        try:
            change = link_edits.unlink_change(catalog, edge, nodes)
        except LinkRefused as exc:
            self._say(str(exc), error=True)
            return
        text = f"Unlink {nodes[edge.source].label} → {nodes[edge.target].label}"
        self.history.push(StageCommand(self.staging, StagedLink(change, text, None, (edge,)), self._staged))
        if not quiet:
            self._say("Staged the deletion. Save writes it; Ctrl+Z takes it back.")

    # --- saving -------------------------------------------------------------------------------------

    def save(self) -> None:
        """Write every staged link edit in one transaction, on a worker (audited like the table editor's)."""
        db, catalog = self.open_db.database, self.open_db.catalog
        if self.saving or not self.staging.count or db is None or catalog is None:
            return
        for name in dict.fromkeys(c.entity for c in self.staging.changes()):
            reason = self.reason(name)
            if reason is not None:
                self._say(why("Not saved", reason), error=True)
                return
        if not self.save_gate(self):
            return  # the audit question is open: it calls save() again once answered
        self.saving = True
        sent = list(self.staging.edits)
        self._show_bar()
        workers.run(
            audited_save.save,  # issue 12: the one save path, audited
            db,
            catalog,
            [e.change for e in sent],
            on_done=functools.partial(self._on_saved, sent),
            on_error=self._on_save_failed,
            on_aborted=self._on_save_aborted,
            owner=self,
            key="link-save",
            priority=Priority.SAVE,
        )

    def discard(self) -> None:
        """Drop every staged link edit."""
        self.staging.edits.clear()
        self.history.clear()
        self._staged()

    def _on_saved(self, sent: list[StagedLink], result: SaveResult) -> None:
        self.saving = False
        catalog, doc = self.open_db.catalog, self._document()
        keys = iter(result.inserted)
        added: list[GraphEdge] = []
        for edit in sent:
            saved = next(keys) if isinstance(edit.change, Insert) else None
            if edit.way is not None and catalog is not None:
                key = dict(saved.key) if saved is not None else {}
                version = catalog.get(edit.change.entity).version_column
                if saved is not None and version is not None and saved.version is not None:
                    key[version] = saved.version
                added.append(link_edits.new_edge(catalog, edit.way, edit.change, key))
        gone = {edge_identity(r) for e in sent for r in e.removed}
        edges = tuple(e for e in doc.hood.edges if edge_identity(e) not in gone) + tuple(added)
        doc.set_hood(Neighbourhood(doc.hood.nodes, edges), doc.positions)
        for edit in sent:
            if edit in self.staging.edits:
                self.staging.edits.remove(edit)
        self.history.clear()
        self._staged()
        n = len(sent)
        self._say(f"Saved {n:,} link change{'s' if n != 1 else ''}.")
        self.links_saved.emit(sorted({e.change.entity for e in sent}))
        self.save_finished.emit(True)

    def _on_save_failed(self, failure: workers.Failure) -> None:
        self.saving = False
        self._show_bar()
        self._say(f"Nothing was saved: {failure.message}", error=True)
        self.save_finished.emit(False)

    def _on_save_aborted(self) -> None:
        self.saving = False
        self._show_bar()
        self.save_finished.emit(False)

    def _on_failed(self, failure: workers.Failure) -> None:
        self._say(failure.message, error=True)

    # --- the bar and menus --------------------------------------------------------------------------

    def edge_menu(
        self, edge: GraphEdge, where: QPoint | None = None, selection: list[GraphEdge] | None = None
    ) -> QMenu:
        """The context menu of an edge: delete it, or every selected edge when it is one of several selected
        (disabled with the reason where it cannot be)."""
        menu = QMenu(self._parent)
        menu.setObjectName("graphEdgeMenu")
        menu.setToolTipsVisible(True)
        edges = list(selection) if selection and len(selection) > 1 and edge in selection else [edge]
        staged = self.staging.writes(edge) is not None
        reason = self.edge_reason(edge)
        if len(edges) > 1:
            text = f"Delete {len(edges):,} Links…"
            reason = self.first_reason(edges)
        elif staged:
            text = "Drop New Link"
        else:
            text = "Delete Link…" if edge.kind == "link" else f"Clear {edge.via}…"
        short = HELD_LABEL if reason is not None and reason == self.hold_reason else reason
        action = menu.addAction(text if short is None else f"{text.rstrip('…')} ({short})")
        action.setObjectName("graphDeleteEdge")
        action.triggered.connect(lambda: self.ask_delete(edges))
        action.setEnabled(reason is None)
        if reason is not None:
            action.setToolTip(why("Cannot be deleted", reason))
        if where is not None:
            menu.popup(where)
        return menu

    def _staged(self) -> None:
        self._show_bar()
        self.changed.emit()

    def _show_bar(self) -> None:
        n = self.staging.count
        self.bar.setVisible(n > 0)
        self.bar_label.setText(("Saving… " if self.saving else "") + unsaved_text(n))
        self.save_button.setEnabled(not self.saving)
        self.discard_button.setEnabled(not self.saving)
        self.undo_button.setEnabled(not self.saving and self.history.canUndo())

    def _on_history_index_changed(self, _index: int) -> None:
        self._show_bar()

    def _say(self, text: str, *, error: bool = False) -> None:
        self.said.emit(text, error)

    def changes(self) -> list[Change]:
        """The staged core changes (tests, the leave guard)."""
        return self.staging.changes()

    # --- before the graph goes away (gui/unsaved.py's LeaveGuard) ------------------------------------

    def finish_input(self) -> None:
        """Nothing is typed outside a staged edit here (the link form stages on OK)."""

    @property
    def staged(self) -> int:
        """Link edits that a quit, a closed tab or another database would lose."""
        return self.staging.count

    def start_save(self) -> bool:
        """Save for the leave guard; whether a save was sent (then `save_finished` follows)."""
        self.save()
        return self.saving

    @property
    def page(self) -> QWidget:
        """The graph tab, shown when its save fails."""
        return self._parent

    @property
    def gated(self) -> object:
        """What the save gates hold while they ask: this editor (its save_gate is theirs)."""
        return self
