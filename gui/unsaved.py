"""Before staged edits could go away (quit, closing a tab, another database): Save / Discard / Cancel.

The question is window-modal and answered later (QMessageBox.open, never exec), so nothing blocks:
the caller stops what it was doing, and `LeaveGuard` calls it back once the edits are saved or
discarded. Saves are the editors' own (each one transaction, in a worker); the first failure stops the
run, its editor shows the error as usual, and nothing closes. A save held by a question in front of it
(the confirm level's SQL, the audit consent: a `SaveGate`) is waited for: the answer sends the save and
the run goes on, or declines it and nothing closes. While a migration runs nothing is asked, saved or
discarded: the way out is refused with one message (a save then would be sent to paused screens, built
from the old catalog, and the window would close under the runner).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal, SignalInstance
from PySide6.QtWidgets import QAbstractItemView, QApplication, QMessageBox, QWidget

from gui.editor.delegates.cell_delegate import CellDelegate

if TYPE_CHECKING:
    from gui.editor.view import TableEditor

log = logging.getLogger("warden.gui.unsaved")

SAVE, DISCARD, CANCEL = "save", "discard", "cancel"
Step = Callable[[], None]

MIGRATING = "A migration is running."


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _commit_open_cell(editor: TableEditor) -> None:
    """Stage what is typed in an open cell editor, in the grid or the record form (as leaving it would), so
    it is asked about too."""
    view = editor.view
    if view.state() == QAbstractItemView.State.EditingState:
        delegate = view.itemDelegate()
        if not (isinstance(delegate, CellDelegate) and delegate.stage_open_editor(view)):
            focused = QApplication.focusWidget()
            if focused is not None and view.isAncestorOf(focused):
                focused.clearFocus()  # the delegate commits on focus out, then the editor closes
    if editor.form is not None:
        editor.form.finish_editing(commit=True)  # its field editor commits on a focus change, not on a close


class UnsavedPrompt(QMessageBox):
    """Save / Discard / Cancel, naming each table with staged edits and how many; `answered(answer)`."""

    answered = Signal(str)  # SAVE, DISCARD or CANCEL

    def __init__(self, what: str, pending: Sequence[tuple[str, int]], parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("unsavedPrompt")
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle("Unsaved Changes")
        total = sum(n for _, n in pending)
        self.setText(f"Save {_plural(total, 'unsaved change')} before {what}?")
        self.setInformativeText(
            "\n".join(f"{label}: {_plural(n, 'unsaved change')}" for label, n in pending)
            + "\n\nDiscard throws them away."
        )
        buttons = QMessageBox.StandardButton
        self.setStandardButtons(buttons.Save | buttons.Discard | buttons.Cancel)
        self.setDefaultButton(buttons.Save)
        self.setEscapeButton(buttons.Cancel)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.finished.connect(self._on_finished)

    def choose(self, answer: str) -> None:
        """Click the button of `answer` (what a person does; tests use it too)."""
        button = {SAVE: "Save", DISCARD: "Discard", CANCEL: "Cancel"}[answer]
        self.button(getattr(QMessageBox.StandardButton, button)).click()

    def _on_finished(self, _result: int) -> None:
        role = self.standardButton(self.clickedButton())
        buttons = QMessageBox.StandardButton
        answer = {buttons.Save: SAVE, buttons.Discard: DISCARD}.get(role, CANCEL)
        self.answered.emit(answer)
        self.deleteLater()


class Leavable(Protocol):
    """Staged work a window asks about before it goes away: a table editor's (EditorWork) or the record
    graph's link edits (gui/graph/link_editor.py)."""

    @property
    def save_finished(self) -> SignalInstance:
        """Emits True once a save start_save sent has written everything, False when it failed."""

    @property
    def staged(self) -> int:
        """How many edits are staged."""

    @property
    def page(self) -> QWidget:
        """The tab to show when its save fails."""

    @property
    def gated(self) -> object:
        """What the save gates hold while they ask (a table editor's model, the graph's link editor)."""

    def finish_input(self) -> None:
        """Stage what is still being typed, so that it is asked about too."""

    def discard(self) -> None:
        """Throw the staged edits away."""

    def start_save(self) -> bool:
        """Start saving; whether a save was sent (False: it cannot be saved, e.g. read-only)."""


class SaveGate(Protocol):
    """A question in front of saves (gui/safety/save_gate.py, gui/audit/consent_gate.py)."""

    @property
    def declined(self) -> SignalInstance:
        """Emits the gated model whose held save will not be sent (Cancel, or it could not be asked)."""

    def holds(self, model: object) -> bool:
        """Whether a question about `model`'s save is open or being prepared (its answer sends it)."""


class EditorWork(QObject):
    """A table editor's staged edits, as the leave guard handles them."""

    save_finished = Signal(bool)

    def __init__(self, editor: TableEditor) -> None:
        super().__init__()  # no parent: the guard holds it while it asks or saves, then it goes
        self.editor = editor

    @property
    def staged(self) -> int:
        model = self.editor.model
        return model.staged_count if model.has_changes else 0

    @property
    def page(self) -> QWidget:
        return self.editor

    @property
    def gated(self) -> object:
        return self.editor.model

    def finish_input(self) -> None:
        _commit_open_cell(self.editor)

    def discard(self) -> None:
        self.editor.model.revert()

    def start_save(self) -> bool:
        model = self.editor.model
        model.saved.connect(self._on_saved)
        model.save_failed.connect(self._on_failed)
        model.conflicted.connect(self._on_failed)
        self.editor.save()
        # False: nothing was sent (read-only, or a gate's question holds it). Still connected, to hear the
        # save its answer sends; once the guard lets go of this work it is freed, and so are the connections.
        return model.saving

    def _disconnect(self) -> None:
        if shiboken6.isValid(self.editor):
            model = self.editor.model
            model.saved.disconnect(self._on_saved)
            model.save_failed.disconnect(self._on_failed)
            model.conflicted.disconnect(self._on_failed)

    def _on_saved(self, *_args: Any) -> None:
        self._disconnect()
        self.save_finished.emit(True)

    def _on_failed(self, *_args: Any) -> None:
        self._disconnect()
        self.save_finished.emit(False)


def _as_work(item: TableEditor | Leavable) -> Leavable:
    """A table editor wrapped as Leavable; anything else already is one."""
    return EditorWork(item) if hasattr(item, "model") else item  # type: ignore[arg-type]


class LeaveGuard(QObject):
    """Asks before editors with staged edits go away, then saves or discards them, or leaves them be.

    `check(...)` returns True when nothing is staged (go on now). Otherwise it asks, returns False, and
    later calls `then` (after Save succeeded everywhere, or after Discard) or `on_cancel` (Cancel, a
    failed save, a save declined at a gate's question). While a question or a save is under way, further
    checks are refused.
    """

    save_failed = Signal(object)  # the page (a TableEditor, the graph) whose save failed: show it

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self.prompt: UnsavedPrompt | None = None
        self._queue: list[Leavable] = []
        self._then: Step | None = None
        self._on_cancel: Step | None = None
        self._what = ""  # the way out asked about ("quitting")
        self._current: Leavable | None = None
        self._gates: list[SaveGate] = []
        self.migrating: Callable[[], bool] = lambda: False  # the window's: whether a migration runs now
        self.refusal: QMessageBox | None = None  # the open "A migration is running" message

    def follow_gate(self, gate: SaveGate) -> None:
        """Wait for `gate`'s answer when it holds a save this guard started, instead of giving up."""
        self._gates.append(gate)
        gate.declined.connect(self._on_gate_declined)

    @property
    def busy(self) -> bool:
        """A question is open or a save run is under way."""
        return self.prompt is not None or self._then is not None

    def refused(self, what: str, on_cancel: Step | None = None) -> bool:
        """Whether going away (`what`: "quitting") is refused now because a migration runs: says so, asks
        nothing, saves and discards nothing, and calls `on_cancel`."""
        if not self.migrating():
            return False
        log.info("%s refused: a migration is running", what)
        if self.refusal is None:
            self.refusal = box = QMessageBox(self._parent)
            box.setObjectName("leaveRefused")
            box.setIcon(QMessageBox.Icon.Information)
            box.setWindowTitle("Migration Running")
            box.setWindowModality(Qt.WindowModality.WindowModal)
            box.finished.connect(self._on_refusal_finished)
        self.refusal.setText(MIGRATING)
        self.refusal.setInformativeText(f"Wait for it to end before {what}. Your staged edits are kept.")
        self.refusal.open()
        self.refusal.raise_()
        if on_cancel is not None:
            on_cancel()
        return True

    def _on_refusal_finished(self, _result: int) -> None:
        if self.refusal is not None:
            self.refusal.deleteLater()
            self.refusal = None

    def check(
        self,
        editors: Sequence[tuple[str, TableEditor | Leavable]],
        what: str,
        then: Step,
        on_cancel: Step | None = None,
    ) -> bool:
        """True when none of `editors` (label, table editor or other Leavable work) has staged edits;
        otherwise ask and act later."""
        works = [(label, _as_work(e)) for label, e in editors if shiboken6.isValid(e)]
        for _, work in works:
            work.finish_input()
        staged = [(label, w) for label, w in works if w.staged]
        if not staged and not self.busy:
            return True
        if self.refused(what, on_cancel):  # a save now would be sent to paused screens
            return False
        if self.busy:  # one question at a time: this way out is refused, the open one stays
            if self.prompt is not None:
                self.prompt.raise_()
            if on_cancel is not None:
                on_cancel()
            return False
        self._then, self._on_cancel, self._what = then, on_cancel, what
        self._queue = [w for _, w in staged]
        counts = [(label, w.staged) for label, w in staged]
        self.prompt = UnsavedPrompt(what, counts, self._parent)
        self.prompt.answered.connect(self._on_prompt_answered)
        self.prompt.open()
        return False

    # --- answers -------------------------------------------------------------------------------------

    def _on_prompt_answered(self, answer: str) -> None:
        self.prompt = None
        if answer != CANCEL and self.refused(self._what):  # a run started while the question was open
            self._finish(False)
        elif answer == SAVE:
            self._save_next()
        elif answer == DISCARD:
            for work in self._queue:
                if shiboken6.isValid(work.page):
                    work.discard()
            self._finish(True)
        else:
            self._finish(False)

    def _finish(self, go_on: bool) -> None:
        then, on_cancel = self._then, self._on_cancel
        self._then = self._on_cancel = None
        self._queue, self._current = [], None
        step = then if go_on else on_cancel
        if step is not None:
            step()

    # --- saving, one after another -------------------------------------------------------------------

    def _save_next(self) -> None:
        self._queue = [w for w in self._queue if shiboken6.isValid(w.page) and w.staged]
        if not self._queue:
            self._finish(True)
            return
        if self.refused(self._what):  # a run started while the saves before it were written: the rest wait
            self._finish(False)
            return
        work = self._current = self._queue.pop(0)
        work.save_finished.connect(self._on_saved)
        if work.start_save():
            return
        if any(gate.holds(work.gated) for gate in self._gates):
            return  # a question is open: its answer sends the save (save_finished follows) or declines it
        self._stop(work)  # nothing was sent (read-only): it cannot be saved, so nothing closes

    def _on_saved(self, ok: bool) -> None:
        work = self._current
        if work is None:
            return
        work.save_finished.disconnect(self._on_saved)
        if ok:
            self._save_next()
        else:
            self._stop(work, connected=False)

    def _on_gate_declined(self, model: object) -> None:
        work = self._current
        if work is not None and work.gated is model:
            self._stop(work)

    def _stop(self, work: Leavable, *, connected: bool = True) -> None:
        if connected:
            work.save_finished.disconnect(self._on_saved)
        log.info("a save before leaving failed or was declined: nothing closes")
        self._finish(False)
        self.save_failed.emit(work.page)
