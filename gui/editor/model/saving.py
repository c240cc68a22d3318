"""Saving the table editor's staged changes: one core save in a worker, then its outcome on the grid.

`Saver` sends the staging's change batch to core (data.writes.save, one transaction), and afterwards shows
exactly the rows that save wrote (the row window reads them again by key) and moves the row count by the
rows inserted and deleted; nothing else is reloaded or counted. A conflict or a validation problem lands on
the cells it concerns; conflicts are kept until the user resolves them.
"""

from __future__ import annotations

import functools
from typing import Any, Protocol

from core.data import repository
from core.errors import Conflict, ConflictError, ValidationError
from gui.editor.model.history import EditHistory
from gui.editor.model.row_window import RowWindow, Run
from gui.editor.model.staging import RowRef, Staging
from gui.runtime.priority import Priority


class SaveHost(Protocol):
    """What the saver tells the editor."""

    def all_changed(self) -> None:
        """Any row may show other values; the staged count may have changed."""

    def saved(self, result: repository.SaveResult) -> None:
        """The save wrote everything."""

    def save_failed(self, message: str) -> None:
        """The save wrote nothing, for this reason."""

    def conflicted(self, conflicts: list[Conflict]) -> None:
        """The save wrote nothing: rows changed in the database since they were loaded."""

    def busy_changed(self) -> None:
        """`saving` changed."""


class Saver:
    """Saves what is staged (one save at a time) and shows the outcome."""

    def __init__(self, history: EditHistory, window: RowWindow, host: SaveHost, run: Run) -> None:
        self.history, self.window, self.host, self.run = history, window, host, run
        self.staging = history.staging
        self.entity = history.entity
        self.names = window.names
        self.conflicts: dict[Any, Conflict] = history.conflicts
        self._sent: Staging | None = None

    @property
    def saving(self) -> bool:
        """Whether a save is in flight (saved, save_failed or conflicted follows)."""
        return self._sent is not None

    def save(self) -> None:
        """Write every staged change in one transaction (in a worker); saved, save_failed or conflicted."""
        if self._sent is not None or not self.staging.count:
            return
        changes, refs = self.staging.changes()
        self._sent = self.staging.snapshot()
        self.run(
            repository.save,
            self.window.db,
            self.window.catalog,
            changes,
            on_done=functools.partial(self._on_save_done, self._sent),
            on_error=functools.partial(self._on_save_failed, refs),
            key="save",
            priority=Priority.SAVE,  # never behind page loads on a busy pool
        )
        self.host.busy_changed()

    def resolve_conflict(self, key: dict[str, Any], resolution: dict[str, Any] | None) -> None:
        """Re-base a conflicting row on what is stored now; per column 'mine', 'theirs' or a value.

        Columns of my edit that the resolution leaves out take theirs; None drops my change of the row.
        """
        kt = tuple(key[c] for c in self.entity.primary_key)
        conflict = self.conflicts.pop(kt, None)
        if conflict is not None and conflict.stored is not None:
            self.window.put_rows({kt: tuple(conflict.stored.get(n) for n in self.names)})
        self.staging.resolve(conflict, kt, resolution)
        self.host.all_changed()

    def _on_save_done(self, sent: Staging, result: repository.SaveResult) -> None:
        self._sent = None
        pk, name = self.entity.primary_key, self.entity.name
        versions = {tuple(r.key[c] for c in pk): r.version for r in result.updated if r.entity == name}
        written: dict[Any, dict[str, Any]] = {}
        for key, edit in sent.edits.items():  # all of it was written: one transaction
            if key not in sent.deletes:
                written[key] = dict(edit.values)
                if self.entity.version_column and versions.get(key) is not None:
                    written[key][self.entity.version_column] = versions[key]
        self.history.remove_new_rows([r.token for r in sent.inserts])
        self.staging.forget_saved(sent, versions)
        self.conflicts.clear()
        self.history.undo_stack.clear()
        self.host.all_changed()
        inserted = sum(r.entity == name for r in result.inserted)
        deleted = sum(r.entity == name for r in result.deleted)
        self.window.saved(written, inserted, deleted)
        self.host.saved(result)
        self.host.busy_changed()

    def _on_save_failed(self, refs: list[RowRef], failure: Any) -> None:
        self._sent = None
        exc = failure.exception
        if isinstance(exc, ConflictError):
            pk = self.entity.primary_key
            mine = [c for c in exc.conflicts if c.entity == self.entity.name]
            self.conflicts.clear()
            self.conflicts.update({tuple(c.key[k] for k in pk): c for c in mine})
            for c in mine:
                ref: RowRef = ("key", tuple(c.key[k] for k in pk))
                for column in c.attempted or {self.names[0]: None}:
                    self.staging.errors[(ref, column)] = "changed in the database since it was loaded"
            self.host.all_changed()
            self.host.conflicted(list(exc.conflicts))
        else:
            if isinstance(exc, ValidationError):
                self.staging.place_problems(exc.problems, refs)
                self.host.all_changed()
            self.host.save_failed(failure.message)
        self.host.busy_changed()
