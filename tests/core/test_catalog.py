"""The catalog describes the reference schema from the models and foreign databases by reflection."""

from __future__ import annotations

import pytest

from core.engine.db import open_database
from core.errors import NotFoundError
from core.schema.catalog import parse_order
from core.schema.load import load_catalog
from tests.fixtures.foreign import build_foreign


def test_reference_catalog(schema_db):
    cat = load_catalog(schema_db)
    assert cat.source == "models"
    loc = cat.get("locations")
    assert loc.group == "World" and loc.label == "name" and loc.version_column == "version"
    assert [v.dimension for v in loc.vectors] == [384]
    assert loc.column("state_json").kind == "json"
    assert loc.column("location_type").kind == "enum" and "town" in loc.column("location_type").enum_values
    assert loc.column("short_description").length == 280
    conn = cat.get("location_connections")
    assert conn.is_link
    assert [fk.target for fk in conn.foreign_keys].count("locations") == 2
    incoming = {fk.entity for fk in loc.referenced_by}
    assert {"location_connections", "npcs", "objects", "players"} <= incoming
    assert cat.get("products").column("price").kind == "decimal"
    assert cat.get("products").column("price").scale == 2
    assert cat.get("users").label == "username"
    assert "alembic_version" not in cat.entities
    for log_like in ("tool_executions", "agent_executions", "orders"):  # support staff want the newest
        assert cat.get(log_like).default_sort == [("created_at", True)], log_like
    assert loc.default_sort is None  # world content opens in key order
    for name in ("regions", "npcs", "objects", "player_knowledge", "player_history", "rag_documents"):
        assert cat.get(name).vectors, name
    with pytest.raises(NotFoundError, match="Unknown entity"):
        cat.get("nope")


def test_reflected_foreign_database(empty_url):
    build_foreign(empty_url)
    db = open_database(empty_url)
    cat = load_catalog(db)
    assert cat.source == "reflected"
    guilds = cat.get("guilds")
    assert guilds.group == "Other" and guilds.label == "title" and not guilds.read_only
    assert guilds.column("guild_id").autoincrement
    assert guilds.column("rank").kind == "enum"
    assert set(guilds.column("rank").enum_values) == {"bronze", "silver", "gold"}
    assert guilds.column("extra").kind == "json"
    members = cat.get("members")
    assert [(fk.columns, fk.target) for fk in members.foreign_keys] == [(("guild_id",), "guilds")]
    assert [(v.column, v.dimension) for v in members.vectors] == [("bio_embedding", 8)]
    assert all(e.default_sort is None for e in cat.entities.values())  # no guessing on foreign tables
    audit = cat.get("audit_log")
    assert audit.read_only and "primary key" in audit.read_only_reason
    assert cat.get("gold_guilds").read_only
    if db.backend == "sqlite":
        lore = cat.get("lore_vectors")
        assert lore.kind == "vec0" and lore.read_only
        assert [(v.column, v.dimension, v.metric) for v in lore.vectors] == [("embedding", 8, "cosine")]
        assert not any(n.startswith("lore_vectors_") for n in cat.entities), "shadow tables are hidden"
    db.dispose()


def test_reflected_on_delete_actions(empty_url):
    build_foreign(empty_url)
    db = open_database(empty_url)
    fk = load_catalog(db).get("members").foreign_keys[0]
    assert fk.ondelete == "CASCADE"
    db.dispose()


def test_order_by_table_info():
    names = ["id", "name", "created_at"]
    assert parse_order(None, names) is None
    assert parse_order("-created_at, name", names) == [("created_at", True), ("name", False)]
    with pytest.raises(ValueError, match="unknown columns: nope"):
        parse_order("-nope", names)
