"""`warden graph` on real databases: the JSON shape, keys as `warden export` prints them, the tree, caps,
composite keys in every spelling, and one-line errors."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from core import cli
from tests.fixtures.postgres import new_pg_database


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A demo database that `warden demo` builds, once for the module (the tests only read it)."""
    path = tmp_path_factory.mktemp("cli-graph") / "demo.db"
    assert cli.main(["demo", "--db", str(path), "--scale", "1"]) == 0
    return str(path)


@pytest.fixture(scope="module")
def demo_pg(pg_server: object, pg_demo_template: str) -> str:
    """A copy of the session's PostgreSQL demo template, once for the module (the tests only read it)."""
    return new_pg_database(pg_server, template=pg_demo_template)


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_demo(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("demo_url" if request.param == "sqlite" else "demo_pg"))


def exported(capsys: pytest.CaptureFixture[str], db: str, entity: str) -> list[dict[str, object]]:
    code, out, _ = run(capsys, "export", "--db", db, "--entity", entity, "--format", "json")
    assert code == 0
    rows: list[dict[str, object]] = json.loads(out)
    return rows


def test_json_shape_and_keys_as_export_prints_them(capsys, shared_demo):
    locations = {r["id"]: r for r in exported(capsys, shared_demo, "locations")}
    connections = exported(capsys, shared_demo, "location_connections")
    loc = str(connections[0]["source_location_id"])
    code, out, err = run(
        capsys, "graph", "--db", shared_demo, "--entity", "locations", "--key", loc, "--json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"nodes", "edges"}
    start = doc["nodes"][0]
    assert start["entity"] == "locations" and start["key"] == loc and start["label"] == locations[loc]["name"]
    for node in doc["nodes"]:
        assert {"id", "entity", "key", "label"} <= set(node)
        if node["entity"] == "locations":
            assert locations[node["key"]]["name"] == node["label"]
    ids = {n["id"] for n in doc["nodes"]}
    for edge in doc["edges"]:
        assert {"source", "target", "kind", "via", "attributes"} <= set(edge)
        assert edge["source"] in ids and edge["target"] in ids and edge["kind"] in ("fk", "link")
    mine = [c for c in connections if c["source_location_id"] == loc]
    links = [e for e in doc["edges"] if e["via"] == "location_connections" and e["source"] == start["id"]]
    assert {e["attributes"]["id"] for e in links} == {c["id"] for c in mine}
    by_id = {c["id"]: c for c in mine}
    for e in links:
        row = by_id[e["attributes"]["id"]]
        assert e["attributes"]["direction"] == row["direction"]
        assert e["attributes"]["travel_minutes"] == row["travel_minutes"]
        target = next(n for n in doc["nodes"] if n["id"] == e["target"])
        assert target["key"] == row["target_location_id"]


def test_cap_prints_an_aggregate_with_its_exact_count(capsys, demo_url):
    locations = exported(capsys, demo_url, "locations")
    per_region: dict[object, int] = {}
    for r in locations:
        per_region[r["region_id"]] = per_region.get(r["region_id"], 0) + 1
    region, count = max(per_region.items(), key=lambda kv: kv[1])
    args = ["graph", "--db", demo_url, "--entity", "regions", "--key", str(region), "--cap", "2", "--json"]
    code, out, _ = run(capsys, *args, "--follow", "locations.region_id")
    assert code == 0
    doc = json.loads(out)
    (agg,) = [n for n in doc["nodes"] if n.get("aggregate")]
    assert agg["entity"] == "locations" and agg["count"] == count - 2
    assert len([n for n in doc["nodes"] if n["entity"] == "locations" and not n.get("aggregate")]) == 2


def test_tree_output(capsys, demo_url):
    connections = exported(capsys, demo_url, "location_connections")
    loc = str(connections[0]["source_location_id"])
    code, out, _ = run(
        capsys, "graph", "--db", demo_url, "--entity", "locations", "--key", loc, "--depth", "2"
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("locations ") and loc in lines[0]
    assert any(line.startswith("  -> regions ") and "via locations.region_id" in line for line in lines)
    assert any(line.startswith("  ") and "via location_connections (direction=" in line for line in lines)
    assert any(line.startswith("    ") for line in lines)  # the second hop, indented under the first


def test_unknown_key_is_a_one_line_error(capsys, demo_url):
    missing = "00000000-0000-4000-8000-000000000000"
    code, out, err = run(capsys, "graph", "--db", demo_url, "--entity", "locations", "--key", missing)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "no row" in err and "Traceback" not in err
    code, _, err = run(capsys, "graph", "--db", demo_url, "--entity", "locations", "--key", "not-a-uuid")
    assert code == 2 and err.count("\n") == 1 and "UUID" in err
    code, _, err = run(capsys, "graph", "--db", demo_url, "--entity", "nowhere", "--key", "1")
    assert code == 2 and err.count("\n") == 1 and "Unknown entity" in err
    code, _, err = run(
        capsys, "graph", "--db", demo_url, "--entity", "locations", "--key", missing, "--depth", "4"
    )
    assert code == 2 and "depth" in err


@pytest.fixture
def composite_db(tmp_path: Path) -> str:
    """A SQLite file another program made: entries keyed by (book, page), notes pointing at them."""
    path = tmp_path / "books.db"
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE entries (book INTEGER NOT NULL, page INTEGER NOT NULL, heading VARCHAR(40),
            PRIMARY KEY (book, page));
        CREATE TABLE notes (id INTEGER PRIMARY KEY, book INTEGER, page INTEGER, title VARCHAR(40),
            FOREIGN KEY (book, page) REFERENCES entries (book, page));
        INSERT INTO entries VALUES (1, 7, 'Tides'), (1, 8, 'Winds');
        INSERT INTO notes VALUES (1, 1, 7, 'Spring tide'), (2, 1, 7, 'Neap tide'), (3, 1, 8, 'Gale');
        """
    )
    con.commit()
    con.close()
    return str(path)


@pytest.mark.parametrize("key", ["book=1,page=7", "1,7", "[1, 7]", "page=7, book=1"])
def test_composite_keys_in_every_spelling(capsys, composite_db, key):
    code, out, err = run(capsys, "graph", "--db", composite_db, "--entity", "entries", "--key", key, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["nodes"][0]["key"] == [1, 7] and doc["nodes"][0]["label"] == "Tides"
    assert sorted(n["label"] for n in doc["nodes"][1:]) == ["Neap tide", "Spring tide"]
    assert {e["via"] for e in doc["edges"]} == {"notes.book,page"}


def test_composite_key_errors(capsys, composite_db):
    for key, words in (("1", "needs 2 values"), ("shelf=1,page=7", "the key of entries"), ("[1", "JSON")):
        code, _, err = run(capsys, "graph", "--db", composite_db, "--entity", "entries", "--key", key)
        assert code == 2 and words in err and err.count("\n") == 1


def test_a_link_attribute_that_is_not_finite_prints_as_export_writes_it(capsys, composite_db):
    con = sqlite3.connect(composite_db)
    con.executescript(
        """
        CREATE TABLE weights (note INTEGER NOT NULL REFERENCES notes (id), book INTEGER NOT NULL,
            page INTEGER NOT NULL, w REAL, FOREIGN KEY (book, page) REFERENCES entries (book, page));
        INSERT INTO weights VALUES (3, 1, 7, 9e999);
        """
    )
    con.commit()
    con.close()
    code, out, err = run(
        capsys, "graph", "--db", composite_db, "--entity", "entries", "--key", "1,7", "--json"
    )
    assert code == 0, err
    doc = json.loads(out, parse_constant=lambda name: pytest.fail(f"non-strict JSON: {name}"))
    (link,) = [e for e in doc["edges"] if e["kind"] == "link"]
    assert link["via"] == "weights" and link["attributes"] == {"w": "Infinity"}
