"""Stopping a running read from another thread: a superseded page, a re-sorted grid, a closed editor.

`interruptible()` marks what the current thread runs inside it as interruptible: each connection it
checks out of a pool meanwhile is recorded, and `Interruptible.interrupt()`, from any thread, asks the
database to stop what runs on them (sqlite3_interrupt on SQLite, a cancel request on PostgreSQL). The
running statement then fails with the database's error, and a later checkout in the scope raises
`Interrupted` before anything runs.
Interrupting after the scope has ended does nothing, so a thread's next piece of work is never hit; a
connection is stopped only while the interrupted scope has it checked out, whichever thread returns it; and a
connection that was stopped is closed when it comes back, never lent again: a PostgreSQL cancel request is
acted on when the server gets to it (it could land on the next borrower's statement, or the pool's ping), and
a SQLite interrupt lasts while any statement of the connection is still open.
Only engines that `install_interrupts` was given take part: open_database gives it every engine it opens.

Only reads belong in a scope: a write that is interrupted is rolled back, never half-done, but the
caller asked for it to happen.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from core.errors import WardenError

PG_CANCEL_TIMEOUT_S = 5.0

_local = threading.local()
_lock = threading.Lock()  # guards every scope's state and the two maps below: a checkout vs an interrupt
_holders: dict[int, Interruptible] = {}  # id(DB-API connection) → the scope that has it checked out
_stopped: dict[int, threading.Thread | None] = {}  # id(DB-API connection) → its cancel request, or None


class Interrupted(WardenError):
    """The read was stopped on purpose (its result is no longer wanted)."""


class Interruptible:
    """One thread's interruptible stretch of work; `interrupt()` may be called from any thread."""

    def __init__(self) -> None:
        self.interrupted = False
        self._active = True
        self._held: list[Any] = []  # DB-API connections checked out inside the scope, still out

    def interrupt(self) -> bool:
        """Stop the running statement and refuse later checkouts; False once the scope has ended."""
        with _lock:
            if not self._active:
                return False
            self.interrupted = True
            for dbapi_connection in self._held:
                _stopped[id(dbapi_connection)] = _stop(dbapi_connection)
            return True


def _stop(dbapi_connection: Any) -> threading.Thread | None:
    """Ask the database to stop what `dbapi_connection` runs, without waiting for it; the thread that
    sends a PostgreSQL cancel request, if one was needed."""
    interrupt = getattr(dbapi_connection, "interrupt", None)  # sqlite3 / sqlean: immediate, thread-safe
    if interrupt is not None:
        interrupt()  # a no-op once the statement is over: SQLite clears it when nothing runs
        return None
    cancel = getattr(dbapi_connection, "cancel_safe", None)  # psycopg 3: a request to the server
    if cancel is None:
        return None
    # It is a network round trip: never make the caller (often the GUI thread) wait for it.
    sender = threading.Thread(target=_cancel_quietly, args=(cancel,), name="warden-cancel", daemon=True)
    sender.start()
    return sender


def _cancel_quietly(cancel: Any) -> None:
    with contextlib.suppress(Exception):  # a cancel that fails leaves the statement to finish on its own
        cancel(timeout=PG_CANCEL_TIMEOUT_S)


@contextmanager
def interruptible() -> Iterator[Interruptible]:
    """Make the statements this thread runs inside the block interruptible through the yielded scope."""
    scope = Interruptible()
    outer = getattr(_local, "scope", None)
    _local.scope = scope
    try:
        yield scope
    finally:
        with _lock:
            scope._active = False
            for dbapi_connection in scope._held:  # still out (returned later, or never): no longer ours
                _holders.pop(id(dbapi_connection), None)
            scope._held.clear()
        _local.scope = outer


def install_interrupts(engine: Engine) -> None:
    """Let `interruptible()` scopes stop what runs on `engine`'s connections (open_database calls this)."""
    # Pool events, not engine events: an engine with listeners pays event dispatch on every statement, and
    # every read runs on a connection checked out of the pool, so the checkout is where to catch it. They
    # stay with the engine's pool when dispose() replaces it.
    event.listen(engine.pool, "checkout", _on_checkout)
    event.listen(engine.pool, "checkin", _on_checkin)
    event.listen(engine.pool, "close", _on_close)


def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    scope: Interruptible | None = getattr(_local, "scope", None)
    if scope is None:
        return
    with _lock:
        if scope.interrupted:
            raise Interrupted("stopped: the result is no longer needed")
        scope._held.append(dbapi_connection)
        _holders[id(dbapi_connection)] = scope


def _on_checkin(dbapi_connection: Any, record: Any) -> None:
    if dbapi_connection is None or not (_holders or _stopped):  # invalidated (_on_close let go), or none held
        return
    with _lock:
        stopped, sender = _release(dbapi_connection)
    if stopped:
        if sender is not None:
            sender.join(PG_CANCEL_TIMEOUT_S)  # paid by the interrupted thread, before its session goes
        record.invalidate()  # closed now: the pool opens a fresh connection for the next borrower


def _on_close(dbapi_connection: Any, _record: Any) -> None:
    if _holders or _stopped:
        with _lock:  # invalidated, overflowing or disposed: no scope holds it, nothing is owed to it
            _release(dbapi_connection)


def _release(dbapi_connection: Any) -> tuple[bool, threading.Thread | None]:
    """Under _lock: the scope that took `dbapi_connection` stops holding it. Whether it had been stopped,
    and the cancel request sent on it."""
    scope = _holders.pop(id(dbapi_connection), None)
    if scope is not None and dbapi_connection in scope._held:
        scope._held.remove(dbapi_connection)
    if id(dbapi_connection) not in _stopped:
        return False, None
    return True, _stopped.pop(id(dbapi_connection))
