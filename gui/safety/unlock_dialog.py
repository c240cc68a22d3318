"""Unlock editing on a read-only connection: a reason (required, written to the audit log) and how long."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

#: The durations offered, in minutes; None lasts until Warden closes.
DURATIONS: tuple[tuple[str, int | None], ...] = (
    ("For 15 minutes", 15),
    ("For 60 minutes", 60),
    ("For this session", None),
)


class UnlockDialog(QDialog):
    """Asks why and for how long; Unlock is enabled once a reason is typed.

    Unlock does not close it: `submitted(reason, minutes)` asks for the unlock, and the dialog stays up,
    busy, until the caller closes it (done) or says why not (show_problem).
    """

    submitted = Signal(str, object)  # the reason, the minutes (None: this session)

    def __init__(self, where: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Unlock Editing")
        self.setObjectName("unlockDialog")
        self.setMinimumWidth(460)
        intro = QLabel(
            f"<b>{html.escape(where)}</b> is read-only. Unlocking lets Warden change it until the time "
            "you choose; then it is read-only again (unsaved changes are kept). The unlock and its "
            "reason are written to the audit log, and every save shows its SQL first."
        )
        intro.setObjectName("unlockIntro")
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("unlockReason")
        self.reason.setPlaceholderText("Why? e.g. Fix order 1042's address (ticket SUP-311)")
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(72)
        self.duration = QComboBox()
        self.duration.setObjectName("unlockDuration")
        for text, minutes in DURATIONS:
            self.duration.addItem(text, minutes)
        form = QFormLayout()
        form.addRow("&Reason:", self.reason)
        form.addRow("&Duration:", self.duration)
        # Shown when the database has no audit log to record the unlock in: creating one is the person's call.
        self.create_log = QCheckBox("Create the audit log to record this unlock and every save")
        self.create_log.setObjectName("unlockCreateLog")
        self.create_log.hide()
        self.problem = QLabel()
        self.problem.setObjectName("unlockProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b3261e;")
        self.problem.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.unlock_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.unlock_button.setText("&Unlock")
        self.unlock_button.setObjectName("unlockButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.create_log)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.busy = False
        self.reason.textChanged.connect(self._on_reason_text_changed)
        self._on_reason_text_changed()
        self.reason.setFocus()

    def reason_text(self) -> str:
        """The reason as typed, trimmed."""
        return self.reason.toPlainText().strip()

    def minutes(self) -> int | None:
        """How long the unlock lasts; None: this session."""
        value = self.duration.currentData()
        return int(value) if value is not None else None

    def offer_audit_log(self) -> None:
        """The database has no audit log: offer to create it with the unlock (ticked: Unlock creates it)."""
        self.create_log.show()
        self.create_log.setChecked(True)

    def show_problem(self, text: str) -> None:
        """Say why the unlock did not happen (the dialog stays open)."""
        self.problem.setText(text)
        self.problem.show()
        self.set_busy(False)

    def set_busy(self, busy: bool) -> None:
        """While the database is reopened: nothing can be pressed twice."""
        self.busy = busy
        self.unlock_button.setEnabled(not busy and bool(self.reason_text()))
        self.cancel_button.setEnabled(not busy)  # the reopen cannot be called back halfway
        self.reason.setReadOnly(busy)
        self.duration.setEnabled(not busy)
        self.unlock_button.setText("Unlocking…" if busy else "&Unlock")

    def accept(self) -> None:
        """Ask for the unlock (`submitted`), only with a reason: a blank one says so."""
        if not self.reason_text():
            self.show_problem("Type a reason: it is written to the audit log with the unlock.")
            return
        self.problem.hide()
        self.set_busy(True)
        self.submitted.emit(self.reason_text(), self.minutes())

    def reject(self) -> None:
        """Cancel, Esc or the close button; not while the database is being reopened."""
        if not self.busy:
            super().reject()

    def close_unlocked(self) -> None:
        """The unlock is done: close as accepted."""
        super().accept()

    def _on_reason_text_changed(self) -> None:
        self.unlock_button.setEnabled(bool(self.reason_text()))
        self.unlock_button.setToolTip("" if self.reason_text() else "Type a reason first")
