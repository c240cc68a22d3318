"""New demo database: ask for a file, build it on a worker with a progress dialog, then hand it back."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QWidget

from core.bootstrap import create_demo_database
from gui.runtime import workers

SQLITE_SAVE_FILTER = "SQLite databases (*.db *.sqlite);;All files (*)"

#: Given the build to run, runs it when the open database may be left (at once, later, or never).
Guard = Callable[[Callable[[], None]], None]


def _go_on(build: Callable[[], None]) -> None:
    build()


class _ProgressRelay(QObject):
    """Lives on the GUI thread; the worker's progress calls emit on it and Qt queues them over."""

    advanced = Signal(str, int, int)  # table, rows written, rows planned

    def report(self, table: str, done: int, total: int) -> None:
        """Called on the worker thread."""
        if shiboken6.isValid(self):
            self.advanced.emit(table, done, total)


class DemoBuilder(QObject):
    """Builds one demo database at a path with progress; `built(path)` or `failed(message)` follows."""

    built = Signal(str)
    failed = Signal(str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self._relay = _ProgressRelay(self)
        self._relay.advanced.connect(self._on_relay_advanced)
        self.progress: QProgressDialog | None = None
        # The window's Save / Discard / Cancel about staged edits, asked before anything is built.
        self.guard: Guard = _go_on

    def ask_and_build(self, start_folder: str) -> None:
        """Ask where to put the new database, then build it there."""
        path, _ = QFileDialog.getSaveFileName(
            self._parent, "New Demo Database", str(Path(start_folder) / "warden-demo.db"), SQLITE_SAVE_FILTER
        )
        if path:
            self.build(path)

    def build(self, path: str, *, scale: int = 1) -> None:
        """Create, migrate and seed `path` on a worker while a progress dialog shows how far it got."""
        if Path(path).exists() and Path(path).stat().st_size > 0:
            self.failed.emit(f"{path} already exists; choose a new file for the demo database.")
            return
        self.guard(functools.partial(self._start, path, scale))

    def _start(self, path: str, scale: int) -> None:
        self.progress = QProgressDialog("Creating the schema…", "", 0, 0, self._parent)
        self.progress.setWindowTitle("New Demo Database")
        self.progress.setCancelButton(None)  # seeding is one transaction: stopping halfway helps no one
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setMinimumDuration(0)
        self.progress.show()
        workers.run(
            create_demo_database,
            path,
            scale=scale,
            progress=self._relay.report,
            on_done=lambda _counts: self._finish(path, None),
            on_error=lambda failure: self._finish(path, failure),
            on_aborted=self._close_progress,  # the crash handler says why
            owner=self,
            key="demo",
        )

    def _on_relay_advanced(self, table: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress.setLabelText(f"Writing {table}: {done:,} of {total:,} rows")
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(min(done, total))

    def _close_progress(self) -> None:
        if self.progress is not None:
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None

    def _finish(self, path: str, failure: workers.Failure | None) -> None:
        self._close_progress()
        if failure is None:
            self.built.emit(path)
            return
        self.failed.emit(failure.message)
