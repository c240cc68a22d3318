"""The navigator's listing (core/schema/listing.py): the entities by name, group and kind in a few queries,
exactly as the catalog will name and order them, on every kind of database."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from core.data.overview import describe, listed_overview
from core.engine.db import Database, open_database
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from tests.fixtures.keyless import build_keyless_sqlite
from tests.fixtures.pg_schemas import pg_schemas_database
from tests.fixtures.virtual_tables import build_virtual_tables


def _same_as_the_catalog(db: Database) -> None:
    listed = listed_overview(db)
    assert listed == describe(db, load_catalog(db, cached=False))


def test_the_listing_of_the_reference_schema_equals_its_catalog(demo_copy: tuple[Database, Catalog]) -> None:
    _same_as_the_catalog(demo_copy[0])


def test_virtual_tables_views_and_shadows_are_listed_as_the_catalog_lists_them(tmp_path: Path) -> None:
    db = open_database(build_virtual_tables(tmp_path / "virtual.db"))
    try:
        listed = listed_overview(db)
        assert listed.kinds["items_fts"] == "fts" and listed.kinds["boxes"] == "virtual"
        assert listed.kinds["lore_vectors"] == "vec0" and listed.kinds["cheap_items"] == "view"
        assert not any(name.endswith(("_data", "_idx", "_docsize", "_config")) for name in listed.kinds)
        _same_as_the_catalog(db)
    finally:
        db.dispose()


def test_keyless_tables_list_as_the_catalog_lists_them(tmp_path: Path) -> None:
    build_keyless_sqlite(str(tmp_path / "keyless.db"))
    db = open_database(tmp_path / "keyless.db")
    try:
        _same_as_the_catalog(db)
    finally:
        db.dispose()


def test_postgresql_schemas_partitions_and_views(pg_server: object) -> None:
    db = open_database(pg_schemas_database(pg_server))
    try:
        listed = listed_overview(db)
        assert "events_2025" not in listed.kinds  # partitions are under their table, not beside it
        assert listed.partitions["events"] == ("events_2025", "events_2026")
        assert {"game.settings", "public.settings", "game.zones"} <= set(listed.kinds)
        _same_as_the_catalog(db)
    finally:
        db.dispose()


def test_listing_reads_a_few_statements_whatever_the_number_of_tables(tmp_path: Path) -> None:
    """Ten tables or two hundred: the same statements (the listing never asks per table)."""

    def statements(tables: int) -> int:
        path = tmp_path / f"t{tables}.db"
        engine = sa.create_engine(f"sqlite:///{path}")
        with engine.begin() as conn:
            for i in range(tables):
                conn.exec_driver_sql(f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT)")
        engine.dispose()
        db = open_database(path)
        seen: list[str] = []
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
        try:
            listed_overview(db)
        finally:
            db.dispose()
        return len(seen)

    assert statements(10) == statements(200)
