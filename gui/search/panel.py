"""The search panel (a tab): search one entity's vector column, or the world entities at once, by meaning,
keywords or both, as you type; and "more like this" from any row with a stored vector.

Typing is debounced (DEBOUNCE_MS after the last keystroke) and each keystroke cancels the search before it
(its statement is interrupted: workers.run(..., key="search", interruptible=True)). The embedding model
loads on a worker on first use, with a message here; a missing model package is a message, never a crash.
Every search and the model load run on workers (jobs.py); the GUI thread only shows their plain answers.
While a migration runs the panel is paused (set_paused, from gui/migrate/watch.py): a search asked for then
waits, the status line says so, and it runs once when the run ends, with the reloaded catalog's targets (the
watch resumes it after the catalog is in place). A re-embed the migration stopped is said after it too.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gui.migrate.pausable import PausedLine
from gui.runtime import workers
from gui.search import jobs
from gui.search.delegates import ResultDelegate
from gui.search.model import SearchResultsModel, summary
from gui.search.stale_bar import STOPPED_BY_MIGRATION, STOPPED_FOR_MIGRATION, StaleBar
from gui.search.targets import TargetBox

#: What a paused panel says when a search was asked for meanwhile.
WAITING = "Paused while a migration runs: your search runs when it ends."

if TYPE_CHECKING:
    from core.data.repository import Filter
    from core.engine.db import Database
    from core.search.panel_queries import Found, PanelAnswer
    from gui.editor.filter_bar import FilterBar
    from gui.runtime.open_database import OpenDatabase

log = logging.getLogger("warden.gui.search")

DEBOUNCE_MS = 250
DEFAULT_K = 10
MODES = (("hybrid", "Hybrid"), ("semantic", "Meaning"), ("keyword", "Keywords"))
METRICS = (("cosine", "Cosine"), ("l2", "L2"), ("ip", "Inner product"))
ERROR_STYLE = "color: #b3261e;"
PLACEHOLDER = "Search by meaning and words, e.g. a haunted lighthouse on the cliffs"


class SearchPanel(QWidget):
    """Search by text or by a row's vector; results grouped by entity, each with a snippet and its actions."""

    open_entity_requested = Signal(str, list)  # entity name, list[core.data.repository.Filter]
    graph_requested = Signal(str, dict)  # entity name, a row's key: Show in Graph
    search_started = Signal()  # a search was handed to a worker
    results_shown = Signal()  # an answer is on screen
    failed = Signal(str)  # a message a person can act on

    def __init__(self, open_db: OpenDatabase, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchPanel")
        self.open_db = open_db
        self.task: workers.Task | None = None
        self.model_name: str | None = None  # the embedding model, once loaded
        self.model_problem: str | None = None  # why it cannot load
        self.model_loading = False
        self.like_source: tuple[str, dict[str, Any], str | None] | None = None  # entity, key, label
        self.filter_bar: FilterBar | None = None
        # A migration runs (set_paused): a search asked for meanwhile runs when it ends
        self.pause = PausedLine[tuple[str, bool]](waiting=WAITING)  # the line said: its text, and as an error
        self._stopped_note: str | None = None  # a re-embed the pause stopped: said after it, not forgotten
        self.results = SearchResultsModel(self)
        self._build()
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.debounce.timeout.connect(self.search_now)
        open_db.database_changed.connect(self._on_open_db_database_changed)
        open_db.catalog_changed.connect(self._on_open_db_catalog_changed)
        self.fill_targets()
        self._say("Type to search by meaning and by words; right-click a row in a table for More Like This.")

    # --- building --------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.target_box = TargetBox()
        self.mode_box = self._combo("searchMode", MODES, "Hybrid fuses meaning and words (reciprocal rank)")
        self.metric_box = self._combo("searchMetric", METRICS, "How the distance between vectors is measured")
        self.k_box = QSpinBox()
        self.k_box.setObjectName("searchK")
        self.k_box.setRange(1, 200)
        self.k_box.setValue(DEFAULT_K)
        self.k_box.setToolTip("How many rows per entity")
        controls = QHBoxLayout()
        for text, widget in (
            ("Search in", self.target_box),
            ("Mode", self.mode_box),
            ("Metric", self.metric_box),
            ("k", self.k_box),
        ):
            controls.addWidget(QLabel(text))
            controls.addWidget(widget, 2 if widget is self.target_box else 0)
        controls.addStretch(1)
        self.query = QLineEdit()
        self.query.setObjectName("searchQuery")
        self.query.setClearButtonEnabled(True)
        self.query.setPlaceholderText(PLACEHOLDER)
        self.stale_bar = StaleBar(self.open_db)
        self.stale_bar.failed.connect(self._on_stale_bar_failed)
        self.stale_bar.reembedded.connect(self._on_stale_bar_reembedded)
        self.filter_holder = QVBoxLayout()
        self.filter_holder.setContentsMargins(0, 0, 0, 0)
        self.status = QLabel()
        self.status.setObjectName("searchStatus")
        self.status.setWordWrap(True)
        self.view = QListView()
        self.view.setObjectName("searchResults")
        self.view.setModel(self.results)
        self.view.setItemDelegate(ResultDelegate(self.view))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.open_button = self._button("Open Record", "searchOpenRecord", self.open_record)
        self.graph_button = self._button("Show in Graph", "searchShowInGraph", self.show_in_graph)
        self.graph_button.setVisible(importlib.util.find_spec("gui.graph.panel") is not None)
        self.like_button = self._button("More Like This", "searchMoreLikeThis", self.more_like_selected)
        actions = QHBoxLayout()
        actions.addWidget(self.open_button)
        actions.addWidget(self.graph_button)
        actions.addWidget(self.like_button)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(controls)
        layout.addWidget(self.query)
        layout.addWidget(self.stale_bar)
        layout.addLayout(self.filter_holder)
        layout.addWidget(self.status)
        layout.addWidget(self.view, 1)
        layout.addLayout(actions)
        self.query.textEdited.connect(self._on_query_text_edited)
        self.query.returnPressed.connect(self.search_now)
        self.target_box.currentIndexChanged.connect(self._on_target_box_changed)
        for box in (self.mode_box, self.metric_box):
            box.currentIndexChanged.connect(self._on_option_changed)
        self.k_box.valueChanged.connect(self._on_option_changed)
        self.view.doubleClicked.connect(self._on_view_double_clicked)
        self.view.customContextMenuRequested.connect(self._on_view_context_menu_requested)
        self.view.selectionModel().selectionChanged.connect(self._enable_actions)
        self.results.modelReset.connect(self._enable_actions)
        self._enable_actions()

    def _combo(self, name: str, items: tuple[tuple[str, str], ...] | list[Any], tip: str) -> QComboBox:
        box = QComboBox()
        box.setObjectName(name)
        box.setToolTip(tip)
        for data, text in items:
            box.addItem(text, data)
        return box

    def _button(self, text: str, name: str, slot: Any) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(slot)
        return button

    # --- what is searched ----------------------------------------------------------------------------

    def fill_targets(self) -> None:
        """List the catalog's vector columns in the target box (keeping the choice), with their filters."""
        self.target_box.fill(self.open_db.catalog)
        self._on_targets_changed()

    def targets(self) -> list[tuple[str, str | None]]:
        """The (entity, vector column) pairs the current choice searches."""
        return self.target_box.targets(self.open_db.catalog)

    def choose_target(self, entity: str, column: str | None = None) -> bool:
        """Choose one entity's vector column (its first, without `column`); False when it has none listed."""
        return self.target_box.choose(entity, column)

    def _show_filter_bar(self) -> None:
        """A filter bar (the table editor's) for the one entity searched; none for several."""
        if self.filter_bar is not None:
            self.filter_bar.hide()
            self.filter_bar.deleteLater()
            self.filter_bar = None
        targets = self.targets()
        catalog = self.open_db.catalog
        if len(targets) != 1 or catalog is None or targets[0][0] not in catalog.entities:
            return
        from gui.editor.filter_bar import FilterBar

        bar = FilterBar(catalog.get(targets[0][0]))
        bar.quick.hide()  # the query box is this panel's quick search
        outer = bar.layout()
        first = outer.itemAt(0) if outer is not None else None
        top = first.layout() if first is not None else None
        if isinstance(top, QHBoxLayout):
            top.addStretch(1)  # the buttons keep their size without the quick box beside them
        bar.filters_changed.connect(self._on_filter_bar_changed)
        self.filter_holder.addWidget(bar)
        self.filter_bar = bar

    def filters(self) -> list[Filter]:
        """The filter bar's complete conditions (none while several entities are searched)."""
        return self.filter_bar.filters() if self.filter_bar is not None else []

    # --- searching -----------------------------------------------------------------------------------

    def set_query(self, text: str) -> None:
        """Put `text` in the query box and search after the usual pause (as if typed)."""
        self.query.setText(text)
        self._on_query_text_edited(text)

    def search_now(self) -> None:
        """Search for the query now (Enter, the pause after typing, a changed option); while paused the
        search waits for the end of the migration."""
        self.debounce.stop()
        if self._wait_if_paused():
            return
        if self.like_source is not None:
            entity, key, label = self.like_source
            self.more_like_this(entity, key, label=label)
            return
        text = self.query.text().strip()
        db, catalog = self.open_db.database, self.open_db.catalog
        if not text:
            self._cancel()
            self.results.set_answer(None)
            self._say("Type to search by meaning and by words.")
            return
        if db is None or catalog is None:
            self._say("Open a database first.", error=True)
            return
        targets = self.targets()
        if not targets:
            self._say("This database has no vector column to search.", error=True)
            return
        mode = str(self.mode_box.currentData())
        provider = self.stale_bar.query_provider()
        if mode != "keyword" and provider is None and not self._model_ready():
            return
        self._cancel()
        self._say("Searching…")
        self.task = workers.run(
            jobs.search,
            db,
            catalog,
            targets,
            text,
            mode=mode,
            k=self.k_box.value(),
            metric=str(self.metric_box.currentData()),
            filters=self.filters(),
            provider=provider,
            on_done=self._on_answer,
            on_error=self._on_failed,
            on_aborted=self._on_aborted,
            owner=self,
            key="search",
            interruptible=True,
            with_state=True,
        )
        self.search_started.emit()

    def more_like_this(
        self, entity: str, key: dict[str, Any], *, column: str | None = None, label: str | None = None
    ) -> None:
        """Show the rows of `entity` nearest to the row with `key` (its stored vector; no model needed)."""
        if self.paused is not None:
            self.like_source = (entity, dict(key), label)  # searched when the pause ends
            self._wait_if_paused()
            return
        db, catalog = self.open_db.database, self.open_db.catalog
        if db is None or catalog is None:
            self._say("Open a database first.", error=True)
            return
        current = self.targets()
        if len(current) != 1 or current[0][0] != entity or column not in (None, current[0][1]):
            self.target_box.blockSignals(True)  # the choice below is part of this search, not a new one
            try:
                chosen = self.choose_target(entity, column)
            finally:
                self.target_box.blockSignals(False)
            if not chosen:
                self._say(f"{entity} has no vector column, so it has no rows like this one.", error=True)
                return
            self._on_targets_changed()
        self.like_source = (entity, dict(key), label)
        self.query.clear()
        self.query.setPlaceholderText("Showing rows like the chosen one; type to search by text instead")
        self._cancel()
        self._say(f"Finding rows like {label}…" if label else "Finding similar rows…")
        targets = self.targets()
        self.task = workers.run(
            jobs.like,
            db,
            catalog,
            entity,
            dict(key),
            column=targets[0][1] if targets else column,
            k=self.k_box.value(),
            metric=str(self.metric_box.currentData()),
            filters=self.filters(),
            on_done=self._on_answer,
            on_error=self._on_failed,
            on_aborted=self._on_aborted,
            owner=self,
            key="search",
            interruptible=True,
        )
        self.search_started.emit()

    def _model_ready(self) -> bool:
        """Whether the embedding model is loaded; if not, start loading it (the search runs after)."""
        if self.model_name is not None:
            return True
        if self.model_problem is not None:
            self._say(f"{self.model_problem}. Keywords mode works without it.", error=True)
            return False
        if not self.model_loading:
            self.model_loading = True
            workers.run(
                jobs.load_model,
                on_done=self._on_model_loaded,
                on_error=self._on_model_failed,
                on_aborted=self._on_model_aborted,
                owner=self,
                key="model",
            )
        self._say("Loading the embedding model (first search only)…")
        return False

    def _on_model_loaded(self, name: str) -> None:
        self.model_loading = False
        self.model_name = name
        self.search_now()

    def _on_model_failed(self, failure: workers.Failure) -> None:
        self.model_loading = False
        self.model_problem = failure.message.rstrip(".")
        self._say(f"{self.model_problem}. Keywords mode works without it.", error=True)
        self.failed.emit(failure.message)

    def _on_model_aborted(self) -> None:
        self.model_loading = False
        self._say("")

    # --- pausing (a migration runs) --------------------------------------------------------------------

    @property
    def paused(self) -> str | None:
        """Why nothing is searched now (a migration runs: set_paused), else None."""
        return self.pause.reason

    def set_paused(self, reason: str | None) -> None:
        """A migration runs (`reason`, said in the status line) or has ended (None): while paused nothing is
        read (a search under way is stopped and runs again after, as does one asked for meanwhile)."""
        if not self.pause.turn(reason):
            return
        self.target_box.setEnabled(reason is None)  # a new target would count its stale rows
        self.stale_bar.set_paused(reason)
        self._enable_actions()
        if reason is not None:
            self.pause.keep((self.status.text(), self.status.styleSheet() == ERROR_STYLE))
            self.debounce.stop()
            self.pause.asked = self.task is not None and not self.task.finished  # stopped: runs again after
            self._cancel()
            self._say(reason)
            return
        if self._stopped_note:
            self._say(self._stopped_note, error=True)
        elif (before := self.pause.said_before(self.status.text())) is not None:  # else a model load said
            text, error = before
            self._say(text, error=error)
        if self.pause.take_asked():
            self.search_now()

    def _wait_if_paused(self) -> bool:
        """While paused: note that a search is wanted, say it waits, and tell the caller not to search."""
        if self.paused is None:
            return False
        self._say(self.pause.wait())
        return True

    def _cancel(self) -> None:
        if self.task is not None and not self.task.finished:
            self.task.cancel()  # its result is dropped and its statement interrupted
        self.task = None

    def _on_answer(self, answer: PanelAnswer) -> None:
        self.task = None
        self.results.set_answer(answer)
        first = self.results.first_hit_row()
        if first >= 0:
            self.view.setCurrentIndex(self.results.index(first))
            self.view.scrollToTop()
        like = self.like_source
        said = summary(answer, like[2] if like else None, like=like is not None)
        note, self._stopped_note = self._stopped_note, None  # the search run after the pause keeps it in view
        self._say(f"{said} {note}" if note else said)
        self.results_shown.emit()

    def _on_failed(self, failure: workers.Failure) -> None:
        self.task = None
        self._say(failure.message, error=True)
        self.failed.emit(failure.message)

    def _on_aborted(self) -> None:
        self.task = None
        self._say("")

    # --- results and their actions -------------------------------------------------------------------

    def selected_hit(self) -> Found | None:
        """The hit selected in the list, or None."""
        index = self.view.currentIndex()
        return self.results.hit_at(index.row()) if index.isValid() else None

    def open_record(self) -> None:
        """Open the selected hit's table, filtered to its record."""
        from core.data.repository import Filter

        hit = self.selected_hit()
        if hit is not None and self.paused is not None:
            self._say("Paused while a migration runs: open the record when it ends.")
        elif hit is not None:
            self.open_entity_requested.emit(hit.entity, [Filter(k, "eq", v) for k, v in hit.key.items()])

    def show_in_graph(self) -> None:
        """Show the selected hit's record in the graph."""
        hit = self.selected_hit()
        if hit is not None:
            self.graph_requested.emit(hit.entity, dict(hit.key))

    def more_like_selected(self) -> None:
        """The rows like the selected hit."""
        hit = self.selected_hit()
        if hit is not None:
            column = next((c for e, c in self.targets() if e == hit.entity), None)
            self.more_like_this(hit.entity, hit.key, column=column, label=hit.label)

    def result_menu(self, row: int) -> QMenu | None:
        """The context menu of the hit on `row` (None for a header)."""
        hit = self.results.hit_at(row)
        if hit is None:
            return None
        previous: QMenu | None = getattr(self, "context_menu", None)
        if previous is not None:
            previous.deleteLater()  # one menu at a time
        menu = QMenu(self)
        menu.setObjectName("searchResultMenu")
        menu.addAction("Open Record", self.open_record)
        if self.graph_button.isVisibleTo(self):
            menu.addAction("Show in Graph", self.show_in_graph)
        menu.addAction("More Like This", self.more_like_selected)
        self.context_menu = menu
        return menu

    def _on_view_context_menu_requested(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return
        self.view.setCurrentIndex(index)
        menu = self.result_menu(index.row())
        if menu is not None:
            menu.popup(self.view.viewport().mapToGlobal(pos))

    def _on_view_double_clicked(self, index: QModelIndex) -> None:
        if self.results.hit_at(index.row()) is not None:
            self.open_record()

    def _enable_actions(self, *_args: object) -> None:
        has = self.selected_hit() is not None
        for button in (self.graph_button, self.like_button):
            button.setEnabled(has)
        self.open_button.setEnabled(has and self.paused is None)  # a new tab would read its rows

    # --- reacting ------------------------------------------------------------------------------------

    def _on_query_text_edited(self, _text: str) -> None:
        self.like_source = None
        self.query.setPlaceholderText(PLACEHOLDER)
        self._cancel()  # the search before this keystroke is no longer wanted
        self.debounce.start()

    def _on_option_changed(self, *_args: object) -> None:
        if self.query.text().strip() or self.like_source is not None:
            self.search_now()

    def _on_targets_changed(self) -> None:
        """A new choice of what is searched: its filter bar, provider and stale rows."""
        self._show_filter_bar()
        self.stale_bar.set_columns([(e, c) for e, c in self.targets() if c is not None])

    def _on_stale_bar_failed(self, message: str) -> None:
        # The stop may come back during the pause or just after it: the note outlives the next search.
        migration = message in (STOPPED_FOR_MIGRATION, STOPPED_BY_MIGRATION)
        self._stopped_note = STOPPED_BY_MIGRATION if migration else None
        self._say(message, error=True)

    def _on_stale_bar_reembedded(self, written: int) -> None:
        self._stopped_note = None
        self._say(f"Re-embedded {written:,} rows.")
        self._on_option_changed()  # the answer on screen may have moved

    def _on_target_box_changed(self, _index: int) -> None:
        self._on_targets_changed()
        if self.like_source is not None and self.like_source[0] not in {e for e, _c in self.targets()}:
            self.like_source = None  # "more like" a row of another entity: nothing to show here
        self._on_option_changed()

    def _on_filter_bar_changed(self, _filters: list[Any], _quick: str) -> None:
        self._on_option_changed()

    def _on_open_db_database_changed(self, _db: Database | None) -> None:
        self._cancel()
        self.like_source = None
        self.results.set_answer(None)
        self.fill_targets()

    def _on_open_db_catalog_changed(self, _change: object) -> None:
        self.fill_targets()
        self._on_option_changed()  # a query typed while the catalog loaded is searched now

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE if error else "")
