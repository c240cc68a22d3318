"""The window's audit decision for the open database: ask before the first save, and say when audit is off.

An editor's save on a database without an audit log waits while `AuditConsentDialog` asks (once per
database and session): "Create audit log" adds the table on a worker (OpenDatabase.change_schema, which
reloads the catalog) and then saves, audited (if the catalog cannot be read again, nothing is sent and
the edits stay staged); "Save without audit" remembers the answer
(gui/audit/audited_save.py), shows the "Audit off" badge and saves; Cancel saves nothing and the edits
stay staged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from gui.audit import audited_save
from gui.audit.consent import AuditChoice, AuditConsentDialog

if TYPE_CHECKING:
    from core.engine.db import Database
    from gui.runtime import workers
    from gui.runtime.open_database import CatalogChange, OpenDatabase

BADGE_STYLE = (
    "QLabel { background: #b45309; color: #ffffff; font-weight: 700; border-radius: 3px;"
    " padding: 1px 8px; margin: 2px 4px; }"
)


def create_audit_log(db: Database) -> bool:
    """core.audit.consent.ensure_audit_table, imported on the calling (worker) thread."""
    from core.audit.consent import ensure_audit_table

    return ensure_audit_table(db)


class AuditGate(QObject):
    """Asks before the first save to a database without an audit log; shows the "Audit off" badge."""

    declined = Signal(object)  # a model whose held save is not sent: Cancel, or the log was not created

    def __init__(self, open_db: OpenDatabase, status: QStatusBar, parent: QWidget) -> None:
        super().__init__(parent)
        self.open_db, self.status, self._parent = open_db, status, parent
        self.dialog: AuditConsentDialog | None = None  # the open question, if any
        self._waiting: list[Any] = []  # editor models whose save waits for the answer
        self.badge = QLabel("Audit off")
        self.badge.setObjectName("auditOffBadge")
        self.badge.setStyleSheet(BADGE_STYLE)
        self.badge.hide()
        open_db.database_changed.connect(self._on_open_db_database_changed)
        open_db.catalog_changed.connect(self._on_open_db_catalog_changed)

    # --- the editors' save --------------------------------------------------------------------------

    def allows(self, model: Any) -> bool:
        """Whether `model` (a TableEditorModel) may save now; if not, the question is open and the model
        saves again once it is answered (or never, on Cancel)."""
        db, catalog = self.open_db.database, self.open_db.catalog
        if db is None or catalog is None or not audited_save.needs_consent(db, catalog):
            return True
        if model not in self._waiting:
            self._waiting.append(model)
        if self.dialog is None:
            self.dialog = AuditConsentDialog(db.display_url, self._parent)
            self.dialog.setObjectName("auditConsentDialog")
            self.dialog.finished.connect(self._on_dialog_finished)
            self.dialog.open()
        return False

    def holds(self, model: Any) -> bool:
        """Whether `model`'s save waits for the answer (the leave guard waits with it)."""
        return model in self._waiting

    def _drop_waiting(self) -> None:
        models, self._waiting = self._waiting, []
        for model in models:
            self.declined.emit(model)

    def answer(self, choice: AuditChoice) -> None:
        """Answer the open question as a person would, with its buttons (tests and screenshots)."""
        dialog = self.dialog
        if dialog is None:
            raise RuntimeError("no audit question is open")
        if choice == AuditChoice.CREATE:
            dialog.create_button.click()
        elif choice == AuditChoice.AUDIT_OFF:
            dialog.off_button.click()
        else:
            dialog.reject()

    def _on_dialog_finished(self, _result: int) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is None:
            return
        dialog.deleteLater()
        db = self.open_db.database
        if db is None:
            self._drop_waiting()
            return
        if dialog.choice == AuditChoice.CREATE:
            self.status.showMessage("Creating the audit log…")
            self.open_db.change_schema(
                create_audit_log, on_done=self._on_log_created, on_error=self._on_create_failed
            )
        elif dialog.choice == AuditChoice.AUDIT_OFF:
            audited_save.set_audit_off(db)
            self._show_badge()
            self._save_waiting()
        else:
            n = sum(m.staged_count for m in self._live_waiting())
            self._drop_waiting()
            self.status.showMessage(
                f"Not saved; {n:,} change{'s are' if n != 1 else ' is'} still staged.", 10_000
            )

    def _on_log_created(self, _created: bool) -> None:
        # change_schema reloads the catalog now: the editors follow it, then they save, audited; if it cannot
        # be read, the saves are not sent (their edits stay staged) and a quit asks about them as usual
        self.open_db.catalog_changed.connect(self._on_catalog_after_create)
        self.open_db.catalog_failed.connect(self._on_catalog_failed_after_create)
        self.open_db.catalog_aborted.connect(self._on_catalog_aborted_after_create)

    def _stop_following_the_reload(self) -> None:
        self.open_db.catalog_changed.disconnect(self._on_catalog_after_create)
        self.open_db.catalog_failed.disconnect(self._on_catalog_failed_after_create)
        self.open_db.catalog_aborted.disconnect(self._on_catalog_aborted_after_create)

    def _on_catalog_after_create(self, _change: CatalogChange) -> None:
        self._stop_following_the_reload()
        self.status.showMessage("Created the audit log: saves to this database are recorded.", 10_000)
        self._save_waiting()

    def _on_catalog_failed_after_create(self, _failure: workers.Failure) -> None:
        self._stop_following_the_reload()  # the window says why the catalog could not be read
        self._not_saved_after_create()

    def _on_catalog_aborted_after_create(self) -> None:
        self._stop_following_the_reload()  # the crash handler says why
        self._not_saved_after_create()

    def _not_saved_after_create(self) -> None:
        n = sum(m.staged_count for m in self._live_waiting())
        self._drop_waiting()
        self.status.showMessage(
            "Audit log created, but the tables could not be read again: nothing saved; "
            f"{n:,} change{'s' if n != 1 else ''} still staged.",
            20_000,
        )

    def _on_create_failed(self, failure: workers.Failure) -> None:
        self._drop_waiting()
        self.status.showMessage(
            f"The audit log was not created: {failure.message} Nothing was saved.", 15_000
        )

    def _live_waiting(self) -> list[Any]:
        return [m for m in self._waiting if shiboken6.isValid(m)]

    def _save_waiting(self) -> None:
        models, self._waiting = self._live_waiting(), []
        for model in models:
            model.save()

    # --- the badge ----------------------------------------------------------------------------------

    def _on_open_db_database_changed(self, _db: Database | None) -> None:
        self._show_badge()

    def _on_open_db_catalog_changed(self, _change: CatalogChange) -> None:
        self._show_badge()

    def _show_badge(self) -> None:
        db, catalog = self.open_db.database, self.open_db.catalog
        reason = (
            audited_save.audit_off_reason(db, catalog) if db is not None and catalog is not None else None
        )
        self.badge.setVisible(reason is not None)
        self.badge.setToolTip(reason or "")
