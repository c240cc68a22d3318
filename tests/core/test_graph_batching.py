"""The record graph reads in batches: the statements needed to expand a node, or to walk two hops, do not
grow with the number of neighbours (counted with SQLAlchemy's before_cursor_execute event)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from core.engine.db import Database
from core.graph.neighbourhood import expand, neighbourhood, node_id
from core.schema.models import metadata
from tests.fixtures.demo import Demo


@pytest.fixture
def statements(demo_copy: Demo) -> Iterator[list[str]]:
    """Every SQL statement run on the demo copy's engine while the test runs."""
    db, _ = demo_copy
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(db.engine, "before_cursor_execute", record)


def add_locations(db: Database, region: str, n: int) -> None:
    """`n` more locations in `region`, each with an NPC and a connection to the next."""
    ids = [uuid.uuid4() for _ in range(n)]
    with db.transaction() as conn:
        conn.execute(
            metadata.tables["locations"].insert(),
            [
                {"id": i, "region_id": uuid.UUID(region), "name": f"Extra {k}", "location_type": "town"}
                for k, i in enumerate(ids)
            ],
        )
        conn.execute(
            metadata.tables["npcs"].insert(),
            [
                {"id": uuid.uuid4(), "location_id": i, "name": f"Extra NPC {k}", "npc_type": "guard"}
                for k, i in enumerate(ids)
            ],
        )
        conn.execute(
            metadata.tables["location_connections"].insert(),
            [
                {
                    "id": uuid.uuid4(),
                    "source_location_id": a,
                    "target_location_id": b,
                    "direction": "north",
                    "connection_type": "road",
                }
                for a, b in itertools.pairwise(ids)
            ],
        )


def first_region(db: Database) -> str:
    with db.engine.connect() as conn:
        value = conn.execute(sa.select(metadata.tables["regions"].c.id).order_by("id").limit(1)).scalar_one()
    return str(value)


@pytest.mark.parametrize("cap", [5, 5_000])
def test_expanding_a_node_costs_the_same_however_many_neighbours(demo_copy, statements, cap):
    db, cat = demo_copy
    region = first_region(db)
    me = node_id("regions", (region,))

    def cost() -> tuple[int, int]:
        hood = neighbourhood(db, cat, "regions", {"id": region}, cap=cap, follow=["regions.parent_region_id"])
        statements.clear()
        new = expand(db, cat, hood, me, cap=cap)
        return len(statements), len(new.nodes)

    few_statements, few_nodes = cost()
    add_locations(db, region, 300)
    many_statements, many_nodes = cost()
    assert many_statements == few_statements
    if cap > 300:
        assert many_nodes == few_nodes + 300
    else:
        assert many_nodes == few_nodes  # the cap holds; the aggregate's count grew


def test_two_hops_cost_the_same_however_many_neighbours(demo_copy, statements):
    db, cat = demo_copy
    region = first_region(db)

    def cost() -> tuple[int, int]:
        statements.clear()
        hood = neighbourhood(db, cat, "regions", {"id": region}, depth=2, cap=5_000)
        return len(statements), len(hood.nodes)

    few_statements, few_nodes = cost()
    add_locations(db, region, 300)
    many_statements, many_nodes = cost()
    assert many_nodes >= few_nodes + 600  # 300 locations and their 300 NPCs
    assert many_statements == few_statements
