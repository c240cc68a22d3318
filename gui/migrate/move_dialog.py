"""Move to PostgreSQL…: the open SQLite database copied into a PostgreSQL database (a URL or a saved
connection profile), table by table with progress and Cancel, then verified by counts and checksums, with
an offer to open the copy. A dry run makes the target's tables and copies no row.

The copy runs on a worker (gui/runtime/workers.py) that opens the target itself; the GUI thread only shows
what the worker reports. An interrupted copy resumes where it stopped when it is run again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.runtime import workers

if TYPE_CHECKING:
    from core.audit.profiles import Profile
    from core.engine.db import Database
    from core.migrate.copy import CopyResult, TableCopy
    from core.progress import Progress, TaskState
    from gui.runtime.open_database import OpenDatabase

DANGER = QColor("#b3261e")
GOOD = QColor("#1e6b32")
#: The hint in the empty target field.
URL_HINT = "postgresql+psycopg://user@host:5432/database"


@dataclass(frozen=True)
class MoveRequest:
    """Where to copy: a URL typed in, or a saved profile (its password from the keyring)."""

    url: str = ""
    profile: Profile | None = None
    schema_only: bool = False

    @property
    def target_text(self) -> str:
        """What the target is called on screen (a profile's name, or the URL without its password)."""
        return self.profile.name if self.profile is not None else self.url


def move_database(source: Database, request: MoveRequest, *, state: TaskState | None = None) -> CopyResult:
    """Copy `source` into the request's PostgreSQL target and verify it (worker thread)."""
    from core.audit.profiles import open_profile
    from core.data.audit_trail import Auditing
    from core.engine.db import open_database
    from core.migrate.copy import copy_database

    if request.profile is not None:
        target = open_profile(request.profile)
        who = Auditing(profile=request.profile.name)
    else:
        target = open_database(request.url)
        who = Auditing()
    try:
        return copy_database(source, target, state=state, auditing=who, schema_only=request.schema_only)
    finally:
        target.dispose()


def postgresql_profiles() -> list[Profile]:
    """The saved connection profiles that go to PostgreSQL (a small settings file, read on the GUI thread)."""
    from core.audit.profiles import load_profiles

    return [p for p in load_profiles() if p.is_postgresql]


class MoveDialog(QDialog):
    """Pick a PostgreSQL target, copy the open SQLite database into it with progress, show the check."""

    #: The copy finished and verified and the user asked to open it (the MoveRequest).
    open_requested = Signal(object)

    def __init__(
        self,
        open_db: OpenDatabase,
        parent: QWidget | None = None,
        *,
        profiles: Callable[[], list[Profile]] = postgresql_profiles,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("moveDialog")
        self.setWindowTitle("Move to PostgreSQL")
        self.open_db = open_db
        self.task: workers.Task | None = None
        self.outcome: CopyResult | None = None
        self.request: MoveRequest | None = None
        db = open_db.database
        source = db.display_url if db is not None else "no database"
        self.header = QLabel(f"Copy every table of {source} into a PostgreSQL database, then verify it.")
        self.header.setObjectName("moveHeader")
        self.header.setWordWrap(True)
        self.target = QComboBox()
        self.target.setObjectName("moveTarget")
        self.target.setEditable(True)
        self.target.setMinimumContentsLength(48)
        line = self.target.lineEdit()
        if line is not None:
            line.setPlaceholderText(URL_HINT)
        self.target.setToolTip("A postgresql+psycopg:// URL, or a saved connection profile")
        self._profiles = {f"Profile: {p.name}": p for p in profiles()}
        self.target.addItems(list(self._profiles))
        self.target.setCurrentText("")
        self.dry_run = QCheckBox("Dry run: make the tables only, copy no rows")
        self.dry_run.setObjectName("moveDryRun")
        self.tables = QTreeWidget()
        self.tables.setObjectName("moveTables")
        self.tables.setHeaderLabels(["Table", "Rows", "Copied", "Already there", "Check"])
        self.tables.setRootIsDecorated(False)
        self.tables.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.progress = QProgressBar()
        self.progress.setObjectName("moveProgress")
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.message = QLabel()
        self.message.setObjectName("moveMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.start_button = QPushButton("Copy")
        self.start_button.setObjectName("moveStart")
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel copy")
        self.cancel_button.setObjectName("moveCancel")
        self.cancel_button.setToolTip("Stop after the batch being written; run again to resume")
        self.open_button = QPushButton("Open the copy")
        self.open_button.setObjectName("moveOpen")
        self.open_button.hide()
        self.close_button = QPushButton("Close")
        self._layout()
        self.start_button.clicked.connect(self._on_start_button_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.close_button.clicked.connect(self.close)
        self.dry_run.toggled.connect(self._on_dry_run_toggled)
        self._set_busy(False)
        self.resize(760, 520)

    def _layout(self) -> None:
        form = QHBoxLayout()
        form.addWidget(QLabel("Target:"))
        form.addWidget(self.target, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.dry_run)
        buttons.addStretch(1)
        for button in (self.start_button, self.cancel_button, self.open_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addLayout(form)
        layout.addWidget(self.tables, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

    # --- running ---------------------------------------------------------------------------------

    def chosen(self) -> MoveRequest | None:
        """The target as entered: a profile picked from the list, or a PostgreSQL URL; None when neither."""
        text = self.target.currentText().strip()
        schema_only = self.dry_run.isChecked()
        if text in self._profiles:
            return MoveRequest(profile=self._profiles[text], schema_only=schema_only)
        if text.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
            return MoveRequest(url=text, schema_only=schema_only)
        return None

    def start(self) -> None:
        """Start the copy (or the dry run) on a worker."""
        db = self.open_db.database
        request = self.chosen()
        if db is None:
            self._say("No database is open.", error=True)
            return
        if request is None:
            self._say(f"Enter a PostgreSQL URL ({URL_HINT}) or pick a saved profile.", error=True)
            return
        self.request, self.outcome = request, None
        self.tables.clear()
        self.open_button.hide()
        self.progress.setRange(0, 0)
        self.progress.setFormat("Preparing the target…")
        self.progress.show()
        self._say("Making the target's tables…" if request.schema_only else "Copying…")
        self.task = workers.run(
            move_database,
            db,
            request,
            owner=self,
            on_done=self._on_moved,
            on_error=self._on_move_failed,
            on_aborted=self._on_move_aborted,
            on_progress=self._on_progress,
            on_partial=self._on_table_copied,
        )
        self._set_busy(True)

    def _on_start_button_clicked(self) -> None:
        self.start()

    def _on_cancel_button_clicked(self) -> None:
        if self.task is not None:
            self.task.stop()  # the copy stops at its next batch; its failure (Cancelled) still arrives
            self._say("Stopping after the batch being written…")

    def _on_dry_run_toggled(self, checked: bool) -> None:
        self.start_button.setText("Make tables" if checked else "Copy")

    def _on_progress(self, progress: Progress) -> None:
        if progress.total:
            self.progress.setRange(0, progress.total)
            self.progress.setValue(progress.done)
        self.progress.setFormat(f"{progress.message} · %p%" if progress.message else "%p%")

    def _on_table_copied(self, done: TableCopy) -> None:
        self._row(done.table, done.rows_source, done.rows_copied, done.rows_present)

    def _on_moved(self, result: CopyResult) -> None:
        self.task, self.outcome = None, result
        self.progress.hide()
        self._set_busy(False)
        for done in result.tables:
            self._row(done.table, done.rows_source, done.rows_copied, done.rows_present)
        request = self.request
        if request is not None and request.schema_only:
            made = len(result.created) + len(result.migrated)
            self._say(
                f"Dry run: the target has the {len(result.tables)} tables "
                f"({made} created or revisions applied); no row was copied."
            )
            return
        for check in result.checks:
            item = self._row(check.table, check.rows_source, None, None)
            if check.missing:
                words = "missing on the target"
            elif check.ok:
                words = "verified"
            elif check.rows_source != check.rows_target:
                words = f"{check.rows_target:,} rows on the target"
            else:
                words = "checksums differ"
            item.setText(4, words)
            item.setForeground(4, QBrush(GOOD if check.ok else DANGER))
        rows = sum(t.rows_source for t in result.tables)
        if result.ok:
            audit = " The target's audit log records each table written." if result.audited else ""
            self._say(f"Copied and verified: {len(result.checks)} tables, {rows:,} rows match.{audit}")
            self.open_button.show()
            self.open_button.setFocus()
        else:
            bad = [c.table for c in result.checks if not c.ok]
            self._say(f"{len(bad)} table(s) differ after the copy: {', '.join(bad)}.", error=True)

    def _on_move_failed(self, failure: workers.Failure) -> None:
        self.task = None
        self.progress.hide()
        self._set_busy(False)
        if failure.cancelled:
            self._say("Copy stopped. The tables copied so far are kept; Copy again resumes where it stopped.")
        else:
            self._say(failure.message, error=True)

    def _on_move_aborted(self) -> None:
        self.task = None
        self.progress.hide()
        self._set_busy(False)

    def _on_open_button_clicked(self) -> None:
        request = self.request
        if request is None:
            return
        self.open_requested.emit(request)
        self.close()

    # --- showing ---------------------------------------------------------------------------------

    def _row(self, table: str, rows: int, copied: int | None, present: int | None) -> QTreeWidgetItem:
        found = self.tables.findItems(table, Qt.MatchFlag.MatchExactly, 0)
        item = found[0] if found else QTreeWidgetItem(self.tables, [table])
        item.setText(1, f"{rows:,}")
        if copied is not None:
            item.setText(2, f"{copied:,}")
        if present is not None:
            item.setText(3, f"{present:,}")
        for col in (1, 2, 3):
            item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {DANGER.name()};" if error else "")

    def _set_busy(self, busy: bool) -> None:
        self.start_button.setEnabled(not busy)
        self.target.setEnabled(not busy)
        self.dry_run.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)


def open_move_dialog(open_db: OpenDatabase, parent: Any = None) -> MoveDialog:
    """Show the dialog for the open database (non-modal); "Open the copy" opens it in `parent`, the window."""
    dialog = MoveDialog(open_db, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if parent is not None and hasattr(parent, "open_target"):

        def open_copy(request: MoveRequest) -> None:
            if request.profile is not None:
                parent.open_target(request.profile.target, profile=request.profile)
            else:
                parent.open_target(request.url)

        dialog.open_requested.connect(open_copy)
    dialog.show()
    return dialog
