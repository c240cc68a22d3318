"""Export the current view (filters and sort applied) to CSV or JSON, streamed in a worker with progress.

The save dialog's file types carry the one export option: "CSV for Excel" starts the file with a UTF-8
byte-order mark so that Excel reads non-ASCII text (the default type on Windows, as in Excel's own "CSV
UTF-8"). Core modules (and with them SQLAlchemy) are imported only where an export runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QWidget

from gui.runtime import workers

if TYPE_CHECKING:
    from core.data.exporting import ExportResult
    from core.data.query import Filter, Sort
    from core.engine.db import Database
    from core.progress import Progress
    from core.schema.catalog import Catalog

CSV_FILTER = "CSV, UTF-8 (*.csv)"
CSV_BOM_FILTER = "CSV for Excel, UTF-8 with byte-order mark (*.csv)"
JSON_FILTER = "JSON (*.json)"
FILE_FILTERS = (CSV_FILTER, CSV_BOM_FILTER, JSON_FILTER)


@dataclass
class ExportRequest:
    """What to export: an entity with the view's sort, filters and quick filter, and its row count."""

    entity: str
    sort: Sort | None = None
    filters: list[Filter] = field(default_factory=list)
    quick: str | None = None
    total: int | None = None  # the view's row count, for the progress bar (None: unknown)


class ExportTarget(NamedTuple):
    """Where and how to write: the file, 'csv' or 'json', and whether CSV starts with a byte-order mark."""

    path: str
    fmt: str
    bom: bool = False


def default_filter(windows: bool | None = None) -> str:
    """The file type the save dialog starts on: CSV for Excel on Windows, plain UTF-8 CSV elsewhere."""
    if windows is None:
        import sys

        windows = sys.platform == "win32"  # core.data.exporting.default_bom's rule, without loading core here
    return CSV_BOM_FILTER if windows else CSV_FILTER


def format_for(path: str, selected_filter: str = "") -> str:
    """'json' or 'csv', from the file's suffix, else from the chosen file-dialog filter."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in ("csv", "json"):
        return suffix
    return "json" if "json" in selected_filter.lower() else "csv"


def target_for(path: str, selected_filter: str) -> ExportTarget:
    """The export target for what the save dialog returned: format, a missing suffix added, the BOM choice."""
    fmt = format_for(path, selected_filter)
    if not Path(path).suffix:
        path += f".{fmt}"
    return ExportTarget(path, fmt, bom=fmt == "csv" and selected_filter == CSV_BOM_FILTER)


def default_file_name(entity: str) -> str:
    """The file name first offered for an entity's export: characters no file name may hold on Windows
    or elsewhere (a slash would name a folder) become '_'."""
    name = "".join("_" if c in _NOT_IN_FILE_NAMES or ord(c) < 32 else c for c in entity).strip(" .")
    return f"{name or 'export'}.csv"


_NOT_IN_FILE_NAMES = frozenset('/\\:*?"<>|')


def ask_export_path(parent: QWidget | None, entity: str) -> ExportTarget | None:
    """Ask where and how to export; None when the user cancelled."""
    from core.paths import documents_dir  # starts in Documents, never the current (program's) folder

    start = default_filter()
    suggested = str(documents_dir() / default_file_name(entity))
    path, chosen = QFileDialog.getSaveFileName(
        parent, f"Export {entity}", suggested, ";;".join(FILE_FILTERS), start
    )
    if not path:
        return None
    return target_for(path, chosen or start)


class ExportJob(QObject):
    """One export running in a worker, with a progress dialog whose Cancel stops it between batches.

    Progress comes through the worker door's task state (core/progress.py), throttled on the GUI thread.
    """

    finished = Signal(object)  # ExportResult (cancelled=True when cancelled; no file was left)
    failed = Signal(str)
    aborted = Signal()  # stopped by a bug: the crash handler says why
    progressed = Signal(int)  # rows written so far (throttled by the worker door)

    def __init__(
        self, db: Database, catalog: Catalog, request: ExportRequest, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.db, self.catalog, self.request = db, catalog, request
        self.written = 0  # rows written so far, as last reported
        self.result: ExportResult | None = None
        self.error: str | None = None
        self.task: workers.Task | None = None
        self._cancel_asked = False
        self._running = False
        self.progress = QProgressDialog(f"Exporting {request.entity}…", "Cancel", 0, 0, parent)
        self.progress.setObjectName("exportProgress")
        self.progress.setWindowTitle("Export")
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setMinimumDuration(300)
        self.progress.setAutoClose(False)
        self.progress.setAutoReset(False)
        self.progress.canceled.connect(self._on_progress_canceled)
        self.progress.reset()  # a fresh QProgressDialog shows itself after minimumDuration otherwise

    @property
    def running(self) -> bool:
        """Whether the worker has not reported back yet."""
        return self._running

    def start(self, path: str, fmt: str, *, bom: bool = False) -> None:
        """Start writing `path` in `fmt` ('csv' or 'json'); `bom` starts CSV with a UTF-8 byte-order mark."""
        from core.data.exporting import ExportResult, export_file

        total = self.request.total or 0
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(0)
        self.progress.setLabelText(f"Exporting {self.request.entity} to {Path(path).name}…")
        self._running = True
        if self._cancel_asked:  # cancelled before it began: nothing to write, nothing to remove
            cancelled = ExportResult(str(Path(path)), 0, cancelled=True)
            QTimer.singleShot(0, self, lambda: self._on_export_done(cancelled))
            return
        r = self.request
        self.task = workers.run(
            export_file,
            self.db,
            self.catalog,
            r.entity,
            path,
            fmt,
            sort=r.sort,
            filters=list(r.filters),
            quick=r.quick,
            bom=bom,
            on_progress=self._on_export_progress,
            on_done=self._on_export_done,
            on_error=self._on_export_failed,
            on_aborted=self._on_export_aborted,
            owner=self,
        )

    def cancel(self) -> None:
        """Stop before the next batch of rows; no file is left (an existing one is kept as it was)."""
        self._cancel_asked = True
        if self.task is not None:
            self.task.stop()
        self.progress.setLabelText("Cancelling…")

    def _on_export_progress(self, progress: Progress) -> None:
        self.written = progress.done
        total = self.request.total or 0
        if total and self.written > total:
            self.progress.setMaximum(self.written)  # the count was an estimate
        if total:
            self.progress.setValue(self.written)
        if not self._cancel_asked:
            self.progress.setLabelText(f"Exporting {self.request.entity}: {self.written:,} rows…")
        self.progressed.emit(self.written)

    def _on_progress_canceled(self) -> None:
        self.cancel()

    def _finish(self) -> None:
        self._running = False
        self.task = None
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
        self.failed.emit(failure.message)

    def _on_export_aborted(self) -> None:
        self._finish()
        self.aborted.emit()


def export_view(
    db: Database, catalog: Catalog, request: ExportRequest, parent: QWidget | None
) -> ExportJob | None:
    """Ask for a file, then start exporting into it; the running job, or None if the user cancelled."""
    chosen = ask_export_path(parent, request.entity)
    if chosen is None:
        return None
    target = ExportTarget(*chosen)
    job = ExportJob(db, catalog, request, parent)
    job.start(target.path, target.fmt, bom=target.bom)
    return job
