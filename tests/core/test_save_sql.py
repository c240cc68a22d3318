"""The SQL a save would run (core/data/save_sql.py), as the confirm level shows it: run by hand, the shown
statements do what the save does, guard by version or loaded values as the save does, and spell awkward
values (quotes, NULL, JSON, long BLOBs) as literals; on both backends."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa

from core.data.changes import Change, Delete, Insert, Update
from core.data.save_sql import save_statements
from core.engine.db import Database
from core.schema.load import load_catalog
from core.schema.models import metadata

T0 = dt.datetime(2024, 3, 1, 12, 0, 30, tzinfo=dt.UTC)


def uid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


def fill(db: Database) -> None:
    users, tools = metadata.tables["users"], metadata.tables["tool_executions"]
    with db.engine.begin() as conn:
        conn.execute(
            users.insert(),
            [{"id": uid(i), "email": f"u{i}@x.org", "username": f"u{i}", "role": "player", "created_at": T0}
             for i in range(3)],
        )  # fmt: skip
        conn.execute(
            tools.insert(),
            [{"id": uid(1000 + i), "correlation_id": "c", "tool_name": "t", "status": "success",
              "inputs_json": {}, "duration_ms": i, "created_at": T0} for i in range(3)],
        )  # fmt: skip


def run_shown(db: Database, statements: list[str]) -> list[int]:
    """Run the statements as shown (text, no parameters); rows each one changed."""
    with db.engine.begin() as conn:
        return [conn.exec_driver_sql(s.rstrip(";")).rowcount for s in statements]


def test_shown_statements_do_what_the_save_does(schema_db: Database) -> None:
    fill(schema_db)
    catalog = load_catalog(schema_db)
    users, tools = metadata.tables["users"], metadata.tables["tool_executions"]
    changes: list[Change] = [
        Update("users", {"id": uid(0)}, {"email": "o'brien@x.org"}, {"email": "u0@x.org"}, version=1),
        Update("tool_executions", {"id": uid(1001)}, {"duration_ms": 77}, {"duration_ms": 1}),
        Delete("tool_executions", {"id": uid(1002)}, {"duration_ms": 2}),
        Insert(
            "users",
            {"id": uid(9), "email": "new@x.org", "username": "new", "role": "player", "created_at": T0},
        ),
    ]
    shown = save_statements(schema_db, catalog, changes)
    assert [s.split()[0] for s in shown] == ["UPDATE", "UPDATE", "DELETE", "INSERT"]
    assert "o''brien@x.org" in shown[0]  # a quote in a value is escaped, not a broken statement
    assert "version" in shown[0]  # the conflict check by version
    assert all(s.endswith(";") for s in shown)
    assert run_shown(schema_db, shown) == [1, 1, 1, 1]
    with schema_db.engine.connect() as conn:
        row = conn.execute(sa.select(users.c.email, users.c.version).where(users.c.id == uid(0))).one()
        assert tuple(row) == ("o'brien@x.org", 2)
        assert conn.execute(sa.select(tools.c.duration_ms).where(tools.c.id == uid(1001))).scalar() == 77
        assert conn.execute(sa.select(sa.func.count()).where(tools.c.id == uid(1002))).scalar() == 0
        assert conn.execute(sa.select(users.c.username).where(users.c.id == uid(9))).scalar() == "new"


def test_shown_guard_matches_nothing_once_the_row_changed(schema_db: Database) -> None:
    """A stale version or a stale loaded value: the statement shown changes no row (the save's conflict)."""
    fill(schema_db)
    catalog = load_catalog(schema_db)
    stale = [
        Update("users", {"id": uid(1)}, {"email": "a@x.org"}, {"email": "u1@x.org"}, version=5),
        Update("tool_executions", {"id": uid(1000)}, {"duration_ms": 5}, {"duration_ms": 99}),
    ]
    assert run_shown(schema_db, save_statements(schema_db, catalog, stale)) == [0, 0]


def test_awkward_values_and_made_ones_are_literals(schema_db: Database) -> None:
    fill(schema_db)
    catalog = load_catalog(schema_db)
    changes: list[Change] = [
        Update("tool_executions", {"id": uid(1000)}, {"inputs_json": {"q": "it's"}, "error_message": None}),
    ]
    (shown,) = save_statements(schema_db, catalog, changes)
    assert "it''s" in shown and "NULL" in shown
    assert run_shown(schema_db, [shown]) == [1]
    blob = save_statements(
        schema_db, catalog, [Update("rag_documents", {"id": uid(5)}, {"embedding": b"\x00" * 1536})]
    )[0]
    assert "1,536 bytes" in blob and len(blob) < 400  # a vector is summarised, not 3,000 hex digits
    assert save_statements(schema_db, catalog, [Update("users", {"id": uid(0)}, {"version": 3})]) == []
    # updated_at comes from the table's onupdate: spelt in too, no parameter left to bind
    (region,) = save_statements(
        schema_db, catalog, [Update("regions", {"id": uid(7)}, {"name": "x"}, version=1)]
    )
    assert "updated_at" in region and "?" not in region and "%(" not in region
    assert run_shown(schema_db, [region]) == [0]  # valid SQL as shown; no such row
