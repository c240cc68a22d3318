"""A save behind another program's write lock (core/engine/write_lock.py through core/data/writes.save):
one wait of one budget that reports its seconds, Cancel between tries, the typed "locked" error at the end,
nothing written on the way, and one budget for both passes of a save; on PostgreSQL a row locked by another
session ends in the same typed error within the same budget."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from core.data import writes
from core.data.audit_trail import AUDIT_OFF
from core.data.changes import Change, Update
from core.engine import db as engine_db
from core.engine import sqlite_access
from core.engine.db import Database, open_database
from core.errors import ConflictError, DatabaseBusy
from core.progress import Cancelled, Progress, TaskState
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from tests.fixtures.sqlite_locks import write_lock_held

BUDGET_MS = 1500  # long enough to see a report with a whole second in it


@pytest.fixture
def budget(monkeypatch: pytest.MonkeyPatch) -> float:
    """The lock-wait budget for databases opened after this, in seconds."""
    monkeypatch.setattr(engine_db, "BUSY_TIMEOUT_MS", BUDGET_MS)
    monkeypatch.setattr(sqlite_access, "BUSY_TIMEOUT_MS", BUDGET_MS)
    return BUDGET_MS / 1000


@pytest.fixture
def items(tmp_path: Path, budget: float) -> Iterator[tuple[Database, Catalog]]:
    """A Warden SQLite file (WAL) with three rows of `items`."""
    db = open_database(tmp_path / "items.db", create=True)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        conn.exec_driver_sql("INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    yield db, load_catalog(db)
    db.dispose()


def rename(key: int, old: str, new: str) -> Update:
    return Update("items", {"id": key}, {"name": new}, original={"name": old})


def stored(db: Database) -> dict[int, str]:
    with db.engine.connect() as conn:
        return {int(r[0]): str(r[1]) for r in conn.exec_driver_sql("SELECT id, name FROM items")}


def path_of(db: Database) -> str:
    return db.url.database or ""


def test_a_save_behind_a_write_lock_waits_one_budget_reporting_seconds_then_is_locked(
    items: tuple[Database, Catalog], budget: float
) -> None:
    db, catalog = items
    seen: list[Progress] = []
    start = time.monotonic()
    with write_lock_held(path_of(db)), pytest.raises(DatabaseBusy) as caught:
        writes.save(
            db,
            catalog,
            [rename(1, "a", "x"), rename(2, "b", "y")],
            state=TaskState(seen.append),
            audit=AUDIT_OFF,
        )
    took = time.monotonic() - start
    assert budget - 0.1 <= took < budget + 0.8, took  # one wait: not two budgets, not none
    assert "is locked by another program" in str(caught.value) and "UPDATE" not in str(caught.value)
    assert seen, "the wait reported nothing"
    texts = [p.message for p in seen]
    assert texts[0] == "Waiting for another program's write lock (0 s of 1.5)…"
    assert "Waiting for another program's write lock (1 s of 1.5)…" in texts
    assert [p.total for p in seen] == [BUDGET_MS] * len(seen)
    assert [p.done for p in seen] == sorted(p.done for p in seen) and seen[-1].done < BUDGET_MS
    assert stored(db) == {1: "a", 2: "b", 3: "c"}
    with db.engine.connect() as conn:  # the short per-try timeout did not stay on the pooled connection
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUDGET_MS


def test_cancel_during_the_wait_stops_the_save_and_writes_nothing(items: tuple[Database, Catalog]) -> None:
    db, catalog = items
    state = TaskState(lambda _p: state.cancel())  # Cancel pressed when the first wait text shows
    start = time.monotonic()
    with write_lock_held(path_of(db)), pytest.raises(Cancelled):
        writes.save(db, catalog, [rename(1, "a", "x")], state=state, audit=AUDIT_OFF)
    assert time.monotonic() - start < 0.9  # at the next try, not at the end of the budget
    assert stored(db) == {1: "a", 2: "b", 3: "c"}
    writes.save(
        db, catalog, [rename(1, "a", "x")], audit=AUDIT_OFF
    )  # nothing of the cancelled save is left in the way
    assert stored(db)[1] == "x"


def test_a_lock_released_during_the_wait_lets_the_save_through(items: tuple[Database, Catalog]) -> None:
    db, catalog = items
    seen: list[Progress] = []
    held, release = threading.Event(), threading.Event()

    def other_program() -> None:
        with write_lock_held(path_of(db)):
            held.set()
            release.wait(5)

    holder = threading.Thread(target=other_program)
    holder.start()
    assert held.wait(5)

    def on_progress(p: Progress) -> None:
        seen.append(p)
        release.set()  # the other program finishes while the save waits

    try:
        result = writes.save(
            db,
            catalog,
            [rename(1, "a", "x"), rename(2, "b", "y")],
            state=TaskState(on_progress),
            audit=AUDIT_OFF,
        )
    finally:
        release.set()
        holder.join(5)
    assert [r.key for r in result.updated] == [{"id": 1}, {"id": 2}]
    assert stored(db) == {1: "x", 2: "y", 3: "c"}
    assert seen[0].message.startswith("Waiting for another program's write lock (0 s of 1.5)")
    assert seen[-1].message == ""  # the wait is over: the screen goes back to "Saving…"


def test_the_row_by_row_pass_waits_only_for_what_is_left_of_the_one_budget(
    items: tuple[Database, Catalog], budget: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch that conflicts runs again row by row in a second transaction. If another program takes the
    lock in between, that second wait ends when the save's one budget is spent: never a second budget."""
    db, catalog = items
    first_wait, held, done = 0.6, threading.Event(), threading.Event()

    def other_program(seconds: float) -> None:
        with write_lock_held(path_of(db)):
            held.set()
            done.wait(seconds)

    real = writes.take_write_lock
    calls: list[float] = []

    def between_the_passes(conn: sa.Connection, **kwargs: Any) -> float:
        calls.append(kwargs.get("spent_ms", 0.0))
        if len(calls) == 2:  # the row-by-row pass: another program got the lock meanwhile
            held.clear()
            threading.Thread(target=other_program, args=(5,), daemon=True).start()
            assert held.wait(5)
        return real(conn, **kwargs)

    monkeypatch.setattr(writes, "take_write_lock", between_the_passes)
    threading.Thread(target=other_program, args=(first_wait,), daemon=True).start()
    assert held.wait(5)
    stale: list[Change] = [rename(1, "a", "x"), rename(2, "changed meanwhile", "y"), rename(3, "c", "z")]
    start = time.monotonic()
    try:
        with pytest.raises(DatabaseBusy):
            writes.save(
                db, catalog, stale, audit=AUDIT_OFF
            )  # the run matches 2 of 3 rows: the row-by-row pass must wait
    finally:
        took = time.monotonic() - start
        done.set()
    assert len(calls) == 2 and calls[1] >= (first_wait - 0.1) * 1000  # the second pass knew what was spent
    assert budget - 0.1 <= took < budget + 0.35, took  # one budget in all, not first_wait + a budget
    time.sleep(0.2)  # the other program lets go
    assert stored(db) == {1: "a", 2: "b", 3: "c"}
    with pytest.raises(ConflictError) as caught:
        writes.save(
            db, catalog, stale, audit=AUDIT_OFF
        )  # unhindered, the row-by-row pass names the conflicting row
    assert [c.key for c in caught.value.conflicts] == [{"id": 2}]
    assert stored(db) == {1: "a", 2: "b", 3: "c"}


def test_pg_a_row_locked_by_another_session_is_busy_after_the_budget(
    pg_server: object, budget: float
) -> None:
    from tests.fixtures.postgres import new_pg_database

    db = open_database(new_pg_database(pg_server, vector=False))
    try:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL)")
            conn.exec_driver_sql("INSERT INTO items VALUES (1, 'a')")
        catalog = load_catalog(db)
        outcome: list[BaseException | float] = []

        def save() -> None:
            start = time.monotonic()
            try:
                writes.save(db, catalog, [rename(1, "a", "x")], audit=AUDIT_OFF)
                outcome.append(time.monotonic() - start)
            except BaseException as exc:  # collected for the assertions below
                outcome.append(exc)
                outcome.append(time.monotonic() - start)

        holder = db.engine.connect()
        holder.exec_driver_sql("SELECT * FROM items FOR UPDATE")  # another session holds the row
        saver = threading.Thread(target=save)
        try:
            saver.start()
            saver.join(budget + 5)  # without a lock_timeout it would wait for ever
        finally:
            holder.rollback()
            holder.close()
            saver.join(10)
        error, took = outcome
        assert isinstance(error, DatabaseBusy) and "locked by another session" in str(error)
        assert isinstance(took, float) and budget - 0.1 <= took < budget + 2, took
        assert stored(db) == {1: "a"}
    finally:
        db.dispose()
