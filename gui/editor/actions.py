"""The table editor's actions: names, shortcuts and tooltips in one place, built onto a toolbar."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar, QWidget

from gui.editor.model.roles import Role

#: Actions that write or stage; disabled on a read-only entity.
EDITING = ("save", "revert", "insert", "duplicate", "delete", "paste", "cut", "set_null")

#: A shortcut: a standard key (its platform's first binding), a portable text such as "Ctrl+E", or several.
Shortcut = QKeySequence.StandardKey | str | tuple[QKeySequence.StandardKey | str, ...] | None


@dataclass(frozen=True)
class ActionSpec:
    """One toolbar or menu action; `icon_text` is the shorter label a toolbar button shows."""

    name: str
    text: str
    shortcut: Shortcut
    tip: str
    toolbar: bool = True
    icon_text: str = ""


K = QKeySequence.StandardKey

# Every shortcut here belongs to the editor (WidgetWithChildrenShortcut): the main window's Edit and View
# menus list these same QAction objects, so no key is bound twice (Qt fires neither of two equal
# shortcuts). Window-wide keys (Open, Quit, font size, Help) belong to gui/menus.py.
SPECS = (
    ActionSpec("save", "&Save", K.Save, "Write every staged change in one transaction", icon_text="Save"),
    ActionSpec("revert", "Re&vert", "Ctrl+Shift+R", "Discard every staged change", icon_text="Revert"),
    ActionSpec("undo", "&Undo", K.Undo, "Undo the last staged edit", icon_text="Undo"),
    ActionSpec("redo", "&Redo", (K.Redo, "Ctrl+Shift+Z"), "Redo the last undone edit", icon_text="Redo"),
    ActionSpec("insert", "&Insert Row", "Ctrl+I", "Add a new row with default values",
               icon_text="Insert row"),
    ActionSpec("duplicate", "D&uplicate Rows", "Ctrl+D", "Copy the selected rows as new rows",
               icon_text="Duplicate"),
    ActionSpec("delete", "&Delete Rows…", K.Delete, "Delete the selected rows (shows a preview)",
               icon_text="Delete…"),
    ActionSpec("refresh", "&Refresh", K.Refresh, "Reload rows from the database", icon_text="Refresh"),
    ActionSpec("export", "&Export…", "Ctrl+E", "Export the rows of this view, filters and sort applied",
               icon_text="Export…"),
    ActionSpec("form", "Record &Form", "Ctrl+R", "Show the selected row as a form with its related rows",
               icon_text="Record form"),
    ActionSpec("find", "&Find…", K.Find, "Filter the rows by text (the quick filter)", toolbar=False),
    ActionSpec("cut", "Cu&t", K.Cut, "Copy the selected cells, then set them to NULL", toolbar=False),
    ActionSpec("copy", "&Copy", K.Copy, "Copy the selected cells as TSV", toolbar=False),
    ActionSpec("copy_headers", "Copy with &Headers", "Ctrl+Shift+C",
               "Copy the selected cells as TSV, column names first", toolbar=False),
    ActionSpec("paste", "&Paste…", K.Paste, "Paste TSV (previewed first)", toolbar=False),
    ActionSpec("set_null", "Set &NULL", "Alt+Del", "Set the selected cells to NULL (staged; undoable)",
               toolbar=False),
    ActionSpec("end", "&Last Rows", "Ctrl+End", "Jump to the last rows", toolbar=False),
)  # fmt: skip


def key_sequences(shortcut: Shortcut) -> list[QKeySequence]:
    """The key sequences of a spec's shortcut: a standard key's first platform binding, no duplicates."""
    if shortcut is None:
        return []
    parts = shortcut if isinstance(shortcut, tuple) else (shortcut,)
    found: list[QKeySequence] = []
    for part in parts:
        if isinstance(part, str):
            seq = QKeySequence(part)
        else:
            bindings = QKeySequence.keyBindings(part)
            seq = bindings[0] if bindings else QKeySequence()
        if not seq.isEmpty() and seq not in found:
            found.append(seq)
    return found


def shortcut_text(action: QAction) -> str:
    """The action's first shortcut as the platform writes it ('' when it has none)."""
    return action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)


def build_actions(owner: QWidget, toolbar: QToolBar) -> dict[str, QAction]:
    """Create every action on `owner` (shortcuts work while the editor has focus) and fill the toolbar."""
    actions: dict[str, QAction] = {}
    for spec in SPECS:
        action = QAction(spec.text, owner)
        action.setObjectName(f"{spec.name}Action")
        if spec.icon_text:
            action.setIconText(spec.icon_text)
        action.setShortcuts(key_sequences(spec.shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        label = spec.icon_text or action.iconText()
        shown = shortcut_text(action)
        action.setToolTip(f"{label} ({shown}): {spec.tip}" if shown else f"{label}: {spec.tip}")
        action.setStatusTip(spec.tip)
        action.setProperty("editorAction", True)  # the main window's menus show it while its tab is current
        owner.addAction(action)
        if spec.toolbar:
            if spec.name in ("undo", "insert", "refresh", "form"):
                toolbar.addSeparator()
            toolbar.addAction(action)
        actions[spec.name] = action
    actions["form"].setCheckable(True)
    return actions


def selection_tsv(indexes: list[QModelIndex], *, headers: bool = False) -> str:
    """Selected cells as TSV (whole values, tabs inside values made spaces), row by row; with `headers`,
    the selected columns' names come first."""
    lines: dict[int, list[str]] = {}
    names: dict[int, str] = {}
    for i in sorted(indexes, key=lambda i: (i.row(), i.column())):
        value = i.data(Role.FULL_TEXT)
        lines.setdefault(i.row(), []).append("" if value is None else str(value).replace("\t", " "))
        info = i.data(Role.COLUMN)
        names.setdefault(i.column(), info.name if info is not None else str(i.column()))
    rows = ["\t".join(cells) for cells in lines.values()]
    if headers and rows:
        rows.insert(0, "\t".join(names[c] for c in sorted(names)))
    return "\n".join(rows)
