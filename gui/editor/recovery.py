"""Crash recovery in the editor: a journal that keeps the recovery file in step with staged edits, the
undoable command that stages recovered edits again, and the question that offers them.

The file itself (where, the typed encoding, atomic user-only writes) is core/data/recovery.py.
"""

from __future__ import annotations

import copy
import functools
import logging
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import QMessageBox, QWidget

from core.data.recovery import (
    RecoveredRow,
    RecoveredTable,
    Recovery,
    RecoveryNotSaved,
    next_sequence,
    save_recovery,
)
from gui.runtime import workers

if TYPE_CHECKING:
    from gui.editor.model.staging import RowEdit, Staging
    from gui.editor.model.table_model import TableEditorModel

log = logging.getLogger("warden.gui.recovery")

#: How long after an edit the file is written: a kill a second after an edit still finds it.
DELAY_MS = 300


def table_of(staging: Staging) -> RecoveredTable:
    """What one editor has staged, as plain recovery records.

    A loaded row's vectors are left out of its original values: vectors are never edited, so no save or
    conflict check reads them there, and they would be most of the file (1.5 kB per 384-d row).
    """
    vectors = {c.name for c in staging.entity.columns if c.kind == "vector"}

    def base(original: dict[str, Any]) -> dict[str, Any]:
        return {c: v for c, v in original.items() if c not in vectors}

    # Shallow copies: staging changes these dicts in place while a worker may be writing the snapshot.
    return RecoveredTable(
        staging.entity.name,
        [RecoveredRow(key, dict(e.values), base(e.original), e.version) for key, e in staging.edits.items()],
        [RecoveredRow(key, {}, base(d.original), d.version) for key, d in staging.deletes.items()],
        [dict(r.values) for r in staging.inserts],
    )


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class RecoveryJournal(QObject):
    """Keeps one database's recovery file in step with what its editors have staged (debounced).

    Nothing is written until `start()`: the file of an earlier session must be read (and offered)
    before this session may replace it. Tables `kept` for later are written along with the live ones.
    """

    failed = Signal(str)  # a message a person can act on: the file could not be written

    def __init__(self, target: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.target = target
        self.kept: list[RecoveredTable] = []
        self._models: list[TableEditorModel] = []
        self._started = self._closed = False
        self._reported = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DELAY_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    def watch(self, model: TableEditorModel) -> None:
        """Follow an editor's staged edits."""
        self._models.append(model)
        model.changes_staged.connect(self._on_model_changes_staged)

    def start(self, kept: list[RecoveredTable] | None = None) -> None:
        """Begin writing (the earlier file has been read); `kept` are recovered tables not restored yet."""
        self.kept = list(kept or [])
        self._started = True
        if any(m.has_changes for m in self._live()):  # staged while the earlier file was being read
            self.flush(wait=False)

    def offer(
        self,
        recovery: Recovery | None,
        parent: QWidget,
        entities: Collection[str],
        open_model: Callable[[str], TableEditorModel | None],
    ) -> RestorePrompt | None:
        """Start, and ask whether to restore `recovery` (the file found at open); its question, if any.

        Until answered, the recovered tables are kept in the file. Restore stages them again in the
        editors `open_model(entity)` opens; tables of entities this database lacks stay kept.
        """
        if recovery is None or not recovery.tables:
            self.start()
            return None
        self.start(recovery.tables)
        prompt = RestorePrompt(recovery, parent)
        prompt.answered.connect(functools.partial(self._on_prompt_answered, recovery, entities, open_model))
        prompt.open()
        return prompt

    def _on_prompt_answered(
        self,
        recovery: Recovery,
        entities: Collection[str],
        open_model: Callable[[str], TableEditorModel | None],
        answer: str,
    ) -> None:
        if self._closed or answer == RestorePrompt.LATER:
            return
        self.kept = []
        if answer == RestorePrompt.RESTORE:
            for table in recovery.tables:
                model = open_model(table.entity) if table.entity in entities else None
                if model is None:
                    self.kept.append(table)  # not lost: offered again next time
                else:
                    restore_into(model, table)
        self.flush(wait=False)

    def flush(self, *, wait: bool = True) -> None:
        """Write the file (or remove it when nothing is staged): now, or with `wait=False` on a worker.

        The snapshot is taken here either way; encoding thousands of rows is left to the worker.
        """
        self._timer.stop()
        if not self._started or self._closed:
            return
        tables, sequence = self._tables(), next_sequence()
        if not wait:
            workers.run(
                save_recovery, self.target, tables, sequence,
                on_done=self._on_saved, on_error=self._on_save_failed, owner=self,
            )  # fmt: skip
            return
        try:
            save_recovery(self.target, tables, sequence)
        except RecoveryNotSaved as exc:
            self._report(str(exc))
        else:
            self._reported = False

    def _on_timer_timeout(self) -> None:
        self.flush(wait=False)

    def _on_saved(self, _written: bool) -> None:
        self._reported = False

    def _on_save_failed(self, failure: workers.Failure) -> None:
        self._report(failure.message)  # a bug goes to the crash handler alone, from the worker door

    def _report(self, reason: str) -> None:
        # The message says what went wrong with the file, never a value.
        message = f"Unsaved changes cannot be kept for recovery: {reason}"
        log.warning("%s", message)
        if not self._reported:
            self._reported = True
            self.failed.emit(message)

    def close(self) -> None:
        """Write what is staged one last time, then stop following."""
        self.flush()
        self._closed = True
        for model in self._live():
            model.changes_staged.disconnect(self._on_model_changes_staged)
        self._models.clear()

    def _live(self) -> list[TableEditorModel]:
        self._models = [m for m in self._models if shiboken6.isValid(m)]
        return self._models

    def _tables(self) -> list[RecoveredTable]:
        return self.kept + [table_of(m.staging) for m in self._live() if m.has_changes]

    def _on_model_changes_staged(self, _count: int) -> None:
        if not self._timer.isActive():
            self._timer.start()


class RestoreCommand(QUndoCommand):
    """Stage recovered edits, deletes and new rows again, as one undoable step."""

    def __init__(self, model: TableEditorModel, table: RecoveredTable) -> None:
        n = table.count
        super().__init__(f"Restore {_plural(n, 'unsaved change')}")
        # Imported on restoring: the journal starts as a database opens, before the navigator's listing, and
        # staging brings validation and numpy (half a second of the GUI thread on a loaded machine).
        from gui.editor.model.staging import NewRow, new_token

        self.model, self.table = model, table
        self.rows = [NewRow(new_token(), copy.deepcopy(values)) for values in table.inserts]
        self.before: tuple[dict[object, RowEdit | None], dict[object, RowEdit | None]] = ({}, {})

    def redo(self) -> None:
        """Stage the recovered rows (fresh copies: later edits change staged rows in place)."""
        edits: dict[object, RowEdit | None] = {r.key: _row_edit(r) for r in self.table.edits}
        deletes: dict[object, RowEdit | None] = {r.key: _row_edit(r) for r in self.table.deletes}
        self.before = self.model.put_staged_rows(edits, deletes)
        if self.rows:
            self.model.insert_new_rows([(-1, r) for r in self.rows])

    def undo(self) -> None:
        """Unstage them, putting back whatever was staged on those rows before."""
        if self.rows:
            self.model.remove_new_rows([r.token for r in self.rows])
        self.model.put_staged_rows(*self.before)


def _row_edit(row: RecoveredRow) -> RowEdit:
    from gui.editor.model.staging import RowEdit

    return RowEdit(copy.deepcopy(row.values), copy.deepcopy(row.original), row.version)


def restore_into(model: TableEditorModel, table: RecoveredTable) -> None:
    """Stage a recovered table's changes in an editor's model (one undoable step)."""
    model.undo_stack.push(RestoreCommand(model, table))


class RestorePrompt(QMessageBox):
    """Restore / Discard / Not Now about a recovery file; window-modal, answered through `answered`."""

    RESTORE, DISCARD, LATER = "restore", "discard", "later"
    answered = Signal(str)

    def __init__(self, recovery: Recovery, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("restorePrompt")
        self.setIcon(QMessageBox.Icon.Question)
        self.setWindowTitle("Restore Unsaved Changes")
        when = recovery.saved_at.astimezone().strftime("%d %b %Y %H:%M")
        self.setText(f"Restore {_plural(recovery.count, 'unsaved change')} from {when}?")
        lines = [f"{t.entity}: {_plural(t.count, 'unsaved change')}" for t in recovery.tables]
        self.setInformativeText(
            "Warden stopped before these changes were saved or discarded.\n\n" + "\n".join(lines)
        )
        self.restore_button = self.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        self.discard_button = self.addButton(QMessageBox.StandardButton.Discard)
        self.later_button = self.addButton("Not Now", QMessageBox.ButtonRole.RejectRole)
        self.later_button.setToolTip("Keep them for the next time this database is opened")
        self.setDefaultButton(self.restore_button)
        self.setEscapeButton(self.later_button)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.finished.connect(self._on_finished)

    def _on_finished(self, _result: int) -> None:
        clicked = self.clickedButton()
        if clicked is self.restore_button:
            self.answered.emit(self.RESTORE)
        elif clicked is self.discard_button:
            self.answered.emit(self.DISCARD)
        else:
            self.answered.emit(self.LATER)
        self.deleteLater()
