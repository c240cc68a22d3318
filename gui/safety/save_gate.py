"""The confirm level in front of an editor's save: the SQL it will run, then Save or Cancel.

The editor model asks its `save_gate` before it sends a save. Here the gate computes the statements on a
worker (core/data/save_sql.py), shows ConfirmSaveDialog, and on Save lets the model save (through the next
gate, the audit consent); on Cancel nothing is sent, the edits stay staged, and `declined` says so (the
leave guard, waiting to close the window after the save, stays open).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QStatusBar, QWidget

from gui.runtime import workers
from gui.safety.confirm_save import ConfirmSaveDialog
from gui.safety.levels import SafetyLevels

if TYPE_CHECKING:
    from gui.runtime.open_database import OpenDatabase


def staged_changes(model: Any) -> list[Any]:
    """What `model` would save: a table editor's staged changes, or a graph's link edits (`changes()`)."""
    changes = getattr(model, "changes", None)
    if callable(changes):
        return list(changes())
    staged, _refs = model.saver.staging.changes()
    return list(staged)


class ConfirmGate(QObject):
    """`allows(model)`: True when the model may save now; else the question is open (or being prepared).

    A model is a table editor's TableEditorModel or the graph's LinkEditor: what it would save, save() to
    send it once confirmed, and `staged_count`.
    """

    declined = Signal(object)  # the model whose held save is not sent: Cancel, or the SQL could not be made

    def __init__(
        self,
        levels: SafetyLevels,
        open_db: OpenDatabase,
        then: Callable[[Any], bool],
        status: QStatusBar,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.levels, self.open_db, self.then, self.status, self._parent = (
            levels,
            open_db,
            then,
            status,
            parent,
        )
        self.dialog: ConfirmSaveDialog | None = None
        self._approved: set[int] = set()  # models whose save was confirmed, until it is sent
        self._asking: set[int] = set()

    def allows(self, model: Any) -> bool:
        """Whether `model` (a TableEditorModel) may save now; the next gate (`then`) is asked after it."""
        state = self.levels.state()
        if state is None or not state.confirms or id(model) in self._approved:
            if self.then(model):
                self._approved.discard(id(model))
                return True
            return False  # the next gate asks, and saves again once it is answered
        if id(model) not in self._asking:
            self._prepare(model)
        return False

    def holds(self, model: Any) -> bool:
        """Whether the SQL question about `model`'s save is open or being prepared."""
        return id(model) in self._asking

    def withdraw(self, model: Any) -> None:
        """The next gate did not send `model`'s confirmed save (Cancel at the audit question): its next save
        shows its SQL again, which may hold other edits by then."""
        self._approved.discard(id(model))

    def _drop(self, model: Any) -> None:
        self._asking.discard(id(model))
        self.declined.emit(model)

    def _prepare(self, model: Any) -> None:
        from gui.safety.jobs import save_statements

        db, catalog = self.open_db.database, self.open_db.catalog
        if db is None or catalog is None:
            return
        changes = staged_changes(model)
        self._asking.add(id(model))
        workers.run(
            save_statements, db, catalog, changes,
            on_done=functools.partial(self._on_statements, model, len(changes)),
            on_error=functools.partial(self._on_statements_failed, model),
            on_aborted=functools.partial(self._drop, model),
            owner=self,
        )  # fmt: skip

    def _on_statements(self, model: Any, changes: int, statements: list[str]) -> None:
        from core.audit.consent import has_audit_log

        if not shiboken6.isValid(model):
            self._drop(model)
            return
        state, db = self.levels.state(), self.open_db.database
        where = (state.profile if state is not None and state.profile else None) or (
            db.display_url if db is not None else ""
        )
        catalog = self.open_db.catalog
        audited = catalog is not None and has_audit_log(catalog)
        dialog = ConfirmSaveDialog(where, changes, statements, self._parent, audited=audited)
        dialog.finished.connect(functools.partial(self._on_dialog_finished, model, dialog))
        self.dialog = dialog
        dialog.open()

    def _on_statements_failed(self, model: Any, failure: workers.Failure) -> None:
        self._drop(model)
        failed = getattr(model, "save_failed", None) if shiboken6.isValid(model) else None
        if failed is not None:
            failed.emit(failure.message)  # e.g. a value the save would refuse: the editor says so
        else:
            self.status.showMessage(f"Not saved: {failure.message}", 10_000)

    def _on_dialog_finished(self, model: Any, dialog: ConfirmSaveDialog, result: int) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()
        if shiboken6.isValid(model) and result == ConfirmSaveDialog.DialogCode.Accepted:
            self._asking.discard(id(model))
            self._approved.add(id(model))
            model.save()
            return
        self._drop(model)
        if not shiboken6.isValid(model):
            return
        n = model.staged_count
        self.status.showMessage(
            f"Not saved; {n:,} change{'s are' if n != 1 else ' is'} still staged.", 10_000
        )
