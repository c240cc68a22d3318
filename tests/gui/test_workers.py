"""gui.runtime.workers: work runs off the GUI thread, results return on it, stale ones drop, errors arrive."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, QThread
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from core.engine.db import Database
from core.errors import NotFoundError
from gui.runtime import workers
from tests.fixtures.workers import crash_count


class _Gate:
    """Lets a test hold a worker function until the test says go (no sleeps)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def wait_then(self, value: Any) -> Any:
        self.entered.set()
        assert self.release.wait(10), "the test never released the gate"
        return value


def test_function_runs_off_gui_thread_and_result_arrives_on_it(qapp: QApplication, qtbot: QtBot) -> None:
    """fn runs on a pool thread; on_done runs on the GUI thread with fn's return value."""
    seen: dict[str, Any] = {}

    def work(a: int, b: int) -> int:
        seen["work_thread"] = threading.get_ident()
        seen["work_is_gui"] = QThread.currentThread() is qapp.thread()
        return a + b

    def done(result: int) -> None:
        seen["result"] = result
        seen["done_is_gui"] = QThread.currentThread() is qapp.thread()
        seen["done_thread"] = threading.get_ident()

    task = workers.run(work, 2, 3, on_done=done, on_error=lambda f: seen.setdefault("error", f))
    qtbot.waitUntil(lambda: "result" in seen, timeout=5000)
    assert seen["result"] == 5
    assert "error" not in seen
    assert seen["work_is_gui"] is False
    assert seen["work_thread"] != threading.main_thread().ident
    assert seen["done_is_gui"] is True
    assert seen["done_thread"] == threading.main_thread().ident
    assert task.outcome == "delivered"


def test_keyword_arguments_reach_the_function(qtbot: QtBot) -> None:
    """Keyword arguments other than run()'s own go to the function."""
    results: list[tuple[int, int]] = []
    workers.run(lambda a, *, b: (a, b), 1, b=2, on_done=results.append)
    qtbot.waitUntil(lambda: results == [(1, 2)], timeout=5000)


def test_warden_error_reaches_on_error_with_its_message(qtbot: QtBot) -> None:
    """A WardenError is not a bug: on_error gets its message, bug=False."""
    failures: list[workers.Failure] = []

    def work() -> None:
        raise NotFoundError("Unknown entity 'nope'. Known entities: npcs")

    workers.run(work, on_done=lambda _r: pytest.fail("on_done must not run"), on_error=failures.append)
    qtbot.waitUntil(lambda: bool(failures), timeout=5000)
    (failure,) = failures
    assert failure.message == "Unknown entity 'nope'. Known entities: npcs"
    assert str(failure) == failure.message
    assert failure.bug is False
    assert isinstance(failure.exception, NotFoundError)


def test_a_bug_reaches_the_crash_handler_once_and_only_on_aborted(qtbot: QtBot, crash_log: Path) -> None:
    """Any other exception is a bug: the door writes it to the crash log with its traceback, exactly once;
    on_error (failures a person can act on) is never called for it, on_aborted once, to leave a busy state."""
    failures: list[workers.Failure] = []
    aborted: list[bool] = []

    def broken() -> None:
        raise ZeroDivisionError("boom")

    task = workers.run(broken, on_error=failures.append, on_aborted=lambda: aborted.append(True))
    qtbot.waitUntil(lambda: bool(aborted), timeout=5000)
    assert workers.wait_idle(5000) and task.outcome == "delivered"
    assert aborted == [True] and failures == []
    text = crash_log.read_text(encoding="utf-8")
    assert crash_count(crash_log) == 1
    assert "Traceback" in text and "in broken" in text and "ZeroDivisionError: boom" in text


def test_a_bug_without_on_aborted_only_reaches_the_crash_handler(qtbot: QtBot, crash_log: Path) -> None:
    """A screen that has no busy state to leave passes no on_aborted: its on_error never hears of a bug."""
    shown: list[str] = []
    owner = QObject()

    for work in ({}.__getitem__, {}.__getitem__):
        workers.run(work, "missing", on_error=lambda f: shown.append(f.message), owner=owner, key="load")
        assert workers.wait_idle(5000)
    assert shown == [] and crash_count(crash_log) == 2
    assert crash_log.read_text(encoding="utf-8").count("KeyError") == 2


def test_bug_of_a_dropped_result_is_logged_without_a_dialog(
    qtbot: QtBot, crash_log: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A superseded task's bug is logged with its traceback; no crash dialog interrupts for it."""
    owner = QObject()
    gate = _Gate()

    def broken_later() -> None:
        gate.wait_then(None)
        raise KeyError("gone")

    with caplog.at_level("ERROR", logger="warden.gui.runtime.workers"):
        first = workers.run(broken_later, owner=owner, key="page")
        assert gate.entered.wait(5)
        workers.run(lambda: None, owner=owner, key="page")
        gate.release.set()
        qtbot.waitUntil(lambda: first.finished, timeout=5000)
    assert first.outcome == "dropped" and crash_count(crash_log) == 0
    assert any("broken_later" in r.getMessage() and "Traceback" in r.getMessage() for r in caplog.records)


def test_bug_without_on_error_goes_to_excepthook(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no on_error, a bug is handed to sys.excepthook (the crash dialog), never dropped."""
    hooked: list[BaseException] = []
    monkeypatch.setattr("sys.excepthook", lambda _t, exc, _tb: hooked.append(exc))

    def broken() -> None:
        raise KeyError("missing")

    workers.run(broken)
    qtbot.waitUntil(lambda: bool(hooked), timeout=5000)
    assert isinstance(hooked[0], KeyError)


def test_superseded_result_is_dropped(qtbot: QtBot) -> None:
    """A newer task with the same key wins even when the older one finishes last."""
    owner = QObject()
    slow = _Gate()
    results: list[str] = []
    first = workers.run(slow.wait_then, "old", on_done=results.append, owner=owner, key="page")
    assert slow.entered.wait(5)
    second = workers.run(lambda: "new", on_done=results.append, owner=owner, key="page")
    qtbot.waitUntil(lambda: results == ["new"], timeout=5000)
    slow.release.set()
    qtbot.waitUntil(lambda: first.finished, timeout=5000)
    assert results == ["new"]
    assert (first.outcome, second.outcome) == ("dropped", "delivered")
    assert workers.pending_count() == 0


def test_same_key_on_other_owners_is_independent(qtbot: QtBot) -> None:
    """Keys are per owner: two windows loading 'page' do not cancel each other."""
    a, b = QObject(), QObject()
    results: list[str] = []
    workers.run(lambda: "a", on_done=results.append, owner=a, key="page")
    workers.run(lambda: "b", on_done=results.append, owner=b, key="page")
    qtbot.waitUntil(lambda: sorted(results) == ["a", "b"], timeout=5000)


def test_result_for_destroyed_owner_is_dropped_but_work_still_runs(qtbot: QtBot) -> None:
    """When the owner is gone the callback is not called; the function itself still ran to completion."""
    owner = QObject()
    gate = _Gate()
    delivered: list[str] = []
    task = workers.run(gate.wait_then, "late", on_done=delivered.append, owner=owner)
    assert gate.entered.wait(5)
    with qtbot.waitSignal(owner.destroyed, timeout=5000):
        owner.deleteLater()
    gate.release.set()
    qtbot.waitUntil(lambda: task.finished, timeout=5000)
    assert delivered == []
    assert task.outcome == "dropped"


def test_cancel_drops_the_result(qtbot: QtBot) -> None:
    """A cancelled task's result is dropped."""
    gate = _Gate()
    delivered: list[str] = []
    task = workers.run(gate.wait_then, "x", on_done=delivered.append)
    task.cancel()
    gate.release.set()
    qtbot.waitUntil(lambda: task.finished, timeout=5000)
    assert delivered == [] and task.outcome == "dropped"


def test_wait_idle_delivers_pending_results(qtbot: QtBot) -> None:
    """wait_idle returns once every task ran and its callback was called."""
    results: list[int] = []
    for i in range(20):
        workers.run(lambda n=i: n * n, on_done=results.append)
    assert workers.wait_idle(5000)
    assert sorted(results) == [i * i for i in range(20)]
    assert workers.pending_count() == 0


def test_run_refuses_other_threads(qtbot: QtBot) -> None:
    """Only the GUI thread may submit tasks (they deliver to GUI objects)."""
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            workers.run(lambda: None)
        except RuntimeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=submit)
    thread.start()
    thread.join(5)
    assert errors and "GUI thread" in str(errors[0])


def _slow_count(db: Database) -> int:
    """Several seconds of SQLite work unless it is stopped."""
    sql = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000000) "
        "SELECT count(*) FROM c"
    )
    with db.engine.connect() as conn:
        return int(conn.exec_driver_sql(sql).scalar_one())


def test_cancelling_an_interruptible_read_stops_its_statement(
    qtbot: QtBot, sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A superseded read stops at once: its thread is free, nothing is delivered, nothing is logged."""
    owner = QObject()
    delivered: list[Any] = []
    first = workers.run(_slow_count, sqlite_db, on_done=delivered.append, on_error=delivered.append,
                        owner=owner, key="count", interruptible=True)  # fmt: skip
    qtbot.waitUntil(lambda: first.scope is not None, timeout=5000)  # it is running
    started = time.monotonic()
    second = workers.run(lambda: 42, on_done=delivered.append, owner=owner, key="count", interruptible=True)
    qtbot.waitUntil(lambda: first.finished and second.finished, timeout=5000)
    assert time.monotonic() - started < 3
    assert delivered == [42] and first.outcome == "dropped"
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_cancel_never_stops_work_that_is_not_interruptible(qtbot: QtBot, sqlite_db: Database) -> None:
    """Writes are not marked interruptible: cancelling drops the result but the work completes."""
    gate = _Gate()

    def write_after_gate() -> int:
        gate.wait_then(None)
        with sqlite_db.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE kept (id INTEGER PRIMARY KEY)")
        return 1

    task = workers.run(write_after_gate)
    assert gate.entered.wait(5)
    task.cancel()
    gate.release.set()
    qtbot.waitUntil(lambda: task.finished, timeout=5000)
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name = 'kept'").scalar() == 1
