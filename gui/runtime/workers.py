"""The one way the GUI runs core calls: on a thread pool, with results signalled back to the GUI thread.

`run(fn, *args, on_done=..., on_error=..., owner=..., key=...)` runs `fn` on a pool thread. Its result
(plain data) or its failure comes back on the GUI thread. A result is dropped, never delivered, when
its owner has been destroyed, when the task was cancelled, or when a newer task with the same owner
and key was started meanwhile (a generation check). Dropping a result never skips the work itself: a
save whose editor was closed still saves.

With `interruptible=True` (reads only: pages, counts, searches), cancelling the task also stops its
running statement (core/engine/interrupt.py), so a superseded or abandoned read frees its thread at once.

Long work gets a task state (core/progress.py) as its `state` keyword when `on_progress` or `on_partial`
is given (or `with_state=True`): progress and partial results reach those callbacks on the GUI thread,
at most one delivery per UPDATE_MS; cancelling the task, or `task.stop()`, makes `state.check()` raise.

`priority=Priority.SAVE` runs a write on the door's writer pool (one thread, as SQLite has one writer), so
a save never queues behind page loads however busy the read pool is; other priorities order the read
pool's queue.

Errors are never swallowed. A WardenError reaches `on_error` as a Failure with the message a person can
act on; `on_error` only ever gets those. Any other exception is a bug: the door hands it to its bug
handler (the crash handler: a dialog and the log file with the traceback), once, and then calls
`on_aborted()` (no argument), so a screen can leave its busy state without showing anything of the bug;
callers never report bugs themselves.

The state lives in one `Workers` object that the application owns (gui/app.py creates it); the module
functions use the application's one.
"""

from __future__ import annotations

import functools
import itertools
import logging
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThread, QThreadPool, QTimer, Signal

from core.errors import WardenError
from core.progress import Cancelled, Progress
from core.redact import format_exception
from gui.runtime.errors import bug_message, to_excepthook
from gui.runtime.gc_guard import keep_gc_on_gui_thread
from gui.runtime.priority import Priority
from gui.runtime.task_state import PostedTaskState

if TYPE_CHECKING:  # core.engine.interrupt loads SQLAlchemy: imported by the first interruptible task instead
    from core.engine.interrupt import Interruptible

__all__ = [
    "Failure",
    "Priority",
    "Task",
    "Workers",
    "current",
    "install",
    "pending_count",
    "run",
    "shutdown",
    "thread_pool",
    "wait_idle",
]

log = logging.getLogger("warden.gui.runtime.workers")

DoneCallback = Callable[[Any], None]
ErrorCallback = Callable[["Failure"], None]
AbortedCallback = Callable[[], None]
ProgressCallback = Callable[[Progress], None]
PartialCallback = Callable[[Any], None]
BugHandler = Callable[[BaseException], None]

#: Least time between two progress deliveries of one task: a progress bar needs no more than ~20 a second.
UPDATE_MS = 50


@dataclass(frozen=True)
class Failure:
    """Why a task failed: a message for people, and for bugs the traceback."""

    message: str
    bug: bool  # False for a WardenError (the user can act on it), True for anything else (already reported)
    exception: BaseException
    details: str = ""  # the formatted traceback, for bugs

    def __str__(self) -> str:
        return self.message

    @property
    def cancelled(self) -> bool:
        """Whether the work stopped because it was asked to (core.progress.Cancelled)."""
        return isinstance(self.exception, Cancelled)


@dataclass(eq=False)
class Task:
    """A handle on one submitted call; `cancel()` drops its result (the call itself still runs)."""

    id: int
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    on_done: DoneCallback | None
    on_error: ErrorCallback | None
    owner_id: int | None
    key: Hashable | None
    owner_ref: Any = None  # the owner QObject (checked with shiboken6.isValid before delivery)
    interruptible: bool = False  # cancel() also stops its running statement
    priority: Priority = Priority.READ
    on_aborted: AbortedCallback | None = None  # after a bug went to the bug handler
    state: PostedTaskState | None = None  # long work's progress, partial results and cancel
    on_progress: ProgressCallback | None = None
    on_partial: PartialCallback | None = None
    scope: Interruptible | None = None  # set by the worker while it runs an interruptible task
    cancelled: bool = False
    finished: bool = False
    outcome: str = field(default="pending")  # pending | delivered | dropped
    last_update: float = 0.0  # monotonic time of the last progress delivery (GUI thread)
    update_due: bool = False  # a delayed progress delivery is scheduled

    def cancel(self) -> None:
        """Drop this task's result when it arrives; long work stops at its next check, a read at once."""
        self.cancelled = True
        self.stop()

    def stop(self) -> None:
        """Ask long work to stop at its next `state.check()`; unlike cancel(), its outcome still arrives."""
        if self.state is not None:
            self.state.cancel()
        scope = self.scope
        if scope is not None and self.cancelled:
            scope.interrupt()

    @property
    def name(self) -> str:
        """The called function's qualified name, for logs."""
        return getattr(self.fn, "__qualname__", repr(self.fn))


class _Runnable(QRunnable):
    """Runs one task's function on a pool thread and reports the outcome to the door."""

    def __init__(self, task: Task, door: Workers) -> None:
        super().__init__()
        self._task = task
        self._door = door

    def run(self) -> None:
        """Call the function; catch everything so that no failure is lost on the pool thread."""
        task = self._task
        ok = True
        result: Any
        try:
            result = self._call(task)
        except WardenError as exc:
            ok = False
            result = Failure(message=str(exc), bug=False, exception=exc)
        except BaseException as exc:  # a bug: the GUI thread hands it to the crash handler
            ok = False
            if task.cancelled and task.interruptible:  # stopped on purpose: its error means nothing
                result = Failure(message="cancelled", bug=False, exception=exc)
            else:
                details = format_exception(exc)  # the log's text: no message that may quote values
                result = Failure(message=bug_message(exc), bug=True, exception=exc, details=details)
        self._report(task, ok, result)

    @staticmethod
    def _call(task: Task) -> Any:
        kwargs = task.kwargs if task.state is None else {**task.kwargs, "state": task.state}
        if not task.interruptible:
            return task.fn(*task.args, **kwargs)
        from core.engine.interrupt import interruptible  # on this pool thread, never the GUI's

        with interruptible() as scope:
            task.scope = scope
            if task.cancelled:  # cancelled before it started: stop at the first statement
                scope.interrupt()
            try:
                return task.fn(*task.args, **kwargs)
            finally:
                task.scope = None

    def _report(self, task: Task, ok: bool, result: Any) -> None:
        # Drop references to arguments before the (queued) delivery, so large inputs can be freed.
        self._task = None  # type: ignore[assignment]
        try:
            self._door.task_finished.emit((task.id, ok, result))
        except RuntimeError:  # the door is gone: the application is shutting down
            log.warning("result of %s arrived after shutdown and was dropped", task.name)


class Workers(QObject):
    """The worker door: submitted tasks, their generations and owners, the pool, and where bugs go.

    Lives on the GUI thread; pool threads emit its signals, so every delivery is queued onto the GUI thread.
    """

    task_finished = Signal(object)  # (task id, ok, result or Failure)
    state_posted = Signal(int)  # a long task's state has reports to take (task id)
    #: Every task's Failure, delivered or dropped, before its on_error: the connection monitor
    #: (gui/runtime/connection_state.py) learns from it that the database stopped answering.
    failed = Signal(object)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        pool: QThreadPool | None = None,
        bug_handler: BugHandler | None = None,
    ) -> None:
        super().__init__(parent)
        self.pool = pool if pool is not None else QThreadPool.globalInstance()
        self.write_pool = QThreadPool(self)  # saves: never behind reads, one at a time
        self.write_pool.setMaxThreadCount(1)
        self.bug_handler: BugHandler = bug_handler or to_excepthook
        self._ids = itertools.count(1)
        self._tasks: dict[int, Task] = {}  # submitted and not yet delivered (or dropped)
        self._latest: dict[tuple[int | None, Hashable], int] = {}  # (owner id, key) → id of the newest task
        self._watched_owners: set[int] = set()
        self.task_finished.connect(self._on_task_finished)
        self.state_posted.connect(self._on_state_posted)
        self._gc_kept = False

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: DoneCallback | None = None,
        on_error: ErrorCallback | None = None,
        on_aborted: AbortedCallback | None = None,
        owner: QObject | None = None,
        key: Hashable | None = None,
        interruptible: bool = False,
        priority: Priority = Priority.READ,
        on_progress: ProgressCallback | None = None,
        on_partial: PartialCallback | None = None,
        with_state: bool = False,
        **kwargs: Any,
    ) -> Task:
        """Run `fn(*args, **kwargs)` on the pool; deliver its result to `on_done` on the GUI thread.

        With `owner`, nothing is delivered once the owner is destroyed. With `key`, starting a new task
        with the same owner and key supersedes the previous one: its result will be dropped. With
        `on_progress`, `on_partial` or `with_state`, `fn` also gets `state=` (a core.progress.TaskState).
        """
        _require_gui_thread()
        if not self._gc_kept:  # from now on workers allocate: cycles must not be collected on them
            keep_gc_on_gui_thread()
            self._gc_kept = True
        owner_id = id(owner) if owner is not None else None
        task = Task(
            id=next(self._ids),
            fn=fn,
            args=args,
            kwargs=kwargs,
            on_done=on_done,
            on_error=on_error,
            owner_id=owner_id,
            key=key,
            owner_ref=owner,
            interruptible=interruptible,
            priority=priority,
            on_aborted=on_aborted,
            on_progress=on_progress,
            on_partial=on_partial,
        )
        if on_progress is not None or on_partial is not None or with_state:
            task.state = PostedTaskState(functools.partial(self.state_posted.emit, task.id))
        if key is not None:
            previous = self._latest.get((owner_id, key))
            if previous is not None and previous in self._tasks:
                self._tasks[previous].cancel()
            self._latest[(owner_id, key)] = task.id
        if owner is not None and (watched := id(owner)) not in self._watched_owners:
            self._watched_owners.add(watched)
            owner.destroyed.connect(functools.partial(self._forget_owner, watched))
        self._tasks[task.id] = task
        self._start(_Runnable(task, self), priority)
        return task

    def _start(self, runnable: _Runnable, priority: Priority) -> None:
        pool = self.write_pool if priority >= Priority.SAVE else self.pool
        pool.start(runnable, int(priority))

    def report_bug(self, exc: BaseException) -> None:
        """Hand a bug to the bug handler (the crash handler in the app); a failing handler is only logged."""
        try:
            self.bug_handler(exc)
        except Exception:  # the crash handler itself failed: the log is all that is left
            log.exception("the crash handler failed on %s", type(exc).__name__)

    def pending_count(self) -> int:
        """How many submitted tasks have not yet been delivered or dropped."""
        return len(self._tasks)

    def wait_idle(self, timeout_ms: int = 5000) -> bool:
        """Wait until every task has run and its result was delivered; True if that happened in time.

        Meant for tests and shutdown: it processes GUI events while waiting, so callbacks run.
        """
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            QCoreApplication.sendPostedEvents()
            QCoreApplication.processEvents()
            if not self._tasks:
                return True
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms <= 0:
                return False
            self.pool.waitForDone(min(remaining_ms, 20))
            self.write_pool.waitForDone(min(remaining_ms, 20))

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Drop every pending result and wait for running tasks to finish; True if they did in time."""
        for task in self._tasks.values():
            task.cancel()
        done = self.wait_idle(timeout_ms)
        if not done:
            log.warning("%d worker task(s) still running at shutdown", len(self._tasks))
        return done

    # --- on the GUI thread ---------------------------------------------------------------------------

    def _forget_owner(self, owner_id: int, *_: Any) -> None:
        """The owner was destroyed: drop every pending result for it and release its callbacks."""
        self._watched_owners.discard(owner_id)
        for task in self._tasks.values():
            if task.owner_id == owner_id:
                task.cancel()
                task.on_done = task.on_error = task.on_aborted = task.on_progress = task.on_partial = None
                task.owner_ref = None
        for scope in [s for s in self._latest if s[0] == owner_id]:
            del self._latest[scope]

    def _on_state_posted(self, task_id: int) -> None:
        """A long task reported: deliver now, or once UPDATE_MS have passed since the last delivery."""
        task = self._tasks.get(task_id)
        if task is None or task.update_due:
            return
        wait_ms = int((task.last_update + UPDATE_MS / 1000 - time.monotonic()) * 1000)
        if wait_ms > 0:
            task.update_due = True
            QTimer.singleShot(wait_ms, self, functools.partial(self._on_update_due, task_id))
            return
        self._deliver_state(task)

    def _on_update_due(self, task_id: int) -> None:
        task = self._tasks.get(task_id)
        if task is not None:
            task.update_due = False
            self._deliver_state(task)

    def _deliver_state(self, task: Task) -> None:
        """Hand a long task's partial results (all, in order) and newest progress to its callbacks."""
        if task.state is None:
            return
        progress, partials = task.state.take()
        task.last_update = time.monotonic()
        if task.cancelled:
            return
        if task.on_partial is not None:
            for value in partials:
                task.on_partial(value)
        if progress is not None and task.on_progress is not None:
            task.on_progress(progress)

    def _on_task_finished(self, payload: tuple[int, bool, Any]) -> None:
        """Hand a result or failure to its callback, unless it is stale; a bug goes to the bug handler."""
        task_id, ok, result = payload
        task = self._tasks.pop(task_id, None)
        if task is None:
            return
        self._deliver_state(task)  # the last progress and partial results come before the result
        task.finished = True
        scope = (task.owner_id, task.key)
        is_latest = task.key is not None and self._latest.get(scope) == task.id
        if is_latest:
            del self._latest[scope]
        stale = task.key is not None and not is_latest
        owner_gone = task.owner_ref is None and task.owner_id is not None
        owner_gone = owner_gone or (task.owner_ref is not None and not shiboken6.isValid(task.owner_ref))
        on_done, on_error, on_aborted = task.on_done, task.on_error, task.on_aborted
        task.on_done = task.on_error = task.on_aborted = task.on_progress = task.on_partial = None
        task.owner_ref = None
        dropped = task.cancelled or stale or owner_gone
        task.outcome = "dropped" if dropped else "delivered"
        if not ok and not (task.cancelled and task.interruptible):  # a stopped read's error means nothing
            self.failed.emit(result)
        if not ok and result.bug:
            if dropped:  # nobody waits for it any more: the log keeps it, no dialog interrupts the user
                log.error("%s failed with a bug after its result was dropped:\n%s", task.name, result.details)
            else:
                self.report_bug(result.exception)
        if dropped:
            log.debug("dropped the result of %s (cancelled, superseded or owner gone)", task.name)
            return
        if ok:
            if on_done is not None:
                on_done(result)
            return
        failure: Failure = result
        if failure.bug:  # the bug handler has it; the screen only leaves its busy state
            if on_aborted is not None:
                on_aborted()
        elif on_error is not None:
            on_error(failure)
        else:
            log.error("%s failed: %s", task.name, failure.message)


def _require_gui_thread() -> None:
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("workers.run needs a QApplication")
    if QThread.currentThread() is not app.thread():
        raise RuntimeError("workers.run must be called from the GUI thread")


# --- the application's door -------------------------------------------------------------------------

_current: Workers | None = None


def install(door: Workers) -> Workers:
    """Make `door` the application's worker door (gui/app.py does this for the QApplication it makes)."""
    global _current
    _current = door
    return door


def current() -> Workers:
    """The application's worker door; made (a child of the QApplication) on first use if none is installed."""
    if _current is None or not shiboken6.isValid(_current):
        _require_gui_thread()
        install(Workers(QCoreApplication.instance()))
    assert _current is not None
    return _current


def _installed() -> Workers | None:
    return _current if _current is not None and shiboken6.isValid(_current) else None


def run(fn: Callable[..., Any], *args: Any, **options: Any) -> Task:
    """Workers.run on the application's door (the options are Workers.run's)."""
    _require_gui_thread()
    return current().run(fn, *args, **options)


def thread_pool() -> QThreadPool:
    """The pool every task runs on."""
    door = _installed()
    return door.pool if door is not None else QThreadPool.globalInstance()


def pending_count() -> int:
    """How many submitted tasks have not yet been delivered or dropped."""
    door = _installed()
    return door.pending_count() if door is not None else 0


def wait_idle(timeout_ms: int = 5000) -> bool:
    """Workers.wait_idle on the application's door (True at once when there is none)."""
    door = _installed()
    return door.wait_idle(timeout_ms) if door is not None else True


def shutdown(timeout_ms: int = 5000) -> bool:
    """Workers.shutdown on the application's door (True at once when there is none)."""
    door = _installed()
    return door.shutdown(timeout_ms) if door is not None else True
