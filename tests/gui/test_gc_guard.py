"""Reference cycles holding Qt objects are collected on the GUI thread, never on a worker."""

from __future__ import annotations

import gc
import threading
from typing import Any

from PySide6.QtCore import QObject, QTimer
from pytestqt.qtbot import QtBot

from gui.runtime import workers
from gui.runtime.gc_guard import keep_gc_on_gui_thread


class _Cycle:
    """A reference cycle owning a parentless QObject with a running timer (as a dropped dialog may)."""

    died_on: list[str] = []

    def __init__(self) -> None:
        self.me = self
        self.timer = QTimer()
        self.timer.start(60_000)
        self.timer.destroyed.connect(lambda *_: None)  # a live connection, as real objects have

    def __del__(self) -> None:
        _Cycle.died_on.append(threading.current_thread().name)


def _churn() -> int:
    """Worker work that allocates like row parsing does: many container objects, some in cycles."""
    made = 0
    for _ in range(200_000):
        item: list[Any] = [made]
        item.append(item)
        made += 1
    return made


def test_cycles_die_on_the_gui_thread_while_workers_allocate(qtbot: QtBot) -> None:
    collector = keep_gc_on_gui_thread()
    assert not gc.isenabled()
    _Cycle.died_on.clear()
    _Cycle()  # dropped at once: only the cycle collector can free it
    done: list[int] = []
    workers.run(_churn, on_done=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=20_000)
    assert done == [200_000]
    qtbot.waitUntil(lambda: bool(_Cycle.died_on), timeout=5_000)  # the GUI-thread timer collected it
    assert _Cycle.died_on == [threading.main_thread().name]
    assert collector is keep_gc_on_gui_thread()  # installed once


def test_the_collector_collects_what_is_due(qtbot: QtBot) -> None:
    collector = keep_gc_on_gui_thread()
    gc.collect()
    parent = QObject()
    for _ in range(gc.get_threshold()[0] + 10):
        node: dict[str, Any] = {"parent": parent}
        node["self"] = node
    assert collector.collect_due() >= 1
    assert collector.collect_due() == 0  # nothing more is due right after
