"""Repository on both backends: pages, filters, counts, rows, links, save and conflicts, delete preview."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from core.data import repository as repo
from core.data.audit_trail import AUDIT_OFF
from core.data.changes import Delete, Insert, Update
from core.data.repository import Filter
from core.engine.db import Database, open_database
from core.errors import ConflictError, NotFoundError, ReadOnlyError, ValidationError
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from core.schema.models import metadata
from tests.fixtures.foreign import build_foreign

T0 = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)


def uid(n: int) -> uuid.UUID:
    """A readable, ordered UUID for fixtures."""
    return uuid.UUID(int=n)


def insert(db: Database, table: str, rows: list[dict[str, Any]]) -> None:
    """Plain Core inserts, so fixtures do not depend on save() or validation."""
    with db.engine.begin() as conn:
        for row in rows:  # one by one: rows may name different columns
            conn.execute(metadata.tables[table].insert(), row)


def world(db: Database) -> dict[str, uuid.UUID]:
    """Two regions, three locations with connections, NPCs, objects, a player and some inventory."""
    ids = {
        "north": uid(1), "south": uid(2),
        "gate": uid(10), "market": uid(11), "cave": uid(12),
        "c1": uid(20), "c2": uid(21), "c3": uid(22),
        "guard": uid(30), "trader": uid(31), "bat": uid(32),
        "sword": uid(40), "lamp": uid(41), "coin": uid(42),
        "use": uid(50), "alice": uid(60), "inv": uid(70), "sess": uid(80), "hist": uid(90),
    }  # fmt: skip
    insert(db, "regions", [
        {"id": ids["north"], "name": "Northreach", "climate": "cold"},
        {"id": ids["south"], "name": "Southmarch", "parent_region_id": ids["north"], "climate": None},
    ])  # fmt: skip
    insert(db, "locations", [
        {"id": ids["gate"], "region_id": ids["north"], "name": "North Gate", "location_type": "town"},
        {"id": ids["market"], "region_id": ids["north"], "name": "Market", "location_type": "town"},
        {"id": ids["cave"], "region_id": ids["south"], "name": "Bat Cave", "location_type": "cave"},
    ])  # fmt: skip
    insert(db, "location_connections", [
        {"id": ids["c1"], "source_location_id": ids["gate"], "target_location_id": ids["market"],
         "direction": "south", "connection_type": "road"},
        {"id": ids["c2"], "source_location_id": ids["market"], "target_location_id": ids["gate"],
         "direction": "north", "connection_type": "road"},
        {"id": ids["c3"], "source_location_id": ids["cave"], "target_location_id": ids["gate"],
         "direction": "up", "connection_type": "tunnel"},
    ])  # fmt: skip
    insert(db, "npcs", [
        {"id": ids["guard"], "location_id": ids["gate"], "name": "Gate Guard", "npc_type": "guard"},
        {"id": ids["trader"], "location_id": ids["gate"], "name": "Trader Jo", "npc_type": "merchant"},
        {"id": ids["bat"], "location_id": ids["cave"], "name": "Big Bat", "npc_type": "creature",
         "is_hostile": True},
    ])  # fmt: skip
    insert(db, "objects", [
        {"id": ids["sword"], "location_id": ids["gate"], "name": "Rusty Sword", "object_type": "weapon",
         "weight_grams": 1500,
         "properties_json": {"rarity": "common", "stats": {"damage": 4}, "tags": ["old"]},
         "description": "100% rusty_iron"},
        {"id": ids["lamp"], "location_id": ids["gate"], "name": "Oil Lamp", "object_type": "tool",
         "weight_grams": 500, "properties_json": {"rarity": "rare", "lit": True},
         "description": "1000 rusty iron", "is_takeable": False},
        {"id": ids["coin"], "location_id": None, "name": "Gold Coin", "object_type": "treasure",
         "weight_grams": 5, "properties_json": {"rarity": "rare", "stats": {"damage": 0}}},
    ])  # fmt: skip
    insert(db, "object_interactions", [
        {"id": ids["use"], "object_id": ids["lamp"], "required_object_id": ids["coin"],
         "interaction_type": "use"},
    ])  # fmt: skip
    insert(db, "players", [{"id": ids["alice"], "username": "alice", "current_location_id": ids["gate"]}])
    insert(db, "player_inventory", [{"id": ids["inv"], "player_id": ids["alice"], "object_id": ids["sword"]}])
    insert(db, "game_sessions", [{"id": ids["sess"], "player_id": ids["alice"], "started_at": T0}])
    insert(db, "player_history", [
        {"id": ids["hist"], "player_id": ids["alice"], "session_id": ids["sess"], "location_id": ids["gate"],
         "event_type": "login", "description": "logged in", "occurred_at": T0},
    ])  # fmt: skip
    return ids


def regions(db: Database, n: int, climates: list[str | None] | None = None) -> list[uuid.UUID]:
    """`n` regions named r00, r01… with ordered keys and optional climates."""
    keys = [uid(1000 + i) for i in range(n)]
    insert(db, "regions", [
        {"id": k, "name": f"r{i:02d}", "climate": climates[i % len(climates)] if climates else None,
         "danger_level": i % 4}
        for i, k in enumerate(keys)
    ])  # fmt: skip
    return keys


def by_link(groups: list[repo.RelatedGroup]) -> dict[tuple[str, tuple[str, ...]], repo.RelatedGroup]:
    """Related groups by (direction, foreign key columns)."""
    return {(g.direction, g.fk.columns): g for g in groups}


def ids_of(page: repo.Page) -> list[uuid.UUID]:
    """The id column of a page's rows."""
    i = page.columns.index("id")
    return [r[i] for r in page.rows]


def ids_where(
    db: Database, cat: Catalog, entity: str, *filters: Filter, quick: str | None = None
) -> set[str]:
    """Names of all rows matching."""
    page = repo.fetch_page(db, cat, entity, filters=list(filters), quick=quick, limit=1000)
    i = page.columns.index("name")
    return {r[i] for r in page.rows}


# --- pages ----------------------------------------------------------------------------------------


def test_first_next_previous_and_last_page(schema_db):
    cat = load_catalog(schema_db)
    keys = regions(schema_db, 25)
    sort = [("name", False)]
    p1 = repo.fetch_page(schema_db, cat, "regions", sort=sort, limit=10)
    assert ids_of(p1) == keys[:10] and p1.has_more and p1.direction == "forward"
    assert p1.order == [("name", False), ("id", False)]
    assert p1.first_cursor == ("r00", keys[0]) and p1.last_cursor == ("r09", keys[9])
    assert len(p1.rows[0]) == len(p1.columns) and "embedding" in p1.columns
    p2 = repo.fetch_page(schema_db, cat, "regions", sort=sort, limit=10, after=p1.last_cursor)
    assert ids_of(p2) == keys[10:20] and p2.has_more
    p3 = repo.fetch_page(schema_db, cat, "regions", sort=sort, limit=10, after=p2.last_cursor)
    assert ids_of(p3) == keys[20:] and not p3.has_more
    back = repo.fetch_page(schema_db, cat, "regions", sort=sort, limit=10, before=p3.first_cursor)
    assert ids_of(back) == keys[10:20] and back.has_more and back.direction == "backward"
    last = repo.fetch_page(schema_db, cat, "regions", sort=sort, limit=10, from_end=True)
    assert ids_of(last) == keys[15:] and last.has_more
    before_last = repo.fetch_page(schema_db, cat, "regions", sort=sort, limit=10, before=last.first_cursor)
    assert ids_of(before_last) == keys[5:15] and before_last.has_more
    first_again = repo.fetch_page(
        schema_db, cat, "regions", sort=sort, limit=10, before=before_last.first_cursor
    )
    assert ids_of(first_again) == keys[:5] and not first_again.has_more
    # Descending, and cursors given as text (as a GUI or CLI would keep them).
    desc = repo.fetch_page(schema_db, cat, "regions", sort=[("name", True)], limit=3)
    assert ids_of(desc) == keys[::-1][:3]
    nxt = repo.fetch_page(
        schema_db, cat, "regions", sort=[("name", True)], limit=3, after=(desc.last_cursor[0], str(keys[22]))
    )
    assert ids_of(nxt) == keys[::-1][3:6]
    empty = repo.fetch_page(schema_db, cat, "locations", limit=10, from_end=True)
    assert empty.rows == [] and empty.first_cursor is None and not empty.has_more


def test_offset_jump_on_a_keyed_entity_then_keyset(schema_db):
    """A jump to a row position (scrollbar dragged) lands there; its cursors continue by keyset."""
    cat = load_catalog(schema_db)
    keys = regions(schema_db, 25)
    sort = [("name", False)]
    mid = repo.fetch_page(schema_db, cat, "regions", sort=sort, limit=5, offset=12)
    assert ids_of(mid) == keys[12:17] and mid.offset == 12 and mid.has_more
    nxt = repo.fetch_page(schema_db, cat, "regions", sort=sort, limit=5, after=mid.last_cursor)
    assert ids_of(nxt) == keys[17:22] and nxt.offset is None
    prev = repo.fetch_page(schema_db, cat, "regions", sort=sort, limit=5, before=mid.first_cursor)
    assert ids_of(prev) == keys[7:12]


def test_sort_by_nullable_column_keeps_nulls_last_ascending(schema_db):
    cat = load_catalog(schema_db)
    keys = regions(schema_db, 12, climates=["dry", None, "wet", None, "dry", "cold"])
    climate = {k: ["dry", None, "wet", None, "dry", "cold"][i % 6] for i, k in enumerate(keys)}
    full = repo.fetch_page(schema_db, cat, "regions", sort=[("climate", False)], limit=100)
    got = [climate[k] for k in ids_of(full)]
    assert got == ["cold"] * 2 + ["dry"] * 4 + ["wet"] * 2 + [None] * 4
    desc = repo.fetch_page(schema_db, cat, "regions", sort=[("climate", True)], limit=100)
    assert [climate[k] for k in ids_of(desc)] == got[::-1]
    for sort in ([("climate", False)], [("climate", True)], [("climate", True), ("danger_level", False)]):
        whole = ids_of(repo.fetch_page(schema_db, cat, "regions", sort=sort, limit=100))
        walked, cursor = [], None
        while True:
            page = repo.fetch_page(schema_db, cat, "regions", sort=sort, limit=2, after=cursor)
            walked += ids_of(page)
            cursor = page.last_cursor
            if not page.has_more:
                break
        assert walked == whole, sort
        back: list[uuid.UUID] = []
        page = repo.fetch_page(schema_db, cat, "regions", sort=sort, limit=5, from_end=True)
        back = ids_of(page)
        while page.has_more:
            page = repo.fetch_page(schema_db, cat, "regions", sort=sort, limit=5, before=page.first_cursor)
            back = ids_of(page) + back
        assert back == whole, sort


def test_unsortable_and_bad_arguments(schema_db):
    cat = load_catalog(schema_db)
    with pytest.raises(ValidationError, match="cannot sort"):
        repo.fetch_page(schema_db, cat, "regions", sort=[("embedding", False)])
    with pytest.raises(NotFoundError, match="regions has no column 'nope'"):
        repo.fetch_page(schema_db, cat, "regions", sort=[("nope", False)])
    with pytest.raises(ValidationError, match="another sort order"):
        repo.fetch_page(schema_db, cat, "regions", sort=[("name", False)], after=("x",))


# --- filters --------------------------------------------------------------------------------------


def test_each_filter_op(schema_db):
    cat = load_catalog(schema_db)
    ids = world(schema_db)
    names = lambda *fs: ids_where(schema_db, cat, "objects", *fs)  # noqa: E731
    assert names(Filter("weight_grams", "eq", "500")) == {"Oil Lamp"}
    assert names(Filter("name", "eq", "Gold Coin")) == {"Gold Coin"}
    assert names(Filter("id", "eq", str(ids["sword"]))) == {"Rusty Sword"}
    assert names(Filter("is_takeable", "eq", "false")) == {"Oil Lamp"}
    assert names(Filter("is_takeable", "eq", "True")) == {"Rusty Sword", "Gold Coin"}
    # "ne" keeps rows where the column is NULL: they are not equal to the value either.
    assert names(Filter("location_id", "ne", str(ids["gate"]))) == {"Gold Coin"}
    assert names(Filter("weight_grams", "ne", 5)) == {"Rusty Sword", "Oil Lamp"}
    assert names(Filter("name", "contains", "LAMP")) == {"Oil Lamp"}
    assert names(Filter("description", "contains", "0%")) == {"Rusty Sword"}  # % is literal
    assert names(Filter("description", "contains", "y_i")) == {"Rusty Sword"}  # _ is literal
    assert names(Filter("description", "contains", "rusty")) == {"Rusty Sword", "Oil Lamp"}
    assert names(Filter("weight_grams", "range", ("100", None))) == {"Rusty Sword", "Oil Lamp"}
    assert names(Filter("weight_grams", "range", (None, 500))) == {"Oil Lamp", "Gold Coin"}
    assert names(Filter("weight_grams", "range", (5, 500))) == {"Oil Lamp", "Gold Coin"}
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    assert len(names(Filter("created_at", "range", ("2020-01-01T00:00:00Z", future)))) == 3
    assert names(Filter("created_at", "range", (future, None))) == set()
    assert names(Filter("object_type", "in", ["weapon", "treasure"])) == {"Rusty Sword", "Gold Coin"}
    assert names(Filter("location_id", "in", [None])) == {"Gold Coin"}
    assert names(Filter("object_type", "in", [])) == set()
    assert names(Filter("location_id", "is_null")) == {"Gold Coin"}
    assert names(Filter("description", "not_null")) == {"Rusty Sword", "Oil Lamp"}
    assert names(Filter("properties_json", "json_eq", (["rarity"], "rare"))) == {"Oil Lamp", "Gold Coin"}
    assert names(Filter("properties_json", "json_eq", (["stats", "damage"], 4))) == {"Rusty Sword"}
    assert names(Filter("properties_json", "json_eq", (["stats", "damage"], 0))) == {"Gold Coin"}
    assert names(Filter("properties_json", "json_eq", (["lit"], True))) == {"Oil Lamp"}
    assert names(Filter("properties_json", "json_eq", (["tags", 0], "old"))) == {"Rusty Sword"}
    assert names(Filter("properties_json", "json_eq", (["stats"], None))) == {"Oil Lamp"}
    # A number is not the string "4", and true is not 1.
    assert names(Filter("properties_json", "json_eq", (["stats", "damage"], "4"))) == set()
    assert names(Filter("properties_json", "json_eq", (["lit"], 1))) == set()
    heavy = Filter("weight_grams", "range", (1000, None))
    assert names(Filter("object_type", "in", ["weapon", "tool"]), heavy) == {"Rusty Sword"}


def test_filter_errors_are_one_line(schema_db):
    cat = load_catalog(schema_db)
    world(schema_db)
    with pytest.raises(NotFoundError, match="locations has no column 'x'"):
        repo.fetch_page(schema_db, cat, "locations", filters=[Filter("x", "eq", 1)])
    cases = [
        (Filter("weight_grams", "eq", "heavy"), "weight_grams: cannot read 'heavy' as a whole number"),
        (Filter("id", "eq", "not-a-uuid"), "cannot read 'not-a-uuid' as a UUID"),
        (Filter("is_takeable", "eq", "maybe"), "expected true or false"),
        (Filter("created_at", "range", ("yesterday", None)), "as a date and time"),
        (Filter("object_type", "eq", "spoon"), "expected one of weapon"),
        (Filter("name", "like", "x"), "unknown filter 'like'"),
        (Filter("properties_json", "eq", "x"), "use json_eq"),
        (Filter("name", "json_eq", (["a"], 1)), "not a JSON column"),
        (Filter("weight_grams", "range", 5), "range needs"),
    ]
    for f, message in cases:
        with pytest.raises(ValidationError, match=message) as info:
            repo.fetch_page(schema_db, cat, "objects", filters=[f])
        assert "\n" not in str(info.value)


def test_quick_search(schema_db):
    cat = load_catalog(schema_db)
    ids = world(schema_db)
    assert ids_where(schema_db, cat, "objects", quick="rusty") == {"Rusty Sword", "Oil Lamp"}
    assert ids_where(schema_db, cat, "objects", quick="TREASURE") == {"Gold Coin"}  # enum column
    assert ids_where(schema_db, cat, "objects", quick=str(ids["lamp"])) == {"Oil Lamp"}  # a pasted id
    assert ids_where(schema_db, cat, "objects", quick="   ") == {"Rusty Sword", "Oil Lamp", "Gold Coin"}
    assert ids_where(schema_db, cat, "objects", quick="%") == {"Rusty Sword"}
    assert ids_where(schema_db, cat, "npcs", Filter("is_hostile", "eq", False), quick="t") == {
        "Gate Guard",
        "Trader Jo",
    }


# --- counts, rows, links --------------------------------------------------------------------------


def test_counts(schema_db):
    cat = load_catalog(schema_db)
    regions(schema_db, 30, climates=["dry", None])
    ent = cat.get("regions")
    assert repo.exact_count(schema_db, ent) == 30
    assert repo.exact_count(schema_db, ent, [Filter("climate", "is_null")]) == 15
    assert repo.exact_count(schema_db, ent, quick="r1") == 10
    assert repo.estimate_count(schema_db, ent) == 30  # small tables are counted exactly
    assert repo.estimate_count(schema_db, ent, [Filter("climate", "eq", "dry")]) == 15
    assert repo.estimate_count(schema_db, cat.get("locations")) == 0


def test_estimate_count_on_a_big_table_is_cheap_and_close(schema_db):
    cat = load_catalog(schema_db)
    n = repo.ESTIMATE_CAP + 500
    with schema_db.engine.begin() as conn:
        conn.execute(metadata.tables["regions"].insert(), [{"id": uid(i), "name": f"r{i}"} for i in range(n)])
    if schema_db.backend == "postgresql":
        with schema_db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE regions")
    estimate = repo.estimate_count(schema_db, cat.get("regions"))
    assert estimate > repo.ESTIMATE_CAP and abs(estimate - n) <= n * 0.2
    capped = repo.estimate_count(schema_db, cat.get("regions"), [Filter("name", "contains", "r")])
    assert capped == repo.ESTIMATE_CAP + 1  # "at least": filters are never counted in full


def test_sqlite_estimate_reads_sqlite_stat1_once_analysed(tmp_path):
    db = open_database(tmp_path / "stat.db", create=True)
    metadata.create_all(db.engine)
    cat = load_catalog(db)
    n = repo.ESTIMATE_CAP + 2000
    with db.engine.begin() as conn:
        conn.execute(metadata.tables["regions"].insert(), [{"id": uid(i), "name": f"r{i}"} for i in range(n)])
        conn.exec_driver_sql("DELETE FROM regions WHERE name LIKE 'r5%'")  # a hole in the rowid span
    left = n - sum(1 for i in range(n) if str(i).startswith("5"))
    assert left > repo.ESTIMATE_CAP
    assert repo.estimate_count(db, cat.get("regions")) == n  # rowid span: no sqlite_stat1 yet
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    assert repo.estimate_count(db, cat.get("regions")) == left  # the analysed count
    db.dispose()


def test_get_row(schema_db):
    cat = load_catalog(schema_db)
    ids = world(schema_db)
    row = repo.get_row(schema_db, cat, "objects", {"id": str(ids["sword"])})
    assert row["name"] == "Rusty Sword" and row["id"] == ids["sword"]
    assert row["properties_json"]["stats"] == {"damage": 4}
    assert row["created_at"].tzinfo is not None and row["embedding"] is None
    with pytest.raises(NotFoundError, match="objects has no row with id="):
        repo.get_row(schema_db, cat, "objects", {"id": uid(999)})
    with pytest.raises(ValidationError, match="the key needs id"):
        repo.get_row(schema_db, cat, "objects", {})


def test_related_both_directions_for_a_location(schema_db):
    cat = load_catalog(schema_db)
    ids = world(schema_db)
    groups = repo.related(schema_db, cat, "locations", {"id": ids["gate"]}, limit=1)
    by = {(g.direction, g.fk.entity, g.fk.columns): g for g in groups}
    region = by[("outgoing", "locations", ("region_id",))]
    assert region.entity == "regions" and region.count == 1 and region.labels == ["Northreach"]
    assert "embedding" not in region.columns  # vectors are left out of neighbour lists
    assert by[("incoming", "objects", ("location_id",))].count == 2
    objects = by[("incoming", "objects", ("location_id",))]
    assert len(objects.rows) == 1 and objects.labels == ["Oil Lamp"]  # limit, ordered by label
    assert by[("incoming", "npcs", ("location_id",))].count == 2
    assert by[("incoming", "location_connections", ("source_location_id",))].count == 1
    assert by[("incoming", "location_connections", ("target_location_id",))].count == 2
    assert by[("incoming", "players", ("current_location_id",))].count == 1
    assert by[("incoming", "player_history", ("location_id",))].count == 1
    cave = repo.related(schema_db, cat, "locations", {"id": ids["cave"]})
    out = {g.entity: g for g in cave if g.direction == "outgoing"}
    assert out["regions"].labels == ["Southmarch"]
    # A nullable reference that is NULL has nothing on the other end.
    south = by_link(repo.related(schema_db, cat, "regions", {"id": ids["south"]}))
    assert south[("outgoing", ("parent_region_id",))].labels == ["Northreach"]
    north = by_link(repo.related(schema_db, cat, "regions", {"id": ids["north"]}))
    assert north[("outgoing", ("parent_region_id",))].count == 0
    assert north[("incoming", ("parent_region_id",))].count == 1
    with pytest.raises(NotFoundError):
        repo.related(schema_db, cat, "locations", {"id": uid(5)})


# --- save -----------------------------------------------------------------------------------------


def test_save_inserts_updates_and_deletes_in_one_transaction(schema_db):
    cat = load_catalog(schema_db)
    ids = world(schema_db)
    lamp = repo.get_row(schema_db, cat, "objects", {"id": ids["lamp"]})
    result = repo.save(schema_db, cat, [
        Insert("objects", {"name": "Torch", "object_type": "tool", "weight_grams": "300",
                           "location_id": ids["cave"]}),
        Insert("regions", {"name": "Westwild"}),
        Update("objects", {"id": ids["lamp"]}, {"name": "Brass Lamp", "weight_grams": 450},
               original={"name": "Oil Lamp", "weight_grams": 500}, version=lamp["version"]),
        Delete("location_connections", {"id": ids["c3"]}, version=1),
    ])  # fmt: skip
    assert [s.entity for s in result.inserted] == ["objects", "regions"]
    torch_key = result.inserted[0].key
    assert isinstance(torch_key["id"], uuid.UUID) and result.inserted[0].version == 1
    torch = repo.get_row(schema_db, cat, "objects", torch_key)
    assert torch["weight_grams"] == 300 and torch["properties_json"] == {} and torch["created_at"] is not None
    assert result.updated[0].key == {"id": ids["lamp"]} and result.updated[0].version == lamp["version"] + 1
    new_lamp = repo.get_row(schema_db, cat, "objects", {"id": ids["lamp"]})
    assert new_lamp["name"] == "Brass Lamp" and new_lamp["version"] == lamp["version"] + 1
    assert new_lamp["updated_at"] > lamp["updated_at"]  # the Table's onupdate ran
    assert result.deleted[0].key == {"id": ids["c3"]}
    with pytest.raises(NotFoundError):
        repo.get_row(schema_db, cat, "location_connections", {"id": ids["c3"]})


def test_stale_version_conflicts_and_nothing_of_the_batch_is_written(schema_db):
    cat = load_catalog(schema_db)
    ids = world(schema_db)
    loaded = repo.get_row(schema_db, cat, "npcs", {"id": ids["guard"]})
    other = repo.save(schema_db, cat, [
        Update("npcs", {"id": ids["guard"]}, {"name": "Captain"}, original={"name": "Gate Guard"},
               version=loaded["version"]),
    ])  # fmt: skip
    assert other.updated[0].version == loaded["version"] + 1
    gone = repo.get_row(schema_db, cat, "npcs", {"id": ids["bat"]})
    repo.save(schema_db, cat, [Delete("npcs", {"id": ids["bat"]}, version=gone["version"])])
    with pytest.raises(ConflictError) as info:
        repo.save(schema_db, cat, [
            Insert("regions", {"name": "Never Written"}),
            Update("npcs", {"id": ids["trader"]}, {"description": "fine"}, version=1),
            Update("npcs", {"id": ids["guard"]}, {"name": "Sergeant"}, original={"name": "Gate Guard"},
                   version=loaded["version"]),
            Update("npcs", {"id": ids["bat"]}, {"name": "Bigger Bat"}, version=gone["version"]),
        ])  # fmt: skip
    conflicts = info.value.conflicts
    assert [c.key["id"] for c in conflicts] == [ids["guard"], ids["bat"]]
    assert conflicts[0].entity == "npcs" and conflicts[0].stored["name"] == "Captain"
    assert conflicts[0].stored["version"] == loaded["version"] + 1
    assert conflicts[0].attempted == {"name": "Sergeant"}
    assert conflicts[1].stored is None  # deleted meanwhile
    assert "nothing was saved" in str(info.value)
    page = repo.fetch_page(schema_db, cat, "regions", filters=[Filter("name", "eq", "Never Written")])
    assert page.rows == []
    assert repo.get_row(schema_db, cat, "npcs", {"id": ids["trader"]})["description"] is None
    with pytest.raises(ConflictError):
        repo.save(schema_db, cat, [Delete("npcs", {"id": ids["guard"]}, version=loaded["version"])])
    assert repo.get_row(schema_db, cat, "npcs", {"id": ids["guard"]})["name"] == "Captain"


def test_conflict_check_by_original_json_and_null_values(schema_db):
    cat = load_catalog(schema_db)
    ids = world(schema_db)
    sword = repo.get_row(schema_db, cat, "objects", {"id": ids["sword"]})
    props = sword["properties_json"]
    # Without a loaded version the edited columns' loaded values are compared instead.
    done = repo.save(schema_db, cat, [
        Update("objects", {"id": ids["sword"]}, {"properties_json": {**props, "rarity": "epic"}},
               original={"properties_json": props}),
        Update("objects", {"id": ids["coin"]}, {"description": "shiny"}, original={"description": None}),
    ])  # fmt: skip
    assert [u.version for u in done.updated] == [sword["version"] + 1, 2]
    with pytest.raises(ConflictError) as info:
        repo.save(schema_db, cat, [
            Update("objects", {"id": ids["sword"]}, {"properties_json": {}},
                   original={"properties_json": props}),
            Update("objects", {"id": ids["coin"]}, {"description": "dull"}, original={"description": None}),
        ])  # fmt: skip
    stored = [c.stored for c in info.value.conflicts]
    assert stored[0]["properties_json"]["rarity"] == "epic" and stored[1]["description"] == "shiny"


def test_conflict_without_version_column_uses_original_values(empty_url):
    build_foreign(empty_url)
    db = open_database(empty_url)
    try:
        cat = load_catalog(db)
        assert cat.get("guilds").version_column is None
        loaded = repo.get_row(db, cat, "guilds", {"guild_id": "1"})
        assert loaded["title"] == "Ashen Hand"
        first = repo.save(db, cat, [
            Update("guilds", {"guild_id": 1}, {"title": "Ashen Fist"}, original={"title": "Ashen Hand"}),
        ], audit=AUDIT_OFF)  # fmt: skip
        assert first.updated[0].version is None
        # Another column changed meanwhile does not conflict: only edited columns are compared.
        repo.save(
            db,
            cat,
            [Update("guilds", {"guild_id": 1}, {"motto": "x"}, original={"motto": "motto 0"})],
            audit=AUDIT_OFF,
        )
        with pytest.raises(ConflictError) as info:
            repo.save(db, cat, [
                Insert("guilds", {"title": "Phantom"}),
                Update("guilds", {"guild_id": 1}, {"title": "Ashen Claw"}, original={"title": "Ashen Hand"}),
            ], audit=AUDIT_OFF)  # fmt: skip
        (c,) = info.value.conflicts
        assert c.stored["title"] == "Ashen Fist" and c.attempted == {"title": "Ashen Claw"}
        assert repo.exact_count(db, cat.get("guilds")) == 3
        # NULL originals compare with IS NOT DISTINCT FROM.
        nulled = Update("guilds", {"guild_id": 2}, {"motto": None}, original={"motto": "motto 1"})
        repo.save(db, cat, [nulled], audit=AUDIT_OFF)
        repo.save(
            db,
            cat,
            [Update("guilds", {"guild_id": 2}, {"motto": "back"}, original={"motto": None})],
            audit=AUDIT_OFF,
        )
        assert repo.get_row(db, cat, "guilds", {"guild_id": 2})["motto"] == "back"
        # Inserting into an autoincrement table returns the new integer key; deleting cascades in the DB.
        added = repo.save(db, cat, [Insert("guilds", {"title": "Newcomers"})], audit=AUDIT_OFF)
        # (PostgreSQL sequences do not roll back, so the rolled-back "Phantom" used up a number there.)
        new_key = added.inserted[0].key
        assert list(new_key) == ["guild_id"] and new_key["guild_id"] > 3
        assert repo.get_row(db, cat, "guilds", new_key)["rank"] == "bronze"  # server default
        repo.save(
            db, cat, [Delete("guilds", {"guild_id": 1}, original={"title": "Ashen Fist"})], audit=AUDIT_OFF
        )
        assert repo.exact_count(db, cat.get("members")) == 4  # the database cascaded
    finally:
        db.dispose()


def test_delete_preview_on_a_reflected_database(empty_url):
    build_foreign(empty_url)
    db = open_database(empty_url)
    try:
        cat = load_catalog(db)
        preview = repo.delete_preview(db, cat, "guilds", [{"guild_id": 1}])
        assert preview.summary() == [("members", "cascade", 2)] and not preview.blocked
    finally:
        db.dispose()


def test_read_only_entity_refuses_save_and_pages_by_offset(empty_url):
    build_foreign(empty_url)
    db = open_database(empty_url)
    try:
        with db.engine.begin() as conn:
            for i in range(4):
                conn.execute(sa.text("INSERT INTO audit_log (message) VALUES (:m)"), {"m": f"event {i}"})
        cat = load_catalog(db)
        if db.backend == "sqlite":  # SQLite keys it by its rowid (tests/core/test_keyless_tables.py)
            assert cat.get("audit_log").key_source == "rowid"
            return
        with pytest.raises(ReadOnlyError, match="audit_log is read-only: it has no primary key"):
            repo.save(db, cat, [Insert("audit_log", {"message": "nope"})])
        assert repo.exact_count(db, cat.get("audit_log")) == 5
        sort = [("message", False)]
        p1 = repo.fetch_page(db, cat, "audit_log", sort=sort, limit=2)
        assert p1.offset == 0 and p1.has_more and p1.first_cursor is None
        assert [r[1] for r in p1.rows] == ["created", "event 0"]
        p3 = repo.fetch_page(db, cat, "audit_log", sort=sort, limit=2, offset=4)
        assert [r[1] for r in p3.rows] == ["event 3"] and not p3.has_more
        last = repo.fetch_page(db, cat, "audit_log", sort=sort, limit=2, from_end=True)
        assert last.offset == 3 and [r[1] for r in last.rows] == ["event 2", "event 3"]
        with pytest.raises(ReadOnlyError, match="view"):
            repo.save(db, cat, [Delete("gold_guilds", {"guild_id": 1})])
    finally:
        db.dispose()


def test_invalid_batch_writes_nothing(schema_db):
    cat = load_catalog(schema_db)
    world(schema_db)
    with pytest.raises(ValidationError):
        repo.save(schema_db, cat, [
            Insert("regions", {"name": "Valid"}),
            Insert("locations", {"name": "No Region", "location_type": "town"}),
        ])  # fmt: skip
    assert repo.exact_count(schema_db, cat.get("regions"), [Filter("name", "eq", "Valid")]) == 0


def test_database_refusal_rolls_back_the_batch(schema_db):
    cat = load_catalog(schema_db)
    ids = world(schema_db)
    # Deleting a region that locations still reference is refused by RESTRICT in the database.
    with pytest.raises(ValidationError):
        repo.save(schema_db, cat, [
            Insert("regions", {"name": "Doomed"}),
            Delete("regions", {"id": ids["south"]}, version=1),
        ])  # fmt: skip
    assert repo.exact_count(schema_db, cat.get("regions")) == 2


# --- delete preview, export -----------------------------------------------------------------------


def test_delete_preview(schema_db):
    cat = load_catalog(schema_db)
    ids = world(schema_db)
    loc = repo.delete_preview(schema_db, cat, "locations", [{"id": ids["gate"]}])
    assert loc.rows == 1 and not loc.blocked
    assert sorted(loc.summary()) == [
        ("location_connections", "cascade", 3),
        ("npcs", "set null", 2),
        ("objects", "set null", 2),
        ("player_history", "set null", 1),
        ("players", "set null", 1),
    ]
    region = repo.delete_preview(schema_db, cat, "regions", [{"id": str(ids["north"])}])
    assert region.blocked
    assert ("locations", "block", 2) in region.summary() and ("regions", "set null", 1) in region.summary()
    # c1 links gate and market both ways: counted once.
    both = repo.delete_preview(schema_db, cat, "locations", [{"id": ids["gate"]}, {"id": ids["market"]}])
    assert ("location_connections", "cascade", 3) in both.summary()
    (conn_effect,) = [e for e in both.effects if e.entity == "location_connections"]
    assert {fk.columns for fk in conn_effect.fks} == {("source_location_id",), ("target_location_id",)}
    # Cascades are followed: a player's sessions go, and history rows of those sessions lose the link.
    player = repo.delete_preview(schema_db, cat, "players", [{"id": ids["alice"]}])
    depth = {(e.entity, e.action): e.depth for e in player.effects}
    assert depth == {
        ("game_sessions", "cascade"): 1,
        ("player_history", "cascade"): 1,
        ("player_inventory", "cascade"): 1,
        ("player_history", "set null"): 2,
    }
    empty = repo.delete_preview(schema_db, cat, "locations", [{"id": uid(12345)}])
    assert empty.rows == 0 and empty.effects == [] and not empty.blocked


def test_export_rows_streams_dicts(schema_db):
    cat = load_catalog(schema_db)
    regions(schema_db, 23, climates=["dry", None])
    rows = repo.export_rows(schema_db, cat, "regions", sort=[("name", True)], batch=5)
    first = next(rows)
    assert first["name"] == "r22" and set(first) == set(cat.get("regions").column_names)
    assert [r["name"] for r in rows] == [f"r{i:02d}" for i in range(21, -1, -1)]
    is_dry = [Filter("climate", "eq", "dry")]
    dry = list(repo.export_rows(schema_db, cat, "regions", filters=is_dry, quick="r0"))
    assert [r["name"] for r in dry] == ["r00", "r02", "r04", "r06", "r08"]
    assert json.dumps([{k: repo.to_jsonable(v) for k, v in r.items()} for r in dry])
    with pytest.raises(NotFoundError):
        repo.export_rows(schema_db, cat, "regions", sort=[("nope", False)])


def test_to_jsonable():
    when = dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    value = {
        "id": uid(1),
        "price": Decimal("12.50"),
        "at": when,
        "naive": dt.datetime(2024, 5, 1, 10, 0),
        "day": dt.date(2024, 5, 1),
        "vec": np.array([0.5, 1.0], dtype=np.float32),
        "blob": b"\x00\xff",
        "nested": [{"n": np.int64(3)}],
    }
    out = repo.to_jsonable(value)
    assert out == {
        "id": "00000000-0000-0000-0000-000000000001",
        "price": "12.50",
        "at": "2024-05-01T12:30:00+02:00",
        "naive": "2024-05-01T10:00:00+00:00",
        "day": "2024-05-01",
        "vec": [0.5, 1.0],
        "blob": "AP8=",
        "nested": [{"n": 3}],
    }
    json.dumps(out)
