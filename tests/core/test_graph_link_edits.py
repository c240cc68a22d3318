"""Editing links in place on the demo world, on both backends: the ways two records can be linked, a new
location_connections / npc_relationships row, setting and clearing a plain FK, deleting a link row, the
audit entries those saves write, conflicts, and the refusals (a bad pair, a NOT NULL FK, read-only)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from core.audit.log import EntryFilter, list_entries
from core.data.changes import Delete, Insert, Update
from core.data.writes import save
from core.engine.db import Database
from core.errors import ConflictError, ReadOnlyError
from core.graph.link_edits import (
    LinkRefused,
    check_writable,
    link_change,
    link_fields,
    new_edge,
    unlink_change,
    ways_to_link,
    why_no_way,
)
from core.graph.model import GraphEdge, GraphNode
from core.graph.neighbourhood import neighbourhood, node_id
from tests.fixtures.demo import Demo


def uid(value: Any) -> str:
    return str(uuid.UUID(str(value)))


def bind(db: Database, value: str) -> Any:
    return uuid.UUID(value).hex if db.backend == "sqlite" else uuid.UUID(value)


def scalar(db: Database, sql: str, **params: Any) -> Any:
    with db.engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def node(db: Database, entity: str, sql: str) -> GraphNode:
    """The first record `sql` selects (its id), as a graph node."""
    key = uid(scalar(db, sql))
    return GraphNode(node_id(entity, (key,)), entity, (key,), entity)


def unlinked_locations(db: Database) -> tuple[GraphNode, GraphNode]:
    """Two locations with no connection between them (hand-written SQL)."""
    sql = """SELECT a.id, b.id FROM locations a, locations b WHERE a.id < b.id AND NOT EXISTS (
        SELECT 1 FROM location_connections c
        WHERE (c.source_location_id = a.id AND c.target_location_id = b.id)
        OR (c.source_location_id = b.id AND c.target_location_id = a.id)) ORDER BY a.id, b.id LIMIT 1"""
    with db.engine.connect() as conn:
        a, b = conn.execute(sa.text(sql)).one()
    keys = uid(a), uid(b)
    return tuple(GraphNode(node_id("locations", (k,)), "locations", (k,), "loc") for k in keys)  # type: ignore[return-value]


def connections_between(db: Database, a: GraphNode, b: GraphNode) -> list[tuple[Any, ...]]:
    sql = (
        "SELECT direction, connection_type, is_bidirectional, travel_minutes FROM location_connections"
        " WHERE source_location_id = :a AND target_location_id = :b"
    )
    assert a.key is not None and b.key is not None
    with db.engine.connect() as conn:
        return [
            tuple(r) for r in conn.execute(sa.text(sql), {"a": bind(db, a.key[0]), "b": bind(db, b.key[0])})
        ]


def test_dragging_between_two_locations_saves_one_valid_connection_and_audits_it(demo_copy: Demo) -> None:
    """Two locations link through location_connections (source first); its form asks direction and type
    (required) and fills the defaults; the save writes exactly one row, audited, and the edge it draws
    carries the row's attributes."""
    db, catalog = demo_copy
    a, b = unlinked_locations(db)
    (way,) = [w for w in ways_to_link(catalog, a, b) if w.kind == "link"]
    assert (way.entity, way.source, way.target) == ("location_connections", a.id, b.id)
    fields = {f.name: f for f in link_fields(catalog, "location_connections")}
    assert fields["direction"].required and fields["connection_type"].required
    assert fields["direction"].choices and "north" in fields["direction"].choices
    assert (fields["is_bidirectional"].required, fields["is_bidirectional"].default) == (False, True)
    assert fields["travel_minutes"].default == 5
    assert "id" not in fields and "version" not in fields and "source_location_id" not in fields
    values = {"direction": "north", "connection_type": "path", "is_bidirectional": False, "travel_minutes": 5}
    change = link_change(catalog, way, {a.id: a, b.id: b}, values)
    result = save(db, catalog, [change])
    assert connections_between(db, a, b) == [("north", "path", False, 5)]
    (saved,) = result.inserted
    (entry,) = list_entries(db, catalog, EntryFilter(entity="location_connections"), limit=1)
    assert entry.kind == "insert" and entry.key == {"id": uid(saved.key["id"])}
    edge = new_edge(catalog, way, change, saved.key)
    assert (edge.source, edge.target, edge.kind, edge.via, edge.directed) == (
        a.id,
        b.id,
        "link",
        way.via,
        True,
    )
    assert edge.attributes["direction"] == "north"


def test_a_missing_required_attribute_is_refused_by_validation(demo_copy: Demo) -> None:
    """A connection without its type is not written: core's validation names the field."""
    db, catalog = demo_copy
    a, b = unlinked_locations(db)
    (way,) = ways_to_link(catalog, a, b)
    change = link_change(catalog, way, {a.id: a, b.id: b}, {"direction": "north"})
    with pytest.raises(Exception, match="connection_type"):
        save(db, catalog, [change])
    assert connections_between(db, a, b) == []


def test_deleting_a_connection_edge_deletes_its_row_audited_and_checks_its_version(demo_copy: Demo) -> None:
    """The edge of a location_connections row, as the neighbourhood reads it, deletes exactly that row;
    a row changed since it was read is a conflict and stays."""
    db, catalog = demo_copy
    start = uid(scalar(db, "SELECT source_location_id FROM location_connections ORDER BY id LIMIT 1"))
    hood = neighbourhood(db, catalog, "locations", {"id": start}, depth=1, cap=1000)
    nodes = {n.id: n for n in hood.nodes}
    edges = [e for e in hood.edges if e.via == "location_connections"]
    first, second = edges[0], edges[1]
    change = unlink_change(catalog, first, nodes)
    assert isinstance(change, Delete) and change.version is not None
    before = scalar(db, "SELECT count(*) FROM location_connections")
    save(db, catalog, [change])
    assert scalar(db, "SELECT count(*) FROM location_connections") == before - 1
    row_id = first.attributes["id"]
    assert scalar(db, "SELECT count(*) FROM location_connections WHERE id = :i", i=bind(db, row_id)) == 0
    (entry,) = list_entries(db, catalog, EntryFilter(entity="location_connections"), limit=1)
    assert entry.kind == "delete" and entry.key == {"id": uid(row_id)}
    # Someone else edits the second row meanwhile: deleting it as read is a conflict, nothing is deleted
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE location_connections SET travel_minutes = 99, version = version + 1 WHERE id = :i"
            ),
            {"i": bind(db, second.attributes["id"])},
        )
    with pytest.raises(ConflictError):
        save(db, catalog, [unlink_change(catalog, second, nodes)])
    assert scalar(db, "SELECT count(*) FROM location_connections") == before - 1


def test_npc_relationships_link_two_npcs(demo_copy: Demo) -> None:
    """Two NPCs link through npc_relationships (type required, strength defaults to 0)."""
    db, catalog = demo_copy
    a = node(db, "npcs", "SELECT id FROM npcs ORDER BY id LIMIT 1")
    b = node(db, "npcs", "SELECT id FROM npcs ORDER BY id DESC LIMIT 1")
    ways = ways_to_link(catalog, a, b)
    assert [(w.kind, w.entity) for w in ways] == [("link", "npc_relationships")]
    fields = {f.name: f for f in link_fields(catalog, "npc_relationships")}
    assert fields["relationship_type"].required and fields["strength"].default == 0
    kind = (fields["relationship_type"].choices or ("",))[0]
    save(
        db,
        catalog,
        [link_change(catalog, ways[0], {a.id: a, b.id: b}, {"relationship_type": kind, "strength": 40})],
    )
    assert a.key is not None and b.key is not None
    found = scalar(
        db,
        "SELECT strength FROM npc_relationships"
        " WHERE npc_id = :a AND other_npc_id = :b AND relationship_type = :k",
        a=bind(db, a.key[0]),
        b=bind(db, b.key[0]),
        k=kind,
    )
    assert found == 40


def test_a_plain_fk_is_set_from_the_referring_record_and_cleared_by_deleting_its_edge(
    demo_copy: Demo,
) -> None:
    """Dragging an NPC to a location sets its location_id (checked against the row as loaded); the other
    way round is refused with what to do instead; deleting the FK edge sets it to NULL, audited."""
    db, catalog = demo_copy
    npc = node(db, "npcs", "SELECT id FROM npcs WHERE location_id IS NOT NULL ORDER BY id LIMIT 1")
    place = node(db, "locations", "SELECT id FROM locations ORDER BY id DESC LIMIT 1")
    assert npc.key is not None and place.key is not None
    (way,) = ways_to_link(catalog, npc, place)
    assert (way.kind, way.via) == ("fk", "npcs.location_id")
    assert ways_to_link(catalog, place, npc) == []
    assert "drag from the npcs node" in why_no_way(catalog, place, npc)
    loaded: dict[str, Any] = {
        "location_id": uid(scalar(db, "SELECT location_id FROM npcs WHERE id = :i", i=bind(db, npc.key[0])))
    }
    loaded["version"] = scalar(db, "SELECT version FROM npcs WHERE id = :i", i=bind(db, npc.key[0]))
    change = link_change(catalog, way, {npc.id: npc, place.id: place}, loaded=loaded)
    assert isinstance(change, Update) and change.version == loaded["version"]
    save(db, catalog, [change])
    assert (
        uid(scalar(db, "SELECT location_id FROM npcs WHERE id = :i", i=bind(db, npc.key[0]))) == place.key[0]
    )
    edge = GraphEdge(npc.id, place.id, "fk", "npcs.location_id", {})
    save(db, catalog, [unlink_change(catalog, edge, {npc.id: npc, place.id: place})])
    assert scalar(db, "SELECT location_id FROM npcs WHERE id = :i", i=bind(db, npc.key[0])) is None
    (entry,) = list_entries(db, catalog, EntryFilter(entity="npcs"), limit=1)
    assert entry.kind == "update" and entry.after == {"location_id": None}


def test_a_not_null_fk_edge_is_not_deleted_and_says_why(demo_copy: Demo) -> None:
    """An FK that may not be NULL (a skill's player) cannot be unlinked: the message says what to do."""
    _db, catalog = demo_copy
    ent = next(
        e
        for e in catalog.entities.values()
        if not e.is_link
        and any(not e.column(fk.columns[0]).nullable for fk in e.foreign_keys if len(fk.columns) == 1)
        and len(e.primary_key) == 1
    )
    fk = next(fk for fk in ent.foreign_keys if not ent.column(fk.columns[0]).nullable)
    a = GraphNode(node_id(ent.name, ("x",)), ent.name, ("x",), "a")
    b = GraphNode(node_id(fk.target, ("y",)), fk.target, ("y",), "b")
    with pytest.raises(LinkRefused, match="may not be empty"):
        unlink_change(
            catalog, GraphEdge(a.id, b.id, "fk", f"{ent.name}.{fk.columns[0]}", {}), {a.id: a, b.id: b}
        )


def test_read_only_refuses(demo_copy: Demo) -> None:
    """A read-only session refuses link edits with its reason; so does core's save for a read-only entity."""
    _db, catalog = demo_copy
    with pytest.raises(ReadOnlyError, match="read-only"):
        check_writable(catalog, "location_connections", database_read_only=True)
    check_writable(catalog, "location_connections", database_read_only=False)
    views = [e for e in catalog.entities.values() if e.read_only]
    if views:
        with pytest.raises(ReadOnlyError):
            check_writable(catalog, views[0].name, database_read_only=False)


def test_an_insert_change_is_what_core_saves(demo_copy: Demo) -> None:
    """The changes are core/data's own records (the one save path), not anything graph-specific."""
    db, catalog = demo_copy
    a, b = unlinked_locations(db)
    (way,) = ways_to_link(catalog, a, b)
    change = link_change(catalog, way, {a.id: a, b.id: b}, {"direction": "up", "connection_type": "stairs"})
    assert isinstance(change, Insert) and change.entity == "location_connections"
    assert change.values["source_location_id"] == a.key[0]  # type: ignore[index]
