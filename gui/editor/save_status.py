"""The running save's state under the grid: "Saving 3 changes…" at once, then, while the database's write
lock is held by another program, "Waiting for another program's write lock (3 s of 5)…" with Cancel."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from gui.editor.model.table_model import TableEditorModel

SAVING_STYLE = "QLabel { color: #174ea6; }"
WAITING_STYLE = "QLabel { color: #8a4b00; font-weight: bold; }"


class SaveStatus(QWidget):
    """Follows the model's save_progressed: hidden between saves; Cancel only while the save waits."""

    def __init__(self, model: TableEditorModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("saveStatus")
        self.model = model
        self.label = QLabel()
        self.label.setObjectName("saveStatusText")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("saveCancel")
        self.cancel_button.setToolTip("Stop waiting: nothing is written, and your changes stay staged")
        self.cancel_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a click must not pull focus off the grid
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.cancel_button)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        model.save_progressed.connect(self._on_model_save_progressed)
        self._cancelling = False
        self.hide()

    @property
    def text(self) -> str:
        """What is shown ("" while no save runs)."""
        return "" if self.isHidden() else self.label.text()

    def _on_model_save_progressed(self, text: str, waiting: bool) -> None:
        if not text:
            self._cancelling = False
            self.hide()
            return
        self.label.setText(text)
        self.label.setStyleSheet(WAITING_STYLE if waiting else SAVING_STYLE)
        self.cancel_button.setVisible(waiting)
        self.cancel_button.setEnabled(not self._cancelling)  # the wait stops at its next try
        self.show()

    def _on_cancel_clicked(self) -> None:
        self._cancelling = True
        self.cancel_button.setEnabled(False)
        self.model.cancel_save()
