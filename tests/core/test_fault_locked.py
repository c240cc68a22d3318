"""A SQLite file whose write lock another process holds: the save waits the busy timeout, then fails with the
typed "locked" message (no SQL, no values), writes and audits nothing, and leaves the caller's staged changes
as they were; once the other process lets go, the same changes save and are audited once."""

from __future__ import annotations

import copy
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.audit.log import list_entries
from core.data.audit_trail import Auditing
from core.data.changes import Change, Insert, Update
from core.data.writes import save
from core.engine import db as engine_db
from core.engine import sqlite_access
from core.engine.db import open_database
from core.errors import DatabaseBusy
from core.schema.load import load_catalog
from core.schema.models import metadata
from tests.fixtures.fault_processes import start_child

BUDGET_MS = 700


def test_a_save_behind_another_process_s_write_lock_waits_then_says_locked_and_keeps_the_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_db, "BUSY_TIMEOUT_MS", BUDGET_MS)
    monkeypatch.setattr(sqlite_access, "BUSY_TIMEOUT_MS", BUDGET_MS)
    path = tmp_path / "locked.db"
    db = open_database(path, create=True)
    metadata.create_all(db.engine)
    catalog = load_catalog(db, cached=False)
    try:
        key = (
            save(db, catalog, [Insert("users", {"username": "ann", "email": "ann@example.org"})])
            .inserted[0]
            .key
        )
        staged: list[Change] = [Update("users", key, {"display_name": "Secret Name 42"}, {}, 1)]
        kept = copy.deepcopy(staged)
        ready = tmp_path / "lock-held"
        holder = start_child("lock", str(path), str(ready), stdin=True)
        try:
            deadline = time.monotonic() + 60
            while not ready.exists():
                assert holder.poll() is None and time.monotonic() < deadline, "the lock holder did not start"
                time.sleep(0.01)
            start = time.monotonic()
            with pytest.raises(DatabaseBusy) as caught:
                save(db, catalog, staged, audit=Auditing(user="me"))
            waited = time.monotonic() - start
        finally:
            assert holder.stdin is not None
            holder.stdin.close()  # the other program lets go
            holder.wait(timeout=30)
        assert waited >= BUDGET_MS / 1000 - 0.05, waited  # it waited the busy timeout first
        message = str(caught.value)
        assert "is locked by another program" in message, message
        assert "UPDATE" not in message and "Secret Name 42" not in message
        assert staged == kept  # the staged changes are as they were, ready for the next Save
        users = catalog.get("users").table
        with db.engine.connect() as conn:
            assert conn.execute(sa.select(users.c.display_name)).scalar_one() is None
        assert [e.action for e in list_entries(db, catalog)] == ["insert"]
        save(db, catalog, staged, audit=Auditing(user="me"))  # released: the same Save goes through
        with db.engine.connect() as conn:
            assert conn.execute(sa.select(users.c.display_name, users.c.version)).one() == (
                "Secret Name 42",
                2,
            )
        assert [e.action for e in list_entries(db, catalog)] == ["update", "insert"]
    finally:
        db.dispose()
