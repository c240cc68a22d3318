"""A staged link edit is drawn whenever its two nodes are on screen: a link staged to go stays drawn as going
(red) after Lay Out Again with an Expand By choice that no longer reads that kind of link, as long as both
of its records are still shown. Real Qt offscreen, a real copy of the SQLite demo database."""

from __future__ import annotations

import uuid

import pytest
from pytestqt.qtbot import QtBot

from core.graph.neighbourhood import edge_identity, node_id
from gui.graph import jobs
from gui.graph.panel import GraphPanel
from tests.fixtures.demo import Demo
from tests.fixtures.graph_panel import panel, shown

pytestmark = pytest.mark.usefixtures("data_dir")  # a user data folder of the test's own
__all__ = ["panel"]  # the fixture, taken from the module that made it


def test_a_link_staged_to_go_stays_drawn_while_its_records_are_shown(
    qtbot: QtBot, panel: GraphPanel, sqlite_demo_copy: Demo
) -> None:
    db, catalog = sqlite_demo_copy
    with db.engine.connect() as conn:
        source, target = conn.exec_driver_sql(
            "SELECT c.source_location_id, c.target_location_id FROM location_connections c"
            " JOIN locations a ON a.id = c.source_location_id JOIN locations b ON b.id = c.target_location_id"
            " WHERE a.region_id = b.region_id ORDER BY c.id LIMIT 1"
        ).one()
    a, b = (node_id("locations", (str(uuid.UUID(str(v))),)) for v in (source, target))
    panel.depth_box.blockSignals(True)
    panel.depth_box.setValue(2)  # the other location is a connection away, and two hops through the region
    panel.depth_box.blockSignals(False)
    panel.cap_box.setValue(1000)
    shown(qtbot, panel, lambda: panel.show_record("locations", {"id": str(uuid.UUID(str(source)))}))
    edge = next(
        e for e in panel.scene.edge_list if e.via == "location_connections" and {e.source, e.target} == {a, b}
    )
    panel.links.delete_edge(edge)
    assert edge_identity(edge) in panel.scene.staged_gone
    panel.follow = {t.name for t in jobs.edge_types(catalog, "locations") if t.name != "location_connections"}
    shown(qtbot, panel, panel.relayout)
    assert not any(e.via == "location_connections" for e in panel.document.hood.edges), "not read this time"
    assert {a, b} <= set(panel.scene.items_by_id), "both records are still shown"
    drawn = [e for e in panel.scene.edge_list if edge_identity(e) == edge_identity(edge)]
    assert drawn, "the staged deletion is drawn"
