"""The catalog describes the reference schema from the models and foreign databases by reflection."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.engine.db import open_database
from core.errors import NotFoundError
from core.schema.catalog import CatalogSource, FkAction, fk_action, parse_order
from core.schema.kinds import ColumnKind, kind_of
from core.schema.load import load_catalog
from core.types import Vector
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
    if db.backend == "sqlite":  # keyed by its rowid (tests/core/test_keyless_tables.py)
        assert not audit.read_only and audit.key_source == "rowid"
    else:
        assert audit.read_only and "primary key" in str(audit.read_only_reason)
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


def test_an_entity_is_frozen_and_derives_what_it_needs_once(schema_db):
    """No setattr after construction; what validation and reads derive comes from the entity itself."""
    cat = load_catalog(schema_db)
    loc = cat.get("locations")
    with pytest.raises(dataclasses.FrozenInstanceError):
        loc.label = "slug"  # type: ignore[misc]
    assert loc.portable_columns is loc.portable_columns and loc.key_select is loc.key_select
    assert loc.portable_columns["state_json"].kind == "json"
    tags = cat.get("products").portable_columns["tags"]
    assert tags.kind == "array", "a list of text is checked as PostgreSQL's text[] on both backends"
    again = load_catalog(schema_db, cached=False).get("locations")  # read again, not the cached catalog
    assert again.key_select is not loc.key_select  # a new load is a new entity, with its own statement
    stmt, names = loc.key_select
    assert names == tuple(loc.column_names) and "key_0" in str(stmt)


def test_vocabularies_keep_their_strings(schema_db):
    """Kinds, storages, sources and actions are enums whose values are the strings saved and shown."""
    cat = load_catalog(schema_db)
    assert isinstance(cat.source, CatalogSource) and cat.source == "models"
    loc = cat.get("locations")
    kind = loc.column("state_json").kind
    assert isinstance(kind, ColumnKind) and kind == "json" and f"{kind}" == "json"
    assert len(ColumnKind) == 16
    shown = json.loads(json.dumps(cat.as_dict()))  # `warden inspect --json`
    entry = next(e for e in shown if e["name"] == "locations")
    assert {c["name"]: c["kind"] for c in entry["columns"]}["state_json"] == "json"
    assert entry["vectors"][0]["storage"] in ("blob", "pgvector") and entry["kind"] == "table"
    actions = {fk.ondelete for e in cat.entities.values() for fk in e.foreign_keys} - {None}
    assert actions and all(isinstance(a, FkAction) for a in actions)
    assert fk_action("set  null") == FkAction.SET_NULL == "SET NULL"


def test_kinds_of_types():
    assert kind_of(sa.String(20)) == (ColumnKind.STRING, None)
    assert kind_of(sa.String()) == (ColumnKind.TEXT, None)  # no length: text
    assert kind_of(sa.Enum("a", "b")) == (ColumnKind.ENUM, None)
    assert kind_of(Vector(8)) == (ColumnKind.VECTOR, 8)
    assert kind_of(sa.types.NullType()) == (ColumnKind.OTHER, None)


def test_unknown_entity_in_a_big_catalog_names_the_closest_not_all(tmp_path: Path) -> None:
    """On a database of hundreds of tables the message suggests the nearest names instead of listing all."""
    path = tmp_path / "big.db"
    with sqlite3.connect(path) as raw:
        for i in range(120):
            raw.execute(f"CREATE TABLE shop_item_{i:03d} (id INTEGER PRIMARY KEY, name TEXT)")
        raw.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    db = open_database(str(path))
    try:
        catalog = load_catalog(db)
        with pytest.raises(NotFoundError) as caught:
            catalog.get("customer")
    finally:
        db.dispose()
    message = str(caught.value)
    assert message.startswith("Unknown entity 'customer'. Did you mean: customers")
    assert "121 entities" in message and "shop_item_100" not in message


def test_inspect_json_writes_each_entity_as_its_dict(empty_url, capsys):
    """`inspect --json` writes each distinct column once; its lines are still json.dumps of each entity's
    as_dict, whole, in navigator order (a reference table beside reflected ones, on both backends)."""
    from core import cli
    from core.schema.models import metadata

    build_foreign(empty_url)
    db = open_database(empty_url)
    metadata.tables["regions"].create(db.engine)  # the reference regions, beside the foreign tables
    try:
        assert cli.main(["inspect", "--db", empty_url, "--json"]) == 0
        cat = load_catalog(db, cached=False)
    finally:
        db.dispose()
    out = capsys.readouterr().out
    lines = out.split('  "entities": [\n', 1)[1].rsplit("\n  ]\n}\n", 1)[0].split(",\n")
    assert lines == ["    " + json.dumps(e.as_dict()) for e in cat.ordered()]
    assert len({e.group for e in cat.ordered()}) > 1 and json.loads(out)["entities"] == json.loads(
        json.dumps(cat.as_dict())
    )
