"""gui.app wires one crash handler: uncaught exceptions and bugs in core calls land in the same log, once."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from pytestqt.qtbot import QtBot

from gui import app as gui_app
from gui.runtime import workers
from tests.fixtures.workers import crash_count


def test_a_bug_in_a_core_call_reaches_the_apps_crash_handler_once(
    qtbot: QtBot, tmp_path: Path, workers_door: workers.Workers
) -> None:
    """The handler main() installs is sys.excepthook and the worker door's bug handler; a worker's bug is
    written to its log once, with the traceback; the screen's on_error is not told, its on_aborted is."""
    log_path = tmp_path / "logs" / "warden.log"
    previous_hook, previous_bugs = sys.excepthook, workers_door.bug_handler
    previous_thread_hook = threading.excepthook
    handler = gui_app.install_crash_handler(log_path, show_dialog=False)
    told: list[workers.Failure] = []
    aborted: list[bool] = []

    def broken_core_call() -> None:
        raise LookupError("a bug")

    try:
        assert sys.excepthook is handler
        workers.run(broken_core_call, on_error=told.append, on_aborted=lambda: aborted.append(True))
        assert workers.wait_idle(5000)
    finally:
        handler.uninstall()
        workers_door.bug_handler = previous_bugs
    assert sys.excepthook is previous_hook and threading.excepthook is previous_thread_hook
    assert told == [] and aborted == [True]
    assert crash_count(log_path) == 1
    text = log_path.read_text(encoding="utf-8")
    assert "Traceback" in text and "in broken_core_call" in text and "LookupError: (message withheld" in text
