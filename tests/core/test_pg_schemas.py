"""A PostgreSQL database with two schemas, partitions and a materialized view, as its catalog, the CLI and the
data functions see it (tests/fixtures/pg_schemas.py builds it with raw SQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa

from core import cli
from core.data.audit_trail import AUDIT_OFF
from core.data.changes import Insert, Update
from core.data.lookup import labels_for, search_labels
from core.data.overview import estimate_counts
from core.data.refresh import refresh_materialized_view
from core.data.repository import ESTIMATE_CAP, exact_count, fetch_page, get_row
from core.data.writes import save
from core.engine.db import Database, open_database
from core.errors import NotFoundError, ReadOnlyError, ValidationError, WardenError
from core.schema.catalog import Catalog, EntityKind
from core.schema.load import load_catalog
from tests.fixtures.pg_schemas import ENTITIES, pg_schemas_database
from tests.fixtures.postgres import new_pg_database


@pytest.fixture
def pg_schemas_url(pg_server: object) -> str:
    """A fresh copy of the two-schema database."""
    return pg_schemas_database(pg_server)


@pytest.fixture
def pg_db(pg_schemas_url: str) -> Iterator[Database]:
    """The two-schema database, open."""
    db = open_database(pg_schemas_url)
    yield db
    db.dispose()


@pytest.fixture
def catalog(pg_db: Database) -> Catalog:
    """Its catalog."""
    return load_catalog(pg_db)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_visible_schema_is_listed_and_names_are_qualified_where_ambiguous(catalog: Catalog) -> None:
    """game.zones is there; a name used in two schemas is qualified; partitions and system schemas are not."""
    assert set(catalog.entities) == ENTITIES
    assert catalog.search_path == ("public",)
    zones = catalog.entities["game.zones"]
    assert (zones.schema, zones.table.schema, zones.table.name) == ("game", "game", "zones")
    assert catalog.entities["items"].schema == "public"
    assert {catalog.entities[n].schema for n in ("public.settings", "game.settings")} == {"public", "game"}
    assert not any(n.startswith(("pg_", "information_schema")) for n in catalog.entities)


def test_foreign_keys_across_schemas_link_entities(catalog: Catalog) -> None:
    """public.items → game.zones: the link names the entity, both ways."""
    (fk,) = catalog.entities["items"].foreign_keys
    assert (fk.entity, fk.columns, fk.target, fk.target_columns) == (
        "items",
        ("zone_id",),
        "game.zones",
        ("id",),
    )
    incoming = {(f.entity, f.columns) for f in catalog.entities["game.zones"].referenced_by}
    assert incoming == {("items", ("zone_id",)), ("game.settings", ("zone_id",))}


def test_get_takes_qualified_and_search_path_names(catalog: Catalog) -> None:
    """`schema.table` always works; a bare name is the first match on the search path, as on the server."""
    assert catalog.get("game.zones").name == "game.zones"
    assert catalog.get("public.items").name == "items"
    assert catalog.get("settings").name == "public.settings"
    with pytest.raises(NotFoundError):
        catalog.get("zones")  # game is not on the search path


def test_a_bare_name_follows_the_search_path(pg_schemas_url: str) -> None:
    """With game on the search path, zones goes by its bare name; settings stays ambiguous."""
    url = sa.make_url(pg_schemas_url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'ALTER DATABASE "{url.database}" SET search_path = public, game')
    engine.dispose()
    db = open_database(pg_schemas_url)
    try:
        cat = load_catalog(db)
    finally:
        db.dispose()
    assert cat.search_path == ("public", "game")
    assert "zones" in cat.entities and "game.zones" not in cat.entities
    assert cat.get("game.zones").name == "zones"
    assert cat.entities["items"].foreign_keys[0].target == "zones"
    assert {"public.settings", "game.settings"} <= set(cat.entities)


def test_partitioned_table_is_one_entity_with_its_partitions(catalog: Catalog) -> None:
    """events lists events_2025 and events_2026 and is editable; the partitions are no entities."""
    events = catalog.entities["events"]
    assert events.partitions == ("events_2025", "events_2026")
    assert events.kind == EntityKind.TABLE and not events.read_only
    assert events.primary_key == ("id", "happened")
    assert "events_2025" not in catalog.entities


def test_edits_go_through_the_parent(pg_db: Database, catalog: Catalog) -> None:
    """An insert and an update on the parent land in the right partition."""
    save(
        pg_db,
        catalog,
        [Insert("events", {"id": 3, "happened": date(2026, 5, 1), "what": "moved"})],
        audit=AUDIT_OFF,
    )
    save(
        pg_db,
        catalog,
        [Update("events", {"id": 1, "happened": date(2025, 3, 1)}, {"what": "reopened"})],
        audit=AUDIT_OFF,
    )
    with pg_db.engine.connect() as conn:
        in_2026 = conn.exec_driver_sql("SELECT id FROM public.events_2026 ORDER BY id").scalars().all()
        what = conn.exec_driver_sql("SELECT what FROM public.events_2025 WHERE id = 1").scalar()
    assert in_2026 == [2, 3] and what == "reopened"
    assert exact_count(pg_db, catalog.get("events")) == 3


def test_counts_sum_the_planners_estimate_over_partitions(pg_db: Database, catalog: Catalog) -> None:
    """A partitioned table above the exact-count cap is estimated from its analysed partitions."""
    with pg_db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO public.events SELECT g, DATE '2025-01-01' + mod(g, 300), 'x'"
            " FROM generate_series(10, 12009) g"
        )
        conn.exec_driver_sql(
            "INSERT INTO public.events SELECT g, DATE '2026-01-01' + mod(g, 300), 'y'"
            " FROM generate_series(20000, 27999) g"
        )
    with pg_db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # What autovacuum does: it analyses the partitions, never the partitioned table itself.
        conn.exec_driver_sql("ANALYZE public.events_2025, public.events_2026")
    counts = estimate_counts(pg_db, catalog)
    events = counts["events"]
    assert events is not None and not events.exact
    assert events.rows > ESTIMATE_CAP + 1
    assert abs(events.rows - 20_002) <= 200  # reltuples is an estimate, exact for tables this small
    assert counts["game.zones"] is not None and counts["game.zones"].rows == 3


def test_inspect_json_names_schemas_partitions_and_kinds(
    capsys: pytest.CaptureFixture[str], pg_schemas_url: str
) -> None:
    """`warden inspect --json` gives each entity's schema, partitions and kind, and the cross-schema link."""
    code, out, _ = _run(capsys, "inspect", "--db", pg_schemas_url, "--json")
    assert code == 0
    ents = {e["name"]: e for e in json.loads(out)["entities"]}
    assert set(ents) == ENTITIES
    assert ents["game.zones"]["schema"] == "game"
    assert ents["events"]["partitions"] == ["events_2025", "events_2026"]
    assert ents["zone_item_counts"]["kind"] == "materialized_view" and ents["zone_item_counts"]["read_only"]
    assert ents["game.zone_names"]["kind"] == "view"
    assert ents["items"]["foreign_keys"][0]["target"] == "game.zones"


def test_cli_entity_takes_schema_dot_table(capsys: pytest.CaptureFixture[str], pg_schemas_url: str) -> None:
    """--entity game.zones exports game's zones; --entity settings means public's (first on the path)."""
    code, out, _ = _run(
        capsys, "export", "--db", pg_schemas_url, "--entity", "game.zones", "--format", "json"
    )
    assert code == 0
    assert [r["name"] for r in json.loads(out)] == ["Harbour", "Old Town", "Marsh"]
    code, out, _ = _run(capsys, "export", "--db", pg_schemas_url, "--entity", "settings", "--format", "json")
    assert code == 0 and [r["key"] for r in json.loads(out)] == ["theme"]
    code, out, _ = _run(
        capsys, "export", "--db", pg_schemas_url, "--entity", "game.settings", "--format", "json"
    )
    assert code == 0 and [r["key"] for r in json.loads(out)] == ["spawn"]


def test_foreign_key_lookups_and_checks_cross_schemas(pg_db: Database, catalog: Catalog) -> None:
    """The FK picker's search, the grid's labels and the save's reference check reach game.zones."""
    found = search_labels(pg_db, catalog, "game.zones", "Harb")
    assert [(m.key, m.label) for m in found] == [({"id": 1}, "Harbour")]
    assert labels_for(pg_db, catalog, "game.zones", [2]) == {2: "Old Town"}
    save(pg_db, catalog, [Update("items", {"id": 3}, {"zone_id": 3})], audit=AUDIT_OFF)
    assert get_row(pg_db, catalog, "items", {"id": 3})["zone_id"] == 3
    with pytest.raises(ValidationError):
        save(pg_db, catalog, [Update("items", {"id": 3}, {"zone_id": 99})], audit=AUDIT_OFF)


def test_views_read_and_materialized_views_refresh(pg_db: Database, catalog: Catalog) -> None:
    """Views page like tables and refuse writes; a refresh reads the materialized view's query again."""
    page = fetch_page(pg_db, catalog, "game.zone_names", limit=10)
    assert len(page.rows) == 3
    counts = catalog.get("zone_item_counts")
    with pytest.raises(ReadOnlyError):
        save(pg_db, catalog, [Update("zone_item_counts", {"zone_id": 1}, {"items": 5})], audit=AUDIT_OFF)
    before = {r[0]: r[2] for r in fetch_page(pg_db, catalog, counts, limit=10).rows}
    save(pg_db, catalog, [Insert("items", {"id": 4, "name": "Net", "zone_id": 3})], audit=AUDIT_OFF)
    assert {
        r[0]: r[2] for r in fetch_page(pg_db, catalog, counts, limit=10).rows
    } == before  # not yet refreshed
    refresh_materialized_view(pg_db, catalog, "zone_item_counts")
    after = {r[0]: r[2] for r in fetch_page(pg_db, catalog, counts, limit=10).rows}
    assert after[3] == before[3] + 1
    with pytest.raises(WardenError, match="not a materialized view"):
        refresh_materialized_view(pg_db, catalog, "items")
    with pg_db.engine.begin() as conn:  # another program drops it: a message, not a bug
        conn.exec_driver_sql("DROP MATERIALIZED VIEW public.zone_item_counts")
    with pytest.raises(NotFoundError, match="zone_item_counts is no longer in the database"):
        refresh_materialized_view(pg_db, catalog, "zone_item_counts")


def test_reference_schema_beside_a_schema_that_shares_a_name(pg_server: object) -> None:
    """The reference schema in public and a game.users table: public's users is "public.users", and the
    reference tables' links to it follow its new name."""
    from core.schema.models import metadata

    db = open_database(new_pg_database(pg_server), create=True)
    try:
        metadata.create_all(db.engine)
        with db.engine.begin() as conn:
            conn.exec_driver_sql("CREATE SCHEMA game")
            conn.exec_driver_sql("CREATE TABLE game.users (id integer PRIMARY KEY, name text)")
        cat = load_catalog(db)
    finally:
        db.dispose()
    assert {"public.users", "game.users"} <= set(cat.entities) and "users" not in cat.entities
    assert cat.get("users").name == "public.users"  # the first on the search path
    (to_users,) = [fk for fk in cat.entities["orders"].foreign_keys if fk.columns == ("user_id",)]
    assert to_users.target == "public.users"
    assert "orders" in {fk.entity for fk in cat.entities["public.users"].referenced_by}
    assert cat.entities["regions"].schema == "public" and cat.entities["regions"].group == "World"


def test_inspect_text_lists_partitions(capsys: pytest.CaptureFixture[str], pg_schemas_url: str) -> None:
    """`warden inspect` names each entity as the catalog does, and a partitioned table's partitions."""
    code, out, _ = _run(capsys, "inspect", "--db", pg_schemas_url)
    assert code == 0
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert set(lines) == ENTITIES
    assert "partitioned: events_2025, events_2026" in lines["events"]
    assert "→ game.zones" in lines["items"]
    assert "read-only: it is a materialized view" in lines["zone_item_counts"]
