"""The paused status line the audit and search panels share (gui/migrate/pausable.py): the line before a
pause comes back after it unless something else spoke meanwhile, and what was asked for meanwhile is done
once. The panels' own tests (test_migrate_pause_audit, test_search_pause*) show it on the real screens."""

from __future__ import annotations

from gui.migrate.pausable import Pause, PausedLine

REASON = "Paused while a migration runs."
WAITING = "Paused: it runs when the run ends."


def test_the_same_word_twice_changes_nothing() -> None:
    pause = Pause()
    assert not pause.turn(None)
    assert pause.turn(REASON) and pause.reason == REASON
    assert not pause.turn("another reason") and pause.reason == REASON
    assert pause.turn(None) and pause.reason is None


def test_what_was_asked_for_meanwhile_is_done_once() -> None:
    pause = Pause()
    pause.turn(REASON)
    pause.asked = True
    pause.turn(None)
    assert pause.take_asked()
    assert not pause.take_asked()


def test_the_old_line_comes_back_after_the_pause_or_the_waiting_line() -> None:
    for shown in (REASON, WAITING):
        line = PausedLine[tuple[str, bool]](waiting=WAITING)
        line.turn(REASON)
        line.keep(("3 entries.", False))
        if shown == WAITING:
            assert line.wait() == WAITING and line.asked
        line.turn(None)
        assert line.said_before(shown) == ("3 entries.", False)


def test_a_line_said_meanwhile_stays() -> None:
    line = PausedLine[str](waiting=WAITING)
    line.turn(REASON)
    line.keep("3 entries.")
    line.turn(None)
    assert line.said_before("Reverted 2 rows.") is None
