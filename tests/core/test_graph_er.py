"""The schema view's model (core/graph/er.py, er_layout.py): the reference schema's tables and FKs checked
against the database's own foreign keys on both backends, link tables marked; the shortest FK path and
"table + N hops" on a foreign database built with raw SQL; clusters of generated 300-table schemas."""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.engine.db import Database, open_database
from core.errors import NotFoundError
from core.graph import er_layout, er_views
from core.graph.er import WHOLE_UP_TO, er_model
from core.schema.load import load_catalog
from tests.fixtures.postgres import new_pg_database


def database_fks(db: Database) -> set[tuple[str, str, tuple[str, ...]]]:
    """Every foreign key as the database itself reports it: (table, referred table, columns)."""
    inspector = sa.inspect(db.engine)
    out = set()
    for table in inspector.get_table_names():
        for fk in inspector.get_foreign_keys(table):
            out.add((table, fk["referred_table"], tuple(fk["constrained_columns"])))
    return out


def test_reference_schema_tables_and_foreign_keys(schema_db: Database) -> None:
    catalog = load_catalog(schema_db)
    model = er_model(catalog)
    tables = set(sa.inspect(schema_db.engine).get_table_names()) - {"alembic_version"}
    assert tables <= set(model.tables)
    assert {(e.source, e.target, e.columns) for e in model.edges} == database_fks(schema_db)
    links = {name for name, t in model.tables.items() if t.is_link}
    assert {"location_connections", "npc_relationships"} <= links
    assert "locations" not in links and "orders" not in links
    # Key columns: the primary key and every referring column, nothing else.
    items = model.tables["order_items"]
    keys = {c.name for c in items.key_columns}
    assert {"order_id", "product_id"} <= keys and "quantity" not in keys
    assert {c.name for c in items.columns} == {
        c["name"] for c in sa.inspect(schema_db.engine).get_columns("order_items")
    }


def test_reference_schema_drawn_whole_in_layers(schema_db: Database) -> None:
    model = er_model(load_catalog(schema_db))
    diagram = er_layout.overview(model, "keys")
    assert diagram.method == "tables"
    assert {n.id for n in diagram.nodes} == set(model.tables)
    assert len(diagram.links) == len(model.edges)
    boxes = {n.id: n.size for n in diagram.nodes}
    placed = diagram.positions
    # Referred-to tables sit above the tables that refer to them (layered), unless a cycle forbids it.
    below = [placed[e.source][1] > placed[e.target][1] for e in model.edges if e.source != e.target]
    assert sum(below) >= 0.8 * len(below)
    # No two boxes overlap.
    names = list(placed)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            (ax, ay), (bx, by) = placed[a], placed[b]
            apart_x = abs(ax - bx) >= (boxes[a][0] + boxes[b][0]) / 2
            apart_y = abs(ay - by) >= (boxes[a][1] + boxes[b][1]) / 2
            assert apart_x or apart_y, (a, b)
    # Display modes change what a box shows.
    npcs = model.tables["npcs"]
    assert npcs.rows("names") == () and 0 < len(npcs.rows("keys")) < len(npcs.rows("all"))
    assert er_layout.box_size(npcs, "all")[1] > er_layout.box_size(npcs, "keys")[1]


FOREIGN = [
    # a chain hub ← a ← b ← c and a shortcut c → hub; d refers to b; e and f only to each other
    "CREATE TABLE hub (id INTEGER PRIMARY KEY, name TEXT)",
    "CREATE TABLE alpha (id INTEGER PRIMARY KEY, hub_id INTEGER REFERENCES hub(id))",
    "CREATE TABLE beta (id INTEGER PRIMARY KEY, alpha_id INTEGER REFERENCES alpha(id))",
    "CREATE TABLE gamma (id INTEGER PRIMARY KEY, beta_id INTEGER REFERENCES beta(id), "
    "hub_ref INTEGER REFERENCES hub(id))",
    'CREATE TABLE "Delta Log" (id INTEGER PRIMARY KEY, beta_id INTEGER REFERENCES beta(id))',
    "CREATE TABLE epsilon (id INTEGER PRIMARY KEY)",
    "CREATE TABLE zeta (id INTEGER PRIMARY KEY, epsilon_id INTEGER REFERENCES epsilon(id))",
]


@pytest.fixture
def foreign(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A database Warden did not create, built with raw SQL on the current backend."""
    url = (
        str(tmp_path / "theirs.db")
        if backend == "sqlite"
        else new_pg_database(request.getfixturevalue("pg_server"), vector=False)
    )
    engine = sa.create_engine(url if backend == "postgresql" else f"sqlite:///{url}")
    with engine.begin() as conn:
        for sql in FOREIGN:
            conn.execute(sa.text(sql))
    engine.dispose()
    db = open_database(url)
    yield db
    db.dispose()


def test_shortest_path_on_a_foreign_database(foreign: Database) -> None:
    model = er_model(load_catalog(foreign))
    assert {(e.source, e.target, e.columns) for e in model.edges} == database_fks(foreign)
    # The shortcut gamma → hub makes "Delta Log" → beta → gamma → hub (3) as short as through alpha.
    route = model.path("Delta Log", "hub")
    assert route is not None and len(route) == 4 and route[0] == "Delta Log" and route[-1] == "hub"
    linked = {frozenset((a, b)) for a, b, _cols in database_fks(foreign)}
    assert all(frozenset(step) in linked for step in itertools.pairwise(route))
    assert model.path("gamma", "hub") == ["gamma", "hub"]
    assert model.path("hub", "hub") == ["hub"]
    assert model.path("hub", "zeta") is None
    view = er_layout.path(model, "Delta Log", "hub")
    assert [n.id for n in view.nodes] == route and len(view.links) == 3
    assert "No chain" in er_layout.path(model, "alpha", "epsilon").note
    with pytest.raises(NotFoundError):
        model.path("hub", "nowhere")


def test_table_and_hops_on_a_foreign_database(foreign: Database) -> None:
    model = er_model(load_catalog(foreign))
    assert set(model.around("beta", 1)) == {"beta", "alpha", "gamma", "Delta Log"}
    assert set(model.around("beta", 2)) == {"beta", "alpha", "gamma", "Delta Log", "hub"}
    view = er_layout.around(model, "beta", 1)
    assert view.focus == ("beta",)
    assert {(link.source, link.target) for link in view.links} == {
        ("beta", "alpha"),
        ("gamma", "beta"),
        ("Delta Log", "beta"),
    }


def generated(tmp_path: Path, names: list[str], fks: list[tuple[int, int]]) -> Database:
    """A SQLite file with tables `names`, table i referring to table j for each (i, j) in `fks`."""
    refs: dict[int, list[int]] = {}
    for i, j in fks:
        refs.setdefault(i, []).append(j)
    path = tmp_path / "many.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for i, name in enumerate(names):
            cols = ["id INTEGER PRIMARY KEY", "label TEXT"]
            cols += [f"r{j} INTEGER REFERENCES {names[j]}(id)" for j in sorted(set(refs.get(i, [])))]
            conn.execute(sa.text(f"CREATE TABLE {name} ({', '.join(cols)})"))
    engine.dispose()
    return open_database(path)


def test_clusters_by_prefix_on_300_tables(tmp_path: Path) -> None:
    rng = random.Random(3)
    prefixes = ["billing", "crm", "stock", "hr", "web", "audit"]
    names = [f"{prefixes[i % 6]}_t{i:03d}" for i in range(300)]
    fks = [(i, rng.randrange(i)) for i in range(1, 300)]
    db = generated(tmp_path, names, fks)
    try:
        model = er_model(load_catalog(db))
    finally:
        db.dispose()
    grouping = model.clustering
    assert grouping.method == "prefix"
    assert set(grouping.members) == set(prefixes)
    assert all(len(members) == 50 for members in grouping.members.values())
    diagram = er_layout.overview(model)
    assert len(diagram.nodes) == 6 and all(n.kind == "cluster" for n in diagram.nodes)
    assert sum(len(n.members) for n in diagram.nodes) == 300
    # FKs between clusters are counted; each cluster keeps lines to its strongest neighbours only.
    assert sum(grouping.links.values()) == sum(
        1 for i, j in fks if names[i].split("_")[0] != names[j].split("_")[0]
    )
    drilled = er_layout.overview(model, members=grouping.members["crm"])
    assert drilled.method == "tables" and len(drilled.nodes) == 50 <= WHOLE_UP_TO


def test_clusters_by_community_on_300_tables(tmp_path: Path) -> None:
    rng = random.Random(5)
    names = [f"t{i:03d}" for i in range(300)]  # no prefixes to group by
    planted = {i: i // 60 for i in range(300)}  # five communities of 60
    # Inside each community every table refers to up to three earlier ones of its own.
    fks = [(i, j) for i in range(300) if i % 60 for j in rng.sample(range(i - i % 60, i), min(3, i % 60))]
    fks += [(0, 60), (120, 61), (180, 240)]  # a few FKs across
    db = generated(tmp_path, names, fks)
    try:
        model = er_model(load_catalog(db))
    finally:
        db.dispose()
    grouping = model.clustering
    assert grouping.method == "community"
    assert 5 <= len(grouping.members) <= 15
    # A cluster never mixes communities, and each community lies mostly in one cluster.
    for members in grouping.members.values():
        assert Counter(planted[names.index(n)] for n in members).most_common(1)[0][1] >= 0.9 * len(members)
    for c in range(5):
        spread = Counter(grouping.of[names[i]] for i in range(300) if planted[i] == c)
        assert spread.most_common(1)[0][1] >= 0.5 * 60


def test_saved_view_keeps_positions_and_lays_out_only_new_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARDEN_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "theirs.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for sql in FOREIGN:
            conn.execute(sa.text(sql))
    db = open_database(path)
    try:
        model = er_model(load_catalog(db))
        diagram = er_layout.around(model, "beta", 2)
        moved = dict(diagram.positions)
        moved["hub"] = (-900.0, 40.0)  # the user dragged one box
        view = er_views.SavedView("Beta's corner", ("around", "beta", 2), "keys", moved)
        saved = er_views.save_view(db.display_url, view)
        document = json.loads(saved.read_text(encoding="utf-8"))  # a readable file
        assert document["name"] == "Beta's corner" and document["view"] == ["around", "beta", 2]
        assert document["positions"]["hub"] == [-900.0, 40.0]
        assert er_views.view_names(db.display_url) == ["Beta's corner"]
    finally:
        db.dispose()
    # The schema changes (another program): a new table refers to beta.
    with engine.begin() as conn:
        conn.execute(
            sa.text("CREATE TABLE theta (id INTEGER PRIMARY KEY, beta_id INTEGER REFERENCES beta(id))")
        )
    engine.dispose()
    db = open_database(path)
    try:
        model = er_model(load_catalog(db))
    finally:
        db.dispose()
    loaded = er_views.load_view(document["database"], "Beta's corner")
    shown = er_views.show_view(model, loaded)
    assert "theta" in shown.positions and "1 table new" in shown.note
    for name, point in moved.items():
        assert shown.positions[name] == pytest.approx(point)  # kept exactly, the dragged one too
    # The new table is laid out beside the saved ones, overlapping none of them.
    sizes = {n.id: n.size for n in shown.nodes}
    tx, ty = shown.positions["theta"]
    for name, (x, y) in moved.items():
        apart_x = abs(tx - x) >= (sizes["theta"][0] + sizes[name][0]) / 2
        apart_y = abs(ty - y) >= (sizes["theta"][1] + sizes[name][1]) / 2
        assert apart_x or apart_y
    with pytest.raises(NotFoundError):
        er_views.load_view(document["database"], "nothing saved")


def test_clusters_by_postgresql_schema(pg_server: object) -> None:
    url = new_pg_database(pg_server, vector=False)
    engine = sa.create_engine(url)
    statements = [
        "CREATE SCHEMA sales",
        "CREATE SCHEMA stock",
        "CREATE TABLE sales.customer (id INTEGER PRIMARY KEY)",
        "CREATE TABLE sales.invoice (id INTEGER PRIMARY KEY, "
        "customer_id INTEGER REFERENCES sales.customer(id))",
        "CREATE TABLE stock.item (id INTEGER PRIMARY KEY)",
        "CREATE TABLE stock.line (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES stock.item(id), "
        "invoice_id INTEGER REFERENCES sales.invoice(id))",
    ]
    with engine.begin() as conn:
        for sql in statements:
            conn.execute(sa.text(sql))
    engine.dispose()
    db = open_database(url)
    try:
        model = er_model(load_catalog(db))
    finally:
        db.dispose()
    grouping = model.clustering
    assert grouping.method == "schema"
    assert {k: len(v) for k, v in grouping.members.items()} == {"sales": 2, "stock": 2}
    assert grouping.links == {("sales", "stock"): 1}  # stock.line → sales.invoice
    route = model.path(grouping.members["stock"][0], grouping.members["sales"][0])
    assert route is not None and len(route) >= 2
