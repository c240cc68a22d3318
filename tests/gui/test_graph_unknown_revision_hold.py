"""The graph follows the write hold of an unknown revision (issue 10) as it comes and goes, not only when the
selection changes: Del and the node menu's "Link to…" say the hold's reason while it holds, and offer
again once the database stands at a known revision. Real Qt offscreen, a real SQLite copy of the demo."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from core.migrate import migrations as mig
from gui.graph.panel import GraphPanel
from gui.runtime import workers
from tests.fixtures.unknown_revision import UNKNOWN, graph_window, restamp
from tests.gui.test_graph_links import click_edge, pickable_links, two_locations_shown

pytestmark = pytest.mark.usefixtures("data_dir")  # a user data folder of the test's own


def link_hint(graph: GraphPanel, node: str) -> tuple[str, str, bool]:
    """The node menu's "Link to…" item: its text, its tooltip and whether it is enabled."""
    menu = graph.node_menu(node)
    (action,) = [a for a in menu.actions() if a.objectName() == "graphLinkHint"]
    return action.text(), action.toolTip(), action.isEnabled()


def test_del_and_link_follow_the_hold_as_it_comes_and_goes(qtbot: QtBot, demo_copy_path: str) -> None:
    window, graph = graph_window(qtbot, demo_copy_path)
    watch = window.migration_watch
    db = window.open_db.database
    assert db is not None
    source, _target = two_locations_shown(qtbot, graph, db)
    edge = pickable_links(graph)[0]
    click_edge(graph, edge)
    assert graph.selected_edges == [edge] and graph.delete_edge_action.isEnabled()
    assert link_hint(graph, source)[0] == "Link to… (Shift-drag to another node)"

    restamp(qtbot, window, demo_copy_path, UNKNOWN)  # another app migrates it past what Warden knows
    held = watch.unknown_reason
    assert held is not None
    assert graph.selected_edges == [edge], "the selection did not change"
    assert graph.message.text() == held, "no longer 'Del deletes it'"
    assert not graph.delete_edge_action.isEnabled()
    assert graph.delete_edge_action.toolTip() == f"Cannot be deleted. {held}"
    text, tip, enabled = link_hint(graph, source)
    assert (text, enabled) == ("Link to… (read-only)", False)
    assert tip == f"No link can be added. {held}"
    graph.grab().save("/tmp/warden_graph_hold_follows.png")

    # Upgraded (here: stamped by hand) to a revision it knows
    restamp(qtbot, window, demo_copy_path, mig.heads()[0])
    assert graph.selected_edges == [edge] and graph.delete_edge_action.isEnabled()
    assert graph.delete_edge_action.toolTip() == "Delete the selected links (asks first)"
    assert graph.message.text() == ""
    assert link_hint(graph, source)[0] == "Link to… (Shift-drag to another node)"
    assert workers.wait_idle(30_000)
