"""File → Save as Profile…: keep the open database as a named profile with a protection level."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from core.audit.profiles import LEVELS, Level, Profile, make_profile
from core.errors import WardenError
from gui.connection.dialog import LEVEL_TEXTS
from gui.safety.jobs import target_of

if TYPE_CHECKING:
    from core.engine.db import Database


class ProfileDialog(QDialog):
    """A name and a level for the open database; `profile()` once accepted."""

    def __init__(self, db: Database, level: Level, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Save as Profile")
        self.setObjectName("profileDialog")
        self.setMinimumWidth(420)
        self.target = target_of(db)
        self.name = QLineEdit(db.profile or "")
        self.name.setObjectName("profileNameField")
        self.name.setPlaceholderText("e.g. prod")
        self.level = QComboBox()
        self.level.setObjectName("levelField")
        for value in LEVELS:
            text, tip = LEVEL_TEXTS[value]
            self.level.addItem(text, value)
            self.level.setItemData(self.level.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.level.setCurrentIndex(LEVELS.index(level))
        where = QLabel(db.display_url)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b3261e;")
        self.problem.setWordWrap(True)
        self.problem.hide()
        note = QLabel(
            "File → Profiles opens it at this level, as warden --profile NAME does. No password is saved."
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: #52606d;")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Database:", where)
        form.addRow("&Name:", self.name)
        form.addRow("&Level:", self.level)
        form.addRow(note)
        form.addRow(self.problem)
        form.addRow(buttons)

    def profile(self) -> Profile:
        """The profile as filled in (WardenError when it has no name)."""
        profile, _password = make_profile(
            self.name.text(), self.target, cast(Level, self.level.currentData())
        )
        return profile

    def accept(self) -> None:
        """Only with a name."""
        try:
            self.profile()
        except WardenError as exc:
            self.problem.setText(str(exc))
            self.problem.show()
            return
        super().accept()
