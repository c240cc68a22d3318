"""The one way the GUI runs core calls: on a thread pool, with results signalled back to the GUI thread.

`run(fn, *args, on_done=..., on_error=..., owner=..., key=...)` runs `fn` on a pool thread. Its result
(plain data) or its failure comes back on the GUI thread. A result is dropped, never delivered, when
its owner has been destroyed, when the task was cancelled, or when a newer task with the same owner
and key was started meanwhile (a generation check). Dropping a result never skips the work itself: a
save whose editor was closed still saves.

With `interruptible=True` (reads only: pages, counts, searches), cancelling the task also stops its
running statement (core/engine/interrupt.py), so a superseded or abandoned read frees its thread at once.

Errors are never swallowed. A WardenError reaches `on_error` as a Failure with the message a person
can act on; any other exception is a bug: it is logged with its traceback on the worker thread and
then reaches `on_error` as a Failure with `bug=True`. Without an `on_error`, a bug goes to
`sys.excepthook` (the crash dialog in the app) and a WardenError is logged.
"""

from __future__ import annotations

import functools
import itertools
import logging
import sys
import time
import traceback
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThread, QThreadPool, Signal

from core.errors import WardenError
from gui.runtime.gc_guard import keep_gc_on_gui_thread

if TYPE_CHECKING:  # core.engine.interrupt loads SQLAlchemy: imported by the first interruptible task instead
    from core.engine.interrupt import Interruptible

log = logging.getLogger("warden.gui.runtime.workers")

DoneCallback = Callable[[Any], None]
ErrorCallback = Callable[["Failure"], None]


@dataclass(frozen=True)
class Failure:
    """Why a task failed: a message for people, and for bugs the traceback."""

    message: str
    bug: bool  # False for a WardenError (the user can act on it), True for anything else
    exception: BaseException
    details: str = ""  # the formatted traceback, for bugs

    def __str__(self) -> str:
        return self.message


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
    scope: Interruptible | None = None  # set by the worker while it runs an interruptible task
    cancelled: bool = False
    finished: bool = False
    outcome: str = field(default="pending")  # pending | delivered | dropped

    def cancel(self) -> None:
        """Drop this task's result when it arrives; an interruptible one also stops its statement."""
        self.cancelled = True
        scope = self.scope
        if scope is not None:
            scope.interrupt()

    @property
    def name(self) -> str:
        """The called function's qualified name, for logs."""
        return getattr(self.fn, "__qualname__", repr(self.fn))


class _Relay(QObject):
    """Lives on the GUI thread; pool threads emit on it, so deliveries are queued onto the GUI thread."""

    task_finished = Signal(object)  # (task id, ok, result or Failure)

    def __init__(self) -> None:
        super().__init__()
        self.task_finished.connect(self._on_task_finished)

    def _on_task_finished(self, payload: tuple[int, bool, Any]) -> None:
        _deliver(*payload)


class _Runnable(QRunnable):
    """Runs one task's function on a pool thread and reports the outcome to the relay."""

    def __init__(self, task: Task, relay: _Relay) -> None:
        super().__init__()
        self._task = task
        self._relay = relay

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
        except BaseException as exc:  # a bug: log it here, with its traceback, then report it
            ok = False
            if task.cancelled and task.interruptible:  # stopped on purpose: its error means nothing
                result = Failure(message="cancelled", bug=False, exception=exc)
                self._report(task, ok, result)
                return
            details = traceback.format_exc()
            log.error("worker task %s failed with a bug:\n%s", task.name, details)
            result = Failure(message=_bug_message(exc), bug=True, exception=exc, details=details)
        self._report(task, ok, result)

    @staticmethod
    def _call(task: Task) -> Any:
        if not task.interruptible:
            return task.fn(*task.args, **task.kwargs)
        from core.engine.interrupt import interruptible  # on this pool thread, never the GUI's

        with interruptible() as scope:
            task.scope = scope
            if task.cancelled:  # cancelled before it started: stop at the first statement
                scope.interrupt()
            try:
                return task.fn(*task.args, **task.kwargs)
            finally:
                task.scope = None

    def _report(self, task: Task, ok: bool, result: Any) -> None:
        # Drop references to arguments before the (queued) delivery, so large inputs can be freed.
        self._task = None  # type: ignore[assignment]
        try:
            self._relay.task_finished.emit((task.id, ok, result))
        except RuntimeError:  # the relay is gone: the application is shutting down
            log.warning("result of %s arrived after shutdown and was dropped", task.name)


_ids = itertools.count(1)
_tasks: dict[int, Task] = {}  # submitted and not yet delivered (or dropped); GUI thread only
_latest: dict[tuple[int | None, Hashable], int] = {}  # (owner id, key) → id of the newest task
_watched_owners: set[int] = set()
_relay: _Relay | None = None


def _bug_message(exc: BaseException) -> str:
    return f"Unexpected error ({type(exc).__name__}: {exc}). This is a bug in Warden; details are in the log."


def _get_relay() -> _Relay:
    global _relay
    if _relay is None or not shiboken6.isValid(_relay):
        _relay = _Relay()
        keep_gc_on_gui_thread()  # from now on workers allocate: cycles must not be collected on them
    return _relay


def thread_pool() -> QThreadPool:
    """The pool every task runs on."""
    return QThreadPool.globalInstance()


def _require_gui_thread() -> None:
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("workers.run needs a QApplication")
    if QThread.currentThread() is not app.thread():
        raise RuntimeError("workers.run must be called from the GUI thread")


def run(
    fn: Callable[..., Any],
    *args: Any,
    on_done: DoneCallback | None = None,
    on_error: ErrorCallback | None = None,
    owner: QObject | None = None,
    key: Hashable | None = None,
    interruptible: bool = False,
    **kwargs: Any,
) -> Task:
    """Run `fn(*args, **kwargs)` on the pool; deliver its result to `on_done` on the GUI thread.

    With `owner`, nothing is delivered once the owner is destroyed. With `key`, starting a new task
    with the same owner and key supersedes the previous one: its result will be dropped.
    """
    _require_gui_thread()
    relay = _get_relay()
    owner_id = id(owner) if owner is not None else None
    task = Task(
        id=next(_ids),
        fn=fn,
        args=args,
        kwargs=kwargs,
        on_done=on_done,
        on_error=on_error,
        owner_id=owner_id,
        key=key,
        owner_ref=owner,
        interruptible=interruptible,
    )
    if key is not None:
        previous = _latest.get((owner_id, key))
        if previous is not None and previous in _tasks:
            _tasks[previous].cancel()
        _latest[(owner_id, key)] = task.id
    if owner is not None and (watched := id(owner)) not in _watched_owners:
        _watched_owners.add(watched)
        owner.destroyed.connect(functools.partial(_forget_owner, watched))
    _tasks[task.id] = task
    thread_pool().start(_Runnable(task, relay))
    return task


def _forget_owner(owner_id: int, *_: Any) -> None:
    """The owner was destroyed: drop every pending result for it and release its callbacks."""
    _watched_owners.discard(owner_id)
    for task in _tasks.values():
        if task.owner_id == owner_id:
            task.cancel()
            task.on_done = task.on_error = None
            task.owner_ref = None
    for scope in [s for s in _latest if s[0] == owner_id]:
        del _latest[scope]


def _deliver(task_id: int, ok: bool, result: Any) -> None:
    """On the GUI thread: hand a result or failure to its callback, unless it is stale."""
    task = _tasks.pop(task_id, None)
    if task is None:
        return
    task.finished = True
    scope = (task.owner_id, task.key)
    is_latest = task.key is not None and _latest.get(scope) == task.id
    if is_latest:
        del _latest[scope]
    stale = task.key is not None and not is_latest
    owner_gone = task.owner_ref is None and task.owner_id is not None
    owner_gone = owner_gone or (task.owner_ref is not None and not shiboken6.isValid(task.owner_ref))
    on_done, on_error = task.on_done, task.on_error
    task.on_done = task.on_error = None
    task.owner_ref = None
    if task.cancelled or stale or owner_gone:
        task.outcome = "dropped"
        log.debug("dropped the result of %s (cancelled, superseded or owner gone)", task.name)
        return
    task.outcome = "delivered"
    if ok:
        if on_done is not None:
            on_done(result)
        return
    failure: Failure = result
    if on_error is not None:
        on_error(failure)
    elif failure.bug:
        report_bug(failure)
    else:
        log.error("%s failed: %s", task.name, failure.message)


def report_bug(failure: Failure) -> None:
    """Hand a bug to sys.excepthook: in the app that is the crash handler (log file and dialog)."""
    exc = failure.exception
    sys.excepthook(type(exc), exc, exc.__traceback__)


def pending_count() -> int:
    """How many submitted tasks have not yet been delivered or dropped."""
    return len(_tasks)


def wait_idle(timeout_ms: int = 5000) -> bool:
    """Wait until every task has run and its result was delivered; True if that happened in time.

    Meant for tests and shutdown: it processes GUI events while waiting, so callbacks run.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    app = QCoreApplication.instance()
    while True:
        if app is not None:
            QCoreApplication.sendPostedEvents()
            QCoreApplication.processEvents()
        if not _tasks:
            return True
        remaining_ms = int((deadline - time.monotonic()) * 1000)
        if remaining_ms <= 0:
            return False
        thread_pool().waitForDone(min(remaining_ms, 20))


def shutdown(timeout_ms: int = 5000) -> bool:
    """Drop every pending result and wait for running tasks to finish; True if they did in time."""
    for task in _tasks.values():
        task.cancel()
    done = wait_idle(timeout_ms)
    if not done:
        log.warning("%d worker task(s) still running at shutdown", len(_tasks))
    return done
