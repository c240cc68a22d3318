"""Undoable editor commands: each user action on staged state is one command on the editor's undo stack.

Commands name rows by key (or new-row token), never by grid row, so they survive sorting, filtering and
refreshing; they call the edit history (model/history.py), which stages and tells the grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtGui import QUndoCommand

from gui.editor.model.staging import NewRow, RowEdit, RowRef

Index = QModelIndex | QPersistentModelIndex

#: (row, column, value to stage or UNSET, the row as loaded — None for new rows)
CellChange = tuple[RowRef, str, Any, dict[str, Any] | None]


class Stager(Protocol):
    """What commands need from the edit history."""

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


class Reverter(Protocol):
    """What a revert needs from the edit history."""

    def take_staged(self) -> StagedState:
        """Unstage everything; what was staged."""

    def put_back_staged(self, taken: StagedState) -> None:
        """Stage again what a revert took."""


class RevertCommand(QUndoCommand):
    """Discard everything staged; undo brings all of it back, as it was."""

    def __init__(self, model: Reverter, text: str) -> None:
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
