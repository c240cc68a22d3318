"""Record neighbourhoods on the demo world, on both backends, checked against hand-written SQL: a
location's region, its connections both ways as edges, the NPCs and objects there; caps and aggregates,
expanding, depth 2 and the expand-by filter."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from core.engine.db import Database
from core.errors import NotFoundError, WardenError
from core.graph.links import edge_types
from core.graph.model import GraphEdge, Neighbourhood
from core.graph.neighbourhood import expand, expand_aggregate, merged, neighbourhood, node_id
from core.schema.catalog import Catalog
from tests.fixtures.demo import Demo

BIG = 10_000  # a cap no demo node reaches


def uid(value: Any) -> str:
    """A UUID as export writes it, from what either driver returns (SQLite keeps 32 hex digits)."""
    return str(uuid.UUID(str(value)))


def bind(db: Database, value: str) -> Any:
    """A UUID as hand-written SQL compares it on this backend."""
    return uuid.UUID(value).hex if db.backend == "sqlite" else uuid.UUID(value)


def rows(db: Database, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params)]


def nid(entity: str, key: Any) -> str:
    return node_id(entity, (uid(key),))


def busiest_location(db: Database) -> str:
    """The location with the most connections both ways, NPCs and objects, as export writes its id."""
    sql = """
        SELECT l.id,
          (SELECT count(*) FROM location_connections c WHERE c.source_location_id = l.id)
        + (SELECT count(*) FROM location_connections c WHERE c.target_location_id = l.id)
        + (SELECT count(*) FROM npcs n WHERE n.location_id = l.id)
        + (SELECT count(*) FROM objects o WHERE o.location_id = l.id) AS around
        FROM locations l ORDER BY around DESC, l.id LIMIT 1"""
    return uid(rows(db, sql)[0][0])


def key_of(hood: Neighbourhood, ident: str) -> str:
    """The one key value of a record node."""
    (key,) = next(n.key for n in hood.nodes if n.id == ident) or ()
    return str(key)


def edges_via(hood: Neighbourhood, via: str) -> list[GraphEdge]:
    return [e for e in hood.edges if e.via == via]


@pytest.fixture
def world(demo_copy: Demo) -> Iterator[tuple[Database, Catalog, str]]:
    db, cat = demo_copy
    yield db, cat, busiest_location(db)


def test_location_matches_hand_written_sql(world):
    db, cat, loc = world
    hood = neighbourhood(db, cat, "locations", {"id": loc}, cap=BIG)
    me = nid("locations", loc)
    assert hood.nodes[0].id == me and hood.nodes[0].key == (loc,)
    name = rows(db, "SELECT name FROM locations WHERE id = :i", i=bind(db, loc))[0][0]
    assert hood.nodes[0].label == name

    (region,) = rows(db, "SELECT region_id FROM locations WHERE id = :i", i=bind(db, loc))[0]
    assert [(e.source, e.target, e.kind) for e in edges_via(hood, "locations.region_id")] == [
        (me, nid("regions", region), "fk")
    ]
    region_name = rows(db, "SELECT name FROM regions WHERE id = :i", i=region)[0][0]
    assert {n.id: n.label for n in hood.nodes}[nid("regions", region)] == region_name

    out = rows(
        db,
        "SELECT id, target_location_id, direction, connection_type, is_bidirectional "
        "FROM location_connections WHERE source_location_id = :i",
        i=bind(db, loc),
    )
    inn = rows(
        db,
        "SELECT id, source_location_id, direction, connection_type, is_bidirectional "
        "FROM location_connections WHERE target_location_id = :i",
        i=bind(db, loc),
    )
    assert out and inn
    expected = {(me, nid("locations", t), uid(i), d, c, not bool(b)) for i, t, d, c, b in out} | {
        (nid("locations", s), me, uid(i), d, c, not bool(b)) for i, s, d, c, b in inn
    }
    links = edges_via(hood, "location_connections")
    assert all(e.kind == "link" for e in links)
    got = {
        (
            e.source,
            e.target,
            e.attributes["id"],
            e.attributes["direction"],
            e.attributes["connection_type"],
            e.directed,
        )
        for e in links
    }
    assert got == expected and len(links) == len(expected)
    # The link's ends are the edge, not attributes; its other columns are.
    assert not {"source_location_id", "target_location_id"} & set(links[0].attributes)
    assert {"travel_minutes", "is_bidirectional", "description"} <= set(links[0].attributes)
    # No node stands for a link row.
    assert not [n for n in hood.nodes if n.entity == "location_connections"]

    for entity in ("npcs", "objects", "player_history"):
        there = rows(db, f"SELECT id FROM {entity} WHERE location_id = :i", i=bind(db, loc))
        found = edges_via(hood, f"{entity}.location_id")
        assert {(e.source, e.target) for e in found} == {(nid(entity, r[0]), me) for r in there}
    ids = [n.id for n in hood.nodes]
    assert len(ids) == len(set(ids))
    edge_ends = {x for e in hood.edges for x in (e.source, e.target)}
    assert edge_ends <= set(ids)


def test_two_way_connection_is_undirected(world):
    db, cat, loc = world
    hood = neighbourhood(db, cat, "locations", {"id": loc}, cap=BIG)
    for e in edges_via(hood, "location_connections"):
        assert e.directed is not e.attributes["is_bidirectional"]
    with db.transaction() as conn:
        conn.execute(
            sa.text("UPDATE location_connections SET is_bidirectional = :f WHERE source_location_id = :i"),
            {"f": False, "i": bind(db, loc)},
        )
    hood = neighbourhood(db, cat, "locations", {"id": loc}, cap=BIG)
    outward = [e for e in edges_via(hood, "location_connections") if e.source == nid("locations", loc)]
    assert outward and all(e.directed for e in outward)


def test_cap_makes_an_exact_aggregate_that_pages_in(world):
    db, cat, _ = world
    (region, count) = rows(
        db,
        "SELECT region_id, count(*) AS n FROM locations GROUP BY region_id ORDER BY n DESC, region_id "
        "LIMIT 1",
    )[0]
    assert count > 4
    hood = neighbourhood(db, cat, "regions", {"id": uid(region)}, cap=3, follow=["locations.region_id"])
    me = nid("regions", region)
    shown = [e for e in edges_via(hood, "locations.region_id") if e.target == me]
    aggs = [n for n in hood.nodes if n.aggregate]
    assert len(aggs) == 1
    agg = aggs[0]
    assert agg.count == count - 3 and agg.entity == "locations" and agg.via == "locations.region_id"
    assert agg.label == f"+{count - 3:,} locations" and agg.key is None
    assert len(shown) == 3 + 1  # three records and the aggregate
    seen = {n.id for n in hood.nodes if not n.aggregate and n.entity == "locations"}
    while True:
        new = expand_aggregate(db, cat, hood, agg.id, cap=3)
        again = [n for n in new.nodes if n.id == agg.id]
        assert len(again) == 1
        added = {n.id for n in new.nodes if not n.aggregate}
        assert added and not added & seen
        seen |= added
        hood = merged(hood, new)
        if again[0].count == 0:
            break
        agg = again[0]
        assert agg.count == count - len(seen)
    everyone = rows(db, "SELECT id FROM locations WHERE region_id = :r", r=region)
    assert seen == {nid("locations", r[0]) for r in everyone}
    assert not [n for n in hood.nodes if n.aggregate]
    assert {e.source for e in edges_via(hood, "locations.region_id") if e.target == me} == seen


def test_expand_returns_only_what_is_new(world):
    db, cat, loc = world
    hood = neighbourhood(db, cat, "locations", {"id": loc}, cap=BIG)
    region = next(e.target for e in edges_via(hood, "locations.region_id"))
    new = expand(db, cat, hood, region, cap=BIG)
    old = {n.id for n in hood.nodes}
    assert new.nodes and not {n.id for n in new.nodes} & old
    # The location's own edge to its region is not repeated.
    assert not [e for e in new.edges if e.source == nid("locations", loc) and e.target == region]
    there = rows(db, "SELECT id FROM locations WHERE region_id = :r", r=bind(db, key_of(hood, region)))
    expected = {nid("locations", r[0]) for r in there}
    both = merged(hood, new)
    assert expected <= {n.id for n in both.nodes}
    assert expand(db, cat, both, region, cap=BIG) == Neighbourhood((), ())


def test_depth_two_reaches_the_neighbours_of_neighbours(world):
    db, cat, loc = world
    one = neighbourhood(db, cat, "locations", {"id": loc}, cap=BIG)
    two = neighbourhood(db, cat, "locations", {"id": loc}, depth=2, cap=BIG)
    assert {n.id for n in one.nodes} < {n.id for n in two.nodes}
    region = next(e.target for e in edges_via(one, "locations.region_id"))
    r = bind(db, key_of(one, region))
    parent = rows(db, "SELECT parent_region_id FROM regions WHERE id = :r", r=r)[0][0]
    siblings = rows(db, "SELECT id FROM locations WHERE region_id = :r", r=r)
    ids = {n.id for n in two.nodes}
    assert {nid("locations", r[0]) for r in siblings} <= ids
    if parent is not None:
        assert nid("regions", parent) in ids
    # Depth 2 is depth 1 and then each new record expanded by one hop.
    step = one
    for node in [n.id for n in one.nodes[1:] if not n.aggregate]:
        step = merged(step, expand(db, cat, step, node, cap=BIG))
    assert {n.id for n in step.nodes} == ids
    assert {(e.source, e.target, e.via) for e in step.edges} == {
        (e.source, e.target, e.via) for e in two.edges
    }


def test_expand_by_follows_only_the_chosen_edge_types(world):
    db, cat, loc = world
    hood = neighbourhood(db, cat, "locations", {"id": loc}, cap=BIG, follow=["npcs.location_id"])
    assert {e.via for e in hood.edges} == {"npcs.location_id"}
    there = rows(db, "SELECT id FROM npcs WHERE location_id = :i", i=bind(db, loc))
    assert {n.id for n in hood.nodes[1:]} == {nid("npcs", r[0]) for r in there}
    types = {t.name: t for t in edge_types(cat, "locations")}
    assert types["location_connections"].kind == "link" and types["location_connections"].direction == "both"
    assert types["locations.region_id"].direction == "outgoing"
    assert types["npcs.location_id"].direction == "incoming" and types["npcs.location_id"].neighbour == "npcs"
    regions = {t.name: t for t in edge_types(cat, "regions")}
    assert regions["regions.parent_region_id"].direction == "both"


def test_unknown_record_and_bad_settings_are_user_errors(world):
    db, cat, _ = world
    with pytest.raises(NotFoundError, match="no row"):
        neighbourhood(db, cat, "locations", {"id": str(uuid.uuid4())})
    with pytest.raises(WardenError, match="depth"):
        neighbourhood(db, cat, "locations", {"id": str(uuid.uuid4())}, depth=4)
    with pytest.raises(WardenError, match="cap"):
        neighbourhood(db, cat, "locations", {"id": str(uuid.uuid4())}, cap=0)


def test_expanding_again_keeps_an_aggregate_that_paged_in(world):
    db, cat, _ = world
    (region,) = rows(
        db,
        "SELECT region_id FROM locations GROUP BY region_id HAVING count(*) > 4 ORDER BY region_id LIMIT 1",
    )[0]
    follow = ["locations.region_id"]
    hood = neighbourhood(db, cat, "regions", {"id": uid(region)}, cap=2, follow=follow)
    (agg,) = [n for n in hood.nodes if n.aggregate]
    hood = merged(hood, expand_aggregate(db, cat, hood, agg.id, cap=2))
    (paged,) = [n for n in hood.nodes if n.aggregate]
    assert agg.count is not None and paged.count == agg.count - 2
    again = expand(db, cat, hood, nid("regions", region), cap=2, follow=follow)
    assert again == Neighbourhood((), ())


def test_node_ids_are_the_keys_as_export_writes_them_whatever_their_python_type() -> None:
    """A UUID key (as the database returns it) and its text give one id: the JSON list of its text."""
    key = uuid.UUID("6f1c2b1e-0d08-4cce-a55c-2f83d3ea3033")
    assert node_id("locations", (key,)) == 'locations:["6f1c2b1e-0d08-4cce-a55c-2f83d3ea3033"]'
    assert node_id("locations", (key,)) == node_id("locations", (str(key),))
    assert node_id("player_skills", (key, "archery")) == (
        'player_skills:["6f1c2b1e-0d08-4cce-a55c-2f83d3ea3033", "archery"]'
    )
    assert node_id("tags", (7,)) == "tags:[7]"
