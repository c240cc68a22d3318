"""An open table editor follows its entity when the database's schema changes, without being reopened.

The window's OpenDatabase reloads the catalog after a migration (or any schema change) and calls
`follow_editor` for each open editor. After a migration the editors are still paused then (the migration
watch resumes them once every screen has followed), so what is read after the run is read with this
catalog. Which staged edits are kept and which are dropped is decided in plain Python
(gui/editor/staged_follow.py); here the grid, its filter bar, sort and record form follow, and the person is
told on the editor's message bar what had to go.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt

from core.schema.catalog import Catalog, Entity
from gui.editor.staged_follow import dropped_message, follow_staging, same_shape

if TYPE_CHECKING:
    from gui.editor.view import TableEditor


def follow_editor(editor: TableEditor, catalog: Catalog) -> None:
    """Show `catalog`'s version of the editor's entity in place; staged edits on its columns stay.

    Nothing is reloaded when the grid would look the same, and nothing happens when the entity is gone (the
    window closes its tab). While a save is in flight the editor follows once its outcome is shown.
    """
    entity = catalog.entities.get(editor.entity.name)
    if entity is None:
        return
    model = editor.model
    if model.saving:  # the save's outcome lands on the rows as they are now
        _follow_after_save(editor, catalog)
        return
    changed = not same_shape(editor.entity, entity)
    editor.catalog = catalog
    if editor.delegate.context is not None:  # FK pickers search the new catalog
        editor.delegate.context.catalog = catalog
    if not changed:
        editor.entity = entity
        model.follow_catalog(catalog, None)
        if editor.form is not None:
            editor.form.follow_catalog(catalog, rebuild=False)
        return
    _commit_open_cell(editor)  # what is being typed is staged first, so it is kept or counted as dropped
    if editor.reads_paused:
        # Opened while a migration ran, nothing read yet: the follow below reads its first page, so it takes
        # the editor's filters with it and resume_reads has nothing left to do (one read, with this catalog).
        model.window.query = replace(model.window.query, filters=tuple(editor.filters))
        editor.reads_paused = False
    followed = follow_staging(model.staging, entity)
    row = editor.view.currentIndex().row()  # the reset below forgets it
    key = model.row_key(row) if row >= 0 else None
    editor.entity = entity
    _follow_filters(editor, entity)
    model.follow_catalog(catalog, followed.staging)
    _follow_sort(editor)
    _follow_current_row(editor, row, key)
    editor.banner.setVisible(entity.read_only)
    if entity.read_only:
        editor.banner.setText(f"<b>{entity.name} is read-only:</b> {entity.read_only_reason}.")
    if editor.form is not None:
        editor.form.follow_catalog(catalog)  # it shows the current row again once that is read anew
    message = dropped_message(followed, entity.name)
    if message is not None:
        editor.show_message(message)


def _commit_open_cell(editor: TableEditor) -> None:
    """An open cell or form field editor hands its value to the model (as a click elsewhere would)."""
    focus = editor.focusWidget()
    if focus is not None and focus is not editor.view and editor.view.isAncestorOf(focus):
        editor.view.setFocus()
    if editor.form is not None:
        editor.form.finish_editing(commit=True)


def _follow_filters(editor: TableEditor, entity: Entity) -> None:
    """Conditions on columns that still exist stay, shown against the new columns; the others go."""
    names = set(entity.column_names)
    bar = editor.filter_bar
    kept = [f for f in bar.filters() if f.column in names]
    for row in list(bar.rows):
        bar.rows.remove(row)
        row.deleteLater()
    bar.entity = entity
    bar.set_filters(kept)  # without emitting: the model is told below, with the new entity
    editor.filters = [f for f in editor.filters if f.column in names]


def _follow_current_row(editor: TableEditor, row: int, key: dict[str, Any] | None) -> None:
    """The record that was current (`key`; a new row by its place `row`) is current again when the first
    rows are read anew, where it is now (a dropped sort column changes the order): the record form shows it
    then and reads its related rows, once, with the new catalog."""
    if row < 0:
        return
    model = editor.model

    def again(first: int, last: int) -> None:
        model.rows_loaded.disconnect(again)
        if editor.view.currentIndex().isValid():
            return  # one was picked since
        loaded = range(first, last + 1)
        found = row if key is None else next((r for r in loaded if model.row_key(r) == key), -1)
        if found in loaded:
            editor.view.setCurrentIndex(model.index(found, 0))

    model.rows_loaded.connect(again)


def _follow_sort(editor: TableEditor) -> None:
    """The header's sort indicator names the column the model now sorts by (a vanished one is no more)."""
    editor.sort = editor.model.sort_order
    header = editor.view.horizontalHeader()
    names = editor.entity.column_names
    sort = editor.sort or []
    if len(sort) == 1 and sort[0][0] in names:
        order = Qt.SortOrder.DescendingOrder if sort[0][1] else Qt.SortOrder.AscendingOrder
        header.blockSignals(True)  # the model sorts already: the indicator only shows it
        header.setSortIndicator(names.index(sort[0][0]), order)
        header.blockSignals(False)
    else:
        header.setSortIndicatorShown(False)


def _follow_after_save(editor: TableEditor, catalog: Catalog) -> None:
    model = editor.model

    def again(_busy: bool) -> None:
        if not model.saving:
            model.busy_changed.disconnect(again)
            follow_editor(editor, catalog)

    model.busy_changed.connect(again)
