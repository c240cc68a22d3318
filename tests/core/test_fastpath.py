"""The fast path (core/data/fastpath.py) answers exactly as the general path does, on both backends."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from core.data import fastpath
from core.data import repository as repo
from core.data.changes import Insert, Update
from core.engine import held
from core.engine.db import Database, open_database
from core.errors import ConflictError, NotFoundError, ValidationError
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from core.schema.models import metadata

T0 = dt.datetime(2024, 3, 1, 12, 0, 30, 123456, tzinfo=dt.UTC)
VEC = np.linspace(-1, 1, 384, dtype=np.float32)


def uid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


@pytest.fixture
def general(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A context manager: inside it every call takes the general path."""
    import contextlib

    @contextlib.contextmanager
    def only_general() -> Any:
        with monkeypatch.context() as m:
            m.setattr(fastpath, "BACKENDS", frozenset())
            yield

    return only_general


def fill(db: Database) -> None:
    """Rows with every column kind: UUID, JSON, decimal, UTC times, booleans, vectors and NULLs."""
    rows: dict[str, list[dict[str, Any]]] = {
        "users": [
            {"id": uid(1), "email": "a@x.org", "username": "ann", "display_name": None, "role": "admin",
             "is_active": False, "meta": {"theme": "dark", "n": [1, 2.5, None]}, "created_at": T0,
             "last_login_at": T0 + dt.timedelta(days=1)},
            {"id": uid(2), "email": "b@x.org", "username": "bob", "display_name": "Bob",
             "last_login_at": None, "meta": {}},
        ],
        "products": [
            {"id": uid(10), "sku": "S1", "name": "Lamp", "price": Decimal("12.50"), "tags": ["a", "b"],
             "created_at": T0},
            {"id": uid(11), "sku": "S2", "name": "Rope", "price": Decimal("0.99"), "description": "long"},
        ],
        "regions": [
            {"id": uid(20), "name": "North", "embedding": VEC, "created_at": T0},
            {"id": uid(21), "name": "South", "parent_region_id": uid(20), "embedding": None},
        ],
        "tool_executions": [
            {"id": uid(30), "correlation_id": "c1", "tool_name": "search", "status": "success",
             "inputs_json": {"q": "x"}, "outputs_json": None, "error_message": None, "duration_ms": 5,
             "created_at": T0},
        ],
    }  # fmt: skip
    with db.engine.begin() as conn:
        for name, table_rows in rows.items():
            table = metadata.tables[name]
            for row in table_rows:
                row.setdefault("created_at", T0)  # the same on every database this fills
                conn.execute(table.insert().values({table.c[k if k != "meta" else "metadata"]: v
                                                    for k, v in row.items()}))


def same(a: Any, b: Any) -> bool:
    """Equal values of the same type (arrays element-wise, datetimes with the same offset)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, dt.datetime):
        return isinstance(b, dt.datetime) and a == b and a.utcoffset() == b.utcoffset()
    return type(a) is type(b) and a == b


@pytest.fixture
def cat(schema_db: Database) -> Catalog:
    fill(schema_db)
    return load_catalog(schema_db)


KEYS = [("users", uid(1)), ("users", uid(2)), ("products", uid(10)), ("products", uid(11)),
        ("regions", uid(20)), ("regions", uid(21)), ("tool_executions", uid(30))]  # fmt: skip


def test_get_row_is_the_same_on_both_paths(schema_db, cat, general):
    before = fastpath.counters["get"]
    fast = {(t, k): repo.get_row(schema_db, cat, t, {"id": str(k)}) for t, k in KEYS}
    assert fastpath.counters["get"] == before + len(KEYS)  # every one of them took the fast path
    with general():
        slow = {(t, k): repo.get_row(schema_db, cat, t, {"id": str(k)}) for t, k in KEYS}
    assert fastpath.counters["get"] == before + len(KEYS)
    for where, row in fast.items():
        assert same(row, slow[where]), where
    ann = fast[("users", uid(1))]
    assert ann["metadata"] == {"theme": "dark", "n": [1, 2.5, None]} and ann["display_name"] is None
    assert ann["created_at"] == T0 and ann["created_at"].tzinfo is not None and ann["is_active"] is False
    assert fast[("products", uid(10))]["price"] == Decimal("12.50")
    assert isinstance(fast[("regions", uid(20))]["embedding"], np.ndarray)
    assert fast[("regions", uid(21))]["embedding"] is None
    with pytest.raises(NotFoundError, match="users has no row with id="):
        repo.get_row(schema_db, cat, "users", {"id": uid(99)})


def edits() -> list[Update]:
    """One of each kind of save: by version, by original value (NULL too), several columns at once."""
    return [
        Update("users", {"id": uid(1)}, {"display_name": "Ann", "metadata": {"theme": "light"}}, {}, 1),
        Update("products", {"id": uid(10)}, {"price": "13.75", "tags": ["c"]}, {}, 1),
        Update("regions", {"id": uid(20)}, {"embedding": VEC * 2, "danger_level": 3}, {}, 1),
        Update("tool_executions", {"id": uid(30)}, {"duration_ms": 7, "error_message": "boom"},
               {"duration_ms": 5, "error_message": None}),
        Update("users", {"id": uid(2)}, {"last_login_at": T0}, {"last_login_at": None}),  # version bumps
    ]  # fmt: skip


def state(db: Database, cat: Catalog) -> dict[Any, dict[str, Any]]:
    out = {}
    for t, k in KEYS:
        row = repo.get_row(db, cat, t, {"id": k})
        row.pop("updated_at", None)  # set by the clock at each save
        out[(t, k)] = row
    return out


def test_save_writes_and_answers_the_same_on_both_paths(backend, tmp_path, request, general):
    if backend == "sqlite":
        urls = [str(tmp_path / "fast.db"), str(tmp_path / "general.db")]
    else:
        from tests.conftest import new_pg_database

        server = request.getfixturevalue("pg_server")
        urls = [new_pg_database(server), new_pg_database(server)]
    fast_db, slow_db = (open_database(u, create=True) for u in urls)
    try:
        for db in (fast_db, slow_db):
            metadata.create_all(db.engine)
            fill(db)
        cat = load_catalog(fast_db)
        before = fastpath.counters["save"]
        fast = [repo.save(fast_db, cat, [ch]) for ch in edits()]
        assert fastpath.counters["save"] == before + len(edits())
        with general():
            slow = [repo.save(slow_db, cat, [ch]) for ch in edits()]
        assert fastpath.counters["save"] == before + len(edits())
        assert fast == slow
        assert fast[0].updated[0].version == 2 and fast[4].updated[0].version == 2
        a, b = state(fast_db, cat), state(slow_db, cat)
        for where in a:
            assert same(a[where], b[where]), where
        touched = repo.get_row(fast_db, cat, "regions", {"id": uid(20)})
        assert touched["updated_at"] > T0 and touched["updated_at"].tzinfo is not None
    finally:
        fast_db.dispose()
        slow_db.dispose()


def conflict_of(db: Database, cat: Catalog, ch: Update) -> ConflictError:
    with pytest.raises(ConflictError) as err:
        repo.save(db, cat, [ch])
    return err.value


@pytest.mark.parametrize(
    "change",
    [
        Update("users", {"id": uid(1)}, {"display_name": "Stale"}, {}, 7),  # stale version
        Update("tool_executions", {"id": uid(30)}, {"duration_ms": 9}, {"duration_ms": 4}),  # stale value
        Update("tool_executions", {"id": uid(30)}, {"error_message": "x"}, {"error_message": "was"}),
        Update("users", {"id": uid(99)}, {"display_name": "Gone"}, {}, 1),  # deleted meanwhile
    ],
)
def test_conflicts_are_the_same_and_write_nothing(schema_db, cat, general, change):
    before = state(schema_db, cat)
    fast = conflict_of(schema_db, cat, change)
    with general():
        slow = conflict_of(schema_db, cat, change)
    assert str(fast) == str(slow)
    assert len(fast.conflicts) == len(slow.conflicts) == 1
    f, s = fast.conflicts[0], slow.conflicts[0]
    assert (f.entity, f.key, f.attempted) == (s.entity, s.key, s.attempted)
    assert (f.stored is None) == (s.stored is None)
    if f.stored is not None:
        assert same(f.stored, s.stored)
    after = state(schema_db, cat)
    assert all(same(after[w], before[w]) for w in before)


@pytest.mark.parametrize(
    "change",
    [
        Update("users", {"id": uid(1)}, {"display_name": "x" * 81}, {}, 1),  # too long for VARCHAR(80)
        Update("users", {"id": uid(1)}, {"email": None}, {}, 1),  # required
        Update("users", {"id": uid(1)}, {"nope": 1, "role": "emperor"}, {}, 1),  # unknown column, enum
        Update("users", {"id": "not-a-uuid"}, {"display_name": "A"}, {}, 1),  # unreadable key
        Update("products", {"id": uid(10)}, {"price": "12.345"}, {}, 1),  # too many decimal places
        Update("tool_executions", {"id": uid(30)}, {"duration_ms": 2**40}, {"duration_ms": 5}),  # int32
    ],
)
def test_validation_errors_are_the_same_and_write_nothing(schema_db, cat, general, change):
    before = state(schema_db, cat)
    with pytest.raises(ValidationError) as fast:
        repo.save(schema_db, cat, [change])
    with general(), pytest.raises(ValidationError) as slow:
        repo.save(schema_db, cat, [change])
    assert str(fast.value) == str(slow.value)
    assert fast.value.problems == slow.value.problems
    after = state(schema_db, cat)
    assert all(same(after[w], before[w]) for w in before)


def test_database_refusal_is_the_same_validation_error(schema_db, cat, general):
    # A unique constraint only the database knows about: the fast path leaves it to the general one.
    change = Update("users", {"id": uid(2)}, {"email": "a@x.org"}, {}, 1)
    with pytest.raises(ValidationError) as fast:
        repo.save(schema_db, cat, [change])
    with general(), pytest.raises(ValidationError) as slow:
        repo.save(schema_db, cat, [change])
    assert str(fast.value) == str(slow.value)
    assert repo.get_row(schema_db, cat, "users", {"id": uid(2)})["email"] == "b@x.org"


def test_batches_inserts_and_listeners_take_the_general_path(schema_db, cat):
    before = dict(fastpath.counters)
    batch = [Update("users", {"id": uid(1)}, {"display_name": "A"}, {}, 1),
             Update("users", {"id": uid(2)}, {"display_name": "B"}, {}, 1)]  # fmt: skip
    repo.save(schema_db, cat, batch)
    repo.save(schema_db, cat, [Insert("regions", {"name": "East"})])
    repo.save(schema_db, cat, [Update("regions", {"id": uid(21)}, {"parent_region_id": None}, {}, 1)])
    assert fastpath.counters["save"] == before["save"]
    seen: list[str] = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    sa.event.listen(schema_db.engine, "before_cursor_execute", listener)
    try:
        repo.get_row(schema_db, cat, "users", {"id": uid(1)})
        repo.save(schema_db, cat, [Update("users", {"id": uid(1)}, {"display_name": "C"}, {}, 2)])
    finally:
        sa.event.remove(schema_db.engine, "before_cursor_execute", listener)
    assert fastpath.counters["get"] == before["get"] and fastpath.counters["save"] == before["save"]
    assert any("UPDATE users" in s for s in seen)  # a listener sees every statement


def test_fast_statements_reach_the_slow_log_without_parameters(empty_url, caplog):
    db = open_database(empty_url, create=True, slow_ms=0.0)
    metadata.create_all(db.engine)
    fill(db)
    cat = load_catalog(db)
    db.slow_statements.clear()
    before = dict(fastpath.counters)
    with caplog.at_level("WARNING", logger="warden.slow"):
        repo.get_row(db, cat, "users", {"id": uid(1)})
        repo.save(db, cat, [Update("users", {"id": uid(1)}, {"display_name": "hunter2"}, {}, 1)])
    assert fastpath.counters["get"] == before["get"] + 1
    assert fastpath.counters["save"] == before["save"] + 1
    sql = [s.sql for s in db.slow_statements]
    assert any(s.startswith("SELECT users.id") for s in sql)
    assert any(s.startswith("UPDATE users SET display_name") for s in sql)
    assert all(s.parameter_count >= 1 for s in db.slow_statements if "users" in s.sql)
    assert "hunter2" not in caplog.text and "slow statement" in caplog.text
    assert uid(1).hex not in caplog.text and str(uid(1)) not in caplog.text
    db.dispose()


def held_of(db: Database) -> Any:
    return getattr(held._state(db.engine).local, "held", None)


def test_sqlite_threads_hold_their_own_connection_until_dispose(tmp_path):
    import threading

    db = open_database(tmp_path / "held.db", create=True)
    metadata.create_all(db.engine)
    fill(db)
    cat = load_catalog(db)
    assert repo.get_row(db, cat, "users", {"id": uid(1)})["display_name"] is None
    mine = held_of(db)
    assert mine is not None and mine.conn is not None and not mine.conn.in_transaction

    def other_thread() -> None:  # a save on another thread's own connection
        repo.save(db, cat, [Update("users", {"id": uid(1)}, {"display_name": "Ann"}, {}, 1)])
        assert held_of(db) is not mine and not held_of(db).conn.in_transaction

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    before = fastpath.counters["get"]
    assert repo.get_row(db, cat, "users", {"id": uid(1)})["display_name"] == "Ann"  # no stale snapshot
    assert fastpath.counters["get"] == before + 1 and held_of(db) is mine
    with pytest.raises(ConflictError):
        repo.save(db, cat, [Update("users", {"id": uid(1)}, {"display_name": "Stale"}, {}, 1)])
    assert not mine.conn.in_transaction  # the refused write was rolled back
    conn = mine.conn
    db.dispose()
    assert mine.conn is None and not held._state(db.engine).held
    with pytest.raises(Exception, match="closed"):
        conn.execute("select 1")
    assert repo.get_row(db, cat, "users", {"id": uid(1)})["display_name"] == "Ann"  # a new one after dispose
    assert held_of(db) is not mine and held_of(db).conn is not None
    db.engine.dispose()  # a new pool, not through Database.dispose: replaced at the next call
    stale = held_of(db)
    repo.get_row(db, cat, "users", {"id": uid(1)})
    assert held_of(db) is not stale and stale.conn is None
    db.dispose()


def test_memory_and_postgresql_databases_hold_no_connection(schema_db, cat):
    repo.get_row(schema_db, cat, "users", {"id": uid(1)})
    if schema_db.backend == "postgresql":
        assert held_of(schema_db) is None
    memory = open_database(":memory:")
    metadata.create_all(memory.engine)
    fill(memory)
    mcat = load_catalog(memory)
    assert repo.get_row(memory, mcat, "users", {"id": uid(1)})["username"] == "ann"
    assert held_of(memory) is None
    memory.dispose()
