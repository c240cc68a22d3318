"""The open connection's protection level in the window: its profile, an unlock and its end.

Opening a profile opens at its level (a read-only profile as a read-only session: the database refuses
writes). "Unlock Editing…" asks for a reason and a duration, then reopens the database writable on a worker
and writes the unlock to the audit log (core.audit.elevation.elevate); the window swaps the reopened database
in, keeping tabs, rows and staged edits. When the unlock ends, the connection stops writing at once and is
reopened read-only; staged edits stay staged, unsaved.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QWidget

from gui.runtime import workers
from gui.runtime.priority import Priority
from gui.safety.state import LevelState
from gui.safety.unlock_dialog import UnlockDialog

if TYPE_CHECKING:
    from core.audit.elevation import Elevation
    from core.audit.profiles import Profile
    from core.engine.db import Database
    from gui.runtime.open_database import OpenDatabase

#: The longest single QTimer wait; a longer unlock re-arms the timer.
MAX_WAIT_MS = 2**31 - 1


class SafetyLevels(QObject):
    """Holds the open connection's profile and unlock; `changed(LevelState | None)` on every change."""

    changed = Signal(object)  # the LevelState now (None: nothing open)
    unlocked = Signal(object)  # the Elevation written to the audit log
    relocked = Signal()  # the unlock ended: the connection is read-only again
    message = Signal(str)  # a note for the status bar

    def __init__(self, open_db: OpenDatabase, swap: Callable[[Database], None], parent: QWidget) -> None:
        super().__init__(parent)
        self.open_db, self._swap, self._parent = open_db, swap, parent
        self.profile: Profile | None = None  # the open database's profile
        self._pending: Profile | None = None  # the profile of the database being opened
        self.elevation: Elevation | None = None
        self.dialog: UnlockDialog | None = None
        self._busy = False  # reopening: no second unlock or relock meanwhile
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setTimerType(Qt.TimerType.VeryCoarseTimer)
        self.timer.timeout.connect(self._on_timer_timeout)
        open_db.database_changed.connect(self._on_open_db_database_changed)

    # --- reading ---------------------------------------------------------------------------------

    def state(self) -> LevelState | None:
        """The open connection's level now; None with nothing open."""
        db = self.open_db.database
        if db is None:
            return None
        name = self.profile.name if self.profile is not None else None
        if self.elevation is not None:
            return LevelState("confirm", name, unlocked=True, until=self.elevation.until)
        if db.capabilities.read_only:
            return LevelState("read-only", name)
        return LevelState(self.profile.level if self.profile is not None else "editor", name)

    def can_unlock(self) -> bool:
        """Whether Unlock Editing… has something to do: a read-only connection, not being reopened."""
        db = self.open_db.database
        return db is not None and db.capabilities.read_only and self.elevation is None and not self._busy

    # --- opening ---------------------------------------------------------------------------------

    def expect(self, profile: Profile | None) -> None:
        """The database being opened comes from `profile` (None: a file or URL without one)."""
        self._pending = profile

    def _on_open_db_database_changed(self, _db: Database | None) -> None:
        self.profile, self._pending = self._pending, None
        self._end_elevation()
        self.changed.emit(self.state())

    def adopt(self, profile: Profile) -> bool:
        """The open database was just saved as `profile`: show its name and level now when the connection
        already has its rights (a read-only profile on a read-only session, or a writing one on a writable
        session); False when it takes a reopen (File → Profiles)."""
        db = self.open_db.database
        if db is None or self.elevation is not None or db.capabilities.read_only == profile.writes:
            return False
        self.profile = profile
        db.profile = profile.name
        self.changed.emit(self.state())
        return True

    # --- unlocking -------------------------------------------------------------------------------

    def ask_unlock(self) -> UnlockDialog | None:
        """Open the unlock question (window-modal, not blocking); None when there is nothing to unlock."""
        if self.dialog is not None:
            self.dialog.raise_()
            return self.dialog
        db = self.open_db.database
        if db is None or not self.can_unlock():
            return None
        where = self.profile.name if self.profile is not None else db.display_url
        dialog = UnlockDialog(where, self._parent)
        dialog.submitted.connect(self.unlock)
        dialog.finished.connect(functools.partial(self._on_dialog_finished, dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _on_dialog_finished(self, dialog: UnlockDialog, _result: int) -> None:
        if self.dialog is dialog:  # closed by the person (Cancel, Esc) or after the unlock
            self.dialog = None
        dialog.deleteLater()  # an unlock under way still arrives: it no longer needs the dialog

    def unlock(self, reason: str, minutes: int | None) -> None:
        """Reopen the database writable on a worker and record the unlock; `unlocked` or a message follows."""
        from gui.safety.jobs import unlock

        db = self.open_db.database
        if db is None or self._busy:
            return
        self._busy = True
        if self.dialog is not None:
            self.dialog.set_busy(True)
        name = self.profile.name if self.profile is not None else None
        create_log = self.dialog is not None and self.dialog.create_log.isChecked()
        workers.run(
            unlock, db, name, reason, minutes, create_log,
            on_done=functools.partial(self._on_unlock_done, self.open_db.generation),
            on_error=self._on_unlock_failed, on_aborted=self._on_unlock_aborted,
            owner=self, key="unlock", priority=Priority.SAVE,
        )  # fmt: skip

    def _on_unlock_done(self, generation: int, result: tuple[Database, Elevation]) -> None:
        db, elevation = result
        self._busy = False
        if generation != self.open_db.generation:  # another database was opened meanwhile
            workers.run(db.dispose)
            self._close_dialog()
            return
        self._swap(db)
        self.elevation = elevation
        self._arm_timer()
        self._close_dialog()
        state = self.state()
        self.changed.emit(state)
        self.unlocked.emit(elevation)
        if state is not None:
            self.message.emit(
                f"Editing unlocked {state.badge_text.removeprefix('UNLOCKED ')}; saves show their SQL."
            )

    def _on_unlock_failed(self, failure: workers.Failure) -> None:
        from core.data.audit_trail import AuditUnavailable  # loaded: the unlock ran on a worker

        self._busy = False
        text = f"Not unlocked: {failure.message}"
        if self.dialog is not None:
            if isinstance(failure.exception, AuditUnavailable):  # the unlock has nowhere to be recorded
                self.dialog.offer_audit_log()
            self.dialog.show_problem(text)
        else:
            self.message.emit(text)

    def _on_unlock_aborted(self) -> None:
        self._busy = False  # a bug: the crash handler says so
        self._close_dialog()

    def _close_dialog(self) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.close_unlocked()

    # --- the unlock's end ------------------------------------------------------------------------

    def _arm_timer(self) -> None:
        until = self.elevation.until if self.elevation is not None else None
        if until is None:
            self.timer.stop()
            return
        left = (until - dt.datetime.now(until.tzinfo)).total_seconds()
        self.timer.start(int(min(max(left, 0) * 1000, MAX_WAIT_MS)))

    def _on_timer_timeout(self) -> None:
        elevation = self.elevation
        if elevation is None:
            return
        if elevation.active():
            self._arm_timer()  # a long unlock waits in steps
            return
        self.relock()

    def relock(self) -> None:
        """End the unlock now: the connection refuses writes at once and is reopened read-only on a worker;
        staged edits stay staged."""
        from gui.safety.jobs import relock

        db = self.open_db.database
        if self.elevation is None or db is None:
            return
        # At once, before the reopen: every core write checks this first (Database.allow_writes).
        db.capabilities.read_only = True
        self._end_elevation()
        self._busy = True
        name = self.profile.name if self.profile is not None else None
        self.changed.emit(self.state())
        workers.run(
            relock, db, name,
            on_done=functools.partial(self._on_relock_done, self.open_db.generation),
            on_error=self._on_relock_failed, on_aborted=self._on_relock_failed,
            owner=self, key="relock", priority=Priority.SAVE,
        )  # fmt: skip

    def _end_elevation(self) -> None:
        self.elevation = None
        self.timer.stop()

    def _on_relock_done(self, generation: int, db: Database) -> None:
        self._busy = False
        if generation != self.open_db.generation:
            workers.run(db.dispose)
            return
        self._swap(db)
        self.changed.emit(self.state())
        self.relocked.emit()
        self.message.emit("The unlock ended: this connection is read-only again. Unsaved changes are kept.")

    def _on_relock_failed(self, failure: workers.Failure | None = None) -> None:
        # Still refused by allow_writes; the read-only session comes with the next open.
        self._busy = False
        self.relocked.emit()
        why = f" ({failure.message})" if failure is not None else ""
        self.message.emit(f"The unlock ended: Warden no longer writes to this connection{why}.")
