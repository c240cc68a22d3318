"""Before Revert throws many staged changes away: "Revert 12 unsaved changes in locations?".

Window-modal and answered later (QMessageBox.open, never exec), like the Save / Discard / Cancel question
in gui/unsaved.py. One or two changes are reverted without asking; either way Undo brings them back.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

#: Up to this many staged changes, Revert does not ask (Undo still brings them back).
REVERT_WITHOUT_ASKING = 2


class RevertPrompt(QMessageBox):
    """Revert / Cancel for `count` staged changes of `entity`; `answered(True)` when Revert was chosen."""

    answered = Signal(bool)

    def __init__(self, count: int, entity: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("revertPrompt")
        self.setIcon(QMessageBox.Icon.Question)
        self.setWindowTitle("Revert Changes")
        self.setText(f"Revert {count:,} unsaved change{'s' if count != 1 else ''} in {entity}?")
        self.setInformativeText("Undo (Ctrl+Z) brings them back.")
        self.revert_button = self.addButton("Revert", QMessageBox.ButtonRole.DestructiveRole)
        self.cancel_button = self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(self.revert_button)
        self.setEscapeButton(self.cancel_button)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.finished.connect(self._on_finished)

    def choose(self, revert: bool) -> None:
        """Click Revert or Cancel (what a person does; tests use it too)."""
        (self.revert_button if revert else self.cancel_button).click()

    def _on_finished(self, _result: int) -> None:
        self.answered.emit(self.clickedButton() is self.revert_button)
        self.deleteLater()
