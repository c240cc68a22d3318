"""Plain stand-ins for the Qt side of the editor model's parts: a worker queue and hosts that record.

They let the row window, the edit history and the saver run against a real database on the test thread,
without a model, a view or an event loop; calls run in order when the test drains the queue.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from core.errors import WardenError
from core.progress import TaskState
from gui.runtime.workers import Failure


@dataclass
class QueuedTask:
    """One queued call; cancelling it drops it."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    on_done: Callable[[Any], None] | None
    on_error: Callable[[Any], None] | None
    cancelled: bool = False
    state: TaskState | None = None

    def cancel(self) -> None:
        """Drop the call (or its result)."""
        self.cancelled = True

    def stop(self) -> None:
        """Ask long work to stop at its next check, as the door's Task.stop does."""
        if self.state is not None:
            self.state.cancel()


@dataclass
class Worker:
    """A worker door that runs calls when drained, on this thread, in order; it remembers what ran."""

    queue: list[QueuedTask] = field(default_factory=list)
    later: list[Callable[[], None]] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)

    def __call__(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[Any], None] | None = None,
        on_aborted: Callable[[], None] | None = None,
        key: Hashable | None = None,
        interruptible: bool = False,
        priority: Any = None,
        on_progress: Callable[[Any], None] | None = None,
        **kwargs: Any,
    ) -> QueuedTask:
        """Queue a call; with `on_progress` it gets a `state=` that reports to it, as the door's does.

        A bug (any other exception) is raised to the test, as a crash handler would report it.
        """
        task = QueuedTask(fn, args, kwargs, on_done, on_error)
        if on_progress is not None:
            task.state = kwargs["state"] = TaskState(on_progress)
        self.queue.append(task)
        return task

    def drain(self) -> None:
        """Run queued calls and delayed callbacks until none are left."""
        while self.queue or self.later:
            if not self.queue:
                self.later.pop(0)()
                continue
            task = self.queue.pop(0)
            if task.cancelled:
                continue
            self.ran.append(task.fn.__name__)
            try:
                result = task.fn(*task.args, **task.kwargs)
            except WardenError as exc:
                if task.on_error is not None:
                    task.on_error(Failure(message=str(exc), bug=False, exception=exc))
                continue
            if task.on_done is not None:
                task.on_done(result)


@dataclass
class Host:
    """Records what the row window, the edit history and the saver report; applies changes at once."""

    worker: Worker
    events: list[tuple[Any, ...]] = field(default_factory=list)

    def _note(self, *event: Any) -> None:
        self.events.append(event)

    def names(self) -> list[str]:
        """The kinds of event recorded, in order."""
        return [e[0] for e in self.events]

    # WindowHost
    def reset_rows(self, apply: Callable[[], None]) -> None:
        apply()
        self._note("reset")

    def resize_rows(self, old: int, new: int, apply: Callable[[], None]) -> None:
        apply()
        self._note("resize", old, new)

    def rows_changed(self, start: int, end: int) -> None:
        self._note("rows_changed", start, end)

    def all_rows_changed(self) -> None:
        self._note("all_rows_changed")

    def column_changed(self, name: str) -> None:
        self._note("column_changed", name)

    def rows_arrived(self, start: int, end: int) -> None:
        self._note("rows_arrived", start, end)

    def count_changed(self, n: int, exact: bool) -> None:
        self._note("count_changed", n, exact)

    def loading_changed(self) -> None:
        self._note("loading_changed")

    def load_failed(self, message: str) -> None:
        self._note("load_failed", message)

    def busy_changed(self) -> None:
        pass

    def start_debounce(self, restart: bool) -> None:
        self._note("debounce")

    def call_later(self, ms: int, fn: Callable[[], None]) -> None:
        self.worker.later.append(fn)

    # HistoryHost and SaveHost
    def insert_new_row(self, at: int, apply: Callable[[], None]) -> None:
        apply()
        self._note("insert_new_row", at)

    def remove_new_row(self, at: int, apply: Callable[[], None]) -> None:
        apply()
        self._note("remove_new_row", at)

    def touch(self, refs: set[Any]) -> None:
        self._note("touch", refs)

    def all_changed(self) -> None:
        self._note("all_changed")

    def staged_count_changed(self) -> None:
        self._note("staged_count_changed")

    def saved(self, result: Any) -> None:
        self._note("saved", result)

    def save_failed(self, message: str) -> None:
        self._note("save_failed", message)

    def conflicted(self, conflicts: list[Any]) -> None:
        self._note("conflicted", conflicts)

    def save_progressed(self, text: str, waiting: bool) -> None:
        self._note("save_progressed", text, waiting)

    def save_cancelled(self, message: str) -> None:
        self._note("save_cancelled", message)
