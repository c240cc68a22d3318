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
from core.engine.db import Database, open_database
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
    """An audited one-row save adds two WAL pages (its row's and the entry's): 600 of them (about 1,250
    pages, past SQLite's default of 1000) leave the database file untouched until later."""
    if schema_db.backend != "sqlite":
        pytest.skip("a SQLite WAL setting")
    catalog = load_catalog(schema_db, cached=False)
    first = save(schema_db, catalog, [Insert("users", {"username": "a", "email": "a@x.org"})])
    key = first.inserted[0].key
    with schema_db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # the file holds everything so far
    path = Path(str(schema_db.engine.url.database))
    before = path.read_bytes()
    for i in range(600):
        save(schema_db, catalog, [Update("users", key, {"display_name": f"n{i}"}, {}, i + 1)])
    assert path.read_bytes() == before
    frames = (Path(f"{path}-wal").stat().st_size - 32) // (24 + 4096)  # WAL header, frame header + page
    assert 1000 < frames < 5000  # past SQLite's default mark, short of Warden's
    assert len(list_entries(schema_db, catalog, limit=700)) == 601


@pytest.mark.parametrize(
    "value",
    [
        {"id": "5c7a2bea-0e91-48e9-bafa-c96711830825"},
        {"display_name": "plain text", "n": 3, "ok": True, "gone": None},
        {"name": "Zoë"},  # non-ASCII: json writes \u00eb
        {"name": "a\x7fb"},  # DEL: json writes \u007f
        {"name": 'tab\tquote"back\\slash\x01'},
        {"big": 2**64},  # past orjson's 64 bits
        {"ratio": 1e16, "small": 0.1},  # floats: orjson spells 1e16 differently
        {"nested": {"a": [1, "é"]}},
        {"list": [1, 2]},
        {1: "x"},  # a key that is not text (orjson refuses it)
        {},
        "text",
        [1, "two"],
    ],
)
def test_json_parts_are_spelt_as_json_spells_them(value: object) -> None:
    """The orjson shortcut writes exactly what json.dumps (minified) writes, whatever the value."""
    assert audit_trail._json_text(value) == json.dumps(value, separators=(",", ":"))


def test_the_usual_json_part_skips_json(monkeypatch: pytest.MonkeyPatch) -> None:
    """A flat object of text, integers, booleans and nulls (a key, an edit's fields) is written by orjson;
    json's encoder is left for what orjson spells differently."""
    used: list[object] = []

    class Spy(json.JSONEncoder):
        def encode(self, o: object) -> str:
            used.append(o)
            return super().encode(o)

    monkeypatch.setattr(audit_trail, "_MINIFIED", Spy(separators=(",", ":")))
    assert (
        audit_trail._json_text({"id": "k", "n": 1, "ok": False, "x": None})
        == '{"id":"k","n":1,"ok":false,"x":null}'
    )
    assert used == []
    assert audit_trail._json_text({"name": "Zoë"}) == '{"name":"Zo\\u00eb"}'
    assert used == [{"name": "Zoë"}]


def test_the_audit_log_has_no_index_but_its_key(schema_db: Database) -> None:
    """Each index of the log would be a page more per audited save (the viewer walks the log by id)."""
    assert sa.inspect(schema_db.engine).get_indexes("admin_audit_log") == []


INDEXES = {"ix_admin_audit_log_at", "ix_admin_audit_log_entity_at", "ix_admin_audit_log_save_id"}


def test_the_migration_drops_the_indexes_and_puts_them_back(empty_url: str) -> None:
    """Upgrading to the revision drops the three indexes, with the entries kept and still listed, filtered
    and found by save alike; downgrading creates them again."""
    from core.audit.log import EntryFilter, save_entries
    from core.migrate import migrations as mig

    revision = "c6d2f8a4e1b5"
    db = open_database(empty_url, create=True)
    try:
        ((down,),) = [r.down_revision for r in mig.history() if r.revision == revision]
        mig.upgrade(db, down)
        catalog = load_catalog(db, cached=False)
        new: list[Change] = [Insert("users", {"username": "a", "email": "a@x.org"})]
        keys = [r.key for r in save(db, catalog, new).inserted]
        save(
            db, catalog, [Update("users", keys[0], {"display_name": "b"}, {}, 1)], audit=Auditing(user="ann")
        )

        def names() -> set[str]:
            return {str(ix["name"]) for ix in sa.inspect(db.engine).get_indexes("admin_audit_log")}

        def listed() -> list[tuple[str, str]]:
            since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
            found = list_entries(db, catalog, EntryFilter(entity="users", since=since))
            return [(e.action, e.user) for e in found] + [
                (e.action, e.user) for e in save_entries(db, catalog, found[0].save_id)
            ]

        assert names() >= INDEXES
        before = listed()
        assert mig.upgrade(db, revision).applied == [revision]
        assert names() == set()
        assert listed() == before == [("update", "ann"), ("insert", os_user()), ("update", "ann")]
        mig.downgrade(db, down)
        assert names() >= INDEXES
        assert listed() == before
    finally:
        db.dispose()


@pytest.mark.parametrize(
    "when",
    [
        dt.datetime(2026, 12, 3, 11, 56, 56, 294786, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),  # whole seconds: still six digits
        dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),  # next day in UTC
        dt.datetime(999, 5, 6, 7, 8, 9, 10, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    ],
)
def test_a_one_entry_time_is_spelt_as_the_column_spells_it(when: dt.datetime) -> None:
    """The one-entry INSERT writes its time with _iso_utc instead of the column's processor (half the
    cost): the same text for any aware time."""
    from sqlalchemy.dialects import sqlite

    from core.schema.models import metadata

    dialect = sqlite.dialect(paramstyle="qmark")
    table = metadata.tables["admin_audit_log"]
    process = table.c.at.type.dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    _, plan = audit_trail._one_statement(dialect, table)
    [at_step] = [p for i, p in plan if i == audit_trail.COMMON.index("at")]
    assert at_step is audit_trail._iso_utc
    assert audit_trail._iso_utc(when) == process(when)
