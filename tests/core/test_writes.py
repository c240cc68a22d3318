"""One save path (core/data/writes.py): runs of like changes as one executemany, conflicts and refusals
named per row, values read once, statements in the slow log without their values; on both backends."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from core.data import repository as repo
from core.data.changes import Delete, Insert, Update
from core.data.validation import check_value, validate
from core.engine.db import Database, open_database
from core.errors import ConflictError, ValidationError
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from core.schema.models import metadata
from tests.fixtures.coercion_reads import count_reads

T0 = dt.datetime(2024, 3, 1, 12, 0, 30, tzinfo=dt.UTC)
N = 40


def uid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


def fill(db: Database) -> None:
    """N users (versioned) and N tool executions (no version: checked by original value)."""
    users, tools = metadata.tables["users"], metadata.tables["tool_executions"]
    with db.engine.begin() as conn:
        conn.execute(
            users.insert(),
            [{"id": uid(i), "email": f"u{i}@x.org", "username": f"u{i}", "role": "player", "created_at": T0}
             for i in range(N)],
        )  # fmt: skip
        conn.execute(
            tools.insert(),
            [{"id": uid(1000 + i), "correlation_id": "c", "tool_name": "t", "status": "success",
              "inputs_json": {}, "duration_ms": i, "created_at": T0} for i in range(N)],
        )  # fmt: skip


@pytest.fixture
def cat(schema_db: Database) -> Catalog:
    fill(schema_db)
    return load_catalog(schema_db)


@pytest.fixture
def statements(schema_db: Database) -> Iterator[list[tuple[str, bool]]]:
    """(SQL, executemany) of every statement the engine runs while the test does."""
    seen: list[tuple[str, bool]] = []

    def listener(_conn: Any, _cursor: Any, sql: str, _params: Any, _context: Any, many: bool) -> None:
        seen.append((sql, many))

    sa.event.listen(schema_db.engine, "before_cursor_execute", listener)
    yield seen
    sa.event.remove(schema_db.engine, "before_cursor_execute", listener)


def renames(versions: dict[int, int] | None = None) -> list[Update]:
    return [Update("users", {"id": uid(i)}, {"display_name": f"n{i}"}, {}, (versions or {}).get(i, 1))
            for i in range(N)]  # fmt: skip


def durations() -> list[Update]:
    return [Update("tool_executions", {"id": uid(1000 + i)}, {"duration_ms": i + 100}, {"duration_ms": i})
            for i in range(N)]  # fmt: skip


def names(db: Database, cat: Catalog) -> dict[uuid.UUID, tuple[Any, Any]]:
    t = cat.get("users").table
    with db.engine.connect() as conn:
        return {r[0]: (r[1], r[2]) for r in conn.execute(sa.select(t.c.id, t.c.display_name, t.c.version))}


def test_a_run_of_like_updates_is_one_executemany(schema_db, cat, statements):
    result = repo.save(schema_db, cat, renames() + durations())
    updates = [(sql, many) for sql, many in statements if sql.startswith("UPDATE")]
    assert len(updates) == 2 and all(many for _, many in updates)  # one per entity, not one per row
    assert [r.key for r in result.updated] == [{"id": uid(i)} for i in range(N)] + [
        {"id": uid(1000 + i)} for i in range(N)
    ]
    assert [r.version for r in result.updated] == [2] * N + [None] * N
    assert all(v == (f"n{i}", 2) for i, v in enumerate(names(schema_db, cat).values()))
    assert repo.get_row(schema_db, cat, "tool_executions", {"id": uid(1007)})["duration_ms"] == 107


def test_a_conflict_inside_a_run_names_its_row_and_writes_nothing(schema_db, cat):
    repo.save(schema_db, cat, [Update("users", {"id": uid(7)}, {"display_name": "theirs"}, {}, 1)])
    before = names(schema_db, cat)
    with pytest.raises(ConflictError) as err:
        repo.save(schema_db, cat, renames())  # row 7 still says version 1
    [conflict] = err.value.conflicts
    assert conflict.key == {"id": uid(7)} and conflict.stored is not None
    assert conflict.stored["display_name"] == "theirs" and conflict.attempted == {"display_name": "n7"}
    assert names(schema_db, cat) == before
    stale = durations()
    stale[3].original = {"duration_ms": 999}
    with pytest.raises(ConflictError) as err:
        repo.save(schema_db, cat, stale)
    assert [c.key for c in err.value.conflicts] == [{"id": uid(1003)}]
    assert repo.get_row(schema_db, cat, "tool_executions", {"id": uid(1000)})["duration_ms"] == 0


def test_a_refusal_inside_a_run_names_its_row(schema_db, cat):
    batch = [Update("users", {"id": uid(i)}, {"email": f"new{i}@x.org"}, {}, 1) for i in range(N)]
    batch[5].values = {"email": "u9@x.org"}  # taken by row 9, which keeps it: only the database knows
    batch[9].values = {"email": "u9@x.org"}
    with pytest.raises(ValidationError) as err:
        repo.save(schema_db, cat, batch)
    assert [p.row for p in err.value.problems] == [5]
    assert repo.get_row(schema_db, cat, "users", {"id": uid(0)})["email"] == "u0@x.org"


def test_inserts_and_deletes_run_together_and_keep_batch_order(schema_db, cat, statements):
    new = [
        Insert("users", {"email": f"new{i}@x.org", "username": f"new{i}", "role": "admin"}) for i in range(5)
    ]
    gone = [Delete("users", {"id": uid(i)}, {}, 1) for i in range(10, 15)]
    result = repo.save(schema_db, cat, new + gone)
    assert [r.version for r in result.inserted] == [1] * 5
    rows = [repo.get_row(schema_db, cat, "users", r.key) for r in result.inserted]
    assert [r["username"] for r in rows] == [f"new{i}" for i in range(5)]  # keys in parameter order
    assert [r.key for r in result.deleted] == [{"id": uid(i)} for i in range(10, 15)]
    assert len(names(schema_db, cat)) == N
    deletes = [many for sql, many in statements if sql.startswith("DELETE")]
    assert deletes == [True]


def test_a_run_sets_onupdate_columns_per_row(schema_db, cat):
    regions = metadata.tables["regions"]
    with schema_db.engine.begin() as conn:
        conn.execute(
            regions.insert(), [{"id": uid(500 + i), "name": f"R{i}", "created_at": T0} for i in range(3)]
        )
    batch = [Update("regions", {"id": uid(500 + i)}, {"danger_level": i + 1}, {}, 1) for i in range(3)]
    result = repo.save(schema_db, cat, batch)
    assert [r.version for r in result.updated] == [2, 2, 2]
    for i in range(3):
        row = repo.get_row(schema_db, cat, "regions", {"id": uid(500 + i)})
        assert row["danger_level"] == i + 1 and row["version"] == 2
        assert row["updated_at"] > T0 and row["updated_at"].tzinfo is not None


def test_one_row_saves_as_before(schema_db, cat, statements):
    result = repo.save(schema_db, cat, [renames()[3]])
    assert result.updated[0].key == {"id": uid(3)} and result.updated[0].version == 2
    # On PostgreSQL the audited row's statement writes its entry too: WITH w AS (UPDATE …) … (audit_trail).
    spelt = [(" ".join(sql.split()), many) for sql, many in statements]
    updates = [many for sql, many in spelt if sql.startswith(("UPDATE", "WITH w AS (UPDATE"))]
    assert updates == [False]


def test_a_value_is_read_once_from_typing_to_the_database(schema_db, cat, monkeypatch):
    reads = count_reads(monkeypatch, "string")
    keys = count_reads(monkeypatch, "uuid")
    users = cat.get("users")
    value, problem = check_value(users, "display_name", "Ann")  # the editor, as the cell is typed
    assert (value, problem) == ("Ann", None) and reads == ["Ann"]
    change = Update("users", {"id": str(uid(2))}, {"display_name": value}, {}, 1, frozenset({"display_name"}))
    repo.save(schema_db, cat, [change])
    assert reads == ["Ann"]  # staged as read: the save does not read it again
    assert keys == [str(uid(2))]  # the key: read by validation, used as read by the write
    assert repo.get_row(schema_db, cat, "users", {"id": uid(2)})["display_name"] == "Ann"


def test_unchecked_values_are_read_and_checked_by_the_save(cat):
    given = Update("users", {"id": uid(1)}, {"display_name": "x" * 81}, {}, 1)
    with pytest.raises(ValidationError, match="at most 80 characters"):
        validate(cat, [given])
    typed = Update("users", {"id": uid(1)}, {"display_name": "Bo"}, {}, 1)
    assert validate(cat, [typed]) == [typed] and validate(cat, [typed])[0] is typed  # nothing to copy
    [read] = validate(cat, [Update("users", {"id": str(uid(1))}, {"is_active": "yes"}, {}, 1)])
    assert read.key == {"id": uid(1)} and read.values == {"is_active": True}


def test_check_value_says_what_validate_says(cat):
    products = cat.get("products")
    assert check_value(products, "stock", "7") == (7, None)
    assert check_value(products, "stock", "-1") == (-1, "must be at least 0 (got -1)")
    assert check_value(products, "stock", "1x")[0] == "1x"
    assert check_value(cat.get("locations"), "name", " ") == (" ", "is required and cannot be blank")


def test_statements_reach_the_slow_log_without_their_values(empty_url, caplog):
    db = open_database(empty_url, create=True, slow_ms=0.0)
    try:
        metadata.create_all(db.engine)
        fill(db)
        cat = load_catalog(db)
        db.slow_statements.clear()
        with caplog.at_level("WARNING", logger="warden.slow"):
            repo.get_row(db, cat, "users", {"id": uid(1)})
            repo.save(db, cat, [Update("users", {"id": uid(i)}, {"display_name": "hunter2"}, {}, 1)
                                for i in range(3)])  # fmt: skip
        sql = [" ".join(s.sql.split()) for s in db.slow_statements]
        assert any(s.startswith("SELECT users.id") for s in sql)
        assert any(s.startswith("UPDATE users SET display_name") for s in sql)
        assert "hunter2" not in caplog.text and "slow statement" in caplog.text
        assert uid(1).hex not in caplog.text and str(uid(1)) not in caplog.text
    finally:
        db.dispose()
