"""The confirm level's question before a save: the SQL statements it will run, to read and copy."""

from __future__ import annotations

import html

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

#: Statements shown in full; a bigger save shows these and says how many more it runs.
SHOWN = 500


class ConfirmSaveDialog(QDialog):
    """ "Save 3 changes to prod?" with the statements; Save or Cancel (the edits stay staged)."""

    def __init__(
        self,
        where: str,
        changes: int,
        statements: list[str],
        parent: QWidget | None = None,
        *,
        audited: bool = True,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Confirm Save")
        self.setObjectName("confirmSaveDialog")
        self.resize(720, 420)
        self.statements = statements
        plural = "s" if changes != 1 else ""
        head = QLabel(
            f"Save {changes:,} change{plural} to <b>{html.escape(where)}</b>? "
            + (
                "This statement runs:"
                if len(statements) == 1
                else f"These {len(statements):,} statements run in one transaction:"
            )
        )
        head.setObjectName("confirmHead")
        head.setWordWrap(True)
        self.sql = QPlainTextEdit()
        self.sql.setObjectName("confirmSql")
        self.sql.setReadOnly(True)  # selectable and copyable, not editable
        self.sql.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)  # a long UPDATE reads whole
        self.sql.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        shown = statements[:SHOWN]
        more = len(statements) - len(shown)
        tail = f"\n\n-- … and {more:,} more statements (Copy SQL copies them all)" if more else ""
        self.sql.setPlainText("\n\n".join(shown) + tail)  # a blank line between statements
        recorded = "Each change is also recorded in the audit log. " if audited else ""
        note = QLabel(f"{recorded}Cancel keeps the changes staged; nothing is written.")
        note.setObjectName("confirmNote")
        note.setWordWrap(True)
        note.setStyleSheet("color: #52606d;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("confirmSaveButton")
        self.copy_button = QPushButton("&Copy SQL")
        self.copy_button.setObjectName("copySqlButton")
        self.buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_sql)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)  # Enter does not write
        layout = QVBoxLayout(self)
        layout.addWidget(head)
        layout.addWidget(self.sql, 1)
        layout.addWidget(note)
        layout.addWidget(self.buttons)

    def copy_sql(self) -> None:
        """Put every statement on the clipboard."""
        QGuiApplication.clipboard().setText("\n".join(self.statements))
