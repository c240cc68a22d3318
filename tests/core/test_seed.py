"""Demo data: deterministic, consistent, plausible, and the same on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from core.engine.db import Database, open_database
from core.schema.models import metadata
from core.seed import EPOCH, OPPOSITE, SeedError, expected_counts, seed
from core.types import UTCDateTime
from tests.fixtures.postgres import BACKENDS, new_pg_database

T = metadata.tables


def _fresh(url: str) -> Database:
    db = open_database(url, create=True)
    metadata.create_all(db.engine)
    return db


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """One database per backend, seeded once at scale 1 and only read by the tests."""
    if request.param == "sqlite":
        url = str(tmp_path_factory.mktemp("seed") / "demo.db")
    else:
        url = new_pg_database(request.getfixturevalue("pg_server"))
    db = _fresh(url)
    seed(db, scale=1, seed=42)
    yield db
    db.dispose()


def _rows(db: Database, table: str, *cols: str) -> list[sa.Row[Any]]:
    t = T[table]
    with db.engine.connect() as conn:
        columns = [t.c[c] for c in cols] if cols else list(t.c)
        return list(conn.execute(sa.select(*columns).order_by(t.c.id)))


def _count(db: Database, table: str) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(T[table])).scalar_one())


def _dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every seeded table, typed, ordered by key."""
    return {name: [tuple(r) for r in _rows(db, name)] for name in expected_counts(1)}


def test_counts_meet_the_minimums(seeded: Database) -> None:
    expected = expected_counts(1)
    actual = {name: _count(seeded, name) for name in expected}
    assert actual == expected
    assert actual["regions"] >= 8 and actual["locations"] >= 200
    assert actual["tool_executions"] == 10_000
    assert all(actual[t] > 0 for t in expected)
    big = expected_counts(100)
    assert big["tool_executions"] == 1_000_000 and big["locations"] == actual["locations"]


def test_regions_nest_at_least_two_levels(seeded: Database) -> None:
    parent = {r.id: r.parent_region_id for r in _rows(seeded, "regions", "id", "parent_region_id")}
    assert len(parent) >= 8

    def depth(rid: uuid.UUID) -> int:
        return 0 if parent[rid] is None else 1 + depth(parent[rid])

    assert max(depth(r) for r in parent) >= 2
    assert sum(p is None for p in parent.values()) >= 2


def test_location_graph_is_one_connected_graph(seeded: Database) -> None:
    ids = {r.id for r in _rows(seeded, "locations", "id")}
    links: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for r in _rows(seeded, "location_connections", "source_location_id", "target_location_id"):
        links[r.source_location_id].add(r.target_location_id)
        links[r.target_location_id].add(r.source_location_id)
    start = next(iter(ids))
    seen, todo = {start}, deque([start])
    while todo:
        for nxt in links[todo.popleft()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    assert seen == ids


def test_connections_have_consistent_reverse_directions(seeded: Database) -> None:
    rows = _rows(seeded, "location_connections", "source_location_id", "target_location_id", "direction",
                 "connection_type", "is_bidirectional")
    edges = {(r.source_location_id, r.target_location_id, r.direction) for r in rows}
    two_way = [r for r in rows if r.is_bidirectional]
    assert len(two_way) > 0.9 * len(rows)
    for r in two_way:
        assert (r.target_location_id, r.source_location_id, OPPOSITE[r.direction]) in edges
    # one exit per direction per location, so "go north" is never ambiguous
    exits = Counter((r.source_location_id, r.direction) for r in rows)
    assert max(exits.values()) == 1
    assert {r.connection_type for r in rows} >= {"road", "path", "door"}


def test_world_is_populated_and_reads_like_a_game(seeded: Database) -> None:
    locs = _rows(seeded, "locations", "name", "short_description", "full_description", "state_json")
    assert len({r.name for r in locs}) == len(locs)
    assert len({r.full_description for r in locs}) == len(locs)
    assert all(r.short_description and len(r.short_description) <= 280 for r in locs)
    assert all("exit" in r.full_description.lower() for r in locs)
    assert all(isinstance(r.state_json, dict) and "lit" in r.state_json for r in locs)
    text = " ".join(r.full_description for r in locs).lower()
    assert "lorem" not in text and "ipsum" not in text
    npcs = _rows(seeded, "npcs", "location_id", "personality_json", "knowledge_json")
    assert sum(n.location_id is not None for n in npcs) > 0.9 * len(npcs)
    assert all(n.personality_json["traits"] for n in npcs)
    objs = _rows(seeded, "objects", "location_id", "properties_json")
    assert sum(o.location_id is not None for o in objs) > 0.7 * len(objs)
    assert all("value" in o.properties_json for o in objs)
    rels = _rows(seeded, "npc_relationships", "npc_id", "other_npc_id", "strength")
    assert all(-100 <= r.strength <= 100 and r.npc_id != r.other_npc_id for r in rels)


def test_players_have_lives(seeded: Database) -> None:
    players = _rows(seeded, "players", "id", "username", "settings_json", "current_location_id")
    assert len({p.username for p in players}) == len(players)
    assert all(p.current_location_id is not None and p.settings_json for p in players)
    ids = {p.id for p in players}
    for table in ("player_inventory", "player_knowledge", "player_skills", "game_sessions", "player_history"):
        assert {r.player_id for r in _rows(seeded, table, "player_id")} == ids, table
    knowledge = _rows(seeded, "player_knowledge", "source_npc_id")
    assert sum(k.source_npc_id is not None for k in knowledge) > 0.8 * len(knowledge)
    assert all(r.quantity > 0 for r in _rows(seeded, "player_inventory", "quantity"))
    events = Counter(r.event_type for r in _rows(seeded, "player_history", "event_type"))
    assert events["move"] > 0 and events["login"] > 0 and events["talk"] > 0


def test_users_are_unique(seeded: Database) -> None:
    users = _rows(seeded, "users", "email", "username", "role", "is_active", "metadata")
    assert len({u.email for u in users}) == len({u.username for u in users}) == len(users)
    assert {u.role for u in users} == {"player", "designer", "support", "admin"}
    assert {u.is_active for u in users} == {True, False}
    assert all(u.metadata["locale"] for u in users)


def test_tool_executions_look_like_real_logs(seeded: Database) -> None:
    tools = _rows(seeded, "tool_executions", "correlation_id", "agent_id", "status", "error_message",
                  "outputs_json")
    status = Counter(t.status for t in tools)
    assert 0.03 <= status["error"] / len(tools) <= 0.08
    assert status["success"] > 0.8 * len(tools)
    assert status["timeout"] > 0 and len(status) >= 3
    assert all(t.error_message for t in tools if t.status in ("error", "timeout"))
    assert all(t.error_message is None and t.outputs_json for t in tools if t.status == "success")
    per_corr = Counter(t.correlation_id for t in tools)
    assert max(per_corr.values()) > 1 and sum(n > 1 for n in per_corr.values()) > len(per_corr) / 2
    agent_corr = {a.id: a.correlation_id for a in _rows(seeded, "agent_executions", "id", "correlation_id")}
    assert all(agent_corr[t.agent_id] == t.correlation_id for t in tools)


def test_orders_add_up_to_the_cent(seeded: Database) -> None:
    orders = _rows(seeded, "orders", "id", "order_number", "user_id", "subtotal", "tax", "total")
    assert len({o.order_number for o in orders}) == len(orders)
    assert 0 < sum(o.user_id is None for o in orders) < 0.2 * len(orders)
    lines: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    for i in _rows(seeded, "order_items", "order_id", "quantity", "unit_price"):
        assert i.quantity > 0
        lines[i.order_id] += i.quantity * i.unit_price
    for o in orders:
        assert o.total == o.subtotal + o.tax
        assert o.subtotal == lines[o.id]
        assert o.total.as_tuple().exponent == -2
    products = _rows(seeded, "products", "sku", "price", "stock", "tags")
    assert len({p.sku for p in products}) == len(products)
    assert all(p.price >= 0 and p.stock >= 0 and isinstance(p.tags, list) for p in products)


def test_documents_and_round_tables(seeded: Database) -> None:
    docs = _rows(seeded, "rag_documents", "source_path", "content", "content_hash", "chunk_index",
                 "chunk_total")
    by_path: dict[str, list[sa.Row[Any]]] = defaultdict(list)
    for d in docs:
        assert d.content_hash == hashlib.sha256(d.content.encode()).hexdigest()
        by_path[d.source_path].append(d)
    for chunks in by_path.values():
        assert sorted(c.chunk_index for c in chunks) == list(range(chunks[0].chunk_total))
    tables = _rows(seeded, "llm_round_table_results", "participants", "status", "consensus",
                   "transcript_json")
    assert all(len(t.participants) >= 2 and t.transcript_json["rounds"] for t in tables)
    assert all(t.consensus is None for t in tables if t.status == "failed")


def test_embeddings_stay_null(seeded: Database) -> None:
    with seeded.engine.connect() as conn:
        for t in metadata.sorted_tables:
            if "embedding" in t.c:
                filled = sa.select(sa.func.count()).where(t.c.embedding.is_not(None))
                assert conn.execute(filled).scalar() == 0, t.name


def test_timestamps_come_before_the_epoch(seeded: Database) -> None:
    """Demo time is fixed: nothing happens after 2026-01-01 UTC, whatever day the seed runs."""
    with seeded.engine.connect() as conn:
        for name in expected_counts(1):
            for col in T[name].c:
                if isinstance(col.type, UTCDateTime):
                    latest = conn.execute(sa.select(sa.func.max(col))).scalar()
                    assert latest is None or latest <= EPOCH, col


def test_same_seed_same_rows_on_both_backends(seeded: Database, tmp_path: Path) -> None:
    """SQLite: two fresh files hold identical rows; PostgreSQL: the same rows as SQLite."""
    other = _fresh(str(tmp_path / "again.db"))
    try:
        seed(other, scale=1, seed=42)
        assert _dump(other) == _dump(seeded)
    finally:
        other.dispose()


def test_another_seed_gives_other_rows(tmp_path: Path) -> None:
    a, b = _fresh(str(tmp_path / "a.db")), _fresh(str(tmp_path / "b.db"))
    try:
        seed(a, seed=1)
        seed(b, seed=2)
        assert _rows(a, "locations", "name") != _rows(b, "locations", "name")
        assert _rows(a, "tool_executions", "id")[:10] != _rows(b, "tool_executions", "id")[:10]
    finally:
        a.dispose()
        b.dispose()


@pytest.fixture(scope="module")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A SQLite database seeded through the fast path (the only backend that has one)."""
    db = _fresh(str(tmp_path_factory.mktemp("seed_fast") / "demo.db"))
    seed(db, scale=1, seed=42)
    yield db
    db.dispose()


def test_sqlite_stored_form_is_what_sqlalchemy_writes(seeded_sqlite: Database, tmp_path: Path) -> None:
    """The fast path writes exactly what Core/ORM inserts would (SQL NULL for a missing JSON value)."""
    seeded = seeded_sqlite
    copy = _fresh(str(tmp_path / "copy.db"))
    with seeded.engine.connect() as src, copy.engine.begin() as dst:
        dst.exec_driver_sql("PRAGMA foreign_keys = OFF")
        for name in expected_counts(1):
            t = T[name]
            rows = src.execute(sa.select(t).order_by(t.c.id).limit(50)).mappings().all()
            for row in rows:
                values = {k: (sa.null() if v is None else v) for k, v in row.items()}
                dst.execute(t.insert().values(**values))
            sql = f"SELECT * FROM {name} ORDER BY id LIMIT 50"
            assert dst.exec_driver_sql(sql).all() == src.exec_driver_sql(sql).all(), name
    with seeded.engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT id, created_at, outputs_json FROM tool_executions LIMIT 1").one()
    assert len(raw.id) == 32 and uuid.UUID(raw.id).version == 4
    assert len(raw.created_at) == 26 and "T" not in raw.created_at
    assert raw.outputs_json is None or isinstance(json.loads(raw.outputs_json), dict)
    copy.dispose()


def test_sqlite_indexes_survive_the_bulk_load(tmp_path: Path) -> None:
    db = _fresh(str(tmp_path / "idx.db"))
    query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
    with db.engine.connect() as conn:
        before = conn.exec_driver_sql(query).all()

    def give_up(table: str, done: int, total: int) -> None:
        if table == "orders":
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        seed(db, progress=give_up)
    with db.engine.connect() as conn:  # the dropped indexes came back with the rollback
        assert conn.exec_driver_sql(query).all() == before
    seed(db)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql(query).all() == before
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    db.dispose()


def test_progress_refusals_and_rollback(schema_db: Database) -> None:
    with pytest.raises(SeedError, match="at least 1"):
        seed(schema_db, scale=0)

    def give_up(table: str, done: int, total: int) -> None:
        if table == "tool_executions":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        seed(schema_db, progress=give_up)
    assert all(_count(schema_db, t) == 0 for t in expected_counts(1)), "nothing is half-written"
    calls: list[tuple[str, int, int]] = []
    counts = seed(schema_db, progress=lambda *a: calls.append(a))
    last = {table: (done, total) for table, done, total in calls}
    assert last == {t: (n, n) for t, n in counts.items()}
    assert all(done <= total for _, done, total in calls)
    with pytest.raises(SeedError, match="is not empty"):
        seed(schema_db, seed=7)
    assert _count(schema_db, "users") == counts["users"]
