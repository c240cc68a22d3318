"""The worker door's long work: progress in order and throttled, partial results early, cancel within a batch;
saves ahead of reads on a busy pool; one door, owned by the application."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from core.engine.db import Database
from core.progress import Progress, TaskState
from gui.runtime import workers
from gui.runtime.task_state import PostedTaskState

BATCH = 50
ROWS = 1_000


@pytest.fixture
def numbers_db(sqlite_db: Database) -> Database:
    """A real SQLite table of ROWS numbered rows for the long job to read."""
    with sqlite_db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE numbers (n INTEGER PRIMARY KEY)")
        conn.exec_driver_sql(
            f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {ROWS}) "
            "INSERT INTO numbers SELECT x FROM c"
        )
    return sqlite_db


def _read_numbers(
    db: Database, *, state: TaskState, pause_after: int | None = None, paused: Any = None
) -> list[int]:
    """A long core-style job: reads the table BATCH rows at a time, checking for cancel between batches,
    handing on each batch as a partial result and reporting progress; may pause after one batch."""
    total = ROWS
    out: list[int] = []
    with db.engine.connect() as conn:
        result = conn.exec_driver_sql("SELECT n FROM numbers ORDER BY n")
        while rows := result.fetchmany(BATCH):
            state.check()
            batch = [r[0] for r in rows]
            out += batch
            state.set_partial_result(batch)
            state.set_progress(len(out), total, "numbers read")
            if pause_after is not None and len(out) == pause_after:
                paused.entered.set()
                assert paused.release.wait(10), "the test never released the job"
    return out


class _Pause:
    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()


def test_long_job_reports_in_order_and_hands_on_partial_results_before_the_end(
    qtbot: QtBot, numbers_db: Database
) -> None:
    """Progress arrives in order up to the total; partial results arrive, all and in order, before the end."""
    progress: list[Progress] = []
    partial: list[list[int]] = []
    seen_before_end: list[int] = []
    done: list[list[int]] = []
    pause = _Pause()

    task = workers.run(
        _read_numbers, numbers_db, pause_after=5 * BATCH, paused=pause,
        on_progress=progress.append, on_partial=partial.append, on_done=done.append,
    )  # fmt: skip
    assert pause.entered.wait(10)
    qtbot.waitUntil(lambda: bool(partial), timeout=5000)  # the job is still running: it waits for us
    seen_before_end.append(sum(len(p) for p in partial))
    assert not task.finished and not done
    pause.release.set()
    qtbot.waitUntil(lambda: bool(done), timeout=10_000)
    assert seen_before_end[0] > 0
    assert [n for chunk in partial for n in chunk] == done[0] == list(range(1, ROWS + 1))
    values = [p.done for p in progress]
    assert values == sorted(set(values)) and values[-1] == ROWS  # in order, no repeats, the last one
    assert all(p.total == ROWS and p.message == "numbers read" for p in progress)


def test_cancel_stops_a_long_job_within_one_batch(qtbot: QtBot, numbers_db: Database) -> None:
    """Cancel asked mid-job: the job stops at its next check; nothing is delivered after cancel."""
    pause = _Pause()
    progress: list[Progress] = []
    outcomes: list[Any] = []
    task = workers.run(
        _read_numbers, numbers_db, pause_after=3 * BATCH, paused=pause,
        on_progress=progress.append, on_done=outcomes.append, on_error=outcomes.append,
    )  # fmt: skip
    assert pause.entered.wait(10)
    assert task.state is not None
    reached = 3 * BATCH  # the job is paused right after reporting this many rows
    task.cancel()
    pause.release.set()
    qtbot.waitUntil(lambda: task.finished, timeout=10_000)
    assert task.outcome == "dropped" and outcomes == []
    assert all(p.done <= reached for p in progress)  # nothing of a later batch was reported


def test_stop_ends_a_long_job_with_a_cancelled_failure(qtbot: QtBot, numbers_db: Database) -> None:
    """stop() asks the job to stop but still delivers its outcome: a Cancelled failure, not a bug."""
    pause = _Pause()
    failures: list[workers.Failure] = []
    progress: list[Progress] = []
    task = workers.run(
        _read_numbers, numbers_db, pause_after=2 * BATCH, paused=pause,
        on_progress=progress.append, on_error=failures.append,
        on_done=lambda _r: pytest.fail("it ran to the end"),
    )  # fmt: skip
    assert pause.entered.wait(10)
    task.stop()
    pause.release.set()
    qtbot.waitUntil(lambda: bool(failures), timeout=10_000)
    (failure,) = failures
    assert failure.cancelled and not failure.bug
    assert progress[-1].done == 2 * BATCH  # the last report is from the batch before the stop


def test_a_million_progress_calls_do_not_flood_the_event_loop(qtbot: QtBot) -> None:
    """The GUI thread sees a handful of deliveries, spaced in time, and the very last value."""
    n = 1_000_000
    delivered: list[tuple[int, float]] = []
    done: list[int] = []

    def count(*, state: TaskState) -> int:
        for i in range(1, n + 1):
            state.set_progress(i, n)
        return n

    started = time.monotonic()

    def on_progress(p: Progress) -> None:
        delivered.append((p.done, time.monotonic()))

    workers.run(count, on_progress=on_progress, on_done=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=60_000)
    elapsed_ms = (time.monotonic() - started) * 1000
    values = [v for v, _t in delivered]
    assert values[-1] == n and values == sorted(set(values))
    assert len(values) <= elapsed_ms / workers.UPDATE_MS + 2
    gaps = [b - a for (_x, a), (_y, b) in itertools.pairwise(delivered)][:-1]  # the last one is a flush
    assert all(g >= workers.UPDATE_MS / 1000 * 0.9 for g in gaps)


def test_a_save_never_queues_behind_page_loads(qtbot: QtBot, workers_door: workers.Workers) -> None:
    """Every read thread busy and reads queued: a SAVE task runs at once, before any queued read."""
    pool = workers_door.pool
    release = threading.Event()
    started: list[str] = []
    lock = threading.Lock()

    def busy_read(name: str) -> str:
        with lock:
            started.append(name)
        assert release.wait(20), "the test never released the busy reads"
        return name

    def queued_read(name: str) -> str:
        with lock:
            started.append(name)
        return name

    def save() -> str:
        with lock:
            started.append("save")
        return "saved"

    busy = [workers.run(busy_read, f"busy{i}") for i in range(pool.maxThreadCount())]
    qtbot.waitUntil(lambda: len(started) == len(busy), timeout=5000)  # every thread is taken
    queued = [workers.run(queued_read, f"read{i}") for i in range(5)]
    saved: list[str] = []
    workers.run(save, on_done=saved.append, priority=workers.Priority.SAVE)
    try:
        qtbot.waitUntil(lambda: saved == ["saved"], timeout=5000)  # while every read still waits
        assert not any(t.finished for t in busy + queued)
        assert started[len(busy)] == "save"
    finally:
        release.set()
    assert workers.wait_idle(10_000)
    assert sorted(started[len(busy) + 1 :]) == [f"read{i}" for i in range(5)]


def test_the_application_owns_one_worker_door(qapp: QApplication, workers_door: workers.Workers) -> None:
    """No module-level task tables: the door is a child of the QApplication, the same for every caller."""
    assert workers_door.parent() is qapp
    assert workers.current() is workers_door  # made once, not again per call
    assert workers.thread_pool() is workers_door.pool


def test_the_worker_side_wakes_the_gui_thread_once_until_it_takes_the_reports() -> None:
    """However many reports, one wake-up is outstanding; a take gets the newest progress and every partial
    result in order, and the next report wakes it again."""
    posts: list[int] = []
    state = PostedTaskState(lambda: posts.append(1))
    for i in range(1, 10_001):
        state.set_progress(i, 10_000)
        if i % 1000 == 0:
            state.set_partial_result(i)
    assert len(posts) == 1
    progress, partials = state.take()
    assert progress == Progress(10_000, 10_000) and partials == list(range(1000, 10_001, 1000))
    assert state.take() == (None, [])
    state.set_progress(1)
    assert len(posts) == 2
