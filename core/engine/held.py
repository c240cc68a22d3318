"""Per-thread held SQLite connections: each thread's own DB-API connection, detached from the pool.

A held connection skips the pool's checkout and return (~5 µs). It is safe because only its thread uses
it, a SELECT in sqlite3's default mode opens no transaction (every read sees the latest commit), and every
write is committed or rolled back before it is released. It is made by the pool, so the pool's
connect-time setup ran on it, and then detached; Database.dispose closes it (release_held), and a
disposed engine (a new pool) replaces it.

Use: `held = acquire(engine)`; None means take the pool; else `with held as conn:` runs on it, and
leaving the block rolls back any open transaction, drops a disconnected connection and unlocks it.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import Any

import sqlalchemy as sa

from core.engine.db import PerEngine, dispose_hooks

__all__ = ["MAX_HELD", "Held", "acquire", "release_held"]

#: Threads that may each hold a SQLite connection of one engine; more than that use the pool.
MAX_HELD = 32


class Held:
    """One thread's own DB-API connection to one SQLite file, locked while a caller runs on it."""

    __slots__ = ("__weakref__", "close", "conn", "dialect", "lock", "pool")

    def __init__(self, conn: Any, pool: Any, dialect: sa.Dialect) -> None:
        self.conn, self.pool, self.dialect, self.lock = conn, pool, dialect, threading.Lock()
        self.close = weakref.finalize(self, _quietly, conn.close)  # also when its thread ends

    def __enter__(self) -> Any:
        """The DB-API connection (acquire already locked it)."""
        return self.conn

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Drop the connection if the driver says it is gone, end any transaction, and unlock."""
        conn, dialect = self.conn, self.dialect
        try:
            if isinstance(exc, dialect.loaded_dbapi.Error) and dialect.is_disconnect(exc, conn, None):
                self.close()
                self.conn = None
        finally:
            if self.conn is not None and conn.in_transaction:
                _quietly(conn.rollback)  # a held connection never keeps a transaction (or a snapshot) open
            self.lock.release()


class _Threads:
    """One engine's held connections: this thread's, and every thread's (for release_held)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.local = threading.local()
        self.held: weakref.WeakSet[Held] = weakref.WeakSet()
        self.lock = threading.Lock()
        # A file database on a queue pool: a memory database lives in its connection and cannot be held.
        self.can_hold = engine.dialect.name == "sqlite" and type(engine.pool) is sa.pool.QueuePool


_states = PerEngine(_Threads)


def _state(engine: sa.Engine) -> _Threads:
    return _states.get(engine)


def acquire(engine: sa.Engine) -> Held | None:
    """This thread's own connection to a SQLite file, locked for the caller; None: use the pool."""
    state = _state(engine)
    held: Held | None = getattr(state.local, "held", None)
    if held is None or held.conn is None or held.pool is not engine.pool:
        if not state.can_hold:
            return None
        held = _hold(engine, state, held)
        if held is None:
            return None
    if not held.lock.acquire(blocking=False):
        return None  # being closed by dispose right now
    if held.conn is None:
        held.lock.release()
        return None
    return held


def _hold(engine: sa.Engine, state: _Threads, stale: Held | None) -> Held | None:
    if stale is not None:
        _release(state, stale)
    if len(state.held) >= MAX_HELD:
        return None
    try:
        fairy = engine.raw_connection()
    except Exception:
        return None
    pool, conn = engine.pool, fairy.dbapi_connection
    if getattr(conn, "in_transaction", True):
        fairy.close()
        return None
    fairy.detach()  # ours now: the pool forgets it and makes another when it needs one
    held = state.local.held = Held(conn, pool, engine.dialect)
    with state.lock:
        state.held.add(held)
    return held


def _release(state: _Threads, held: Held) -> None:
    with held.lock:  # waits for a call running on it in its own thread
        held.conn = None
        held.close()
    with state.lock:
        state.held.discard(held)


def release_held(engine: sa.Engine) -> None:
    """Close every thread's held connection to `engine` (called by Database.dispose)."""
    state = _states.existing(engine)
    if state is not None:
        with state.lock:
            held = list(state.held)
        for h in held:
            _release(state, h)


def _quietly(fn: Callable[[], Any]) -> None:
    with contextlib.suppress(Exception):  # cleaning up after an error already being handled
        fn()


dispose_hooks.append(release_held)
