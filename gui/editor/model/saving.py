"""Saving the table editor's staged changes: one core save in a worker, then its outcome on the grid.

`Saver` sends the staging's change batch to core (data.writes.save, one transaction), and afterwards shows
exactly the rows that save wrote (the row window reads them again by key) and moves the row count by the
rows inserted and deleted; nothing else is reloaded or counted. A conflict or a validation problem lands on
the cells it concerns; conflicts are kept until the user resolves them.

While it runs the saver says what the save does: "Saving 3 changes…" at once, and while core waits for
another program's write lock, the wait's text (core/engine/write_lock.py) with Cancel. Cancel stops the
wait at its next try: nothing is written and everything stays staged.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Protocol, cast

from core.data import repository
from core.data.merge import compare, merge_note
from core.errors import Conflict, ConflictError, ValidationError
from core.progress import Progress
from core.schema.keys import KeySource
from gui.audit import audited_save
from gui.editor.dialogs.row_names import quoted
from gui.editor.model.history import EditHistory
from gui.editor.model.row_window import RowWindow, Run
from gui.editor.model.staging import MINE, RowRef, Staging
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

    def save_progressed(self, text: str, waiting: bool) -> None:
        """What the running save does ("" once it has ended); `waiting`: for a lock, and Cancel stops it."""

    def save_cancelled(self, message: str) -> None:
        """The save was cancelled while it waited: nothing was written, everything is still staged."""


class Stoppable(Protocol):
    """A submitted save (gui.runtime.workers.Task)."""

    def stop(self) -> None:
        """Ask it to stop at its next check (core.progress.TaskState.check); its outcome still arrives."""


def saving_text(n: int) -> str:
    """What a save shows while it runs: "Saving 3 changes…"."""
    return f"Saving {n:,} change{'s' if n != 1 else ''}…"


def cancelled_text(n: int) -> str:
    """The note after Cancel: "Save cancelled; 3 changes are still staged."."""
    return f"Save cancelled; {n:,} change{'s are' if n != 1 else ' is'} still staged."


class Saver:
    """Saves what is staged (one save at a time) and shows the outcome."""

    def __init__(self, history: EditHistory, window: RowWindow, host: SaveHost, run: Run) -> None:
        self.history, self.window, self.host, self.run = history, window, host, run
        self.staging = history.staging
        self.entity = history.entity
        self.names = window.names
        self.conflicts: dict[Any, Conflict] = history.conflicts
        self._sent: Staging | None = None
        self._task: Stoppable | None = None  # the save in flight, for Cancel
        self._sending = 0  # rows with changes in the save in flight
        # Notes on rows merged with someone else's changes without asking, for the save after them
        self.merged: list[str] = []

    @property
    def saving(self) -> bool:
        """Whether a save is in flight (saved, save_failed or conflicted follows)."""
        return self._sent is not None

    def save(self) -> None:
        """Write every staged change in one transaction (in a worker); saved, save_failed or conflicted."""
        if self._sent is not None or not self.staging.count:
            return
        changes, refs = self.staging.changes()
        self.merged = []  # a new save: notes of an earlier merge no longer apply
        self._sent = self.staging.snapshot()
        self._sending = self.staging.count
        task = self.run(
            audited_save.save,  # issue 12: audited, or audit off where the user chose so (asked first)
            self.window.db,
            self.window.catalog,
            changes,
            on_done=functools.partial(self._on_save_done, self._sent),
            on_error=functools.partial(self._on_save_failed, refs),
            on_aborted=self._on_save_aborted,  # a bug: the crash handler says so; the edits stay staged
            on_progress=self._on_save_progress,  # a lock wait says so; its state's cancel is Cancel
            key="save",
            priority=Priority.SAVE,  # never behind page loads on a busy pool
        )
        self._task = cast(Stoppable, task)  # the door's Task; Run promises only cancel()
        self.host.save_progressed(saving_text(self._sending), False)
        self.host.busy_changed()

    def cancel(self) -> None:
        """Stop a save that waits for the database's write lock; one that is writing already finishes."""
        if self._task is not None:
            self._task.stop()

    def resolve_conflict(self, key: dict[str, Any], resolution: dict[str, Any] | None) -> None:
        """Re-base a conflicting row on what is stored now; per column 'mine', 'theirs' or a value.

        Columns of my edit that the resolution leaves out take theirs; None drops my change of the row.
        """
        kt = tuple(key[c] for c in self.entity.primary_key)
        self._rebase(self.conflicts.pop(kt, None), kt, resolution)
        self.host.all_changed()

    def _rebase(self, conflict: Conflict | None, kt: Any, resolution: dict[str, Any] | None) -> None:
        """Show their row as it is now and stage my chosen values on top of it."""
        if conflict is not None and conflict.stored is not None:
            self.window.put_rows({kt: tuple(conflict.stored.get(n) for n in self.names)})
        self.staging.resolve(conflict, kt, resolution)

    def _on_conflicted(self, conflicts: list[Conflict]) -> None:
        """Merge the rows whose changes do not overlap mine and save again, once; ask about the others.

        A row merges when no field changed on both sides to different values (core/data/merge.py): my edit
        is re-based on their row and a note says so. If the save after a merge conflicts again, every row
        goes to the dialog.
        """
        retried, self.merged = bool(self.merged), []
        pk, name = self.entity.primary_key, self.entity.name
        compared = [compare(self._three_ways(c), self.entity.columns) for c in conflicts if c.entity == name]
        others = [c for c in conflicts if c.entity != name]
        # A row found by its rowid is never re-based without asking: after a VACUUM it may be another row.
        by_rowid = self.entity.key_source == KeySource.ROWID
        clean = [] if retried or by_rowid else [m for m in compared if m.clean]
        notes = []
        for m in clean:
            self._rebase(m.conflict, tuple(m.conflict.key[k] for k in pk), dict.fromkeys(m.mine, MINE))
            notes.append(merge_note(m, self._row_name(m.conflict)))
        merged = {id(m) for m in clean}
        ask = [m.conflict for m in compared if id(m) not in merged]
        self.conflicts.clear()
        self.conflicts.update({tuple(c.key[k] for k in pk): c for c in ask})
        for c in ask:
            ref: RowRef = ("key", tuple(c.key[k] for k in pk))
            for column in c.attempted or {self.names[0]: None}:
                self.staging.errors[(ref, column)] = "changed in the database since it was loaded"
        self.host.all_changed()
        if not ask and not others:
            if not self.staging.count:  # they had saved my values already: nothing is left to write
                self.merged = notes
                self.host.saved(repository.SaveResult())
                return
            self.save()
            self.merged = notes  # after save(), which forgets the notes of the save before
            return
        self.merged = notes  # the dialog says which rows merged
        self.host.conflicted(ask + others)

    def _three_ways(self, conflict: Conflict) -> Conflict:
        """The conflict with the whole row as I loaded it and my values as staged now.

        Core knows the loaded values the change carried (the edited columns); the staging keeps the whole
        loaded row, so the fields they changed beside mine show too.
        """
        kt = tuple(conflict.key[k] for k in self.entity.primary_key)
        staged = self.staging.deletes.get(kt) or self.staging.edits.get(kt)
        if staged is None:
            return conflict
        attempted = dict(staged.values) if conflict.attempted and staged.values else conflict.attempted
        original = {**staged.original, **conflict.original}
        return dataclasses.replace(conflict, attempted=attempted, original=original)

    def _row_name(self, conflict: Conflict) -> str:
        """The row as a note names it: its label in quotes, else its key."""
        label = self.entity.label
        text = (conflict.stored or {}).get(label) if label else None
        if text not in (None, ""):
            return quoted(str(text))
        return "the row " + ", ".join(f"{k}={v}" for k, v in conflict.key.items())

    def _on_save_progress(self, progress: Progress) -> None:
        """A wait for the write lock (its text), or its end (no text): the save is writing now."""
        if self._sent is not None:
            self.host.save_progressed(progress.message or saving_text(self._sending), bool(progress.message))

    def _ended(self) -> None:
        self._sent, self._task = None, None
        self.host.save_progressed("", False)

    def _on_save_done(self, sent: Staging, result: repository.SaveResult) -> None:
        self._ended()
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

    def _on_save_aborted(self) -> None:
        self._ended()
        self.host.busy_changed()

    def _on_save_failed(self, refs: list[RowRef], failure: Any) -> None:
        self._ended()
        if failure.cancelled:  # Cancel during the lock wait: nothing was written, nothing is marked
            self.host.save_cancelled(cancelled_text(self.staging.count))
            self.host.busy_changed()
            return
        exc = failure.exception
        if isinstance(exc, ConflictError):
            self._on_conflicted(list(exc.conflicts))  # merged and saved again, or the dialog asks
        else:
            if isinstance(exc, ValidationError):
                self.staging.place_problems(exc.problems, refs)
                self.host.all_changed()
            self.host.save_failed(failure.message)
        self.host.busy_changed()
