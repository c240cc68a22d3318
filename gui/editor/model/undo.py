"""Undoable editor commands, and the model's staged-edit operations that push them, save and revert.

Commands name rows by key (or new-row token), never by grid row, so they survive sorting, filtering and
refreshing; the model does the staging and tells the view.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtGui import QUndoCommand, QUndoStack

from core.data import repository
from core.data.coercion import coerce
from core.data.validation import value_problem
from core.errors import ConflictError, ValidationError
from core.schema.catalog import Catalog, ColumnInfo, Entity
from gui.editor.model.page_cache import PageCache
from gui.editor.model.roles import RowState
from gui.editor.model.staging import (
    UNSET,
    NewRow,
    PastePreview,
    PasteTarget,
    RowEdit,
    RowRef,
    Staging,
    build_paste,
    new_token,
    parse_tsv,
)
from gui.runtime import workers

if TYPE_CHECKING:
    from PySide6.QtCore import QAbstractTableModel, SignalInstance

    from core.engine.db import Database

    _ModelBase = QAbstractTableModel  # the mixin's host is one: its Qt methods and QObject-ness
else:
    _ModelBase = object

Index = QModelIndex | QPersistentModelIndex

#: (row, column, value to stage or UNSET, the row as loaded — None for new rows)
CellChange = tuple[RowRef, str, Any, dict[str, Any] | None]


class Stager(Protocol):
    """What commands need from the model."""

    def apply_cells(self, cells: list[CellChange]) -> None:
        """Stage cell values."""

    def insert_new_rows(self, rows: list[tuple[int, NewRow]]) -> None:
        """Stage new rows at positions of the insert list."""

    def remove_new_rows(self, tokens: list[int]) -> list[tuple[int, NewRow]]:
        """Unstage new rows; their former positions, ascending."""

    def mark_deleted(self, rows: list[tuple[Any, dict[str, Any]]], deleted: bool) -> None:
        """Stage or unstage deletes of loaded rows."""


class EditCellsCommand(QUndoCommand):
    """Stage new values in some cells; undo puts back what was staged before (or nothing)."""

    def __init__(self, model: Stager, after: list[CellChange], before: list[CellChange], text: str) -> None:
        super().__init__(text)
        self.model, self.after, self.before = model, after, before

    def redo(self) -> None:
        """Stage the new values."""
        self.model.apply_cells(self.after)

    def undo(self) -> None:
        """Restore the previous staged values."""
        self.model.apply_cells(list(reversed(self.before)))


class InsertRowsCommand(QUndoCommand):
    """Stage new rows (insert, duplicate, paste below the last row)."""

    def __init__(self, model: Stager, rows: list[NewRow], text: str) -> None:
        super().__init__(text)
        self.model, self.rows = model, rows
        self.positions: list[tuple[int, NewRow]] | None = None

    def redo(self) -> None:
        """Add the rows (where they were, when redone after an undo)."""
        if self.positions is None:
            self.model.insert_new_rows([(-1, r) for r in self.rows])
        else:
            self.model.insert_new_rows(self.positions)

    def undo(self) -> None:
        """Remove the rows, remembering where they were and what they held."""
        self.positions = self.model.remove_new_rows([r.token for r in self.rows])


class DeleteRowsCommand(QUndoCommand):
    """Stage deletes of loaded rows, and drop staged new rows."""

    def __init__(
        self, model: Stager, loaded: list[tuple[Any, dict[str, Any]]], new: list[NewRow], text: str
    ) -> None:
        super().__init__(text)
        self.model, self.loaded, self.new = model, loaded, new
        self.positions: list[tuple[int, NewRow]] = []

    def redo(self) -> None:
        """Stage the deletes."""
        if self.loaded:
            self.model.mark_deleted(self.loaded, True)
        if self.new:
            self.positions = self.model.remove_new_rows([r.token for r in self.new])

    def undo(self) -> None:
        """Unstage them."""
        if self.positions:
            self.model.insert_new_rows(self.positions)
        if self.loaded:
            self.model.mark_deleted(self.loaded, False)


@dataclass
class StagedState:
    """Everything one editor had staged, taken out whole by a revert (the very objects, not copies)."""

    edits: dict[Any, RowEdit]
    deletes: dict[Any, RowEdit]
    inserts: list[NewRow]
    errors: dict[tuple[RowRef, str], str]
    conflicts: dict[Any, Any]


class RevertCommand(QUndoCommand):
    """Discard everything staged; undo brings all of it back, as it was."""

    def __init__(self, model: StagedEdits, text: str) -> None:
        super().__init__(text)
        self.model = model
        self.taken: StagedState | None = None

    def redo(self) -> None:
        """Take every staged change out of the editor."""
        self.taken = self.model.take_staged()

    def undo(self) -> None:
        """Put the taken changes back."""
        if self.taken is not None:
            self.model.put_back_staged(self.taken)
            self.taken = None


class MacroCommand(QUndoCommand):
    """Several commands as one undo step (a paste that edits rows and adds rows)."""

    def __init__(self, parts: list[QUndoCommand], text: str) -> None:
        super().__init__(text)
        self.parts = parts  # kept here, not as Qt children, so the Python overrides stay alive

    def redo(self) -> None:
        """Do every part in order."""
        for part in self.parts:
            part.redo()

    def undo(self) -> None:
        """Undo every part in reverse order."""
        for part in reversed(self.parts):
            part.undo()


class StagedEdits(_ModelBase):
    """The model's staged-edit operations: each user action is one undoable command; save and revert."""

    if TYPE_CHECKING:  # provided by TableEditorModel
        _db: Database
        _catalog: Catalog
        _entity: Entity
        _columns: list[ColumnInfo]
        _names: list[str]
        _pk: list[int]
        _staging: Staging
        _saving: Staging | None
        _conflicts: dict[Any, Any]
        _cache: PageCache
        undo_stack: QUndoStack
        changes_staged: SignalInstance
        saved: SignalInstance
        save_failed: SignalInstance
        conflicted: SignalInstance

        def _locate(self, row: int) -> tuple[RowRef | None, tuple[Any, ...] | None]: ...
        def _state(self, ref: RowRef) -> str: ...
        def _row_dict(self, row: tuple[Any, ...] | None) -> dict[str, Any] | None: ...
        def _key(self, row: tuple[Any, ...]) -> tuple[Any, ...]: ...
        def _touch(self, refs: set[RowRef]) -> None: ...
        def _changed_all(self) -> None: ...
        def _update_busy(self) -> None: ...
        def row_values(self, row: int) -> dict[str, Any]: ...
        def refresh(self) -> None: ...

    def insert_row(self, defaults: dict[str, Any] | None = None) -> int:
        """Stage a new row (missing columns take their defaults); its grid row."""
        values = {k: coerce(self._entity.column(k), v) for k, v in (defaults or {}).items()}
        row = NewRow(new_token(), values)
        self.undo_stack.push(InsertRowsCommand(self, [row], "Insert row"))
        return self._staging.inserts.index(row)

    def duplicate_rows(self, rows: list[int]) -> list[int]:
        """Stage copies of rows (without key and version); their grid rows."""
        skip = {c.name for c in self._columns if c.primary_key or c.is_version or c.autoincrement}
        copies = [
            NewRow(new_token(), {k: v for k, v in values.items() if k not in skip})
            for values in (self.row_values(r) for r in sorted(set(rows)))
            if values
        ]
        if copies:
            text = f"Duplicate {len(copies)} row{'s' if len(copies) != 1 else ''}"
            self.undo_stack.push(InsertRowsCommand(self, copies, text))
        return [self._staging.inserts.index(r) for r in copies]

    def delete_rows(self, rows: list[int]) -> None:
        """Stage deletes of loaded rows and drop staged new rows (the view previews first)."""
        loaded: list[tuple[Any, dict[str, Any]]] = []
        new: list[NewRow] = []
        for r in sorted(set(rows)):
            ref, values = self._locate(r)
            if ref is not None and ref[0] == "new":
                new.extend(x for x in self._staging.inserts if x.token == ref[1])
            elif ref is not None and self._pk and ref[1] not in self._staging.deletes:
                as_loaded = self._row_dict(values)
                assert as_loaded is not None  # a database row is located with its values
                loaded.append((ref[1], as_loaded))
        if loaded or new:
            n = len(loaded) + len(new)
            self.undo_stack.push(
                DeleteRowsCommand(self, loaded, new, f"Delete {n} row{'s' if n != 1 else ''}")
            )

    def paste_preview(self, top_left: Index, tsv_text: str) -> PastePreview:
        """Where a TSV block would land, each value read for its column and checked; nothing is staged."""
        grid = parse_tsv(tsv_text)
        top = max(0, top_left.row()) if top_left.isValid() else self.rowCount()
        targets: list[PasteTarget] = []
        for r in range(top, top + len(grid)):
            if r >= self.rowCount():
                targets.append(PasteTarget(None))
                continue
            ref, loaded = self._locate(r)
            deleted = ref is not None and self._state(ref) == RowState.DELETED
            targets.append(PasteTarget(ref, self._row_dict(loaded), deleted, ref is None))
        left = max(0, top_left.column()) if top_left.isValid() else 0
        preview = build_paste(self._catalog, self._entity, grid, top, left, targets)
        if self._entity.read_only:
            preview.problems.append(f"{self._entity.name} is read-only: {self._entity.read_only_reason}")
        return preview

    def apply_paste(self, preview: PastePreview) -> bool:
        """Stage a previewed paste as one undoable step, only when it has no problems."""
        if not preview.ok or not preview.cells:
            return False
        new_rows: dict[int, NewRow] = {}
        after: list[CellChange] = []
        before: list[CellChange] = []
        for cell in preview.cells:
            target = preview.targets[cell.row]
            if target.ref is None:
                new_rows.setdefault(cell.row, NewRow(new_token())).values[cell.column] = cell.value
            elif not (target.ref[0] == "key" and self._entity.column(cell.column).primary_key):
                after.append((target.ref, cell.column, cell.value, target.loaded))
                before.append(
                    (target.ref, cell.column, self._staging.value(target.ref, cell.column), target.loaded)
                )
        parts: list[Any] = []
        if after:
            parts.append(EditCellsCommand(self, after, before, "Paste"))
        if new_rows:
            parts.append(InsertRowsCommand(self, list(new_rows.values()), "Paste rows"))
        self.undo_stack.push(MacroCommand(parts, f"Paste {len(preview.cells)} values"))
        return True

    def apply_cells(self, cells: list[CellChange]) -> None:
        """Stage cell values (undo commands)."""
        staging = self._staging
        for ref, column, value, loaded in cells:
            staging.set_value(ref, column, value, loaded)
            if staging.value(ref, column) is not UNSET:
                # A value Save would refuse is marked now, with core's reason, rather than at the save.
                problem = value_problem(self._entity, column, value)
                if problem is not None:
                    staging.errors[(ref, column)] = problem
        self._touch({ref for ref, *_ in cells})

    def insert_new_rows(self, rows: list[tuple[int, NewRow]]) -> None:
        """Stage new rows at positions of the insert list, -1 = last (undo commands)."""
        for at, row in rows:
            at = len(self._staging.inserts) if at < 0 else at
            self.beginInsertRows(QModelIndex(), at, at)
            self._staging.add_insert(row, at)
            self.endInsertRows()
        self.changes_staged.emit(self._staging.count)

    def remove_new_rows(self, tokens: list[int]) -> list[tuple[int, NewRow]]:
        """Unstage new rows; where each was, ascending (undo commands)."""
        removed: list[tuple[int, NewRow]] = []
        for token in tokens:
            row = self._staging.new_row(token)
            if row is None:
                continue
            at = self._staging.inserts.index(row)
            self.beginRemoveRows(QModelIndex(), at, at)
            self._staging.remove_insert(token)
            self.endRemoveRows()
            removed.append((at, row))
        self.changes_staged.emit(self._staging.count)
        return sorted(removed, key=lambda p: p[0])

    def mark_deleted(self, rows: list[tuple[Any, dict[str, Any]]], deleted: bool) -> None:
        """Stage or unstage deletes of loaded rows (undo commands)."""
        for key, loaded in rows:
            self._staging.mark_deleted(key, loaded, deleted)
        self._touch({("key", key) for key, _ in rows})

    # --- save, revert, conflicts ----------------------------------------------------------------

    def save(self) -> None:
        """Write every staged change in one transaction (in a worker); saved, save_failed or conflicted."""
        if self._saving is not None or not self._staging.count:
            return
        changes, refs = self._staging.changes()
        self._saving = self._staging.snapshot()
        workers.run(
            repository.save,
            self._db,
            self._catalog,
            changes,
            on_done=functools.partial(self._on_save_done, self._saving),
            on_error=functools.partial(self._on_save_failed, refs),
            owner=self,
            key="save",
        )
        self._update_busy()

    def revert(self) -> None:
        """Discard every staged change, as one step Undo brings back."""
        n = self._staging.count
        if n or self._staging.errors:
            self.undo_stack.push(RevertCommand(self, f"Revert {n:,} change{'s' if n != 1 else ''}"))

    def take_staged(self) -> StagedState:
        """Unstage everything (RevertCommand); what was staged, to put back on undo."""
        staging = self._staging
        inserts = list(staging.inserts)
        self.remove_new_rows([r.token for r in inserts])
        taken = StagedState(
            dict(staging.edits), dict(staging.deletes), inserts, dict(staging.errors), dict(self._conflicts)
        )
        staging.clear()
        self._conflicts.clear()
        self._changed_all()
        return taken

    def put_back_staged(self, taken: StagedState) -> None:
        """Stage again what a revert took (RevertCommand's undo)."""
        staging = self._staging
        staging.edits.update(taken.edits)
        staging.deletes.update(taken.deletes)
        staging.errors.update(taken.errors)
        self._conflicts.update(taken.conflicts)
        self.insert_new_rows(list(enumerate(taken.inserts)))
        self._changed_all()

    def resolve_conflict(self, key: dict[str, Any], resolution: dict[str, Any] | None) -> None:
        """Re-base a conflicting row on what is stored now; per column 'mine', 'theirs' or a value.

        Columns of my edit that the resolution leaves out take theirs; None drops my change of the row.
        """
        kt = tuple(key[c] for c in self._entity.primary_key)
        conflict = self._conflicts.pop(kt, None)
        if conflict is not None and conflict.stored is not None:
            stored = tuple(conflict.stored.get(n) for n in self._names)
            self._cache.replace_rows(lambda r: self._key(r) == kt, stored)
        self._staging.resolve(conflict, kt, resolution)
        self._changed_all()

    def _on_save_done(self, sent: Staging, result: repository.SaveResult) -> None:
        self._saving = None
        pk = self._entity.primary_key
        versions = {tuple(r.key[c] for c in pk): r.version for r in result.updated}
        self.remove_new_rows([r.token for r in sent.inserts])
        self._staging.forget_saved(sent, versions)
        self._conflicts.clear()
        self.undo_stack.clear()
        self._changed_all()
        self.saved.emit(result)
        self.refresh()

    def _on_save_failed(self, refs: list[RowRef], failure: workers.Failure) -> None:
        self._saving = None
        exc = failure.exception
        if isinstance(exc, ConflictError):
            pk = self._entity.primary_key
            mine = [c for c in exc.conflicts if c.entity == self._entity.name]
            self._conflicts = {tuple(c.key[k] for k in pk): c for c in mine}
            for c in mine:
                ref: RowRef = ("key", tuple(c.key[k] for k in pk))
                for column in c.attempted or {self._names[0]: None}:
                    self._staging.errors[(ref, column)] = "changed in the database since it was loaded"
            self._changed_all()
            self.conflicted.emit(list(exc.conflicts))
        else:
            if isinstance(exc, ValidationError):
                self._staging.place_problems(exc.problems, refs)
                self._changed_all()
            self.save_failed.emit(failure.message)
        self._update_busy()
