"""The search panel's embedding row: the provider of the searched vector column (remembered per database and
column), an "N stale" badge, and "Re-embed stale" with its progress and Cancel.

Counting is one query per column (core/search/stale.py) on a worker; re-embedding runs on a worker in
batches through the worker door's progress channel, each batch its own transaction, so Cancel keeps what
is done. A database Warden did not create is asked before the embedding state table is added to it.
While a migration runs it is paused (set_paused, from gui/migrate/watch.py): it counts nothing and offers
nothing (provider, re-embed, the on-save setting are off; it counts again when the run ends), and a re-embed
under way is stopped between batches as its Cancel stops it, the batches written keeping their vectors: the
migration the person started goes ahead instead of waiting behind a background job, whose rows stay stale
to be re-embedded after it (and its column may be gone by then). Its progress and Cancel stay usable.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QToolButton,
    QWidget,
)

from gui.migrate.pausable import Pause
from gui.runtime import workers
from gui.safety.state import locked_reason
from gui.search import jobs, providers
from gui.search.providers import HTTP, ProviderChoice

if TYPE_CHECKING:
    from core.progress import Progress
    from core.search.stale import StaleCount
    from gui.runtime.open_database import OpenDatabase

log = logging.getLogger("warden.gui.search.stale")
REEMBED_TIP = "Embed the stale rows again in the background; Cancel keeps what is done"
STOPPED = "Re-embedding stopped; the rows embedded so far keep their vectors."
STOPPED_FOR_MIGRATION = (
    "Re-embedding stopped for the migration; the rows embedded so far keep their vectors. "
    "Re-embed the rest when it ends."
)
#: Said once the migration has ended (STOPPED_FOR_MIGRATION asked to wait for it).
STOPPED_BY_MIGRATION = (
    "Re-embedding was stopped for the migration; the rows embedded so far keep their vectors. "
    "Press Re-embed stale to embed the rest."
)

OTHER_SERVICE = "other"  # the provider box's item that asks for a service
BADGE_STYLE = (
    "QLabel { background: %s; color: white; border-radius: 8px; padding: 1px 8px; font-weight: 600; }"
)
STALE_COLOR, FRESH_COLOR = "#b3541e", "#2e7d32"
STALE_TIP = (
    "Stale rows need their vectors made again: they have no vector, or their text (or the provider's "
    "model) changed since they were embedded, so searching by meaning misses or misplaces them."
)


class ServiceDialog(QDialog):
    """Asks for an OpenAI-compatible embedding service: its base URL and model (the key is in the keyring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Embedding service")
        self.url = QLineEdit()
        self.url.setPlaceholderText("http://localhost:11434/v1")
        self.model = QLineEdit()
        self.model.setPlaceholderText("nomic-embed-text")
        form = QFormLayout(self)
        form.addRow("Base URL", self.url)
        form.addRow("Model", self.model)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def choice(self) -> ProviderChoice | None:
        """The service entered, or None when a field is empty."""
        url, model = self.url.text().strip(), self.model.text().strip()
        return ProviderChoice(HTTP, url, model) if url and model else None


class StaleBar(QWidget):
    """Provider, stale badge and re-embed for the panel's current vector columns."""

    counted = Signal()  # the badge shows fresh counts
    reembedded = Signal(int)  # a re-embed finished: the rows written
    failed = Signal(str)  # a message a person can act on

    def __init__(self, open_db: OpenDatabase, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("staleBar")
        self.open_db = open_db
        self.columns: list[tuple[str, str]] = []
        self.counts: list[StaleCount] = []
        self.count_task: workers.Task | None = None
        self.pause = Pause()  # a migration runs: nothing is counted (asked: a count runs after it)
        self._stopped_by_pause = False  # the re-embed under way was stopped because a migration started
        self.task: workers.Task | None = None
        self.start_when_listed = False  # the state table was just created: re-embed once the catalog lists it
        self.provider_box = QComboBox()
        self.provider_box.setObjectName("searchProvider")
        self.provider_box.setToolTip("Which embedding provider makes this column's vectors (remembered)")
        self.badge = QLabel()
        self.badge.setObjectName("staleBadge")
        self.badge.setToolTip(STALE_TIP)
        self.reembed_button = QPushButton("Re-embed stale")
        self.reembed_button.setObjectName("reembedStale")
        self.reembed_button.setToolTip(REEMBED_TIP)
        self.more_button = QToolButton()  # the rarer choice, a menu away: every row again (a new model)
        self.more_button.setObjectName("reembedMore")
        self.more_button.setText("…")
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        more = QMenu(self.more_button)
        self.reembed_all_action = more.addAction("Re-embed All Rows")
        self.reembed_all_action.setObjectName("reembedAll")
        self.reembed_all_action.setToolTip("Embed every row of the columns shown again, whatever its state")
        more.setToolTipsVisible(True)
        self.more_button.setMenu(more)
        self.more_button.setToolTip("More ways to re-embed")
        self.every_row = False  # the run under way re-embeds every row, not only the stale ones
        self.on_save_box = QCheckBox("Re-embed on save")
        self.on_save_box.setObjectName("reembedOnSave")
        self.on_save_box.setToolTip(
            "After a save in a table, embed the saved rows whose text changed again, in the background "
            "(remembered for this database)"
        )
        self.progress = QProgressBar()
        self.progress.setObjectName("reembedProgress")
        self.progress.setMaximumWidth(220)
        self.cancel_button = QToolButton()
        self.cancel_button.setObjectName("reembedCancel")
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop re-embedding; the rows embedded so far keep their vectors")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Provider"))
        row.addWidget(self.provider_box, 1)
        row.addWidget(self.badge)
        row.addWidget(self.reembed_button)
        row.addWidget(self.more_button)
        row.addWidget(self.progress)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        row.addWidget(self.on_save_box)
        self.progress.hide()
        self.cancel_button.hide()
        self.badge.hide()
        self.reembed_button.setEnabled(False)
        self.provider_box.activated.connect(self._on_provider_box_activated)
        self.reembed_button.clicked.connect(self.reembed)
        self.reembed_all_action.triggered.connect(self.reembed_all)
        self.cancel_button.clicked.connect(self.cancel)
        self.on_save_box.toggled.connect(self._on_on_save_box_toggled)
        open_db.catalog_changed.connect(self._on_open_db_catalog_changed)
        #: Rows per batch of a re-embed (None: core's default); each batch is one transaction.
        self.batch_rows: int | None = None
        #: Asked before the embedding state table is added to a database without one (tests answer it).
        self.ask_to_track = self._ask_to_track

    # --- which columns ----------------------------------------------------------------------------------

    def database_name(self) -> str:
        """The open database as settings name it (its display URL: never a password)."""
        db = self.open_db.database
        return db.display_url if db is not None else ""

    def set_columns(self, columns: list[tuple[str, str]]) -> None:
        """Show the provider and stale rows of these (entity, vector column) pairs; count them again."""
        self.columns = list(columns)
        self._fill_providers()
        self._show_on_save()
        self.refresh()

    def provider_of(self, entity: str, column: str) -> ProviderChoice:
        """The provider remembered for one column of the open database."""
        return providers.remembered(self.database_name(), entity, column)

    def query_provider(self) -> ProviderChoice | None:
        """The service that embeds a query for the columns shown, when they all use the same one; None for
        the local model (loaded by the panel, with its message)."""
        chosen = {self.provider_of(e, c) for e, c in self.columns}
        only = chosen.pop() if len(chosen) == 1 else None
        return only if only is not None and only.kind == HTTP else None

    def choose_provider(self, choice: ProviderChoice) -> None:
        """Use `choice` for the one column shown, remember it, and count its stale rows again."""
        if len(self.columns) != 1:
            return
        entity, column = self.columns[0]
        providers.remember(self.database_name(), entity, column, choice)
        self._fill_providers()
        self.refresh()

    def _fill_providers(self) -> None:
        box = self.provider_box
        box.blockSignals(True)
        try:
            box.clear()
            if len(self.columns) != 1:
                box.addItem("Each column's own provider", None)
                box.setEnabled(False)
                return
            box.setEnabled(not self.paused)
            current = self.provider_of(*self.columns[0])
            choices = [ProviderChoice(), *providers.known_services()]
            if current not in choices:
                choices.append(current)
            for choice in choices:
                box.addItem(choice.label, choice)
            box.addItem("Other service…", OTHER_SERVICE)
            box.setCurrentIndex(choices.index(current))
        finally:
            box.blockSignals(False)

    def _on_provider_box_activated(self, index: int) -> None:
        data = self.provider_box.itemData(index)
        if isinstance(data, ProviderChoice):
            self.choose_provider(data)
            return
        dialog = ServiceDialog(self)
        chosen = dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None
        dialog.deleteLater()
        if chosen is not None:
            self.choose_provider(chosen)
        else:
            self._fill_providers()  # back to the column's provider

    def _show_on_save(self) -> None:
        from gui.search.save_reembed import reembed_on_save

        db = self.open_db.database
        self.on_save_box.blockSignals(True)
        try:
            self.on_save_box.setEnabled(db is not None and not self.paused)
            self.on_save_box.setChecked(
                db is not None and reembed_on_save(db.display_url, self.open_db.catalog)
            )
        finally:
            self.on_save_box.blockSignals(False)

    def _on_on_save_box_toggled(self, on: bool) -> None:
        from gui.search.save_reembed import set_reembed_on_save

        if self.open_db.database is not None:
            set_reembed_on_save(self.open_db.database.display_url, on)

    # --- counting ---------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Count the stale rows of the columns on a worker (the badge keeps its number until then); while
        paused, once the pause ends."""
        if self.paused:
            self.pause.asked = True
            return
        db, catalog = self.open_db.database, self.open_db.catalog
        if self.count_task is not None and not self.count_task.finished:
            self.count_task.cancel()
        self.count_task = None
        if db is None or catalog is None or not self.columns:
            self.counts = []
            self._show()
            return
        models = [self.provider_of(e, c).model_name for e, c in self.columns]
        self.count_task = workers.run(
            jobs.count_stale, db, catalog, list(self.columns), models,
            on_done=self._on_counted, on_error=self._on_count_failed, owner=self, key="stale-count",
        )  # fmt: skip

    @property
    def paused(self) -> bool:
        """Whether a migration runs (set_paused): nothing is counted or offered meanwhile."""
        return self.pause.reason is not None

    def set_paused(self, reason: str | None) -> None:
        """A migration runs (`reason`) or has ended (None): count nothing and offer nothing meanwhile; a
        re-embed under way stops at its next batch (the bar itself stays enabled: its Cancel and progress)."""
        if not self.pause.turn(reason):
            return
        if self.paused and self.count_task is not None and not self.count_task.finished:
            self.count_task.cancel()
            self.pause.asked = True
        if self.paused and self.task is not None:
            self._stopped_by_pause = True
            self.cancel()  # as its Cancel: the batches written stay, the migration does not wait for it
        if self.paused:
            for control in (self.provider_box, self.reembed_button, self.more_button, self.on_save_box):
                control.setEnabled(False)
        else:
            self._fill_providers()
            self._show_on_save()
            self._show()
            if self.pause.take_asked():
                self.refresh()

    def _on_counted(self, counts: list[StaleCount]) -> None:
        self.count_task = None
        self.counts = counts
        self._show()
        self.counted.emit()

    def _on_count_failed(self, failure: workers.Failure) -> None:
        self.count_task = None
        self.counts = []
        self._show()
        log.info("stale rows not counted: %s", failure.message)

    @property
    def stale(self) -> int:
        """The stale rows of the columns shown, at the last count."""
        return sum(c.stale for c in self.counts)

    def _show(self) -> None:
        if not self.counts:
            self.badge.hide()
            self.reembed_button.setEnabled(False)
            self.more_button.setEnabled(self.task is None and not self.paused)  # as it was before a pause
            return
        stale = self.stale
        self.badge.setText(f"{stale:,} stale" if stale else "Up to date")
        self.badge.setStyleSheet(BADGE_STYLE % (STALE_COLOR if stale else FRESH_COLOR))
        self.badge.setToolTip(STALE_TIP + "\n\n" + "\n".join(_count_line(c) for c in self.counts))
        self.badge.show()
        db = self.open_db.database
        locked = locked_reason(db) if db is not None and db.capabilities.read_only else ""  # issue 12
        idle = self.task is None and not self.paused
        self.reembed_button.setEnabled(bool(stale) and idle and not locked)
        self.reembed_button.setToolTip(locked or REEMBED_TIP)
        self.more_button.setEnabled(idle and not locked)
        self.more_button.setToolTip(locked or "More ways to re-embed")

    # --- re-embedding -----------------------------------------------------------------------------------

    def reembed_all(self) -> None:
        """Re-embed every row of the columns shown (after a change of model, say), like reembed."""
        self.reembed(every_row=True)

    def reembed(self, *_args: object, every_row: bool = False) -> None:
        """Re-embed the stale rows (or all) of the columns shown, on a worker, with progress and Cancel."""
        db, catalog = self.open_db.database, self.open_db.catalog
        if db is None or catalog is None or not self.columns or self.task is not None or self.paused:
            return
        self.every_row = every_row
        if any(not c.tracked for c in self.counts) and self.ask_to_track():
            from core.search.stale import ensure_state_table

            self.reembed_button.setEnabled(False)
            self.start_when_listed = True
            self.open_db.change_schema(ensure_state_table, on_error=self._on_track_failed)
            return
        self._start()

    def _start(self) -> None:
        db, catalog = self.open_db.database, self.open_db.catalog
        if db is None or catalog is None:
            return
        if self.paused:  # its state table was made, then a migration started: nothing is written meanwhile
            self._show()
            self.failed.emit("Not re-embedded: a migration is running. Re-embed the rows when it ends.")
            return
        chosen = [self.provider_of(e, c) for e, c in self.columns]
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()
        self.reembed_button.setEnabled(False)
        self.more_button.setEnabled(False)
        self.task = workers.run(
            jobs.reembed_stale, db, catalog, list(self.columns), chosen, batch_rows=self.batch_rows,
            every_row=self.every_row,
            on_done=self._on_done, on_error=self._on_failed, on_aborted=self._finish,
            on_progress=self._on_progress, owner=self, key="reembed-stale",
        )  # fmt: skip

    def _on_open_db_catalog_changed(self, _change: object) -> None:
        if self.start_when_listed:
            self.start_when_listed = False
            self._start()

    def _on_track_failed(self, failure: workers.Failure) -> None:
        self.start_when_listed = False
        self._show()
        self.failed.emit(f"The embedding state table was not created: {failure.message}")

    def showEvent(self, event: QShowEvent) -> None:
        """Count again when the panel is shown: rows may have changed while another tab was in front."""
        super().showEvent(event)
        if self.columns and self.task is None:
            self.refresh()

    def cancel(self) -> None:
        """Stop at the next batch; the rows written keep their vectors."""
        if self.task is not None:
            self.task.stop()
            self.cancel_button.setEnabled(False)
            self.progress.setFormat("Stopping…")

    def _on_progress(self, p: Progress) -> None:
        if p.total:
            self.progress.setRange(0, p.total)
            self.progress.setValue(min(p.done, p.total))
            self.progress.setFormat("%v of %m rows")

    def _on_done(self, written: int) -> None:
        self._finish()  # its last batch ended before the stop was looked at: no "stopped" to say
        self.reembedded.emit(written)

    def _on_failed(self, failure: workers.Failure) -> None:
        stopped_by_pause = self._stopped_by_pause
        self._finish()
        if failure.cancelled and stopped_by_pause:  # the migration may have ended before the stop came back
            self.failed.emit(STOPPED_FOR_MIGRATION if self.paused else STOPPED_BY_MIGRATION)
        elif failure.cancelled:
            self.failed.emit(STOPPED)
        else:
            self.failed.emit(f"Re-embedding stopped: {failure.message}")

    def _finish(self) -> None:
        self.task = None
        self._stopped_by_pause = False
        self.progress.hide()
        self.progress.setFormat("%p%")
        self.cancel_button.hide()
        self.refresh()

    def _ask_to_track(self) -> bool:
        answer = QMessageBox.question(
            self,
            "Track embedded text",
            "To find rows whose text changed after they were embedded, Warden keeps the hash of each "
            "embedded text in a table of its own (warden_embedding_state) in this database.\n\n"
            "Add it? Without it only rows with no vector are re-embedded.",
        )
        return answer == QMessageBox.StandardButton.Yes


def _count_line(c: StaleCount) -> str:
    """One column's counts for the badge's tooltip."""
    parts = [f"{c.missing:,} without a vector"]
    parts.append(f"{c.changed:,} changed since embedded" if c.tracked else "changes not tracked")
    if c.untracked:
        parts.append(f"{c.untracked:,} embedded elsewhere (left alone)")
    return f"{c.entity}.{c.column}: " + ", ".join(parts)
