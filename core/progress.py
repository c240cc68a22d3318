"""Progress, partial results and cooperative cancel for long core work, without any screen (no Qt).

A long core function (an export, a re-embedding, a copy) takes an optional `state: TaskState` and, between
batches, calls `state.check()` (raises Cancelled once cancel was asked), `state.set_progress(done, total,
message)` and, if it has any, `state.set_partial_result(value)`. The caller decides what those reports do:
the CLI passes listeners that print, the GUI a subclass that hands them to the GUI thread, throttled
(gui/runtime/task_state.py). Cancel is cooperative: the work stops at its next check, never mid-batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.errors import WardenError

__all__ = ["Cancelled", "Progress", "TaskState"]


class Cancelled(WardenError):
    """The work stopped because cancel was asked; nothing of it was kept."""

    def __init__(self, message: str = "Cancelled.") -> None:
        super().__init__(message)


@dataclass(frozen=True)
class Progress:
    """How far long work is: `done` of `total` units (None: unknown), and what it is doing."""

    done: int
    total: int | None = None
    message: str = ""


ProgressListener = Callable[[Progress], None]
PartialListener = Callable[[Any], None]


class TaskState:
    """What long work reports (progress, partial results) and checks (cancel); safe to use from any thread.

    The listeners run on the reporting (worker) thread; a subclass may override `set_progress` and
    `set_partial_result` to hand them elsewhere.
    """

    def __init__(
        self, on_progress: ProgressListener | None = None, on_partial: PartialListener | None = None
    ) -> None:
        self._cancel = threading.Event()
        self._on_progress = on_progress
        self._on_partial = on_partial

    def set_progress(self, done: int, total: int | None = None, message: str = "") -> None:
        """Report that `done` of `total` units are finished."""
        if self._on_progress is not None:
            self._on_progress(Progress(done, total, message))

    def set_partial_result(self, value: Any) -> None:
        """Hand on a piece of the result before the whole is ready (e.g. the first rows found)."""
        if self._on_partial is not None:
            self._on_partial(value)

    def cancel(self) -> None:
        """Ask the work to stop at its next check."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        """Whether cancel was asked."""
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise Cancelled if cancel was asked; long work calls this between batches."""
        if self._cancel.is_set():
            raise Cancelled
