"""An audited save of one update or delete (the save a person waits for) leaves exactly the entry a batch
leaves for the same change, on both backends: on PostgreSQL the row's own statement writes it
(core/data/audit_trail.py's with_entry); a conflict or a refused value leaves none."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from core.audit.revert import Selection, revert
from core.data.audit_trail import Auditing, AuditUnavailable, new_save_id
from core.data.changes import Change, Delete, Insert, Update
from core.data.writes import save
from core.engine.db import Database
from core.errors import ConflictError, ValidationError
from core.schema.catalog import Catalog
from core.schema.load import load_catalog

WHO = Auditing(user="ann", profile="prod", reason="tidy up")
#: What an entry holds besides its id, time and save: compared between a one-row save and a batch.
SAME = "entity, row_key, action, before_json, after_json, os_user, profile, reason, reverts"


def _stored(db: Database) -> list[dict[str, Any]]:
    """The audit log as the database holds it, JSON parts read back (jsonb, or SQLite's text)."""
    with db.engine.connect() as conn:
        sql = f"SELECT {SAME}, save_id FROM admin_audit_log ORDER BY id"
        rows = [dict(r) for r in conn.exec_driver_sql(sql).mappings()]
    for row in rows:
        for part in ("row_key", "before_json", "after_json"):
            if isinstance(row[part], str):
                row[part] = json.loads(row[part])
    return rows


def _setup(db: Database) -> tuple[Catalog, list[dict[str, Any]], list[dict[str, Any]]]:
    """Four users and four tool executions (an entity with a version, one checked by loaded values)."""
    catalog = load_catalog(db, cached=False)
    users: list[Change] = [
        Insert("users", {"username": f"u{i}", "email": f"u{i}@x.org", "display_name": f"Zoë {i}"})
        for i in range(4)
    ]
    ukeys = [r.key for r in save(db, catalog, users, audit=Auditing(user="setup")).inserted]
    tools: list[Change] = [
        Insert(
            "tool_executions",
            {"correlation_id": f"c{i}", "tool_name": "grep", "status": "error", "error_message": f"e{i}"},
        )
        for i in range(4)
    ]
    tkeys = [r.key for r in save(db, catalog, tools, audit=Auditing(user="setup")).inserted]
    return catalog, ukeys, tkeys


def _edits(ukeys: list[dict[str, Any]], tkeys: list[dict[str, Any]], i: int) -> list[Change]:
    """One edit of user i by version, one of tool execution i by its loaded value."""
    name, error = {"display_name": f"Zoë {i}"}, {"error_message": f"e{i}"}
    return [
        Update("users", ukeys[i], {"display_name": f'Zoé "{i}"'}, name, 1, frozenset(name)),
        Update("tool_executions", tkeys[i], {"error_message": f"fixed {i}"}, error, None, frozenset(error)),
    ]


def _expected(ukeys: list[dict[str, Any]], tkeys: list[dict[str, Any]], i: int) -> list[tuple[Any, ...]]:
    """The entries of `_edits(…, i)`, as SAME lists them."""
    common = ("ann", "prod", "tidy up", None)
    return [
        (
            "users",
            {"id": str(ukeys[i]["id"])},
            "update",
            {"display_name": f"Zoë {i}"},
            {"display_name": f'Zoé "{i}"'},
            *common,
        ),
        (
            "tool_executions",
            {"id": str(tkeys[i]["id"])},
            "update",
            {"error_message": f"e{i}"},
            {"error_message": f"fixed {i}"},
            *common,
        ),
    ]


def _same(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [tuple(v for k, v in r.items() if k != "save_id") for r in rows]


def test_one_row_updates_leave_the_entries_a_batch_leaves(schema_db: Database) -> None:
    catalog, ukeys, tkeys = _setup(schema_db)
    start = len(_stored(schema_db))
    save(schema_db, catalog, _edits(ukeys, tkeys, 0), audit=WHO)  # a batch: entries added after the writes
    for ch in _edits(ukeys, tkeys, 1):
        save(schema_db, catalog, [ch], audit=WHO)  # one row each: the save a person waits for
    batch, ones = _stored(schema_db)[start : start + 2], _stored(schema_db)[start + 2 :]
    assert _same(batch) == _expected(ukeys, tkeys, 0)
    assert _same(ones) == _expected(ukeys, tkeys, 1)
    saves = {str(r["save_id"]) for r in (*batch, *ones)}
    assert len(saves) == 3 and all(uuid.UUID(s) for s in saves)


def test_a_one_row_delete_records_the_whole_row_as_a_batch_does(schema_db: Database) -> None:
    catalog, ukeys, tkeys = _setup(schema_db)
    start = len(_stored(schema_db))
    gone: list[Change] = [Delete("tool_executions", tkeys[i], {}, None) for i in (0, 1)]
    save(schema_db, catalog, [gone[0], Update("users", ukeys[3], {"display_name": "x"}, {}, 1)], audit=WHO)
    save(schema_db, catalog, [gone[1]], audit=WHO)
    batch, _, one = _stored(schema_db)[start:]
    assert (one["action"], one["entity"], one["after_json"]) == ("delete", "tool_executions", None)
    assert one["row_key"] == {"id": str(tkeys[1]["id"])}
    assert one["before_json"]["id"] == str(tkeys[1]["id"]) and one["before_json"]["error_message"] == "e1"
    spelt_alike = {
        k: v
        for k, v in one["before_json"].items()
        if k not in ("id", "correlation_id", "error_message", "created_at")
    }
    assert spelt_alike == {k: batch["before_json"][k] for k in spelt_alike}
    assert set(one["before_json"]) == set(batch["before_json"])


def test_a_conflicting_one_row_save_raises_and_records_nothing(schema_db: Database) -> None:
    catalog, ukeys, tkeys = _setup(schema_db)
    start = len(_stored(schema_db))
    stale = [
        Update("users", ukeys[0], {"display_name": "late"}, {"display_name": "Zoë 0"}, 7),
        Update("tool_executions", tkeys[0], {"error_message": "late"}, {"error_message": "not e0"}, None),
        Delete("tool_executions", tkeys[1], {"error_message": "not e1"}, None),
    ]
    for ch in stale:
        with pytest.raises(ConflictError):
            save(schema_db, catalog, [ch], audit=WHO)
    assert len(_stored(schema_db)) == start


def test_a_refused_one_row_value_records_nothing(schema_db: Database) -> None:
    catalog, ukeys, _ = _setup(schema_db)
    start = len(_stored(schema_db))
    taken = Update("users", ukeys[0], {"username": "u1"}, {"username": "u0"}, 1, frozenset({"username"}))
    with pytest.raises(ValidationError):
        save(schema_db, catalog, [taken], audit=WHO)
    assert len(_stored(schema_db)) == start
    with schema_db.engine.connect() as conn:
        t = catalog.get("users").table
        assert conn.execute(sa.select(t.c.username).where(t.c.id == ukeys[0]["id"])).scalar_one() == "u0"


def test_a_user_or_profile_name_too_long_for_the_log_is_refused_before_anything_is_written(
    schema_db: Database,
) -> None:
    """The log keeps 128 characters of the user and the profile. A longer one is refused with words about
    the name, one row or many, and nothing is written; on PostgreSQL the row's own statement refused it and
    the save blamed the edited row ("row 1: users: A value is too long", review RV6)."""
    catalog, ukeys, tkeys = _setup(schema_db)
    start = _stored(schema_db)
    long_user, long_profile = Auditing(user="u" * 129), Auditing(user="ann", profile="p" * 200)
    for who, what in ((long_user, "user"), (long_profile, "profile")):
        for batch in (_edits(ukeys, tkeys, 0)[:1], _edits(ukeys, tkeys, 0)):
            with pytest.raises(AuditUnavailable, match=f"The {what} name has .* at most 128"):
                save(schema_db, catalog, batch, audit=who)
    assert _stored(schema_db) == start
    with schema_db.engine.connect() as conn:
        t = catalog.get("users").table
        name = conn.execute(sa.select(t.c.display_name).where(t.c.id == ukeys[0]["id"])).scalar_one()
    assert name == "Zoë 0"


def test_a_one_row_entry_reverts_as_before(schema_db: Database) -> None:
    catalog, ukeys, _ = _setup(schema_db)
    name = {"display_name": "Zoë 2"}
    save(
        schema_db,
        catalog,
        [Update("users", ukeys[2], {"display_name": "new"}, name, 1, frozenset(name))],
        audit=WHO,
    )
    with schema_db.engine.connect() as conn:
        entry_id = int(conn.exec_driver_sql("SELECT max(id) FROM admin_audit_log").scalar_one())
    revert(schema_db, catalog, Selection(entry_id), auditing=Auditing(user="bob"))
    last = _stored(schema_db)[-1]
    assert (last["action"], last["reverts"], last["before_json"], last["after_json"]) == (
        "revert",
        entry_id,
        {"display_name": "new"},
        name,
    )
    with schema_db.engine.connect() as conn:
        t = catalog.get("users").table
        assert (
            conn.execute(sa.select(t.c.display_name).where(t.c.id == ukeys[2]["id"])).scalar_one() == "Zoë 2"
        )


def test_on_postgresql_the_rows_statement_writes_its_entry(schema_db: Database) -> None:
    """One round trip for the row and its entry: no INSERT of its own for the entry."""
    if schema_db.backend != "postgresql":
        pytest.skip("SQLite has no data-modifying WITH: the entry is an INSERT of its own there")
    catalog, ukeys, tkeys = _setup(schema_db)
    sent: list[str] = []
    sa.event.listen(schema_db.engine, "before_cursor_execute", lambda *a: sent.append(" ".join(a[2].split())))
    for ch in [*_edits(ukeys, tkeys, 0), Delete("tool_executions", tkeys[3], {}, None)]:
        save(schema_db, catalog, [ch], audit=WHO)
    writes = [s for s in sent if "admin_audit_log" in s]
    assert len(writes) == 3 and all(s.startswith("WITH w AS (") for s in writes)
    assert len(_stored(schema_db)) == 4 + 4 + 3


def test_a_one_row_save_of_a_row_with_an_onupdate_time_sets_it_and_records_one_entry(
    schema_db: Database,
) -> None:
    """SQLAlchemy fills in updated_at when the statement runs; on PostgreSQL the entry is still written by
    the row's own statement (most world and commerce tables have such a column)."""
    catalog = load_catalog(schema_db, cached=False)
    made = save(schema_db, catalog, [Insert("regions", {"name": "North"})], audit=Auditing(user="setup"))
    key = made.inserted[0].key
    start = len(_stored(schema_db))
    edit = Update("regions", key, {"danger_level": 3}, {}, 1)
    sent: list[str] = []
    sa.event.listen(schema_db.engine, "before_cursor_execute", lambda *a: sent.append(" ".join(a[2].split())))
    assert save(schema_db, catalog, [edit], audit=WHO).updated[0].version == 2
    writes = [s for s in sent if "admin_audit_log" in s]
    if schema_db.backend == "postgresql":
        assert len(writes) == 1 and writes[0].startswith("WITH w AS (UPDATE regions"), writes
    [entry] = _stored(schema_db)[start:]
    assert (entry["entity"], entry["action"], entry["after_json"]) == (
        "regions",
        "update",
        {"danger_level": 3},
    )
    with schema_db.engine.connect() as conn:
        t = catalog.get("regions").table
        assert conn.execute(sa.select(t.c.updated_at).where(t.c.id == key["id"])).scalar_one() is not None


def test_save_ids_are_random_version_4_uuids_never_shared_with_a_forked_process() -> None:
    """Save ids come from random bytes read a few kilobytes at a time; a fork starts with none of them."""
    ids = [new_save_id() for _ in range(600)]  # past one read of the pool
    assert len(set(ids)) == 600 and all(u.version == 4 and u.variant == uuid.RFC_4122 for u in ids)
    new_save_id()  # the pool holds bytes the child would take next, were they kept
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child only reports its id
        os.write(write, new_save_id().bytes)
        os._exit(0)
    os.close(write)
    theirs = uuid.UUID(bytes=os.read(read, 16))
    os.close(read)
    os.waitpid(child, 0)
    assert theirs != new_save_id()
