"""Two processes save the same row with different values at the same moment, each checked by the version it
loaded (core/data/writes.save): exactly one succeeds, the other gets ConflictError, the row holds the
winner's value and the audit log records one change, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from core.audit.log import EntryFilter, list_entries
from core.data.audit_trail import Auditing
from core.data.changes import Insert
from core.data.writes import save
from core.engine.db import open_database
from core.schema.load import load_catalog
from core.schema.models import metadata
from tests.fixtures.fault_processes import start_child

ROUNDS = 2  # each round a fresh row and a fresh pair of writers racing for it


@pytest.fixture
def ref_url(empty_url: str) -> str:
    """The reference schema (audit log included), empty, on the current backend."""
    db = open_database(empty_url, create=True)
    metadata.create_all(db.engine)
    db.dispose()
    return empty_url


def test_two_processes_saving_one_row_one_wins_one_conflicts_and_one_change_is_audited(
    ref_url: str, tmp_path: Path
) -> None:
    db = open_database(ref_url)
    catalog = load_catalog(db, cached=False)
    try:
        for round_ in range(ROUNDS):
            saved = save(
                db,
                catalog,
                [Insert("users", {"username": f"race{round_}", "email": f"race{round_}@example.org"})],
                audit=Auditing(user="setup"),
            )
            key = saved.inserted[0].key["id"]
            go = tmp_path / f"go{round_}"
            names = (f"first{round_}", f"second{round_}")
            writers = [start_child("save", ref_url, str(key), n, "1", str(go)) for n in names]
            for w in writers:  # both opened the database and hold their change: now they race
                assert w.stdout is not None and w.stdout.readline().strip() == "ready"
            go.write_text("go")
            outcomes = []
            for w in writers:
                out, err = w.communicate(timeout=60)
                assert w.returncode == 0, err[-2000:]
                outcomes.append(out.strip())
            assert sorted(outcomes) == ["conflict", "saved"], outcomes
            winner = names[outcomes.index("saved")]
            users = catalog.get("users").table
            with db.engine.connect() as conn:
                row = conn.execute(
                    sa.select(users.c.display_name, users.c.version).where(users.c.id == key)
                ).one()
            assert tuple(row) == (winner, 2)
            entries = list_entries(db, catalog, EntryFilter(entity="users", key=str(key), action="update"))
            assert [(e.user, e.before, e.after) for e in entries] == [
                (f"writer-{winner}", {"display_name": None}, {"display_name": winner})
            ]
    finally:
        db.dispose()
