"""A process killed by SIGKILL in the middle of saving 10,000 staged updates (tests/fixtures/fault_child.py
`batch`): after restart the batch is in the database whole or not at all, the audit log agrees with the data
row for row, SQLite passes its integrity check, and the next save goes through, on both backends."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.audit.log import EntryFilter, list_entries
from core.data.audit_trail import Auditing
from core.data.changes import Change, Insert, Update
from core.data.writes import save
from core.engine.db import Database, open_database
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from core.schema.models import metadata
from tests.fixtures.fault_processes import start_child

ROWS = 10_000
VALUE = "killed mid-save"


@pytest.fixture
def users_url(empty_url: str) -> str:
    """The reference schema with ROWS users, each inserted by an audited save."""
    db = open_database(empty_url, create=True)
    metadata.create_all(db.engine)
    catalog = load_catalog(db, cached=False)
    rows: list[Change] = [
        Insert("users", {"username": f"u{i}", "email": f"u{i}@example.org"}) for i in range(ROWS)
    ]
    save(db, catalog, rows, audit=Auditing(user="setup"))
    db.dispose()
    return empty_url


def _wait_for(path: Path, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert time.monotonic() < deadline, "the child never reached the middle of its save"
        time.sleep(0.001)


def _state(db: Database, catalog: Catalog) -> tuple[int, int, list[str]]:
    """Rows holding VALUE, audit entries that set it, and the audit log's count per action."""
    users = catalog.get("users").table
    with db.engine.connect() as conn:
        changed = conn.execute(sa.select(sa.func.count()).where(users.c.display_name == VALUE)).scalar_one()
    entries = list_entries(db, catalog, EntryFilter(entity="users"), limit=3 * ROWS)
    audited = sum(1 for e in entries if e.action == "update" and (e.after or {}).get("display_name") == VALUE)
    return changed, audited, sorted({e.action for e in entries})


@pytest.mark.parametrize(
    "pause", [30.0, 0.0], ids=["killed-inside-the-transaction", "killed-racing-the-commit"]
)
def test_a_save_killed_half_way_leaves_all_or_none_and_an_audit_log_that_agrees(
    users_url: str, tmp_path: Path, pause: float
) -> None:
    marker = tmp_path / "half-way"
    child = start_child("batch", users_url, VALUE, str(marker), str(pause))
    try:
        _wait_for(marker)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    assert int(marker.read_text()) >= ROWS // 2  # the kill came after half of the rows were sent

    db = open_database(users_url)  # the restart
    try:
        if db.backend == "sqlite":
            with db.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalars().all() == ["ok"]
        catalog = load_catalog(db, cached=False)
        changed, audited, actions = _state(db, catalog)
        assert changed in (0, ROWS), changed  # all or none
        if pause:
            assert changed == 0  # killed before its COMMIT: nothing of it
        assert audited == changed  # the audit log agrees with the data
        assert actions == (["insert", "update"] if changed else ["insert"])
        users = catalog.get("users").table
        with db.engine.connect() as conn:
            key, ver = conn.execute(sa.select(users.c.id, users.c.version).limit(1)).one()
        save(db, catalog, [Update("users", {"id": key}, {"display_name": "after"}, {}, ver)])
        assert _state(db, catalog)[1] == changed  # the next save writes and audits as usual
    finally:
        db.dispose()
