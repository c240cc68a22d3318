"""The table editor's edit history: every change to what is staged is one undoable command.

`EditHistory` turns user actions (edit a cell, insert, duplicate, delete, paste, revert) into commands on
its QUndoStack (model/undo.py) and carries them out on the staging (model/staging.py). It tells its host
(the Qt adapter) which rows to repaint and where staged new rows come and go; it never touches a view.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol

from PySide6.QtGui import QUndoCommand, QUndoStack

from core.data.coercion import coerce
from core.data.validation import check_value
from core.errors import Conflict
from core.schema.catalog import Catalog
from gui.editor.model.grid import Grid
from gui.editor.model.roles import RowState
from gui.editor.model.staging import (
    UNSET,
    NewRow,
    PastePreview,
    PasteTarget,
    RowEdit,
    RowRef,
    build_paste,
    new_token,
    parse_tsv,
)
from gui.editor.model.undo import (
    CellChange,
    DeleteRowsCommand,
    EditCellsCommand,
    InsertRowsCommand,
    MacroCommand,
    RevertCommand,
    StagedState,
)


class HistoryHost(Protocol):
    """What the edit history tells the grid it changes."""

    def insert_new_row(self, at: int, apply: Callable[[], None]) -> None:
        """A staged new row comes at grid row `at`: call `apply` between the insert's begin and end."""

    def remove_new_row(self, at: int, apply: Callable[[], None]) -> None:
        """The staged new row at grid row `at` goes: call `apply` between the remove's begin and end."""

    def touch(self, refs: set[RowRef]) -> None:
        """These rows show other values; the staged count may have changed."""

    def all_changed(self) -> None:
        """Any row may show other values; the staged count may have changed."""

    def staged_count_changed(self) -> None:
        """The staged count may have changed."""


class EditHistory:
    """Staged edits as undoable steps: the operations the editor offers, and the ones its commands call."""

    def __init__(
        self,
        catalog: Catalog,
        grid: Grid,
        host: HistoryHost,
        stack: QUndoStack,
        conflicts: dict[Any, Conflict],
    ) -> None:
        self.catalog, self.grid, self.host = catalog, grid, host
        self.staging = grid.staging
        self.entity = grid.entity
        self.undo_stack = stack
        self.conflicts = conflicts  # the saver's: a revert takes them too, and undo brings them back
        # What edit_cell read for a cell, so staging it (apply_cells) does not read the value again.
        self._read: dict[tuple[Any, str], tuple[Any, str | None]] = {}

    def push(self, command: QUndoCommand) -> None:
        """Do a command, as one undo step."""
        self.undo_stack.push(command)

    # --- user actions ---------------------------------------------------------------------------

    def edit_cell(self, row: int, col: int, value: Any) -> bool:
        """Stage a cell value (coerced to the column); False when it is no value of the column at all."""
        info = self.entity.columns[col]
        raw = value
        value, problem = check_value(self.entity, info.name, raw)  # the one read of what was typed
        # What was typed but is no value of the column (too long, not JSON, out of range…) is staged as typed
        # and marked with why (apply_cells); Save refuses it. Dropping it would lose the typing.
        unreadable = problem is not None and value is raw
        if unreadable and (isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal)):
            return False
        ref, loaded = self.grid.locate(row)
        assert ref is not None
        shown = self.grid.shown(ref, loaded, col)[0]
        if shown == value and type(shown) is type(value):
            return True
        as_loaded = self.grid.row_dict(loaded)
        self._read[(ref, info.name)] = (value, problem)
        before = self.staging.value(ref, info.name)
        after: CellChange = (ref, info.name, value, as_loaded)
        cmd = EditCellsCommand(self, [after], [(ref, info.name, before, as_loaded)], "")
        cmd.setText(f"Edit {info.name}")
        self.push(cmd)
        return True

    def insert_row(self, defaults: dict[str, Any] | None = None) -> int:
        """Stage a new row (missing columns take their defaults); its grid row."""
        values = {k: coerce(self.entity.column(k), v) for k, v in (defaults or {}).items()}
        row = NewRow(new_token(), values)
        self.push(InsertRowsCommand(self, [row], "Insert row"))
        return self.staging.inserts.index(row)

    def duplicate_rows(self, rows: list[int]) -> list[int]:
        """Stage copies of rows (without key and version); their grid rows."""
        # Without what the database supplies: keys, version, identity and generated (never written) columns.
        skip = {
            c.name
            for c in self.entity.columns
            if c.primary_key or c.is_version or c.autoincrement or c.identity or c.never_written_reason
        }
        copies = [
            NewRow(new_token(), {k: v for k, v in values.items() if k not in skip})
            for values in (self.grid.row_values(r) for r in sorted(set(rows)))
            if values
        ]
        if copies:
            text = f"Duplicate {len(copies)} row{'s' if len(copies) != 1 else ''}"
            self.push(InsertRowsCommand(self, copies, text))
        return [self.staging.inserts.index(r) for r in copies]

    def delete_rows(self, rows: list[int]) -> None:
        """Stage deletes of loaded rows and drop staged new rows (the view previews first)."""
        loaded: list[tuple[Any, dict[str, Any]]] = []
        new: list[NewRow] = []
        keyed = bool(self.entity.primary_key)
        for r in sorted(set(rows)):
            ref, values = self.grid.locate(r)
            if ref is not None and ref[0] == "new":
                new.extend(x for x in self.staging.inserts if x.token == ref[1])
            elif ref is not None and keyed and ref[1] not in self.staging.deletes:
                as_loaded = self.grid.row_dict(values)
                assert as_loaded is not None  # a database row is located with its values
                loaded.append((ref[1], as_loaded))
        if loaded or new:
            n = len(loaded) + len(new)
            self.push(DeleteRowsCommand(self, loaded, new, f"Delete {n} row{'s' if n != 1 else ''}"))

    def paste_preview(self, top: int, left: int, tsv_text: str) -> PastePreview:
        """Where a TSV block at grid row `top`, column `left` would land, every value checked; no staging."""
        grid = parse_tsv(tsv_text)
        rows = self.grid.rows
        targets: list[PasteTarget] = []
        for r in range(top, top + len(grid)):
            if r >= rows:
                targets.append(PasteTarget(None))
                continue
            ref, loaded = self.grid.locate(r)
            deleted = ref is not None and self.grid.state(ref) == RowState.DELETED
            targets.append(PasteTarget(ref, self.grid.row_dict(loaded), deleted, ref is None))
        preview = build_paste(self.catalog, self.entity, grid, top, left, targets)
        if self.entity.read_only:
            preview.problems.append(f"{self.entity.name} is read-only: {self.entity.read_only_reason}")
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
            elif not (target.ref[0] == "key" and self.entity.column(cell.column).primary_key):
                after.append((target.ref, cell.column, cell.value, target.loaded))
                before.append(
                    (target.ref, cell.column, self.staging.value(target.ref, cell.column), target.loaded)
                )
        parts: list[Any] = []
        if after:
            parts.append(EditCellsCommand(self, after, before, "Paste"))
        if new_rows:
            parts.append(InsertRowsCommand(self, list(new_rows.values()), "Paste rows"))
        self.push(MacroCommand(parts, f"Paste {len(preview.cells)} values"))
        return True

    def revert(self) -> None:
        """Discard every staged change, as one step Undo brings back."""
        n = self.staging.count
        if n or self.staging.errors:
            self.push(RevertCommand(self, f"Revert {n:,} change{'s' if n != 1 else ''}"))

    def put_staged_rows(
        self, edits: dict[Any, RowEdit | None], deletes: dict[Any, RowEdit | None]
    ) -> tuple[dict[Any, RowEdit | None], dict[Any, RowEdit | None]]:
        """Stage whole row edits and deletes by key (None unstages one); what each replaced (for undo)."""
        was_edits = _put_rows(self.staging.edits, edits)
        was_deletes = _put_rows(self.staging.deletes, deletes)
        self.host.touch({("key", key) for key in (*edits, *deletes)})
        return was_edits, was_deletes

    # --- what the commands call ---------------------------------------------------------------

    def apply_cells(self, cells: list[CellChange]) -> None:
        """Stage cell values (undo commands)."""
        staging = self.staging
        for ref, column, value, loaded in cells:
            read = self._read.pop((ref, column), None)
            if value is UNSET:
                staging.set_value(ref, column, value, loaded)
                continue
            # Read once: what edit_cell read for this very value, else (undo, redo, paste, revert) read now.
            fresh = read is not None and read[0] is value
            _, problem = read if read is not None and fresh else check_value(self.entity, column, value)
            staging.set_value(ref, column, value, loaded, checked=problem is None)
            if staging.value(ref, column) is not UNSET and problem is not None:
                # A value Save would refuse is marked now, with core's reason, rather than at the save.
                staging.errors[(ref, column)] = problem
        self.host.touch({ref for ref, *_ in cells})

    def insert_new_rows(self, rows: list[tuple[int, NewRow]]) -> None:
        """Stage new rows at positions of the insert list, -1 = last (undo commands)."""
        for at, row in rows:
            at = len(self.staging.inserts) if at < 0 else at
            self.host.insert_new_row(at, functools.partial(self.staging.add_insert, row, at))
        self.host.staged_count_changed()

    def remove_new_rows(self, tokens: list[int]) -> list[tuple[int, NewRow]]:
        """Unstage new rows; where each was, ascending (undo commands)."""
        removed: list[tuple[int, NewRow]] = []
        for token in tokens:
            row = self.staging.new_row(token)
            if row is None:
                continue
            at = self.staging.inserts.index(row)
            self.host.remove_new_row(at, functools.partial(self._remove_insert, token))
            removed.append((at, row))
        self.host.staged_count_changed()
        return sorted(removed, key=lambda p: p[0])

    def _remove_insert(self, token: int) -> None:
        self.staging.remove_insert(token)

    def mark_deleted(self, rows: list[tuple[Any, dict[str, Any]]], deleted: bool) -> None:
        """Stage or unstage deletes of loaded rows (undo commands)."""
        for key, loaded in rows:
            self.staging.mark_deleted(key, loaded, deleted)
        self.host.touch({("key", key) for key, _ in rows})

    def take_staged(self) -> StagedState:
        """Unstage everything (RevertCommand); what was staged, to put back on undo."""
        staging = self.staging
        inserts = list(staging.inserts)
        self.remove_new_rows([r.token for r in inserts])
        taken = StagedState(
            dict(staging.edits), dict(staging.deletes), inserts, dict(staging.errors), dict(self.conflicts)
        )
        staging.clear()
        self.conflicts.clear()
        self.host.all_changed()
        return taken

    def put_back_staged(self, taken: StagedState) -> None:
        """Stage again what a revert took (RevertCommand's undo)."""
        staging = self.staging
        staging.edits.update(taken.edits)
        staging.deletes.update(taken.deletes)
        staging.errors.update(taken.errors)
        self.conflicts.update(taken.conflicts)
        self.insert_new_rows(list(enumerate(taken.inserts)))
        self.host.all_changed()


def _put_rows(staged: dict[Any, RowEdit], rows: dict[Any, RowEdit | None]) -> dict[Any, RowEdit | None]:
    """Put whole staged rows by key (None removes one); what was there before."""
    before: dict[Any, RowEdit | None] = {}
    for key, row in rows.items():
        before[key] = staged.pop(key, None)
        if row is not None:
            staged[key] = row
    return before
