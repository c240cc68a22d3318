"""A running read can be stopped from another thread, on SQLite and PostgreSQL, and only while it runs."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from core.engine.db import Database, open_database
from core.engine.interrupt import Interrupted, interruptible

#: Seconds of work on either backend, unless it is stopped.
SLOW = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000000) "
    "SELECT count(*) FROM c",
    "postgresql": "SELECT pg_sleep(30)",
}


def _run_in_thread(db: Database, sql: str, outcome: dict[str, Any], ready: threading.Event) -> None:
    try:
        with interruptible() as scope:
            outcome["scope"] = scope
            ready.set()
            with db.engine.connect() as conn:
                conn.exec_driver_sql(sql).all()
        outcome["finished"] = True
    except Exception as exc:  # what the interrupted statement raised
        outcome["error"] = exc


def test_a_running_statement_stops_when_interrupted(schema_db: Database) -> None:
    db = schema_db
    outcome: dict[str, Any] = {}
    ready = threading.Event()
    worker = threading.Thread(target=_run_in_thread, args=(db, SLOW[db.backend], outcome, ready))
    worker.start()
    assert ready.wait(5)
    time.sleep(0.3)  # well inside the statement
    started = time.monotonic()
    assert outcome["scope"].interrupt()
    worker.join(10)
    assert not worker.is_alive() and time.monotonic() - started < 5
    error = outcome.get("error")
    assert isinstance(error, sa.exc.DBAPIError), outcome  # the database's own error for it
    assert "interrupt" in str(error).lower() or "cancel" in str(error).lower(), error
    for i in range(20):  # the pool's connections still work, and no late cancel hits the next borrower
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql(f"SELECT {i}").scalar() == i


def test_interrupting_between_statements_stops_the_next_one(schema_db: Database) -> None:
    with interruptible() as scope:
        with schema_db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
        assert scope.interrupt()
        with pytest.raises(Interrupted), schema_db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 2")


def test_an_ended_scope_cannot_hit_later_work(schema_db: Database) -> None:
    with interruptible() as scope:
        pass
    assert not scope.interrupt()
    with interruptible(), schema_db.engine.connect() as conn:  # the thread's next piece of work
        assert conn.exec_driver_sql("SELECT 3").scalar() == 3
    with schema_db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT 4")).scalar() == 4


def test_only_engines_opened_by_warden_take_part(tmp_path: Path) -> None:
    """Importing the module registers nothing: an engine made elsewhere is never stopped by a scope."""
    plain = sa.create_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    try:
        with interruptible() as scope:
            assert scope.interrupt()
            with plain.connect() as conn:  # no Interrupted: nothing listens on this engine's pool
                assert conn.exec_driver_sql("SELECT 5").scalar() == 5
    finally:
        plain.dispose()


def test_a_disposed_database_stays_interruptible(tmp_path: Path) -> None:
    """dispose() replaces the pool (a first save does it too); the new pool keeps the wiring."""
    db = open_database(tmp_path / "own.db", create=True)
    try:
        db.dispose()
        with interruptible() as scope:
            assert scope.interrupt()
            with pytest.raises(Interrupted), db.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 6")
    finally:
        db.dispose()


def _backend_id(conn: sa.Connection) -> object:
    """The server session (PostgreSQL) or the DB-API connection (SQLite) behind `conn`."""
    if conn.dialect.name == "postgresql":
        return conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    return id(conn.connection.dbapi_connection)


def test_a_connection_sent_a_cancel_is_not_lent_again(schema_db: Database) -> None:
    """A cancel request lands when the server gets to it: on PostgreSQL its connection is replaced."""
    db = schema_db
    with interruptible() as scope, db.engine.connect() as conn:
        stopped = _backend_id(conn)
        assert scope.interrupt()  # between statements: the request may reach the server at any later moment
    for i in range(5):
        with db.engine.connect() as conn:
            if db.backend == "postgresql":
                assert _backend_id(conn) != stopped
            assert conn.exec_driver_sql(f"SELECT {i}").scalar() == i


def test_a_connection_returned_by_another_thread_is_no_longer_the_scopes(schema_db: Database) -> None:
    """An old scope's interrupt never stops the statement of whoever borrowed its connection next."""
    db = schema_db
    taken: dict[str, Any] = {}
    done = threading.Event()

    def borrow() -> None:
        with interruptible() as scope:
            taken["scope"] = scope
            taken["conn"] = db.engine.connect()  # returned by the main thread below, while the scope lasts
            done.wait(30)

    db.engine.dispose()  # no idle connection in the pool: the next borrower gets the one returned below
    worker = threading.Thread(target=borrow)
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while "conn" not in taken and time.monotonic() < deadline:
            time.sleep(0.01)
        first = taken["conn"]
        first_id = _backend_id(first)
        first.close()  # back to the pool, from this thread
        pool = db.engine.pool
        assert isinstance(pool, sa.pool.QueuePool) and pool.checkedin() == 1
        with db.engine.connect() as conn:  # most likely the same pooled connection, now this thread's
            assert _backend_id(conn) == first_id
            result: dict[str, Any] = {}

            def later_interrupt() -> None:
                time.sleep(0.2)
                result["sent"] = taken["scope"].interrupt()

            stopper = threading.Thread(target=later_interrupt)
            stopper.start()
            assert conn.exec_driver_sql(SHORT_SLEEP[db.backend]).scalar() is not None  # not stopped
            stopper.join(5)
            assert result["sent"]  # the old scope was still alive: only its hold was gone
    finally:
        done.set()
        worker.join(10)


#: About one second of work, long enough for an interrupt from another thread to arrive while it runs.
SHORT_SLEEP = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) "
    "SELECT count(*) FROM c",
    "postgresql": "SELECT pg_sleep(1) IS NULL",  # not foldable to a constant: it sleeps
}


def test_a_statement_left_open_does_not_carry_the_interrupt_to_the_next_borrower(schema_db: Database) -> None:
    """A stopped read whose result is still referenced (a traceback keeps it) never hands its stop on."""
    db = schema_db
    with interruptible() as scope, db.engine.connect() as conn:
        result = conn.exec_driver_sql(SLOW_ROWS[db.backend])
        assert result.fetchone() is not None
        assert scope.interrupt()
    for i in range(3):  # whoever borrows next, on this thread, outside any scope
        with db.engine.connect() as other:
            assert other.exec_driver_sql(f"SELECT {i}").scalar() == i
    del result


def test_an_invalidated_connection_can_still_be_interrupted_around(schema_db: Database) -> None:
    """A connection closed inside a scope is no longer the scope's: interrupting it is not an error."""
    with interruptible() as scope:
        conn = schema_db.engine.connect()
        conn.invalidate()
        assert scope.interrupt()
        conn.close()
    with schema_db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT 7").scalar() == 7


#: Many rows, read one at a time.
SLOW_ROWS = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) "
    "SELECT x FROM c",
    "postgresql": "SELECT generate_series(1, 100000)",
}
