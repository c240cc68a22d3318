"""The audit log on real SQLite and PostgreSQL: every save records exactly what it wrote, in its own
transaction; failed saves record nothing; revert undoes exactly the selection; the log's listing filters."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from core.audit.consent import ensure_audit_table, has_audit_log
from core.audit.log import EntryFilter, get_entry, list_entries, parse_since, save_entries
from core.audit.revert import Selection, revert, revert_save
from core.data.audit_trail import AUDIT_OFF, Auditing, AuditUnavailable
from core.data.changes import Change, Delete, Insert, Update
from core.data.writes import save
from core.engine.db import Database, open_database
from core.errors import ConflictError, ReadOnlyError, ValidationError
from core.schema.catalog import Catalog
from core.schema.load import load_catalog


@pytest.fixture
def ref(schema_db: Database) -> tuple[Database, Catalog]:
    """The reference schema (audit log included), empty, on each backend."""
    return schema_db, load_catalog(schema_db, cached=False)


def _users(n: int, tag: str = "u") -> list[Change]:
    return [
        Insert("users", {"username": f"{tag}{i}", "email": f"{tag}{i}@example.org", "display_name": f"U {i}"})
        for i in range(n)
    ]


def _rows(db: Database, table: str, order: str = "username") -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY {order}")).mappings()]


def _count(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM admin_audit_log")).scalar_one())


def _tool(i: int) -> Insert:
    return Insert(
        "tool_executions",
        {"correlation_id": f"c{i}", "tool_name": "grep", "status": "success", "duration_ms": i},
    )


# --- recording ----------------------------------------------------------------------------------------


def test_every_save_path_records_exactly_the_changed_fields(ref: tuple[Database, Catalog]) -> None:
    db, cat = ref
    who = Auditing(user="alice", profile="prod", reason="ticket 7")
    made = save(db, cat, [*_users(3), _tool(1), _tool(2)], audit=who)  # inserts: insertmanyvalues runs
    users = [r.key for r in made.inserted[:3]]
    tools = [r.key for r in made.inserted[3:]]
    inserted = save_entries(db, cat, list_entries(db, cat)[0].save_id)
    assert [e.action for e in inserted] == ["insert"] * 5
    assert {(e.user, e.profile, e.reason) for e in inserted} == {("alice", "prod", "ticket 7")}
    assert inserted[0].before is None and inserted[0].after is not None
    assert inserted[0].after["username"] == "u0" and inserted[0].key == {"id": str(users[0]["id"])}

    # Updates as the editor sends them: a run by version (users), a run by original value (tools), a
    # JSON column (its own statement), one row whose other edited field is set to what it was.
    changes: list[Change] = [
        Update("users", users[0], {"display_name": "A"}, {"display_name": "U 0"}, 1),
        Update("users", users[1], {"display_name": "B"}, {"display_name": "U 1"}, 1),
        Update("users", users[2], {"metadata": {"tier": 2}}, {"metadata": {}}, 1),
        Update("tool_executions", tools[0], {"duration_ms": 10}, {"duration_ms": 1}),
        Update("tool_executions", tools[1], {"duration_ms": 20, "tool_name": "grep"},
               {"duration_ms": 2, "tool_name": "grep"}),
    ]  # fmt: skip
    save(db, cat, changes)
    updated = list(reversed(list_entries(db, cat, EntryFilter(action="update"))))
    assert [(e.entity, e.before, e.after) for e in updated] == [
        ("users", {"display_name": "U 0"}, {"display_name": "A"}),
        ("users", {"display_name": "U 1"}, {"display_name": "B"}),
        ("users", {"metadata": {}}, {"metadata": {"tier": 2}}),
        ("tool_executions", {"duration_ms": 1}, {"duration_ms": 10}),
        ("tool_executions", {"duration_ms": 2}, {"duration_ms": 20}),  # tool_name did not change
    ]
    assert len({e.save_id for e in updated}) == 1 and updated[0].save_id != inserted[0].save_id

    # An update without loaded values (as the CLI gives them): the before is read in the transaction.
    save(db, cat, [Update("users", {"id": str(users[0]["id"])}, {"display_name": "C"})])
    (last,) = list_entries(db, cat, limit=1)
    assert (last.before, last.after) == ({"display_name": "A"}, {"display_name": "C"})

    # A delete as the editor sends it (loaded columns only): the whole row is logged as before.
    whole = next(r for r in _rows(db, "users") if r["username"] == "u1")
    save(db, cat, [Delete("users", users[1], {"username": "u1"}, 2)])
    (gone,) = list_entries(db, cat, EntryFilter(action="delete"))
    assert gone.after is None and gone.before is not None
    assert set(gone.before) == set(whole) and gone.before["display_name"] == "B"
    assert _count(db) == 5 + 5 + 1 + 1


def test_a_deleted_row_keeps_its_vector_and_is_restored_whole(ref: tuple[Database, Catalog]) -> None:
    db, cat = ref
    vec = np.linspace(-1, 1, 384, dtype=np.float32)
    made = save(db, cat, [Insert("regions", {"name": "North", "climate": "cold", "embedding": vec})])
    key = made.inserted[0].key
    before = _rows(db, "regions", "name")
    save(db, cat, [Delete("regions", key, {"name": "North"}, 1)])  # the editor leaves vectors out
    assert _rows(db, "regions", "name") == []
    (gone,) = list_entries(db, cat, EntryFilter(action="delete"))
    result = revert(db, cat, Selection(gone.id))
    assert len(result.inserted) == 1
    after = _rows(db, "regions", "name")
    assert len(after) == 1
    for name, value in before[0].items():
        if name == "embedding":
            assert value is not None and str(after[0][name]) == str(value)  # the same vector
        else:
            assert after[0][name] == value, name
    (restored,) = list_entries(db, cat, EntryFilter(action="revert"))
    assert restored.reverts == gone.id and restored.before is None


def test_failed_and_conflicting_saves_record_nothing(ref: tuple[Database, Catalog]) -> None:
    db, cat = ref
    keys = [r.key for r in save(db, cat, _users(4)).inserted]
    start = _count(db)
    with pytest.raises(ValidationError):  # refused by validation: a required column blank
        save(db, cat, [*_users(2, "v"), Insert("users", {"username": "x"})])
    with pytest.raises(ValidationError):  # refused by the database in a run: the row-by-row pass names it
        save(db, cat, [*_users(2, "w"), Insert("users", {"username": "u0", "email": "dup@example.org"})])
    with pytest.raises(ConflictError):  # one row of a run by version changed meanwhile
        save(db, cat, [Update("users", k, {"display_name": "Z"}, {}, 1 if i != 2 else 7)
                       for i, k in enumerate(keys)])  # fmt: skip
    with pytest.raises(ConflictError):  # a delete of a row changed meanwhile, alone (row by row)
        save(db, cat, [Delete("users", keys[0], {"display_name": "not this"})])
    assert _count(db) == start
    assert {r["display_name"] for r in _rows(db, "users")} == {"U 0", "U 1", "U 2", "U 3"}


# --- the log itself -------------------------------------------------------------------------------------


def test_the_audit_log_is_read_only_to_saves(ref: tuple[Database, Catalog]) -> None:
    db, cat = ref
    save(db, cat, _users(1))
    (entry,) = list_entries(db, cat)
    with pytest.raises(ReadOnlyError, match="audit log"):
        save(db, cat, [Update("admin_audit_log", {"id": entry.id}, {"reason": "tampered"})])
    with pytest.raises(ReadOnlyError):
        save(db, cat, [Delete("admin_audit_log", {"id": entry.id})])
    assert get_entry(db, cat, entry.id).reason is None


def test_listing_filters_by_user_entity_key_action_and_time(ref: tuple[Database, Catalog]) -> None:
    db, cat = ref
    a = save(db, cat, _users(2), audit=Auditing(user="alice")).inserted
    save(db, cat, [_tool(1)], audit=Auditing(user="bob"))
    save(db, cat, [Update("users", a[0].key, {"display_name": "X"}, {"display_name": "U 0"}, 1)],
         audit=Auditing(user="bob"))  # fmt: skip
    assert len(list_entries(db, cat)) == 4
    assert [e.user for e in list_entries(db, cat, EntryFilter(user="alice"))] == ["alice", "alice"]
    assert {e.entity for e in list_entries(db, cat, EntryFilter(entity="tool_executions"))} == {
        "tool_executions"
    }
    one = str(a[0].key["id"])
    assert [e.action for e in list_entries(db, cat, EntryFilter(key=one))] == ["update", "insert"]
    spelled = one.replace("-", "").upper()  # any spelling of the UUID
    assert len(list_entries(db, cat, EntryFilter(key=spelled))) == 2
    assert len(list_entries(db, cat, EntryFilter(key=f'{{"id": "{one}"}}'))) == 2
    assert [e.user for e in list_entries(db, cat, EntryFilter(action="update"))] == ["bob"]
    now = dt.datetime.now(dt.UTC)
    assert len(list_entries(db, cat, EntryFilter(since=now - dt.timedelta(minutes=5)))) == 4
    assert list_entries(db, cat, EntryFilter(since=now + dt.timedelta(minutes=5))) == []
    first = list_entries(db, cat, limit=3)
    assert [e.id for e in first] == sorted((e.id for e in first), reverse=True)
    assert [e.id for e in list_entries(db, cat, before_id=first[-1].id)] == [first[-1].id - 1]
    assert parse_since("2h", now) == now - dt.timedelta(hours=2)
    assert parse_since("2026-05-01") == dt.datetime(2026, 5, 1, tzinfo=dt.UTC)


# --- revert ---------------------------------------------------------------------------------------------


def test_revert_of_one_field_of_a_twenty_row_save_changes_exactly_that_field_of_that_row(
    ref: tuple[Database, Catalog],
) -> None:
    db, cat = ref
    keys = [r.key for r in save(db, cat, _users(20)).inserted]
    save(db, cat, [
        Update("users", k, {"display_name": f"new {i}", "email": f"new{i}@example.org"},
               {"display_name": f"U {i}", "email": f"u{i}@example.org"}, 1)
        for i, k in enumerate(keys)
    ])  # fmt: skip
    entries = list_entries(db, cat, EntryFilter(action="update"))
    assert len(entries) == 20 and len({e.save_id for e in entries}) == 1
    seventh = next(e for e in entries if e.key == {"id": str(keys[7]["id"])})
    before = {r["id"]: r for r in _rows(db, "users")}
    revert(db, cat, Selection(seventh.id, ("email",)), reason="wrong address")
    after = {r["id"]: r for r in _rows(db, "users")}
    changed = {
        (row_id, name)
        for row_id, row in after.items()
        for name, value in row.items()
        if before[row_id][name] != value
    }
    (seventh_id,) = [i for i in after if str(uuid.UUID(str(i))) == str(keys[7]["id"])]
    assert changed == {(seventh_id, "email"), (seventh_id, "version")}  # the version counter says "saved"
    assert after[seventh_id]["email"] == "u7@example.org" and after[seventh_id]["display_name"] == "new 7"
    (entry,) = list_entries(db, cat, EntryFilter(action="revert"))
    assert (entry.reverts, entry.reason, entry.before, entry.after) == (
        seventh.id,
        "wrong address",
        {"email": "new7@example.org"},
        {"email": "u7@example.org"},
    )


def test_revert_after_a_later_edit_is_a_conflict_and_writes_nothing(ref: tuple[Database, Catalog]) -> None:
    db, cat = ref
    (key,) = [r.key for r in save(db, cat, _users(1)).inserted]
    save(db, cat, [Update("users", key, {"display_name": "first"}, {"display_name": "U 0"}, 1)])
    (first,) = list_entries(db, cat, EntryFilter(action="update"))
    save(db, cat, [Update("users", key, {"display_name": "second"}, {"display_name": "first"}, 2)])
    count = _count(db)
    with pytest.raises(ConflictError):
        revert(db, cat, Selection(first.id))
    assert _count(db) == count
    assert _rows(db, "users")[0]["display_name"] == "second"
    # A field the later edit did not touch still reverts.
    save(db, cat, [Update("users", key, {"email": "e@example.org"}, {"email": "u0@example.org"}, 3)])
    (email,) = list_entries(db, cat, EntryFilter(action="update"), limit=1)
    revert(db, cat, Selection(email.id, ("email",)))
    assert _rows(db, "users")[0]["email"] == "u0@example.org"
    with pytest.raises(Exception, match="did not change"):
        revert(db, cat, Selection(email.id, ("username",)))


def test_revert_of_a_whole_save_undoes_its_inserts_and_updates(ref: tuple[Database, Catalog]) -> None:
    db, cat = ref
    (kept,) = [r.key for r in save(db, cat, _users(1, "keep")).inserted]
    made = save(
        db, cat, [*_users(2, "new"), Update("users", kept, {"display_name": "X"}, {"display_name": "U 0"}, 1)]
    )
    entry = list_entries(db, cat, limit=1)[0]
    result = revert_save(db, cat, entry.save_id)
    assert len(result.deleted) == 2 and len(result.updated) == 1
    assert [(r["username"], r["display_name"]) for r in _rows(db, "users")] == [("keep0", "U 0")]
    reverts = list_entries(db, cat, EntryFilter(action="revert"))
    assert sorted(e.reverts or 0 for e in reverts) == sorted(
        e.id for e in save_entries(db, cat, entry.save_id)
    )
    assert len(made.inserted) == 2


def test_revert_of_an_insert_never_reaches_another_row(ref: tuple[Database, Catalog]) -> None:
    db, cat = ref
    (parent,) = [r.key for r in save(db, cat, [Insert("regions", {"name": "P"})]).inserted]
    save(db, cat, [Insert("regions", {"name": "C", "parent_region_id": parent["id"]})])
    first = min(list_entries(db, cat), key=lambda e: e.id)
    with pytest.raises(ValidationError, match="1 row of regions"):
        revert(db, cat, Selection(first.id))  # deleting P would set C's parent to NULL
    assert {r["name"]: r["parent_region_id"] is not None for r in _rows(db, "regions", "name")} == {
        "C": True,
        "P": False,
    }


# --- a database Warden did not create -------------------------------------------------------------------


@pytest.fixture
def foreign(empty_url: str, backend: str) -> Iterator[Database]:
    """Someone else's database: one table of theirs, no audit log."""
    if backend == "sqlite":
        raw = sqlite3.connect(empty_url)
        raw.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        raw.execute("INSERT INTO notes VALUES (1, 'hello')")
        raw.commit()
        raw.close()
    else:
        engine = sa.create_engine(empty_url)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL)"))
            conn.execute(sa.text("INSERT INTO notes VALUES (1, 'hello')"))
        engine.dispose()
    db = open_database(empty_url)
    yield db
    db.dispose()


def test_a_database_without_the_log_saves_only_with_audit_explicitly_off(foreign: Database) -> None:
    cat = load_catalog(foreign, cached=False)
    assert not has_audit_log(cat)
    edit: list[Change] = [Update("notes", {"id": 1}, {"body": "changed"}, {"body": "hello"})]
    with pytest.raises(AuditUnavailable, match="no audit log"):
        save(foreign, cat, edit)
    assert _rows(foreign, "notes", "id")[0]["body"] == "hello"
    save(foreign, cat, edit, audit=AUDIT_OFF)
    assert _rows(foreign, "notes", "id")[0]["body"] == "changed"
    assert not sa.inspect(foreign.engine).has_table("admin_audit_log")

    assert ensure_audit_table(foreign) is True  # the user said yes
    assert ensure_audit_table(foreign) is False
    cat = load_catalog(foreign, cached=False)
    assert has_audit_log(cat)
    save(foreign, cat, [Update("notes", {"id": 1}, {"body": "again"}, {"body": "changed"})])
    (entry,) = list_entries(foreign, cat)
    assert (entry.entity, entry.key, entry.before, entry.after) == (
        "notes", {"id": 1}, {"body": "changed"}, {"body": "again"}
    )  # fmt: skip
    revert(foreign, cat, Selection(entry.id))
    assert _rows(foreign, "notes", "id")[0]["body"] == "changed"


def test_listing_a_database_without_the_log_says_so(foreign: Database, tmp_path: Path) -> None:
    cat = load_catalog(foreign, cached=False)
    with pytest.raises(AuditUnavailable):
        list_entries(foreign, cat)
