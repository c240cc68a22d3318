"""The audit viewer panel: filters, the entries newest first, the selected entry's fields before and after,
and Revert of exactly the selection (checked fields of one update, the selected entries, or a whole save).

Every database call goes through the worker door (gui/runtime/workers.py); a revert runs on its writer
thread like a save. Double-clicking an entry asks for its record (`record_requested`), which the window
opens the way it opens any record. While a migration runs the panel is paused (set_paused, from
gui/migrate/watch.py): it reads nothing and reverts nothing; a refresh or a filter asked for meanwhile runs
once when the run ends, with the reloaded catalog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.audit.model import AuditEntriesModel, EntryFieldsModel
from gui.migrate.pausable import PausedLine
from gui.runtime import workers
from gui.runtime.priority import Priority
from gui.safety.state import locked_reason

if TYPE_CHECKING:
    from core.audit.log import Entry
    from core.data.writes import SaveResult
    from core.engine.db import Database
    from core.schema.catalog import Catalog

ACTIONS = ("any action", "insert", "update", "delete", "revert")
#: What a paused panel says when entries were asked for meanwhile.
PAUSED_LOG = "Paused while a migration runs: the audit log is read when it ends."
PAGE = 500


def load_entries(
    db: Database, catalog: Catalog, user: str, entity: str, key: str, action: str, since: str
) -> list[Entry]:
    """core.audit.log.list_entries with the filter bar's texts, imported on the calling (worker) thread."""
    from core.audit.log import EntryFilter, list_entries, parse_since

    where = EntryFilter(
        user=user or None,
        entity=entity or None,
        key=key or None,
        action=action if action in ACTIONS[1:] else None,
        since=parse_since(since) if since else None,
    )
    return list_entries(db, catalog, where, limit=PAGE)


def revert_entries(
    db: Database, catalog: Catalog, picks: list[tuple[int, tuple[str, ...]]], reason: str | None
) -> SaveResult:
    """core.audit.revert.revert of (entry id, fields) pairs, imported on the calling (worker) thread."""
    from core.audit.revert import Selection, revert

    return revert(db, catalog, [Selection(i, f) for i, f in picks], reason=reason)


def revert_whole_save(db: Database, catalog: Catalog, save_id: str, reason: str | None) -> SaveResult:
    """core.audit.revert.revert_save, imported on the calling (worker) thread."""
    from core.audit.revert import revert_save

    return revert_save(db, catalog, save_id, reason=reason)


class AuditPanel(QWidget):
    """The audit log of the open database: filter, read, revert."""

    #: (entity, key) of an entry the user wants to see the record of
    record_requested = Signal(str, dict)
    #: after a revert wrote rows: the entities it wrote, so open editors can read them again
    reverted = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db: Database | None = None
        self.catalog: Catalog | None = None
        self._note = ""  # what the last revert did, said with the entries loaded after it
        self.pause = PausedLine[str](waiting=PAUSED_LOG)  # a migration runs (set_paused); entries read after
        self._load_task: workers.Task | None = None
        self.user_edit = self._filter_edit("User")
        self.entity_edit = self._filter_edit("Entity")
        self.key_edit = self._filter_edit("Row key")
        self.since_edit = self._filter_edit("Since (2h, 7d, 2026-05-01)")
        self.action_box = QComboBox()
        self.action_box.addItems(ACTIONS)
        self.refresh_button = QPushButton("Refresh")
        self.entries = AuditEntriesModel(self)
        self.fields = EntryFieldsModel(self)
        self.table = QTableView()
        self.table.setModel(self.entries)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(False)
        self.field_table = QTableView()
        self.field_table.setModel(self.fields)
        self.field_table.verticalHeader().hide()
        self.field_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText("Reason (optional, kept in the log)")
        self.revert_button = QPushButton("Revert selection")
        self.revert_save_button = QPushButton("Revert whole save")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self._layout()
        self._connect()
        self._update_buttons()

    def _filter_edit(self, placeholder: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        edit.setClearButtonEnabled(True)
        return edit

    def _layout(self) -> None:
        filters = QHBoxLayout()
        for w in (self.user_edit, self.entity_edit, self.key_edit, self.since_edit):
            filters.addWidget(w, 1)
        filters.addWidget(self.action_box)
        filters.addWidget(self.refresh_button)
        actions = QHBoxLayout()
        actions.addWidget(self.reason_edit, 1)
        actions.addWidget(self.revert_button)
        actions.addWidget(self.revert_save_button)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.field_table)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(split, 1)
        layout.addLayout(actions)
        layout.addWidget(self.status)

    def _connect(self) -> None:
        self.refresh_button.clicked.connect(self.refresh)
        for edit in (self.user_edit, self.entity_edit, self.key_edit, self.since_edit):
            edit.returnPressed.connect(self.refresh)
        self.action_box.currentIndexChanged.connect(self.refresh)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.fields.dataChanged.connect(self._update_buttons)
        self.revert_button.clicked.connect(self._on_revert_clicked)
        self.revert_save_button.clicked.connect(self._on_revert_save_clicked)

    # --- loading ----------------------------------------------------------------------------------------

    def set_database(self, db: Database | None, catalog: Catalog | None) -> None:
        """Show the audit log of this database (nothing for None), loading it on a worker."""
        self.db, self.catalog = db, catalog
        self.entries.set_entries([])
        self.fields.set_entry(None)
        self.refresh()

    def refresh(self) -> None:
        """Load the entries matching the filters again (newest first)."""
        if self.db is None or self.catalog is None:
            self.status.setText("No database is open.")
            return
        if self.paused is not None:
            self.status.setText(self.pause.wait())
            return
        self.status.setText("Loading…")
        self._load_task = workers.run(
            load_entries,
            self.db,
            self.catalog,
            self.user_edit.text().strip(),
            self.entity_edit.text().strip(),
            self.key_edit.text().strip(),
            self.action_box.currentText(),
            self.since_edit.text().strip(),
            on_done=self._on_entries_loaded,
            on_error=self._on_failed,
            on_aborted=self._on_aborted,
            owner=self,
            key="load",
            interruptible=True,
        )

    @property
    def paused(self) -> str | None:
        """Why nothing is read now (a migration runs: set_paused), else None."""
        return self.pause.reason

    def set_paused(self, reason: str | None) -> None:
        """A migration runs (`reason`, said in the status line) or has ended (None; the watch says so once the
        reloaded catalog is in place): meanwhile nothing is read or reverted, and a load under way or asked
        for runs after it."""
        if not self.pause.turn(reason):
            return
        self.refresh_button.setEnabled(reason is None)
        self._update_buttons()
        if reason is not None:
            self.pause.keep(self.status.text())
            task = self._load_task
            if task is not None and not task.finished:
                task.cancel()  # read again when the pause ends
                self.pause.asked = True
            self.status.setText(PAUSED_LOG if self.pause.asked else reason)
            return
        if self.pause.take_asked():
            self.refresh()
        else:  # the old line again, unless a revert ended meanwhile: it says how
            before = self.pause.said_before(self.status.text())
            if before is not None:
                self.status.setText(before)

    def _on_entries_loaded(self, entries: list[Entry]) -> None:
        self.entries.set_entries(entries)
        self.fields.set_entry(None)
        more = " (the newest; narrow the filters to see older ones)" if len(entries) >= PAGE else ""
        count = f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}{more}."
        self.status.setText(self._note + count)
        self._note = ""
        self.table.resizeColumnsToContents()
        self._update_buttons()

    def _on_failed(self, failure: workers.Failure) -> None:
        self.status.setText(failure.message)
        self._update_buttons()

    def _on_aborted(self) -> None:
        self.status.setText("")
        self._update_buttons()

    # --- selection --------------------------------------------------------------------------------------

    def selected_entries(self) -> list[Entry]:
        """The selected entries, newest first."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.entries.entry(r) for r in rows]

    def _on_table_selection_changed(self, *_: Any) -> None:
        chosen = self.selected_entries()
        self.fields.set_entry(chosen[0] if len(chosen) == 1 else None)
        self.field_table.resizeColumnToContents(0)
        self._update_buttons()

    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        entry = self.entries.entry(index.row())
        self.record_requested.emit(entry.entity, dict(entry.key))

    def _update_buttons(self, *_: Any) -> None:
        chosen = self.selected_entries()
        checked = self.fields.checked_fields()
        locked = self.db is not None and self.db.capabilities.read_only  # issue 12: a read-only connection
        why = self.paused or (locked_reason(self.db) if self.db is not None and locked else "")
        self.revert_button.setEnabled(bool(chosen) and not why)
        self.revert_button.setToolTip(why)
        self.revert_button.setText(
            f"Revert {len(checked)} field{'s' if len(checked) != 1 else ''}"
            if checked and len(chosen) == 1
            else ("Revert entry" if len(chosen) <= 1 else f"Revert {len(chosen)} entries")
        )
        self.revert_save_button.setEnabled(len(chosen) == 1 and not why)
        self.revert_save_button.setToolTip(why)

    # --- revert -----------------------------------------------------------------------------------------

    def _on_revert_clicked(self) -> None:
        chosen = self.selected_entries()
        if not chosen or self.db is None:
            return
        checked = self.fields.checked_fields() if len(chosen) == 1 else ()
        picks = [(e.id, checked if len(chosen) == 1 else ()) for e in chosen]
        self._start_revert(revert_entries, picks)

    def _on_revert_save_clicked(self) -> None:
        chosen = self.selected_entries()
        if len(chosen) == 1:
            self._start_revert(revert_whole_save, chosen[0].save_id)

    def _start_revert(self, fn: Any, what: Any) -> None:
        if self.paused is not None:  # a revert writes: not under a migration
            self.status.setText(self.paused)
            return
        self.status.setText("Reverting…")
        self.revert_button.setEnabled(False)
        self.revert_save_button.setEnabled(False)
        workers.run(
            fn,
            self.db,
            self.catalog,
            what,
            self.reason_edit.text().strip() or None,
            on_done=self._on_reverted,
            on_error=self._on_failed,
            on_aborted=self._on_aborted,
            owner=self,
            key="revert",
            priority=Priority.SAVE,
        )

    def _on_reverted(self, result: SaveResult) -> None:
        rows = [*result.updated, *result.inserted, *result.deleted]
        self.reason_edit.clear()
        self.reverted.emit(sorted({r.entity for r in rows}))
        self.refresh()  # the revert's own entries appear
        self._note = f"Reverted: {len(rows)} row{'s' if len(rows) != 1 else ''} written. "
