"""The graph's link messages at a revision the migrations do not know: the hold's reason is a whole sentence
("Read-only: … to edit it."), so it is said as a sentence of its own after what was refused (one full stop,
no "Not saved: Read-only: …"), and the edge menu's item stays short ("Delete Link (read-only)") with the
whole reason in its tooltip. Real Qt offscreen, a real SQLite copy of the demo database."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from core.migrate import migrations as mig
from gui.runtime import workers
from tests.fixtures.unknown_revision import UNKNOWN, graph_window, restamp
from tests.gui.test_graph_links import click_edge, pickable_links, press_del
from tests.gui.test_migrate_pause import _stage_link

pytestmark = pytest.mark.usefixtures("data_dir")  # a user data folder of the test's own


def _one_sentence_each(text: str, held: str) -> None:
    assert held in text and ".." not in text and ": Read-only" not in text, text


def test_held_link_messages_say_the_reason_once_with_one_full_stop(qtbot: QtBot, demo_copy_path: str) -> None:
    window, graph = graph_window(qtbot, demo_copy_path)
    watch = window.migration_watch
    _stage_link(qtbot, graph)  # staged at a known revision
    restamp(qtbot, window, demo_copy_path, UNKNOWN)  # then another app migrates it past what Warden knows
    held = watch.unknown_reason
    assert held is not None and held.endswith(".") and graph.links.hold_reason == held
    links = graph.links

    links.save()
    assert graph.message.text() == f"Not saved. {held}"
    assert links.staged_count == 1

    edge = next(e for e in pickable_links(graph) if links.staging.writes(e) is None)
    menu = links.edge_menu(edge)
    (action,) = [a for a in menu.actions() if a.objectName() == "graphDeleteEdge"]
    assert action.text() == "Delete Link (read-only)" and not action.isEnabled()
    assert action.toolTip() == f"Cannot be deleted. {held}"
    menu.deleteLater()

    click_edge(graph, edge)
    assert graph.selected_edges == [edge]
    _one_sentence_each(graph.message.text(), held)
    assert f"It cannot be deleted. {held} Ctrl+click" in graph.message.text()
    assert graph.delete_edge_action.toolTip() == f"Cannot be deleted. {held}"
    press_del(graph)
    assert graph.message.text() == f"Cannot be deleted. {held}"
    links.delete_edge(edge)
    assert graph.message.text() == f"This link cannot be deleted. {held}"
    links.ask_delete([edge])
    assert graph.message.text() == f"This link cannot be deleted. {held}"
    assert links.prompt is None and links.staged_count == 1

    restamp(qtbot, window, demo_copy_path, mig.heads()[0])
    links.discard()  # so the window closes without asking
    assert workers.wait_idle(30_000)
