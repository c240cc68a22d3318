"""Taking the database's write lock at the start of a write transaction: one wait that says what it waits for.

On SQLite a save takes the file's write lock first (`BEGIN IMMEDIATE`), before its validation reads, so
the whole save waits once, at the start, for another program that is writing: in short tries, reporting
"Waiting for another program's write lock (3 s of 5)…" through a task state and stopping on Cancel
between tries, and after BUSY_TIMEOUT_MS it raises the same DatabaseBusy a locked statement would. Its
reads then see the state the write will change (on WAL, no SQLITE_BUSY_SNAPSHOT when the first write
comes after another program's commit).

On PostgreSQL rows are locked one by one as they are written; `lock_timeout` bounds each wait with the
same budget, so a row another session holds ends in DatabaseBusy (55P03) instead of waiting for ever.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

from core.engine import sqlite_access
from core.engine.driver_errors import translate, where_of
from core.errors import DatabaseBusy
from core.progress import TaskState

__all__ = ["TRY_MS", "take_write_lock", "wait_message"]

#: One try's own busy_timeout: how often a waiting save reports and looks for Cancel.
TRY_MS = 200


def wait_message(elapsed_s: float, budget_s: float) -> str:
    """What a save waiting for the lock shows: "Waiting for another program's write lock (3 s of 5)…"."""
    return f"Waiting for another program's write lock ({int(elapsed_s)} s of {budget_s:g})…"


def take_write_lock(conn: sa.Connection, *, state: TaskState | None = None, spent_ms: float = 0.0) -> float:
    """Take the write lock for the transaction `conn` has just begun (inside `engine.begin()`).

    SQLite: `BEGIN IMMEDIATE` as the transaction's first statement, tried every TRY_MS until
    BUSY_TIMEOUT_MS have passed, then DatabaseBusy. While it waits, `state` gets the elapsed and total
    milliseconds with the wait's text, and once the lock is taken after a wait, one report with an empty
    message; Cancel (`state.check()`) raises core.progress.Cancelled between tries. PostgreSQL: the
    transaction's lock_timeout becomes the same budget.

    `spent_ms`: what an earlier try of the same save already waited (a second transaction of one save shares
    the one budget, and its wait's seconds go on from there). Returns the milliseconds waited in all.
    """
    budget_ms = sqlite_access.BUSY_TIMEOUT_MS  # read now: tests shorten it
    name = conn.dialect.name
    if name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(max(1.0, budget_ms - spent_ms))}")
        return spent_ms
    if name == "sqlite":
        raw = conn.connection.dbapi_connection
        return _begin_immediate(raw, where_of(conn.engine.url), budget_ms, state, spent_ms)
    return spent_ms


def _begin_immediate(raw: Any, where: str, budget_ms: int, state: TaskState | None, spent_ms: float) -> float:
    """BEGIN IMMEDIATE on the driver's connection, in short tries; its own busy_timeout put back after.

    pysqlite (legacy transaction control) sends no BEGIN of its own before the first write, and none
    once a transaction is open, so the explicit one is the transaction SQLAlchemy commits or rolls back.
    """
    cursor = raw.cursor()
    try:
        before = int(cursor.execute("PRAGMA busy_timeout").fetchone()[0])
        start = time.monotonic() - spent_ms / 1000
        waited = False
        try:
            while True:
                try_start = time.monotonic()
                left_ms = budget_ms - (try_start - start) * 1000
                cursor.execute(f"PRAGMA busy_timeout = {max(1, int(min(TRY_MS, left_ms)))}")
                try:
                    cursor.execute("BEGIN IMMEDIATE")
                    break
                except Exception as exc:  # the driver's own error class, sqlite3's or sqlean's
                    busy = _busy(exc, where)
                # A SQLite built without usleep returns BUSY at once for waits under a second: sleep here.
                time.sleep(max(0.0, try_start + TRY_MS / 1000 - time.monotonic()))
                elapsed_s = time.monotonic() - start
                if elapsed_s * 1000 >= budget_ms:
                    raise busy
                waited = True
                if state is not None:
                    message = wait_message(elapsed_s, budget_ms / 1000)
                    state.set_progress(int(elapsed_s * 1000), budget_ms, message)
                    state.check()
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {before}")
        if waited and state is not None:
            state.set_progress(int((time.monotonic() - start) * 1000), budget_ms, "")
        return spent_ms if not waited else (time.monotonic() - start) * 1000
    finally:
        cursor.close()


def _busy(exc: Exception, where: str) -> DatabaseBusy:
    """The typed error for a failed BEGIN IMMEDIATE: DatabaseBusy to try again; anything else is raised."""
    typed = translate(exc, where)
    if isinstance(typed, DatabaseBusy):
        return typed
    if typed is not None:
        raise typed from None
    raise exc
