"""The migration runner: where the database stands, the pending revisions with their lint, the SQL preview,
drift, and Upgrade / Downgrade with progress, a live log and Stop between revisions.

Reads run on the worker door's read pool; a migration or a restore goes through the open database's
`change_schema`, which runs it on the writer thread and reloads the catalog afterwards, so the open screens
follow the new schema. A revision the lint flags needs one more confirmation. While a run is under way the
open editors are paused (gui/migrate/watch.py follows `run_started` and `run_finished`).

"Project…" points the runner at your own app's Alembic project instead of Warden's migrations; the choice is
remembered per database, and the project's code runs in a child process (core/migrate/project.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.migrate import jobs
from gui.migrate.project_choice import project_for, remember_project
from gui.runtime import workers
from gui.runtime.priority import Priority
from gui.safety.state import locked_reason

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent

    from core.migrate.lint import RevisionLint
    from core.progress import Progress
    from gui.runtime.open_database import OpenDatabase

DANGER = QColor("#b3261e")
MUTED = QColor("#6b6b6b")


class MigrationDialog(QDialog):
    """Status, lint, SQL preview and drift of the open database's migrations, and running them."""

    run_started = Signal()  # a migration or a restore starts changing the database
    run_finished = Signal()  # it ended: done, failed, stopped or aborted
    project_changed = Signal()  # another project (or Warden's own migrations) was picked for the database

    def __init__(self, open_db: OpenDatabase, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("migrationDialog")
        self.setWindowTitle("Migrations")
        self.open_db = open_db
        self.view: jobs.RunnerView | None = None
        self.task: workers.Task | None = None
        db = open_db.database
        self.project: str | None = project_for(db.display_url) if db is not None else None
        self.project_label = QLabel()
        self.project_label.setObjectName("migrationProject")
        self.project_button = QPushButton("Project…")
        self.project_button.setObjectName("migrationProjectButton")
        self.project_button.setToolTip("Run your own app's Alembic project (alembic.ini) on this database")
        self.own_button = QPushButton("Warden's migrations")
        self.own_button.setObjectName("migrationOwnButton")
        self.own_button.setToolTip("Go back to the migrations shipped with Warden")
        self.header = QLabel("Reading the database's revision…")
        self.header.setObjectName("migrationHeader")
        self.header.setWordWrap(True)
        bold = QFont(self.header.font())
        bold.setBold(True)
        self.header.setFont(bold)
        self.message = QLabel()
        self.message.setObjectName("migrationMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        self.revisions = QTreeWidget()
        self.revisions.setObjectName("migrationRevisions")
        self.revisions.setHeaderLabels(["Revision", "State", "Message"])
        self.revisions.header().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.revisions.setRootIsDecorated(True)
        self.sql = self._text_pane("migrationSql")
        self.drift = QTreeWidget()
        self.drift.setObjectName("migrationDrift")
        self.drift.setHeaderLabels(["Difference (select one for the SQL that fixes it)"])
        self.drift.setRootIsDecorated(False)
        self.fix_sql = self._text_pane("migrationFixSql")
        self.log = self._text_pane("migrationLog")
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)  # a failure is one long line
        self.tabs = QTabWidget()
        self.tabs.addTab(self._with_sql_buttons(), "SQL preview")
        drift_page = QSplitter(Qt.Orientation.Vertical)
        drift_page.addWidget(self.drift)
        drift_page.addWidget(self.fix_sql)
        drift_page.setSizes([380, 200])
        self.tabs.addTab(drift_page, "Drift")
        self.tabs.addTab(self.log, "Log")
        self.target = QComboBox()
        self.target.setObjectName("migrationTarget")
        self.target.setMinimumContentsLength(28)
        self.upgrade_button = QPushButton("Upgrade")
        self.downgrade_button = QPushButton("Downgrade")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the revision that is running (each revision is kept whole)")
        self.restore_button = QPushButton("Restore backup…")
        self.close_button = QPushButton("Close")
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.hide()
        self._layout()
        self._connect()
        self._set_busy(False)
        self.resize(1100, 680)
        self.reload()

    # --- building --------------------------------------------------------------------------------

    def _text_pane(self, name: str) -> QPlainTextEdit:
        pane = QPlainTextEdit()
        pane.setObjectName(name)
        pane.setReadOnly(True)
        pane.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        pane.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        return pane

    def _with_sql_buttons(self) -> QWidget:
        page = QWidget()
        self.copy_button = QPushButton("Copy")
        self.save_button = QPushButton("Save…")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.sql, 1)
        layout.addLayout(buttons)
        return page

    def _layout(self) -> None:
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.revisions)
        split.addWidget(self.tabs)
        split.setSizes([600, 480])
        run = QHBoxLayout()
        run.addWidget(QLabel("Target:"))
        run.addWidget(self.target)
        run.addWidget(self.upgrade_button)
        run.addWidget(self.downgrade_button)
        run.addWidget(self.stop_button)
        run.addWidget(self.progress, 1)
        run.addWidget(self.restore_button)
        run.addWidget(self.close_button)
        project = QHBoxLayout()
        project.addWidget(self.project_label, 1)
        project.addWidget(self.project_button)
        project.addWidget(self.own_button)
        layout = QVBoxLayout(self)
        layout.addLayout(project)
        layout.addWidget(self.header)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)
        layout.addLayout(run)

    def _connect(self) -> None:
        self.upgrade_button.clicked.connect(lambda: self.start("upgrade"))
        self.downgrade_button.clicked.connect(lambda: self.start("downgrade"))
        self.stop_button.clicked.connect(self._on_stop_button_clicked)
        self.restore_button.clicked.connect(self._on_restore_button_clicked)
        self.close_button.clicked.connect(self.close)
        self.project_button.clicked.connect(self._on_project_button_clicked)
        self.own_button.clicked.connect(lambda: self.use_project(None))
        self.drift.currentItemChanged.connect(self._on_drift_current_item_changed)
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.save_button.clicked.connect(self._on_save_button_clicked)

    # --- reading ---------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read status, lint, SQL preview and backups again (on a worker)."""
        db = self.open_db.database
        self._show_project()
        if db is None:
            self.header.setText("No database is open.")
            return
        workers.run(
            jobs.load_view,
            db,
            self.project,
            on_done=self._on_view_loaded,
            on_error=self._on_read_failed,
            owner=self,
            key="view",
            priority=Priority.READ,
        )

    def _on_view_loaded(self, view: jobs.RunnerView) -> None:
        self.view = view
        st = view.status
        at = ", ".join(st.current) or "no revision (empty)"
        if not st.known:
            state = "at a revision these scripts do not know"
        elif st.at_head:
            state = "up to date"
        else:
            state = f"{len(st.pending)} revision{'s' if len(st.pending) != 1 else ''} pending"
        drift = st.drift or []
        drift_words = (
            f"{len(drift)} difference{'s' if len(drift) != 1 else ''} from the models"
            if drift
            else ("no drift" if st.drift is not None else "drift not compared")
        )
        self.header.setText(f"At {at} · head {', '.join(st.heads)} · {state} · {drift_words}")
        self._fill_revisions(view)
        self._fill_drift(view)
        self.sql.setPlainText(view.sql or view.sql_problem or "-- Nothing pending: no SQL to run.")
        self._fill_targets(view)
        if view.copies:
            self.restore_button.setText(f"Backup copies ({len(view.copies)})…")
            self.restore_button.setToolTip("Tables copied into warden_backup before destructive revisions")
        self._set_busy(False)

    def _on_read_failed(self, failure: workers.Failure) -> None:
        self._say(failure.message, error=True)
        self._set_busy(False)

    def _fill_revisions(self, view: jobs.RunnerView) -> None:
        self.revisions.clear()
        lints = {r.revision: r for r in view.lint}
        for node in view.status.graph:
            marks = []
            if node.is_current:
                marks.append("current")
            elif node.applied:
                marks.append("applied")
            else:
                marks.append("pending")
            if node.is_merge:
                marks.append("merge")
            if node.is_branch_point:
                marks.append("branch point")
            item = QTreeWidgetItem([node.revision, ", ".join(marks), node.message])
            if not node.applied:
                bold = QFont(item.font(0))
                bold.setBold(True)
                item.setFont(0, bold)
            else:
                for col in range(3):
                    item.setForeground(col, QBrush(MUTED))
            found = lints.get(node.revision)
            if found is not None:
                self._add_findings(item, found)
            self.revisions.addTopLevelItem(item)
            item.setExpanded(True)
        for col in (0, 1):
            self.revisions.resizeColumnToContents(col)

    def _add_findings(self, item: QTreeWidgetItem, found: RevisionLint) -> None:
        lines = [(f.words, f.loses_data or f.blocks) for f in found.findings]
        if found.error:
            lines.append((found.error, True))
        for words, danger in lines:
            child = QTreeWidgetItem(["", "lint", words])
            child.setToolTip(2, words)
            if danger:
                child.setForeground(2, QBrush(DANGER))
            item.addChild(child)

    def _fill_drift(self, view: jobs.RunnerView) -> None:
        self.drift.clear()
        self.fix_sql.clear()
        found = view.status.drift
        if found is None:
            self.drift.addTopLevelItem(QTreeWidgetItem(["Not compared: these scripts have no models"]))
            self.tabs.setTabText(1, "Drift")  # not the count of the scripts shown before a project pick
            return
        if not found:
            self.drift.addTopLevelItem(QTreeWidgetItem(["No drift: the database matches the models"]))
        for d in found:
            item = QTreeWidgetItem([d.words])
            item.setData(0, Qt.ItemDataRole.UserRole, d.fix_sql or "-- No SQL: fix this one by hand.")
            self.drift.addTopLevelItem(item)
        first = self.drift.topLevelItem(0)
        if found and first is not None:
            self.drift.setCurrentItem(first)
        self.tabs.setTabText(1, f"Drift ({len(found)})" if found else "Drift")

    def _on_drift_current_item_changed(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        sql = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        self.fix_sql.setPlainText(str(sql or ""))

    def _fill_targets(self, view: jobs.RunnerView) -> None:
        self.target.clear()
        heads = view.status.heads
        self.target.addItem("head" if len(heads) == 1 else "heads (all)", "heads")
        for node in view.status.graph:
            self.target.addItem(f"{node.revision}  {node.message[:48]}", node.revision)
        self.target.addItem("base (empty: drop the schema)", "base")

    # --- running ---------------------------------------------------------------------------------

    def start(self, verb: str) -> None:
        """Lint what going to the chosen target would run; confirm when it can lose data; then run it."""
        db = self.open_db.database
        target = str(self.target.currentData() or "heads")
        if db is None or self.task is not None:
            return
        self._set_busy(True)
        self._log(f"Checking what {verb} to {target} would do…")
        workers.run(
            jobs.lint_target,
            db,
            target,
            self.project,
            on_done=lambda found: self._confirm_and_run(verb, target, found),
            on_error=self._on_read_failed,
            owner=self,
            key="lint",
        )

    def _confirm_and_run(self, verb: str, target: str, found: list[RevisionLint]) -> None:
        if not found:
            self._log(f"Nothing to {verb}: the database is already there.")
            self._set_busy(False)
            return
        going = {f.verb for f in found}
        if going != {verb}:
            other = going.pop()
            self._say(f"Going to {target} is a {other} from here: use {other.capitalize()}.", error=True)
            self._set_busy(False)
            return
        flagged = [
            (r.revision, w) for r in found for w in [f.words for f in r.findings] + [r.error or ""] if w
        ]
        if flagged and not self._confirm(verb, flagged):
            self._log("Not run: the change was not confirmed.")
            self._set_busy(False)
            return
        self.progress.setRange(0, len(found))
        self.progress.setValue(0)
        self.progress.show()
        self._say("")
        self.task = self._change_schema(
            jobs.migrate,
            verb,
            target,
            self.project,
            on_done=self._on_migrated,
            on_error=self._on_migration_failed,
            on_aborted=self._on_migration_aborted,
            on_progress=self._on_progress,
            on_partial=self._log,
        )
        self._set_busy(True)  # now Stop has a task to stop

    def _confirm(self, verb: str, flagged: list[tuple[str, str]]) -> bool:
        lines = "\n".join(f"• {rev}: {words}" for rev, words in flagged[:12])
        more = f"\n…and {len(flagged) - 12} more" if len(flagged) > 12 else ""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Confirm migration",
            f"This {verb} can lose data or fail on existing rows:\n\n{lines}{more}\n\n"
            "SQLite files are backed up first. Run it anyway?",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        run = box.addButton(f"{verb.capitalize()} anyway", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is run

    def _on_progress(self, progress: Progress) -> None:
        if progress.total:
            self.progress.setRange(0, progress.total)
        self.progress.setValue(progress.done)
        self.progress.setFormat(progress.message or "%v of %m")

    def _change_schema(self, fn: Any, *args: Any, **kwargs: Any) -> workers.Task:
        """The open database's change_schema, with the editors paused until it ends (run_finished)."""
        self.run_started.emit()
        for key in ("on_done", "on_error", "on_aborted"):
            then = kwargs.get(key)
            kwargs[key] = lambda *a, then=then: self._finished(then, *a)
        return self.open_db.change_schema(fn, *args, **kwargs)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Not while a run is under way: its end, told here (run_finished), resumes the window's screens."""
        if self._refuse_close():
            event.ignore()
            return
        super().closeEvent(event)

    def reject(self) -> None:
        """Escape: as the close button (not while a run is under way)."""
        if not self._refuse_close():
            super().reject()

    def _refuse_close(self) -> bool:
        if self.task is None:
            return False
        self._say("A run is under way: stop it, or wait for it to end, before closing.", error=True)
        return True

    def _finished(self, then: Any, *args: Any) -> None:
        self.run_finished.emit()
        if then is not None:
            then(*args)

    def _on_migrated(self, result: Any) -> None:
        self.task = None
        at = ", ".join(result.after) or "base (empty)"
        if result.cancelled:
            self._log(f"Stopped between revisions; the database is at {at}.")
        else:
            self._log(f"Finished; the database is at {at}.")
        if result.backup is not None:
            self._log(f"Backup from before the change: {result.backup}")
        self._say(f"Done: the database is at {at}.")
        self.progress.hide()
        self.reload()

    def _on_migration_failed(self, failure: workers.Failure) -> None:
        self.task = None
        self._log(failure.message)
        self._say(failure.message, error=True)
        self.progress.hide()
        self.reload()

    def _on_migration_aborted(self) -> None:
        self.task = None
        self.progress.hide()
        self._set_busy(False)

    def _on_stop_button_clicked(self) -> None:
        if self.task is not None:
            self.task.stop()  # unlike cancel, the outcome still arrives: where it stopped
            self._log("Stopping after the revision that is running…")

    def _on_restore_button_clicked(self) -> None:
        if self.view is not None and self.view.copies:
            self._drop_copy()
            return
        found = self.view.backups if self.view is not None else []
        if not found:
            self._say("There are no backups of this database yet.")
            return
        labels = [
            f"{b.created:%Y-%m-%d %H:%M:%S} · at {', '.join(b.revision) or 'base'} · {b.size / 1024:,.0f} KB"
            for b in found
        ]
        label, ok = QInputDialog.getItem(self, "Restore backup", "Put this backup back:", labels, 0, False)
        if not ok:
            return
        chosen = found[labels.index(label)]
        self._set_busy(True)
        self.task = self._change_schema(
            jobs.restore_backup,
            str(chosen.path),
            on_done=self._on_restored,
            on_error=self._on_migration_failed,
            on_aborted=self._on_migration_aborted,
        )
        self._set_busy(True)

    def _drop_copy(self) -> None:
        """PostgreSQL: pick a copy in warden_backup and drop it."""
        copies = self.view.copies if self.view is not None else []
        labels = [f"{c.name} · {c.rows:,} rows · {c.note}" for c in copies]
        label, ok = QInputDialog.getItem(self, "Backup copies", "Drop this copy:", labels, 0, False)
        if not ok:
            return
        chosen = copies[labels.index(label)]
        self._set_busy(True)
        self.task = self._change_schema(
            jobs.drop_copy,
            chosen.name,
            on_done=self._on_copy_dropped,
            on_error=self._on_migration_failed,
            on_aborted=self._on_migration_aborted,
        )
        self._set_busy(True)

    def _on_copy_dropped(self, name: str) -> None:
        self.task = None
        self._log(f"Dropped the backup copy {name}.")
        self.reload()

    def _on_restored(self, at: list[str]) -> None:
        self.task = None
        self._log(f"Restored the backup; the database is at {', '.join(at) or 'base'}.")
        self._say("Backup restored.")
        self.reload()

    # --- the project -----------------------------------------------------------------------------

    def _on_project_button_clicked(self) -> None:
        start = str(self.project or "")
        path, _ = QFileDialog.getOpenFileName(
            self, "Alembic project", start, "Alembic ini (alembic.ini *.ini);;All files (*)"
        )
        if path:
            self.use_project(path)

    def use_project(self, path: str | None) -> None:
        """Run `path`'s Alembic project (its alembic.ini or folder) on this database from now on; None:
        Warden's own migrations. Remembered for the database; a project that is not one is refused here."""
        from core.errors import WardenError
        from core.migrate.project import find_project

        ini: str | None = None
        if path:
            try:
                ini = str(find_project(path).ini)  # reads the ini only: none of the project's code runs
            except WardenError as exc:
                self._say(str(exc), error=True)
                return
        db = self.open_db.database
        if db is not None:
            remember_project(db.display_url, ini)
        self.project = ini
        self.view = None
        self._say("")
        self._set_busy(True)
        self.reload()
        self.project_changed.emit()

    def _show_project(self) -> None:
        if self.project:
            self.project_label.setText(f"Project: {self.project}  (its env.py runs in a separate process)")
        else:
            self.project_label.setText("Project: Warden's own migrations")
        self.own_button.setVisible(bool(self.project))

    # --- SQL preview -----------------------------------------------------------------------------

    def _on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.sql.toPlainText())

    def _on_save_button_clicked(self) -> None:
        from core.paths import documents_dir

        path, _ = QFileDialog.getSaveFileName(
            self, "Save SQL", str(documents_dir() / "migration.sql"), "SQL files (*.sql);;All files (*)"
        )
        if path:
            with open(path, "w", encoding="utf-8") as out:
                out.write(self.sql.toPlainText())

    # --- small things ----------------------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        idle = not busy and self.view is not None
        db = self.open_db.database
        locked = locked_reason(db) if db is not None and db.capabilities.read_only else ""  # issue 12
        for button in (self.upgrade_button, self.downgrade_button, self.restore_button):
            button.setEnabled(idle and not locked)
        for button in (self.upgrade_button, self.downgrade_button):
            button.setToolTip(locked)  # a disabled run button says why
        self.stop_button.setEnabled(busy and self.task is not None)
        self.target.setEnabled(idle)
        for button in (self.project_button, self.own_button):
            button.setEnabled(self.task is None)  # not while the chosen project's run is under way

    def _log(self, line: str) -> None:
        if shiboken6.isValid(self.log):
            self.log.appendPlainText(str(line))

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        color = DANGER.name() if error else "palette(text)"
        self.message.setStyleSheet(f"color: {color};")


def open_runner(open_db: OpenDatabase, parent: QWidget | None = None) -> MigrationDialog:
    """Show the runner for the open database (non-modal); returns it."""
    from gui.migrate.watch import MigrationWatch

    dialog = MigrationDialog(open_db, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    watch = MigrationWatch.find(open_db)
    if watch is not None:  # the window's editors pause while it runs something
        watch.follow_runner(dialog)
    dialog.show()
    return dialog
