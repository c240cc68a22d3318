"""The cheaper audit trail (core/data/audit_trail.py) records the same entries: a large save pauses the
cyclic garbage collector only while it builds them, and leaves it as it found it (running or not)."""

from __future__ import annotations

import gc
import uuid

import pytest

from core.audit.log import list_entries
from core.data.audit_trail import PAUSE_FROM, Auditing
from core.data.changes import Change, Insert, Update
from core.data.writes import save
from core.engine.db import Database
from core.schema.load import load_catalog

ROWS = PAUSE_FROM  # a save large enough to pause the collector


@pytest.mark.parametrize("running", [True, False], ids=["collector-running", "collector-off"])
def test_a_large_audited_save_records_every_row_and_leaves_the_collector_as_it_was(
    schema_db: Database, running: bool
) -> None:
    catalog = load_catalog(schema_db, cached=False)
    inserts: list[Change] = [
        Insert("users", {"username": f"u{i}", "email": f"u{i}@example.org"}) for i in range(ROWS)
    ]
    keys = [row.key for row in save(schema_db, catalog, inserts, audit=Auditing(user="setup")).inserted]
    edits: list[Change] = [Update("users", k, {"display_name": f"n{i}"}, {}, 1) for i, k in enumerate(keys)]
    was = gc.isenabled()
    (gc.enable if running else gc.disable)()
    try:
        save(schema_db, catalog, edits, audit=Auditing(user="me", reason="bulk rename"))
        assert gc.isenabled() is running
    finally:
        (gc.enable if was else gc.disable)()
    entries = list_entries(schema_db, catalog, limit=3 * ROWS)
    updates = [e for e in entries if e.action == "update"]
    assert (
        len(updates) == ROWS
        and {e.user for e in updates} == {"me"}
        and {e.reason for e in updates} == {"bulk rename"}
    )
    assert len({e.save_id for e in updates}) == 1
    by_key = {uuid.UUID(str(e.key["id"])): e for e in updates}
    for i, k in enumerate(keys):
        assert (by_key[k["id"]].before, by_key[k["id"]].after) == (
            {"display_name": None},
            {"display_name": f"n{i}"},
        )
