"""Lay Out Again and a depth change keep the graph the user built: the nodes expanded (by double-click or
the menu) and what they brought in stay, read again on a worker; a node expanded at a depth that no longer
reaches it stays too, hanging where it hung. Real Qt, a real copy of the SQLite demo database, offscreen."""

from __future__ import annotations

import threading

import pytest
from pytestqt.qtbot import QtBot

from core.engine.db import Database
from core.graph.model import GraphNode
from gui.graph.panel import GraphPanel
from tests.fixtures.demo import Demo
from tests.fixtures.graph_panel import panel, show_busiest_location, shown
from tests.fixtures.threads import statement_threads

pytestmark = pytest.mark.usefixtures("data_dir")  # a user data folder of the test's own
__all__ = ["panel"]  # the fixture, taken from the module that made it



def expand_twice(qtbot: QtBot, panel: GraphPanel, db: Database) -> set[str]:
    """The busiest location's graph with its region expanded, then one of the region's other locations
    (its own neighbours are three hops from the start); the node ids the two expansions brought in."""
    show_busiest_location(qtbot, panel, db)
    before = set(panel.document.positions)
    region = next(n.id for n in panel.document.hood.nodes if n.entity == "regions")
    shown(qtbot, panel, lambda: panel.expand(region))
    other = next(n for n in panel.document.hood.nodes if n.entity == "locations" and n.id not in before)
    shown(qtbot, panel, lambda: panel.expand(other.id))
    added = set(panel.document.positions) - before
    assert len(added) > 2, "the expansions brought nodes in"
    return added


def test_lay_out_again_keeps_the_expansions(qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo) -> None:
    db = sqlite_demo_copy[0]
    added = expand_twice(qtbot, panel, db)
    nodes = set(panel.document.positions)
    dragged = next(iter(added))
    panel.document.move(dragged, (4321.0, -1234.0))  # as a drag does: pinned there
    with statement_threads(db.engine) as threads:
        shown(qtbot, panel, panel.relayout)
    assert set(panel.document.positions) == nodes, "the same graph, laid out again"
    assert set(panel.scene.items_by_id) == nodes
    assert panel.document.positions[dragged] == (4321.0, -1234.0) and dragged in panel.document.pinned
    assert threads and threading.get_ident() not in threads, "read again on a worker"
    assert len(panel.steps) == 2, "the expansions are still the graph's (a later relayout keeps them too)"
    assert not panel.message.styleSheet(), panel.message.text()


def test_a_depth_change_keeps_the_expansions(qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo) -> None:
    added = expand_twice(qtbot, panel, sqlite_demo_copy[0])
    positions = dict(panel.document.positions)
    shown(qtbot, panel, lambda: panel.depth_box.setValue(2))
    now = panel.document.positions
    assert added <= set(now), "deeper: the expanded nodes and what they brought in stay"
    assert len(now) >= len(positions)
    assert all(now[n] == p for n, p in positions.items()), "what was shown stays where it was"
    shown(qtbot, panel, lambda: panel.depth_box.setValue(1))
    assert added <= set(panel.document.positions), "shallower again: still there"
    assert set(panel.scene.items_by_id) == set(panel.document.positions)


def test_a_node_expanded_deeper_than_the_new_depth_stays(
    qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo
) -> None:
    """At depth 2 a location of the same region is two hops out; expanded there, it and its neighbours stay
    at depth 1, joined to the graph through the region it hung off."""
    panel.depth_box.blockSignals(True)
    panel.depth_box.setValue(2)
    panel.depth_box.blockSignals(False)
    show_busiest_location(qtbot, panel, sqlite_demo_copy[0])
    start = panel.document.start or ""
    near = {m.id for m in neighbours(panel, start)}
    region = next(n for n in near if n.startswith("regions:"))
    far = next(
        n.id
        for n in panel.document.hood.nodes
        if n.entity == "locations" and n.id != start and n.id not in near
        and region in {m.id for m in neighbours(panel, n.id)}
    )  # fmt: skip
    before = set(panel.document.positions)
    shown(qtbot, panel, lambda: panel.expand(far))
    brought = set(panel.document.positions) - before
    assert brought, "the far location's own neighbours joined"
    shown(qtbot, panel, lambda: panel.depth_box.setValue(1))
    now = set(panel.document.positions)
    assert far in now and brought <= now
    joined = any({e.source, e.target} == {far, region} for e in panel.document.hood.edges)
    assert joined, "it hangs off its region"


def neighbours(panel: GraphPanel, node: str) -> list[GraphNode]:
    """The nodes joined to `node` by an edge of the graph shown."""
    ids = {e.target if e.source == node else e.source for e in panel.document.edges_of(node)}
    return [n for n in panel.document.hood.nodes if n.id in ids]
