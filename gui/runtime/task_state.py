"""The worker side of a long task's state: reports are kept, and the GUI thread is woken one at a time.

core/progress.py's TaskState calls its listeners on the worker thread. Here `set_progress` and
`set_partial_result` only store what was reported (the newest progress; every partial result, in order)
and post one wake-up to the GUI thread if none is outstanding. The GUI thread takes what was stored when it
gets round to it (gui/runtime/workers.py, which also spaces the deliveries in time), so a million progress
calls cost a million lock round trips on the worker and a handful of events on the GUI thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from core.progress import Progress, TaskState


class PostedTaskState(TaskState):
    """A TaskState whose reports wait for the GUI thread to take them; `post` wakes it (one at a time)."""

    def __init__(self, post: Callable[[], None]) -> None:
        super().__init__()
        self._post = post
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._partials: list[Any] = []
        self._posted = False  # a wake-up is on its way or being handled: the next reports only store

    def set_progress(self, done: int, total: int | None = None, message: str = "") -> None:
        """Keep the newest progress; wake the GUI thread unless a wake-up is outstanding."""
        with self._lock:
            self._progress = Progress(done, total, message)
            post, self._posted = not self._posted, True
        if post:
            self._post()

    def set_partial_result(self, value: Any) -> None:
        """Queue a partial result (none is dropped); wake the GUI thread unless a wake-up is outstanding."""
        with self._lock:
            self._partials.append(value)
            post, self._posted = not self._posted, True
        if post:
            self._post()

    def take(self) -> tuple[Progress | None, list[Any]]:
        """On the GUI thread: the newest progress and the partial results since the last take."""
        with self._lock:
            progress, partials = self._progress, self._partials
            self._progress, self._partials, self._posted = None, [], False
        return progress, partials
