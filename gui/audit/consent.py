"""Asking before Warden adds its audit log to someone else's database (issue 12).

A save to a database without the audit log is refused unless the user agreed to create the log or chose
to save with audit explicitly off. `AuditConsentDialog` asks once per database; the window keeps the answer
for the session, runs core.audit.consent.ensure_audit_table on a worker for "Create", and shows
`gui.audit.audited_save.audit_off_reason` in the status bar for "Save without audit".
"""

from __future__ import annotations

import enum

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget


class AuditChoice(enum.Enum):
    """What the user answered."""

    CREATE = "create"  # add admin_audit_log, then save (audited)
    AUDIT_OFF = "off"  # save without audit for this session
    CANCEL = "cancel"  # do not save now; the edits stay staged


class AuditConsentDialog(QDialog):
    """ "This database has no audit log": Create audit log / Save without audit / Cancel."""

    def __init__(self, database_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("No audit log")
        self.choice = AuditChoice.CANCEL
        text = QLabel(
            f"<b>{_escaped(database_name)}</b> has no audit log, so Warden would not record who changed what."
            "<br><br>Create the audit log to record every save (Warden adds one table, "
            "<code>admin_audit_log</code>, to this database), or save without audit for this session."
        )
        text.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.create_button = QPushButton("Create audit log")
        self.off_button = QPushButton("Save without audit")
        buttons.addButton(self.create_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.off_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self._on_create_button_clicked)
        self.off_button.clicked.connect(self._on_off_button_clicked)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def _on_create_button_clicked(self) -> None:
        self.choice = AuditChoice.CREATE
        self.accept()

    def _on_off_button_clicked(self) -> None:
        self.choice = AuditChoice.AUDIT_OFF
        self.accept()


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
