"""The default database's embeddings, filled in the background once the window is up.

The seeder leaves vector columns empty (embedding a thousand texts takes a while on a laptop), so when the
default database's catalog has loaded, the world entities' rows without a vector are embedded on a worker
(core/search/reembed.py's fill_missing) with the worker door's progress channel: the status bar says
"Embedding N rows… x%" beside a Cancel button. Start-up never waits for it; without the model package it
does nothing (the search panel says how to install it). A cancel keeps the batches already written.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QStatusBar, QToolButton, QWidget

from core.progress import Progress
from gui.runtime import workers

if TYPE_CHECKING:
    from core.engine.db import Database
    from core.progress import TaskState
    from core.schema.catalog import Catalog
    from gui.runtime.open_database import CatalogChange, OpenDatabase

log = logging.getLogger("warden.gui.search.embed_fill")

#: Rows per batch of the background fill: small, so that Cancel (and quitting) waits a second or two at most.
FILL_BATCH = 64


def fill_world(db: Database, catalog: Catalog, *, state: TaskState | None = None) -> int:
    """On a worker: embed the world rows without a vector (none when the model is not installed)."""
    from core.search.embeddings import local_embedder, model_problem
    from core.search.reembed import fill_missing

    if model_problem() is not None:
        return -1  # no model: nothing to fill with, and nothing to say at start-up
    return fill_missing(db, catalog, local_embedder, state=state, batch_rows=FILL_BATCH)


def is_default(db: Database) -> bool:
    """Whether `db` is Warden's own default database (the demo built on first run)."""
    from core.paths import default_database

    if db.backend != "sqlite" or not db.url.database:
        return False
    try:
        return Path(db.url.database).resolve() == default_database().resolve()
    except OSError:
        return False


class EmbedFill(QObject):
    """Fills the default database's missing embeddings on a worker; its progress and Cancel in `widget`."""

    def __init__(self, open_db: OpenDatabase, status: QStatusBar, parent: QWidget) -> None:
        super().__init__(parent)
        self.open_db, self.status = open_db, status
        self.task: workers.Task | None = None
        self.widget = QWidget()
        self.widget.setObjectName("embedFill")
        row = QHBoxLayout(self.widget)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        self.label = QLabel()
        self.label.setObjectName("embedFillLabel")
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop embedding; the rows embedded so far keep their vectors")
        self.cancel_button.clicked.connect(self.cancel)
        row.addWidget(self.label)
        row.addWidget(self.cancel_button)
        self.widget.hide()
        open_db.catalog_changed.connect(self._on_open_db_catalog_changed)
        open_db.database_changed.connect(self._on_open_db_database_changed)

    @property
    def running(self) -> bool:
        """Whether a fill is under way."""
        return self.task is not None

    def start(self, db: Database, catalog: Catalog) -> None:
        """Fill the world rows of `db` that have no vector, on a worker (one fill at a time)."""
        if self.task is not None or db.capabilities.read_only:
            return
        self.task = workers.run(
            fill_world, db, catalog,
            on_done=self._on_done, on_error=self._on_error, on_aborted=self._finish,
            on_progress=self._on_progress, owner=self, key="embed-fill",
        )  # fmt: skip

    def cancel(self) -> None:
        """Stop at the next batch; what is written stays."""
        if self.task is not None:
            self.task.stop()
            self.label.setText("Stopping the embedding…")
            self.cancel_button.setEnabled(False)

    def _on_open_db_catalog_changed(self, change: CatalogChange) -> None:
        db = self.open_db.database
        if change.first and db is not None and is_default(db):
            self.start(db, change.catalog)

    def _on_open_db_database_changed(self, _db: Database | None) -> None:
        if self.task is not None:  # another database: this one's fill stops at its next batch
            self.task.cancel()
            self._finish()

    def _on_progress(self, p: Progress) -> None:
        if not p.total:
            return
        self.label.setText(f"Embedding {p.total:,} rows… {min(p.done / p.total, 1.0):.0%}")
        self.cancel_button.setEnabled(True)
        self.widget.show()

    def _on_done(self, written: int) -> None:
        self._finish()
        if written > 0:
            self.status.showMessage(f"Embedded {written:,} rows: search by meaning is ready.", 8000)
        elif written < 0:
            log.info("the embedding model is not installed: the default database's vectors stay empty")

    def _on_error(self, failure: workers.Failure) -> None:
        self._finish()
        if failure.cancelled:
            self.status.showMessage("Embedding stopped; the rows embedded so far keep their vectors.", 8000)
        else:
            self.status.showMessage(f"Embedding stopped: {failure.message}", 10_000)

    def _finish(self) -> None:
        self.task = None
        self.widget.hide()
        self.cancel_button.setEnabled(True)


def attach(window: QMainWindow) -> EmbedFill:
    """Give the main window its background fill: started when the default database's catalog has loaded,
    shown among the status bar's permanent widgets (the window owns it)."""
    from gui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    fill = EmbedFill(window.open_db, window.statusBar(), window)
    fill.setObjectName("embedFillController")
    window.statusBar().addPermanentWidget(fill.widget)
    return fill
