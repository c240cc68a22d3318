"""A window-modal "Action / Cancel" question answered later (QMessageBox.open, never exec), like the
Save / Discard / Cancel question in gui/unsaved.py: the table editor's Revert and the graph's Delete Link."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget


class ConfirmPrompt(QMessageBox):
    """`action` / Cancel; `answered(True)` when the action was chosen (Cancel and Escape change nothing)."""

    answered = Signal(bool)

    def __init__(
        self,
        parent: QWidget,
        *,
        name: str,
        title: str,
        text: str,
        detail: str,
        action: str,
        action_default: bool,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setIcon(QMessageBox.Icon.Question)
        self.setWindowTitle(title)
        self.setText(text)
        self.setInformativeText(detail)
        self.action_button = self.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
        self.cancel_button = self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(self.action_button if action_default else self.cancel_button)
        self.setEscapeButton(self.cancel_button)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.finished.connect(self._on_finished)

    def choose(self, act: bool) -> None:
        """Click the action or Cancel (what a person does; tests use it too)."""
        (self.action_button if act else self.cancel_button).click()

    def _on_finished(self, _result: int) -> None:
        self.answered.emit(self.clickedButton() is self.action_button)
        self.deleteLater()
