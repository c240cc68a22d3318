"""The cheaper single-row audit entry (core/data/audit_trail.py) stores what it always stored, and the
per-process facts it needs are looked up once, not per save."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import re
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.audit.log import list_entries
from core.data import audit_trail
from core.data.audit_trail import Auditing, os_user
from core.data.changes import Change, Insert, Update
from core.data.writes import save
from core.engine.db import Database
from core.schema.load import load_catalog


def test_the_os_user_is_looked_up_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []

    def getuser() -> str:
        asked.append(1)
        return "alice"

    os_user.cache_clear()
    monkeypatch.setattr(getpass, "getuser", getuser)
    try:
        assert [Auditing().user for _ in range(3)] == ["alice"] * 3
        assert len(asked) == 1
    finally:
        os_user.cache_clear()  # the next test looks up the real user again


def _stored(db: Database) -> list[dict[str, object]]:
    """The audit log's rows as the database holds them (text, not what the reader makes of it)."""
    with db.engine.connect() as conn:
        sql = "SELECT * FROM admin_audit_log ORDER BY id"
        return [dict(r) for r in conn.exec_driver_sql(sql).mappings()]


def test_a_single_row_entry_is_stored_as_a_batch_entry_is(schema_db: Database) -> None:
    """The one-entry INSERT … VALUES (SQLite) and the batch INSERT … SELECT store the same spelling."""
    catalog = load_catalog(schema_db, cached=False)
    who = Auditing(user="ann", profile="prod", reason="fix names")
    news: list[Change] = [
        Insert("users", {"username": f"u{i}", "email": f"u{i}@example.org", "display_name": "Zoë"})
        for i in range(2)
    ]
    keys = [row.key for row in save(schema_db, catalog, news, audit=who).inserted]
    edit = Update("users", keys[0], {"display_name": 'Zoé "q"'}, {"display_name": "Zoë"}, 1, frozenset())
    save(schema_db, catalog, [edit], audit=who)
    *batch, single = _stored(schema_db)
    if schema_db.backend == "sqlite":
        for row in (*batch, single):
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", str(row["at"]))
            assert re.fullmatch(r"[0-9a-f]{32}", str(row["save_id"]))
            for part in ("row_key", "after_json"):
                text = str(row[part])
                assert text == json.dumps(json.loads(text), separators=(",", ":")), part
        assert single["before_json"] == '{"display_name":"Zo\\u00eb"}'
        assert single["after_json"] == '{"display_name":"Zo\\u00e9 \\"q\\""}'
        assert single["row_key"] == json.dumps({"id": str(keys[0]["id"])}, separators=(",", ":"))
    entries = list_entries(schema_db, catalog)
    assert [(e.action, e.user, e.profile, e.reason) for e in entries] == [
        ("update", "ann", "prod", "fix names"),
        ("insert", "ann", "prod", "fix names"),
        ("insert", "ann", "prod", "fix names"),
    ]
    newest = entries[0]
    assert (newest.before, newest.after) == ({"display_name": "Zoë"}, {"display_name": 'Zoé "q"'})
    assert newest.key == {"id": str(keys[0]["id"])}
    assert newest.at.tzinfo is not None and abs(newest.at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert uuid.UUID(newest.save_id) != uuid.UUID(entries[1].save_id)


def test_the_single_entry_statement_is_compiled_once(schema_db: Database) -> None:
    """Each one-row save reuses the compiled INSERT (no per-save compile or SQLAlchemy cache lookup)."""
    if schema_db.backend != "sqlite":
        pytest.skip("the one-entry INSERT … VALUES is SQLite's")
    catalog = load_catalog(schema_db, cached=False)
    [key] = [
        r.key
        for r in save(schema_db, catalog, [Insert("users", {"username": "a", "email": "a@x.org"})]).inserted
    ]
    sent: list[str] = []
    sa.event.listen(schema_db.engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    audit_trail._one_statement.cache_clear()
    for i in range(3):
        save(schema_db, catalog, [Update("users", key, {"display_name": f"n{i}"}, {}, i + 1)])
    inserts = [s for s in sent if s.startswith("INSERT INTO admin_audit_log")]
    assert len(inserts) == 3 and len(set(inserts)) == 1 and "json_each" not in inserts[0]
    assert audit_trail._one_statement.cache_info().misses == 1


def test_audited_saves_checkpoint_the_wal_as_rarely_as_unaudited_ones_did(schema_db: Database) -> None:
    """An audited one-row save adds about five WAL pages (row, entry, three index entries): 250 of them
    (about 1,250 pages, past SQLite's default of 1000) leave the database file untouched until later."""
    if schema_db.backend != "sqlite":
        pytest.skip("a SQLite WAL setting")
    catalog = load_catalog(schema_db, cached=False)
    first = save(schema_db, catalog, [Insert("users", {"username": "a", "email": "a@x.org"})])
    key = first.inserted[0].key
    with schema_db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # the file holds everything so far
    path = Path(str(schema_db.engine.url.database))
    before = path.read_bytes()
    for i in range(250):
        save(schema_db, catalog, [Update("users", key, {"display_name": f"n{i}"}, {}, i + 1)])
    assert path.read_bytes() == before
    assert len(list_entries(schema_db, catalog, limit=300)) == 251
