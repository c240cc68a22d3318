"""Record neighbourhoods of a database Warden did not create, built with raw SQL on both backends: odd
names, a link table without a declared primary key (SQLite keys it by its rowid, PostgreSQL by nothing),
a composite key referenced by a composite foreign key, and (PostgreSQL) a table in another schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.engine.db import Database, open_database
from core.graph.links import link_ends
from core.graph.neighbourhood import expand, expand_aggregate, merged, neighbourhood, node_id
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from tests.fixtures.postgres import new_pg_database


def schema_sql(backend: str) -> list[str]:
    """The foreign database: ships, their crew through a key-less link table, log entries keyed by
    (ship, entry) with notes pointing at them, and the port a ship calls home."""
    port_table = '"Harbour"."Ports"' if backend == "postgresql" else '"Ports"'
    return [
        *(['CREATE SCHEMA "Harbour"'] if backend == "postgresql" else []),
        f'CREATE TABLE {port_table} ("Port Id" INTEGER PRIMARY KEY, "Port Name" VARCHAR(40) NOT NULL)',
        'CREATE TABLE "Crew Roster" ("Crew ID" INTEGER PRIMARY KEY, "Full Name" VARCHAR(40) NOT NULL)',
        f"""CREATE TABLE "Ship" (ship_no INTEGER PRIMARY KEY, title TEXT NOT NULL,
            home_port INTEGER REFERENCES {port_table}("Port Id"))""",
        """CREATE TABLE "crew assignments" (
            crew INTEGER NOT NULL REFERENCES "Crew Roster"("Crew ID"),
            ship INTEGER NOT NULL REFERENCES "Ship"(ship_no),
            "role" TEXT, since TEXT)""",
        # A TEXT summary is no label (catalog.guess_label): entries are labelled by their keys.
        """CREATE TABLE "Log Book" (ship_no INTEGER NOT NULL REFERENCES "Ship"(ship_no),
            entry_no INTEGER NOT NULL, summary TEXT NOT NULL, PRIMARY KEY (ship_no, entry_no))""",
        """CREATE TABLE "log notes" (note_id INTEGER PRIMARY KEY, ship_no INTEGER NOT NULL,
            entry_no INTEGER NOT NULL, body TEXT NOT NULL,
            FOREIGN KEY (ship_no, entry_no) REFERENCES "Log Book"(ship_no, entry_no))""",
        f"""INSERT INTO {port_table} VALUES (1, 'Saltmarsh'), (2, 'Greyhaven')""",
        """INSERT INTO "Crew Roster" VALUES (1, 'Ada'), (2, 'Bo'), (3, 'Cy'), (4, 'Dee')""",
        """INSERT INTO "Ship" VALUES (10, 'Heron', 1), (11, 'Kestrel', 2), (12, 'Wren', NULL)""",
        """INSERT INTO "crew assignments" VALUES (1, 10, 'captain', '2020'), (2, 10, 'cook', '2021'),
            (3, 10, 'mate', '2022'), (3, 11, 'captain', '2023'), (4, 12, 'bosun', NULL)""",
        """INSERT INTO "Log Book" VALUES (10, 1, 'Set sail'), (10, 2, 'Storm'), (11, 1, 'Moored')""",
        """INSERT INTO "log notes" VALUES (100, 10, 2, 'Lost a sail'), (101, 10, 2, 'Mended it'),
            (102, 11, 1, 'Quiet night')""",
    ]


@pytest.fixture
def foreign(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Database, Catalog]]:
    """The foreign database on the current backend, open, with its (reflected) catalog."""
    if backend == "sqlite":
        url = str(tmp_path / "their fleet.db")
    else:
        url = new_pg_database(request.getfixturevalue("pg_server"), vector=False)
    eng = sa.create_engine(sa.make_url(url) if backend == "postgresql" else f"sqlite:///{url}")
    with eng.begin() as conn:
        for sql in schema_sql(backend):
            conn.exec_driver_sql(sql)
    eng.dispose()
    db = open_database(url)
    try:
        yield db, load_catalog(db)
    finally:
        db.dispose()


def ship(n: int) -> str:
    return node_id("Ship", (n,))


def crew(n: int) -> str:
    return node_id("Crew Roster", (n,))


def test_the_key_less_table_is_a_link_between_crew_and_ships(foreign):
    _db, cat = foreign
    link = cat.entities["crew assignments"]
    assert link.is_link
    ends = link_ends(cat, link)
    assert ends is not None and (ends.source.target, ends.target.target) == ("Crew Roster", "Ship")
    assert set(ends.attributes) == {"role", "since"}  # the rowid SQLite keys it by is no attribute


def test_a_ship_matches_hand_written_sql(foreign):
    db, cat = foreign
    hood = neighbourhood(db, cat, "Ship", {"ship_no": 10})
    port = next(name for name in cat.entities if name.endswith("Ports"))
    with db.engine.connect() as conn:
        crew_rows = conn.exec_driver_sql(
            'SELECT crew, "role", since FROM "crew assignments" WHERE ship = 10'
        ).all()
        log_rows = conn.exec_driver_sql(
            'SELECT ship_no, entry_no, summary FROM "Log Book" WHERE ship_no = 10'
        ).all()
    labels = {n.id: n.label for n in hood.nodes}
    assert hood.nodes[0].id == ship(10) and labels[ship(10)] == "Heron"

    links = [e for e in hood.edges if e.kind == "link"]
    assert {(e.source, e.target, e.via, e.attributes["role"], e.attributes["since"]) for e in links} == {
        (crew(c), ship(10), "crew assignments", r, s) for c, r, s in crew_rows
    }
    assert {labels[crew(c)] for c, _, _ in crew_rows} == {"Ada", "Bo", "Cy"}

    logs = [e for e in hood.edges if e.via == "Log Book.ship_no"]
    assert {(e.source, e.target) for e in logs} == {
        (node_id("Log Book", (s, n)), ship(10)) for s, n, _ in log_rows
    }
    assert {labels[node_id("Log Book", (s, n))] for s, n, _ in log_rows} == {
        f"ship_no={s}, entry_no={n}" for s, n, _ in log_rows
    }

    (home,) = [e for e in hood.edges if e.via == "Ship.home_port"]
    assert (home.source, home.target, home.kind) == (ship(10), node_id(port, (1,)), "fk")
    assert labels[home.target] == "Saltmarsh"
    assert len(hood.nodes) == 1 + 3 + 2 + 1


def test_composite_keys_expand_through_a_composite_foreign_key(foreign):
    db, cat = foreign
    hood = neighbourhood(db, cat, "Ship", {"ship_no": 10}, depth=2)
    notes = [e for e in hood.edges if e.via == "log notes.ship_no,entry_no"]
    assert {(e.source, e.target) for e in notes} == {
        (node_id("log notes", (100,)), node_id("Log Book", (10, 2))),
        (node_id("log notes", (101,)), node_id("Log Book", (10, 2))),
    }
    # Cy also sails on the Kestrel: two hops out through the link table.
    assert ship(11) in {n.id for n in hood.nodes}
    entry = node_id("Log Book", (10, 2))
    one = neighbourhood(db, cat, "Log Book", {"ship_no": "10", "entry_no": "2"})
    assert one.nodes[0].id == entry and one.nodes[0].key == (10, 2)
    assert {e.source for e in one.edges if e.target == entry and e.kind == "fk"} == {
        node_id("log notes", (100,)),
        node_id("log notes", (101,)),
    }


def test_expanding_a_crew_member_adds_the_other_ship(foreign):
    db, cat = foreign
    hood = neighbourhood(db, cat, "Ship", {"ship_no": 10})
    new = expand(db, cat, hood, crew(3))
    assert [n.id for n in new.nodes] == [ship(11)]
    (edge,) = new.edges
    assert (edge.source, edge.target, edge.attributes) == (
        crew(3),
        ship(11),
        {"role": "captain", "since": "2023"},
    )
    assert expand(db, cat, merged(hood, new), crew(3)).nodes == ()


def test_a_busy_link_end_pages_in_through_its_aggregate(foreign):
    db, cat = foreign
    hood = neighbourhood(db, cat, "Ship", {"ship_no": 10}, cap=2, follow=["crew assignments"])
    (agg,) = [n for n in hood.nodes if n.aggregate]
    assert (agg.entity, agg.count, agg.via) == ("Crew Roster", 1, "crew assignments.ship")
    assert agg.label == "+1 Crew Roster via crew assignments"
    # First by label: Ada and Bo are shown, Cy waits in the aggregate.
    assert {n.label for n in hood.nodes if not n.aggregate} == {"Heron", "Ada", "Bo"}
    new = expand_aggregate(db, cat, hood, agg.id, cap=2)
    assert [n.label for n in new.nodes if not n.aggregate] == ["Cy"]
    ((left,),) = [[n.count for n in new.nodes if n.aggregate]]
    assert left == 0
    (edge,) = new.edges
    assert (edge.source, edge.target, edge.kind) == (crew(3), ship(10), "link")
    assert edge.attributes == {"role": "mate", "since": "2022"}
    done = merged(hood, new)
    assert not [n for n in done.nodes if n.aggregate] and len(done.edges) == 3
