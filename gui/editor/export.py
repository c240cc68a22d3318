"""Export the current view (filters and sort applied) to CSV or JSON, streamed in a worker with progress."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QWidget

from core.catalog import Catalog
from core.db import Database
from core.exporting import ExportResult, export_file
from core.repository import Filter, Sort
from gui import workers

FILE_FILTERS = {"csv": "CSV files (*.csv)", "json": "JSON files (*.json)"}
POLL_MS = 100


@dataclass
class ExportRequest:
    """What to export: an entity with the view's sort, filters and quick filter, and its row count."""

    entity: str
    sort: Sort | None = None
    filters: list[Filter] = field(default_factory=list)
    quick: str | None = None
    total: int | None = None  # the view's row count, for the progress bar (None: unknown)


def format_for(path: str, selected_filter: str = "") -> str:
    """'json' or 'csv', from the file's suffix, else from the chosen file-dialog filter."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in FILE_FILTERS:
        return suffix
    return "json" if "json" in selected_filter.lower() else "csv"


def ask_export_path(parent: QWidget | None, entity: str) -> tuple[str, str] | None:
    """Ask where to export; (path, format), or None when the user cancelled."""
    path, chosen = QFileDialog.getSaveFileName(
        parent, f"Export {entity}", f"{entity}.csv", ";;".join(FILE_FILTERS.values())
    )
    if not path:
        return None
    fmt = format_for(path, chosen)
    if not Path(path).suffix:
        path += f".{fmt}"
    return path, fmt


class ExportJob(QObject):
    """One export running in a worker, with a progress dialog whose Cancel stops it between rows."""

    finished = Signal(object)  # ExportResult (cancelled=True when cancelled; the partial file is gone)
    failed = Signal(str)

    def __init__(
        self, db: Database, catalog: Catalog, request: ExportRequest, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.db, self.catalog, self.request = db, catalog, request
        self.cancel_event = threading.Event()
        self.written = 0  # rows written so far; set on the worker thread, read by the poll timer
        self.result: ExportResult | None = None
        self.error: str | None = None
        self.progress = QProgressDialog(f"Exporting {request.entity}…", "Cancel", 0, 0, parent)
        self.progress.setObjectName("exportProgress")
        self.progress.setWindowTitle("Export")
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setMinimumDuration(300)
        self.progress.setAutoClose(False)
        self.progress.setAutoReset(False)
        self.progress.canceled.connect(self._on_progress_canceled)
        self.progress.reset()  # a fresh QProgressDialog shows itself after minimumDuration otherwise
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    @property
    def running(self) -> bool:
        """Whether the worker has not reported back yet."""
        return self._timer.isActive()

    def start(self, path: str, fmt: str) -> None:
        """Start writing `path` in `fmt` ('csv' or 'json')."""
        total = self.request.total or 0
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(0)
        self.progress.setLabelText(f"Exporting {self.request.entity} to {Path(path).name}…")
        self._timer.start()
        r = self.request
        workers.run(
            export_file,
            self.db,
            self.catalog,
            r.entity,
            path,
            fmt,
            sort=r.sort,
            filters=list(r.filters),
            quick=r.quick,
            cancel=self.cancel_event,
            on_row=self._count,
            on_done=self._on_export_done,
            on_error=self._on_export_failed,
            owner=self,
        )

    def cancel(self) -> None:
        """Stop at the next row; the partial file is removed."""
        self.cancel_event.set()
        self.progress.setLabelText("Cancelling…")

    def _count(self, n: int) -> None:
        """Called on the worker thread after every row."""
        self.written = n

    def _on_timer_timeout(self) -> None:
        total = self.request.total or 0
        if total and self.written > total:
            self.progress.setMaximum(self.written)  # the count was an estimate
        if total:
            self.progress.setValue(self.written)
        self.progress.setLabelText(f"Exporting {self.request.entity}: {self.written:,} rows…")

    def _on_progress_canceled(self) -> None:
        self.cancel()

    def _finish(self) -> None:
        self._timer.stop()
        self.progress.canceled.disconnect(self._on_progress_canceled)
        self.progress.reset()
        self.progress.hide()

    def _on_export_done(self, result: ExportResult) -> None:
        self._finish()
        self.result = result
        self.finished.emit(result)

    def _on_export_failed(self, failure: workers.Failure) -> None:
        self._finish()
        self.error = failure.message
        if failure.bug:
            workers.report_bug(failure)
        self.failed.emit(failure.message)


def export_view(
    db: Database, catalog: Catalog, request: ExportRequest, parent: QWidget | None
) -> ExportJob | None:
    """Ask for a file, then start exporting into it; the running job, or None if the user cancelled."""
    chosen = ask_export_path(parent, request.entity)
    if chosen is None:
        return None
    job = ExportJob(db, catalog, request, parent)
    job.start(*chosen)
    return job
