"""The table editor's actions: names, shortcuts and tooltips in one place, built onto a toolbar."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar, QWidget

from gui.editor.roles import Role

#: Actions that write or stage; disabled on a read-only entity.
EDITING = ("save", "revert", "insert", "duplicate", "delete", "paste")


@dataclass(frozen=True)
class ActionSpec:
    """One toolbar or menu action."""

    name: str
    text: str
    shortcut: QKeySequence.StandardKey | str | None
    tip: str
    toolbar: bool = True


SPECS = (
    ActionSpec("save", "Save", QKeySequence.StandardKey.Save, "Write every staged change in one transaction"),
    ActionSpec("revert", "Revert", None, "Discard every staged change"),
    ActionSpec("undo", "Undo", QKeySequence.StandardKey.Undo, "Undo the last staged edit"),
    ActionSpec("redo", "Redo", "Ctrl+Y", "Redo the last undone edit"),
    ActionSpec("insert", "Insert row", "Ctrl+I", "Add a new row with default values"),
    ActionSpec("duplicate", "Duplicate", "Ctrl+D", "Copy the selected rows as new rows"),
    ActionSpec(
        "delete", "Delete…", QKeySequence.StandardKey.Delete, "Delete the selected rows (shows a preview)"
    ),
    ActionSpec("refresh", "Refresh", QKeySequence.StandardKey.Refresh, "Reload rows from the database (F5)"),
    ActionSpec("export", "Export…", None, "Export the rows of this view, filters and sort applied"),
    ActionSpec("form", "Record form", "Ctrl+R", "Show the selected row as a form with its related rows"),
    ActionSpec("find", "Find", QKeySequence.StandardKey.Find, "Filter the rows (Ctrl+F)", toolbar=False),
    ActionSpec(
        "copy", "Copy", QKeySequence.StandardKey.Copy, "Copy the selected cells as TSV", toolbar=False
    ),
    ActionSpec(
        "paste", "Paste…", QKeySequence.StandardKey.Paste, "Paste TSV (previewed first)", toolbar=False
    ),
    ActionSpec("end", "Last rows", "Ctrl+End", "Jump to the last rows", toolbar=False),
)


def build_actions(owner: QWidget, toolbar: QToolBar) -> dict[str, QAction]:
    """Create every action on `owner` (shortcuts work while the editor has focus) and fill the toolbar."""
    actions: dict[str, QAction] = {}
    for spec in SPECS:
        action = QAction(spec.text, owner)
        action.setObjectName(f"{spec.name}Action")
        if spec.shortcut is not None:
            action.setShortcut(QKeySequence(spec.shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shown = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{spec.tip} ({shown})" if shown else spec.tip)
        else:
            action.setToolTip(spec.tip)
        owner.addAction(action)
        if spec.toolbar:
            if spec.name in ("undo", "insert", "refresh", "form"):
                toolbar.addSeparator()
            toolbar.addAction(action)
        actions[spec.name] = action
    actions["form"].setCheckable(True)
    return actions


def selection_tsv(indexes: list[QModelIndex]) -> str:
    """Selected cells as TSV (whole values, tabs inside values made spaces), row by row."""
    lines: dict[int, list[str]] = {}
    for i in sorted(indexes, key=lambda i: (i.row(), i.column())):
        value = i.data(Role.FULL_TEXT)
        lines.setdefault(i.row(), []).append("" if value is None else str(value).replace("\t", " "))
    return "\n".join("\t".join(cells) for cells in lines.values())
