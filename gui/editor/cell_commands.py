"""Commands on the grid's selected cells: Set NULL, Cut, Copy with headers, filter by a cell's value, and
the grid's context menu that offers them.

Set NULL stages through the model's setData (one undoable step for the whole selection); filters go to
the editor's filter bar, where the user sees and can remove them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu

from core.data.repository import Filter
from core.schema.catalog import ColumnInfo
from gui.editor.actions import selection_tsv
from gui.editor.filter_bar import NULL_OPS, OPS, kind_group
from gui.editor.model.roles import Role, RowState

if TYPE_CHECKING:
    from gui.editor.view import TableEditor

EDIT = Qt.ItemDataRole.EditRole


def set_null(editor: TableEditor) -> int:
    """Stage NULL on the selected cells of nullable columns, as one undoable step; returns how many
    changed. A NOT NULL or read-only column is left as it is, and the inline message says why."""
    if editor.entity.read_only:
        editor.show_message(f"{editor.entity.name} is read-only: nothing was changed.")
        return 0
    targets: list[QModelIndex] = []
    required: set[str] = set()
    locked: set[str] = set()
    for index in _selected(editor):
        info: ColumnInfo = index.data(Role.COLUMN)
        if not info.nullable:
            required.add(info.name)
        elif not editor.model.flags(index) & Qt.ItemFlag.ItemIsEditable:
            locked.add(info.name)
        elif index.data(EDIT) is not None:
            targets.append(index)
    if targets:
        stack = editor.model.undo_stack
        stack.beginMacro(f"Set {len(targets)} cell{'s' if len(targets) != 1 else ''} to NULL")
        try:
            changed = sum(bool(editor.model.setData(index, None, EDIT)) for index in targets)
        finally:
            stack.endMacro()
    else:
        changed = 0
    reasons = []
    if required:
        names = ", ".join(sorted(required))
        reasons.append(f"{names} {'is' if len(required) == 1 else 'are'} required (NOT NULL)")
    if locked:
        names = ", ".join(sorted(locked))
        reasons.append(f"{names} cannot be edited here (a key, a computed or deleted row)")
    if reasons:
        plural = "s" if changed != 1 else ""
        done = f"Set {changed} cell{plural} to NULL; " if changed else "Not set to NULL: "
        editor.show_message(done + "; ".join(reasons) + ".", error=not changed)
    return changed


def cut(editor: TableEditor) -> None:
    """Copy the selected cells, then stage NULL on those of nullable columns (Set NULL's rules)."""
    copy(editor)
    set_null(editor)


def copy(editor: TableEditor, *, headers: bool = False) -> None:
    """Copy the selected cells as TSV; with `headers` the column names come first."""
    text = selection_tsv(_selected(editor), headers=headers)
    if text:
        QApplication.clipboard().setText(text)


def value_filter(index: QModelIndex, *, exclude: bool) -> tuple[Filter | None, str]:
    """The filter-bar condition that keeps (or, with `exclude`, drops) rows holding this cell's stored
    value, or None and the reason it cannot be expressed."""
    info: ColumnInfo | None = index.data(Role.COLUMN)
    if info is None or index.data(Role.ROW_STATE) == RowState.PLACEHOLDER:
        return None, "The row has not loaded yet."
    value = index.data(Role.ORIGINAL) if index.data(Role.STAGED) else index.data(EDIT)
    if value is None:
        if not info.nullable:
            return None, f"{info.name} is never empty."
        offered = {op for op, _ in NULL_OPS}
        op = "not_null" if exclude else "is_null"
        return (Filter(info.name, op), "") if op in offered else (None, "No empty-value filter here.")
    group = kind_group(info)
    offered = {op for op, _ in OPS.get(group, [])}
    if group == "boolean" and "eq" in offered:
        return Filter(info.name, "eq", (not value) if exclude else bool(value)), ""
    if exclude:
        if "ne" in offered:
            return Filter(info.name, "ne", str(value)), ""
        return None, f"{info.name} ({info.kind}) has no 'is not' filter."
    if "eq" in offered:
        return Filter(info.name, "eq", str(value)), ""
    if "in" in offered:
        return Filter(info.name, "in", [str(value)]), ""
    return None, f"{info.name} ({info.kind}) cannot be filtered by equal value."


def filter_by_value(editor: TableEditor, index: QModelIndex, *, exclude: bool) -> bool:
    """Add the cell's value as a condition to the filter bar and apply it; False (and a message) when
    the column has no such filter."""
    condition, reason = value_filter(index, exclude=exclude)
    if condition is None:
        editor.show_message(reason)
        return False
    editor.add_filter(condition)
    return True


def context_menu(editor: TableEditor, index: QModelIndex) -> QMenu:
    """The grid's context menu on `index`: copy and paste, Set NULL, filters by value, references."""
    a = editor.actions_by_name
    menu = QMenu(editor)
    menu.setObjectName("gridContextMenu")
    menu.setToolTipsVisible(True)  # disabled entries say why in their tooltip
    for name in ("copy", "copy_headers", "paste"):
        menu.addAction(a[name])
    menu.addSeparator()
    menu.addAction(a["set_null"])
    menu.addSeparator()
    for text, exclude in (("&Filter by This Value", False), ("E&xclude This Value", True)):
        action = _item(menu, text, lambda exclude=exclude: filter_by_value(editor, index, exclude=exclude))
        condition, reason = value_filter(index, exclude=exclude)
        action.setObjectName("excludeValueAction" if exclude else "filterValueAction")
        _explain(action, condition is not None, _describe(condition) if condition else reason)
    menu.addSeparator()
    reference = _item(menu, "Open &Referenced Record", lambda: _open_reference(editor, index))
    reference.setObjectName("openReferenceAction")
    fk = index.data(Role.FOREIGN_KEY)
    if fk is None:
        _explain(reference, False, "This column does not refer to another table.")
    elif index.data(EDIT) is None:
        _explain(reference, False, "This cell refers to no record (NULL).")
    else:
        _explain(reference, True, f"Open the {fk.target} record this cell refers to")
    # The key is shown after a tab, not bound: the editor's own Record Form action owns it, and a second
    # binding would make Qt fire neither while this menu is open.
    shown = a["form"].shortcut().toString()
    text = f"Record F&orm\t{shown}" if shown else "Record F&orm"
    form = _item(menu, text, lambda: editor.show_form(index.row()))
    form.setObjectName("recordFormAction")
    key = editor.model.row_key(index.row())
    graph = _item(menu, "Show in &Graph", lambda: editor.graph_requested.emit(editor.entity.name, key))
    graph.setObjectName("showInGraphAction")
    why = "This row and its linked records as a graph" if key else "Only a saved row with a key has a graph"
    _explain(graph, key is not None, why)
    like = _item(menu, "More &Like This", lambda: editor.similar_requested.emit(editor.entity.name, key))
    like.setObjectName("moreLikeThisAction")
    if not editor.entity.vectors:
        _explain(like, False, "This table has no vector column")
    else:
        _explain(like, key is not None, "Rows whose stored vector is nearest this row's (the search panel)")
    keys = [k for r in editor.selected_rows() if (k := editor.model.row_key(r)) is not None]
    entity = editor.entity.name
    again = _item(menu, "Re-&embed Selected Rows", lambda: editor.reembed_requested.emit(entity, keys))
    again.setObjectName("reembedRowsAction")
    locked = editor.read_only_reason()
    if not editor.entity.vectors:
        _explain(again, False, "This table has no vector column")
    elif locked:
        _explain(again, False, locked)
    else:
        n = len(keys)
        why = f"Embed the {n:,} selected saved row{'s' if n != 1 else ''} again, in the background"
        _explain(again, bool(keys), why if keys else "Only saved rows can be embedded")
    menu.addSeparator()
    for name in ("duplicate", "delete"):
        menu.addAction(a[name])
    return menu


def _selected(editor: TableEditor) -> list[QModelIndex]:
    """The selected cells, else the current cell."""
    indexes = list(editor.view.selectionModel().selectedIndexes())
    current = editor.view.currentIndex()
    return indexes or ([current] if current.isValid() else [])


def _item(menu: QMenu, text: str, slot: Any) -> QAction:
    action = QAction(text, menu)
    action.triggered.connect(slot)
    menu.addAction(action)
    return action


def _explain(action: QAction, enabled: bool, tip: str) -> None:
    action.setEnabled(enabled)
    action.setToolTip(tip)
    action.setStatusTip(tip)


def _describe(condition: Filter) -> str:
    words = {"eq": "equals", "ne": "is not", "in": "is", "is_null": "is empty", "not_null": "is set"}
    return f"Show rows where {condition.column} {words.get(condition.op, condition.op)} this value"


def _open_reference(editor: TableEditor, index: QModelIndex) -> None:
    fk = index.data(Role.FOREIGN_KEY)
    value = index.data(EDIT)
    if fk is not None and value is not None:
        editor.open_entity_requested.emit(fk.target, [Filter(fk.target_columns[0], "eq", value)])
