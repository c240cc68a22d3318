"""Before Revert throws many staged changes away: "Revert 12 unsaved changes in locations?".

Window-modal and answered later (QMessageBox.open, never exec), like the Save / Discard / Cancel question
in gui/unsaved.py. One or two changes are reverted without asking; either way Undo brings them back.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from gui.confirm_prompt import ConfirmPrompt

#: Up to this many staged changes, Revert does not ask (Undo still brings them back).
REVERT_WITHOUT_ASKING = 2


class RevertPrompt(ConfirmPrompt):
    """Revert / Cancel for `count` staged changes of `entity`; `answered(True)` when Revert was chosen."""

    def __init__(self, count: int, entity: str, parent: QWidget) -> None:
        super().__init__(
            parent,
            name="revertPrompt",
            title="Revert Changes",
            text=f"Revert {count:,} unsaved change{'s' if count != 1 else ''} in {entity}?",
            detail="Undo (Ctrl+Z) brings them back.",
            action="Revert",
            action_default=True,
        )
