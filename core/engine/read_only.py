"""A read-only session that the database enforces, not Warden's own code.

SQLite: besides `mode=ro` (a rollback-journal file) or `query_only` (a WAL file), an authorizer on every
connection refuses, while SQLite prepares a statement, anything but reading: DML and DDL (temporary objects
too), ATTACH (which would create a file), VACUUM INTO, ANALYZE, REINDEX and PRAGMAs that set a value other
than the few connection settings reads use (so `query_only = OFF` or `journal_mode = …` cannot undo it).
PostgreSQL: `default_transaction_read_only` from the connection's start, and psycopg's read-only
transactions on top. PostgreSQL lets a read-only transaction VACUUM or ANALYZE (they change no row) and
lets any session turn the default off again; a read-only role is what stops that on the server, and where
the user has none, the statements that would are refused before they are sent.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from core.errors import PermissionDenied

__all__ = ["PG_READ_ONLY_OPTIONS", "guard_pg_engine", "guard_sqlite_connection"]

#: libpq options that make every transaction of the session read-only (SHOW default_transaction_read_only).
PG_READ_ONLY_OPTIONS = "-c default_transaction_read_only=on"

# sqlite3's action codes (the same numbers in sqlean, both wrap SQLite's C constants).
_READS = frozenset(
    {
        sqlite3.SQLITE_READ,
        sqlite3.SQLITE_SELECT,
        sqlite3.SQLITE_FUNCTION,
        sqlite3.SQLITE_TRANSACTION,
        sqlite3.SQLITE_SAVEPOINT,
        sqlite3.SQLITE_RECURSIVE,
    }
)
#: PRAGMAs that may take an argument on a read-only connection: they read, or set this connection only.
_PRAGMAS_WITH_ARGUMENT = frozenset(
    {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "foreign_key_check",
        "integrity_check",
        "quick_check",
        "busy_timeout",
        "cache_size",
        "foreign_keys",
        "mmap_size",  # an export maps Warden's own file for its reads
        "temp_store",
        "threads",
        "automatic_index",
        "case_sensitive_like",
        "read_uncommitted",
        "defer_foreign_keys",
        "recursive_triggers",
        "reverse_unordered_selects",
        "analysis_limit",
    }
)
#: PRAGMAs that write to the file even without an argument.
_WRITING_PRAGMAS = frozenset({"wal_checkpoint", "incremental_vacuum", "optimize"})


def _authorize(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
    if action in _READS:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA:
        name = (arg1 or "").lower()
        if name in _WRITING_PRAGMAS:
            return sqlite3.SQLITE_DENY
        if arg2 is None or name in _PRAGMAS_WITH_ARGUMENT:
            return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def guard_sqlite_connection(dbapi_conn: Any) -> None:
    """Make a new SQLite connection read-only for good: query_only, then the authorizer that keeps it so."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA query_only = ON")
    cur.close()
    dbapi_conn.set_authorizer(_authorize)


#: PostgreSQL statements a read-only transaction still runs: maintenance that writes to disk, and the ways
#: a session makes its transactions writable again.
_PG_REFUSED = re.compile(
    r"^\s*(vacuum|analy[sz]e|cluster|reindex|checkpoint|discard|load|reset\s+(all|session|"
    r"default_transaction_read_only|transaction_read_only)"
    r"|set\s+(session\s+|local\s+)?(characteristics|default_transaction_read_only|transaction_read_only"
    r"|transaction\b[^;]*\bread\s+write|session\s+authorization|role))\b"
    r"|\bread\s+write\b|\bset_config\s*\(\s*'(default_)?transaction_read_only'",
    re.IGNORECASE,
)


def guard_pg_engine(engine: Engine, where: str) -> None:
    """Refuse, before they are sent, the statements a PostgreSQL read-only session would still run."""

    @event.listens_for(engine, "before_cursor_execute")
    def _refuse(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if _PG_REFUSED.search(statement):
            raise PermissionDenied(f"{where} is open read-only; reopen it writable to change it.")
