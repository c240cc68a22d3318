"""Refreshing a materialized view is a write like any other (issue 10's hold, issue 12's read-only
profiles): it goes through Database.allow_writes, so a connection opened read-only and one whose writes are
held (a revision the migrations do not know) refuse it with the reason, and the view keeps its rows. Real
PostgreSQL (the pg_server fixture), the two-schema database with a materialized view."""

from __future__ import annotations

import pytest

from core.data.audit_trail import AUDIT_OFF
from core.data.changes import Insert
from core.data.refresh import refresh_materialized_view
from core.data.repository import fetch_page
from core.data.writes import save
from core.engine.db import Database, open_database
from core.errors import ReadOnlyError
from core.migrate.status import hold_writes
from core.schema.load import load_catalog
from tests.fixtures.pg_schemas import pg_schemas_database

HELD = "Read-only: this database is at a revision Warden's migrations do not know."


def counts(db: Database) -> dict[object, object]:
    catalog = load_catalog(db)
    return {r[0]: r[2] for r in fetch_page(db, catalog, "zone_item_counts", limit=10).rows}


@pytest.fixture
def url(pg_server: object) -> str:
    """A fresh two-schema database with an item the view does not count yet."""
    url = pg_schemas_database(pg_server)
    db = open_database(url)
    try:
        save(db, load_catalog(db), [Insert("items", {"id": 4, "name": "Net", "zone_id": 3})], audit=AUDIT_OFF)
    finally:
        db.dispose()
    return url


def test_a_held_connection_refuses_the_refresh_and_a_free_one_refreshes(url: str) -> None:
    db = open_database(url)
    try:
        catalog = load_catalog(db)
        before = counts(db)
        hold_writes(db, HELD)
        with pytest.raises(ReadOnlyError, match=r"^Read-only: this database is at a revision"):
            refresh_materialized_view(db, catalog, "zone_item_counts")
        assert counts(db) == before, "not refreshed"
        hold_writes(db, None)
        refresh_materialized_view(db, catalog, "zone_item_counts")
        assert counts(db)[3] == before[3] + 1  # type: ignore[operator]
    finally:
        db.dispose()


def test_a_read_only_connection_refuses_the_refresh_with_its_reason(url: str) -> None:
    db = open_database(url, read_only=True)
    try:
        catalog = load_catalog(db)
        before = counts(db)
        with pytest.raises(ReadOnlyError, match="is open read-only; reopen it writable to change it"):
            refresh_materialized_view(db, catalog, "zone_item_counts")
        assert counts(db) == before
    finally:
        db.dispose()
