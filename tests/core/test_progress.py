"""core.progress: what long core work reports and checks, without Qt."""

from __future__ import annotations

import threading

import pytest

from core.errors import WardenError
from core.progress import Cancelled, Progress, TaskState


def test_reports_reach_the_listeners_on_the_reporting_thread() -> None:
    """set_progress and set_partial_result call the listeners at once, on the thread that reports."""
    seen: list[tuple[object, int]] = []
    state = TaskState(
        on_progress=lambda p: seen.append((p, threading.get_ident())),
        on_partial=lambda v: seen.append((v, threading.get_ident())),
    )

    def work() -> None:
        state.set_partial_result(["first rows"])
        state.set_progress(10, 100, "rows read")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(5)
    assert [v for v, _t in seen] == [["first rows"], Progress(10, 100, "rows read")]
    assert {t for _v, t in seen} == {thread.ident}


def test_without_listeners_reports_cost_nothing_and_cancel_is_checked() -> None:
    """A bare state ignores reports; once cancelled, check() raises Cancelled (a WardenError)."""
    state = TaskState()
    state.set_progress(1)
    state.set_partial_result(object())
    state.check()
    assert not state.cancelled
    state.cancel()
    assert state.cancelled
    with pytest.raises(Cancelled) as raised:
        state.check()
    assert isinstance(raised.value, WardenError) and str(raised.value) == "Cancelled."
