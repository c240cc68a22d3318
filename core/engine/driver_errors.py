"""Driver failures as typed errors a person can act on: the one place that knows sqlite3's and psycopg's
exceptions.

`install_translation(engine, where)` puts SQLAlchemy's documented `handle_error` hook on an engine (a
dialect event: it costs nothing until a statement fails), so every statement core runs, through any
entry point, raises `DatabaseBusy`, `DiskFull`, `PermissionDenied`, `ConnectionLost`, `StatementTimeout`,
`ConstraintViolated`, `ValueRefused` or `DatabaseDamaged` instead of the driver's error. Messages say
what happened and what to do: names of files, servers, tables and constraints, never SQL or row values.

Errors these do not cover stay the driver's own (a bug, or a caller that expects them); a statement
stopped on purpose (core/engine/interrupt.py) is left alone too: its result is not wanted.
"""

from __future__ import annotations

import os

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, ExceptionContext
from sqlalchemy.exc import DBAPIError

from core.errors import (
    ConnectionFailed,
    ConnectionLost,
    ConstraintViolated,
    DatabaseBusy,
    DatabaseDamaged,
    DiskFull,
    PermissionDenied,
    StatementTimeout,
    ValueRefused,
    WardenError,
)

# SQLite primary result codes (https://sqlite.org/rescode.html); the extended code's low byte.
SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY = 3, 5, 6, 8
SQLITE_AUTH = 23  # the read-only session's authorizer refused the statement (core/engine/read_only.py)
SQLITE_CORRUPT, SQLITE_CANTOPEN, SQLITE_FULL, SQLITE_CONSTRAINT, SQLITE_NOTADB = 11, 14, 13, 19, 26
SQLITE_TOOBIG, SQLITE_MISMATCH = 18, 20
SQLITE_CONSTRAINT_KINDS = {
    275: "check",
    787: "foreign key",
    1299: "not null",
    1555: "unique",
    1811: "trigger",
    2067: "unique",
}

PG_CONSTRAINT_KINDS = {"23505": "unique", "23503": "foreign key", "23502": "not null", "23514": "check"}
PG_BUSY = {"55P03": "lock", "40P01": "deadlock", "40001": "serialization"}  # a try-again-later state
PG_SHUTDOWN = {"57P01", "57P02", "57P03"}  # admin/crash shutdown, cannot connect now
#: Class 22 (data exception): what is wrong with a value, without the value (the server's text quotes it).
PG_VALUE_PROBLEMS = {
    "22001": "is too long for its column",
    "22003": "is a number out of its column's range",
    "22007": "is not a valid date or time",
    "22008": "is a date or time out of range",
    "22021": "holds characters the database cannot store",
    "22P02": "is not valid for its column's type",
    "22P05": "holds characters the database cannot store",
}


def install_translation(engine: Engine, where: str, *, read_only: bool = False) -> None:
    """Make every driver failure on `engine` that a person can act on raise its typed error.

    `where` names the database in messages: a SQLite file's path, or PostgreSQL's host, port and name;
    `read_only`: the database was opened read-only on request (a refused write says so, not permissions).
    """

    def on_error(ctx: ExceptionContext) -> None:
        if ctx.is_pre_ping:  # the pool's liveness check: it reconnects by itself on a dead connection
            return
        typed = translate(ctx.original_exception, where, disconnect=ctx.is_disconnect, read_only=read_only)
        if typed is not None:
            raise typed  # SQLAlchemy cleans up (rollback, invalidation) and raises it from the driver's

    event.listen(engine, "handle_error", on_error)


def where_of(url: URL) -> str:
    """How messages name a database: the SQLite file's path, or pg_target_name's 'PostgreSQL at …'."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return pg_target_name(url)


def pg_target_name(url: URL) -> str:
    """How every message names a PostgreSQL database: 'PostgreSQL at db.example.com:5432/game'.

    The host is the one libpq connects to: the URL's host, else its `?host=` (a Unix-socket directory such as
    /tmp/pg, shown as a path, or several hosts), else PGHOST, else localhost; the port likewise (PGPORT).
    """
    return f"PostgreSQL at {pg_host(url)}:{url.port or os.environ.get('PGPORT') or 5432}/{url.database or ''}"


def pg_host(url: URL) -> str:
    """The server libpq reaches for `url`: a host name or a socket directory, decoded (never `%2F…`)."""
    in_query = url.query.get("host")  # psycopg/libpq take a socket directory (or a host list) from here
    hosts = (in_query,) if isinstance(in_query, str) else tuple(in_query or ())
    return url.host or ",".join(h for h in hosts if h) or os.environ.get("PGHOST") or "localhost"


def translate(
    exc: BaseException, where: str, *, disconnect: bool = False, read_only: bool = False
) -> WardenError | None:
    """The typed error for a DB-API exception, or None when it is not one a person can act on."""
    if read_only and _is_write_refused(exc):
        return PermissionDenied(f"{where} is open read-only; reopen it writable to change it.")
    if hasattr(exc, "sqlite_errorcode") or type(exc).__module__.startswith(("sqlite3", "sqlean")):
        return _sqlite(exc, where)
    if hasattr(exc, "sqlstate") or type(exc).__module__.startswith("psycopg"):
        return _postgresql(exc, where, disconnect)
    return None


def _is_write_refused(exc: BaseException) -> bool:
    """Whether the database refused a write because the connection is read-only (either backend)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (SQLITE_READONLY, SQLITE_AUTH)
    return getattr(exc, "sqlstate", None) == "25006" or "readonly database" in str(exc)


# --- SQLite -------------------------------------------------------------------------------------------


def _sqlite(exc: BaseException, where: str) -> WardenError | None:
    code = getattr(exc, "sqlite_errorcode", None)
    text = str(exc)
    primary = code & 0xFF if isinstance(code, int) else _sqlite_code_from_text(text)
    if primary in (SQLITE_BUSY, SQLITE_LOCKED):
        return DatabaseBusy(
            f"{where} is locked by another program (or another Warden) that is writing to it. "
            "Wait until it has finished, or close it there, and try again."
        )
    if primary == SQLITE_FULL:
        return DiskFull(
            f"The disk holding {where} is full; the change was not saved. Free some space and try again."
        )
    if primary == SQLITE_READONLY:
        return PermissionDenied(
            f"{where} is read-only: Warden may not write to it. Check the permissions of the file and its "
            "folder (or the medium it is on), or open a copy."
        )
    if primary in (SQLITE_PERM, SQLITE_CANTOPEN):
        return PermissionDenied(
            f"Cannot write {where} or its journal beside it: check that you may write to the file and its "
            "folder, and that the folder still exists."
        )
    if primary in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return DatabaseDamaged(
            f"{where} is not a SQLite database, or it is damaged. Open a backup copy, or check it with "
            "sqlite3's PRAGMA integrity_check."
        )
    if primary in (SQLITE_TOOBIG, SQLITE_MISMATCH):
        problem = "is too big for SQLite" if primary == SQLITE_TOOBIG else "does not fit its column's type"
        return _value_refused(problem, where)
    if primary == SQLITE_CONSTRAINT:
        kind = SQLITE_CONSTRAINT_KINDS.get(code or 0) or _sqlite_kind_from_text(text)
        # sqlite3 names the columns ("UNIQUE constraint failed: users.email"), never the values; a trigger's
        # text is its own and may quote them, so it is not read.
        _, _, names = text.partition("constraint failed:") if kind != "trigger" else ("", "", "")
        columns = [n.strip() for n in names.split(",") if n.strip()]
        table = columns[0].split(".", 1)[0] if columns and "." in columns[0] else None
        column = columns[0].split(".", 1)[1] if table and len(columns) == 1 else None
        if kind == "check":
            return _constraint(kind, table=None, columns=[], constraint=names.strip() or None)
        return _constraint(kind, table=table, columns=[c.split(".", 1)[-1] for c in columns], column=column)
    return None


def _sqlite_code_from_text(text: str) -> int | None:
    """The primary code of an exception from a driver without `sqlite_errorcode` (sqlite3's fixed texts)."""
    low = text.lower()
    for needle, code in (
        ("database is locked", SQLITE_BUSY),
        ("database table is locked", SQLITE_LOCKED),
        ("disk is full", SQLITE_FULL),
        ("readonly database", SQLITE_READONLY),
        ("unable to open database", SQLITE_CANTOPEN),
        ("malformed", SQLITE_CORRUPT),
        ("not a database", SQLITE_NOTADB),
        ("constraint failed", SQLITE_CONSTRAINT),
    ):
        if needle in low:
            return code
    return None


def _sqlite_kind_from_text(text: str) -> str:
    low = text.lower()
    if "constraint failed" not in low:  # a trigger's RAISE(ABORT, …): its own text (drivers without the
        return "trigger"  # extended code 1811 say only SQLITE_CONSTRAINT)
    for kind in ("unique", "foreign key", "not null", "check"):
        if low.startswith(kind):
            return kind
    return "unique" if low.startswith("primary key") else "constraint"


# --- PostgreSQL ---------------------------------------------------------------------------------------


def _postgresql(exc: BaseException, where: str, disconnect: bool) -> WardenError | None:
    state: str | None = getattr(exc, "sqlstate", None)
    diag = getattr(exc, "diag", None)
    if state in PG_CONSTRAINT_KINDS or (state or "").startswith("23"):
        column = getattr(diag, "column_name", None)
        return _constraint(
            PG_CONSTRAINT_KINDS.get(state or "", "constraint"),
            table=getattr(diag, "table_name", None),
            columns=[column] if column else [],
            column=column,
            constraint=getattr(diag, "constraint_name", None),
        )
    if state == "P0001":
        # A trigger's RAISE EXCEPTION: a rule of the database refused the change. Its text is the rule's own
        # and may quote the row's values (RAISE '… %', NEW.email), so the message names the table only.
        return _constraint("trigger", table=getattr(diag, "table_name", None), columns=[])
    if (state or "").startswith("22") or (state is None and type(exc).__name__ == "DataError"):
        # No state: psycopg itself refuses what PostgreSQL cannot store in text (a NUL character).
        problem = PG_VALUE_PROBLEMS.get(state or "", "does not fit its column")
        if state is None:
            problem = "holds a character PostgreSQL cannot store (NUL)"
        return _value_refused(problem, where, getattr(diag, "column_name", None))
    if state == "57014":
        # The same state for a cancel request (core/engine/interrupt.py stopping a read on purpose) and for
        # statement_timeout; only the server's fixed text tells them apart.
        if "timeout" in str(exc).lower():
            return StatementTimeout(
                f"{where} cancelled a statement that ran longer than its statement_timeout allows; nothing "
                "of it was kept. Narrow the filter and try again, or ask the administrator to raise the "
                "timeout."
            )
        return None
    if state in PG_BUSY:
        what = {
            "lock": "rows or tables this needs are locked by another session",
            "deadlock": "this and another session were waiting for each other's locks",
            "serialization": "another session changed the same rows at the same time",
        }[PG_BUSY[state]]
        return DatabaseBusy(f"{where}: {what}; nothing of this was kept. Try again in a moment.")
    if state == "53100":
        return DiskFull(
            f"{where} has no disk space left; the change was not saved. Ask the server's administrator to "
            "free some space."
        )
    if state == "53300":
        return ConnectionFailed(
            f"{where} has no connection left for Warden (too many clients). Close other sessions, or ask "
            "the administrator to allow more, and try again."
        )
    if state == "42501":
        # "permission denied for table orders", "must be owner of table orders": object names only.
        first = _first_line(exc)
        return PermissionDenied(
            f"{where}: {first}. Ask the database's administrator for the privilege, or connect as a user "
            "who has it."
        )
    if state == "25006":
        return PermissionDenied(
            f"{where} only allows reading here (a standby server, or a read-only connection). Connect to "
            "the primary server to change data."
        )
    if (state or "").startswith("28") or state == "3D000":
        return ConnectionFailed(f"{where} refused a new connection: {_first_line(exc)}.")
    if (
        disconnect
        or state in PG_SHUTDOWN
        or (state or "").startswith("08")
        or (state is None and type(exc).__name__ in ("OperationalError", "InterfaceError"))
    ):
        return ConnectionLost(
            f"Lost the connection to {where}: the server stopped or restarted, or the network failed. "
            "Check that the server is running and reachable, then try again; nothing unfinished was kept."
        )
    return None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0].rstrip(".") if lines else type(exc).__name__


# --- both ---------------------------------------------------------------------------------------------


def _value_refused(problem: str, where: str, column: str | None = None) -> ValueRefused:
    in_column = f" for {column}" if column else ""
    return ValueRefused(
        f"A value{in_column} {problem}, so {where} refused the change. Correct the value and save again.",
        column=column,
    )


def _constraint(
    kind: str,
    *,
    table: str | None,
    columns: list[str],
    column: str | None = None,
    constraint: str | None = None,
) -> ConstraintViolated:
    """The message for a refused write: which rule, where, and that another write may be the cause."""
    of = f" of {table}" if table else ""
    named = f" ({constraint})" if constraint else ""
    cols = ", ".join(columns)
    meanwhile = "Someone else may have saved a change meanwhile: reload, then save again."
    if kind == "unique":
        where = f" in {cols}" if cols else ""
        text = (
            f"Another row{of} already has this value{where}, which must be unique{named}. Someone else may "
            "have saved it meanwhile: reload, change the value, and save again."
        )
    elif kind == "foreign key":
        text = (
            f"A link{of} points to a row that does not exist, or a row still points to one being deleted"
            f"{named}. {meanwhile}"
        )
    elif kind == "not null":
        text = f"{cols or 'A column'}{of} needs a value{named}: fill it in and save again."
    elif kind == "check":
        text = f"A value{of} breaks the rule{named or ' of a check constraint'}: change it and save again."
    elif kind == "trigger":
        text = f"A trigger{of} refused this change: change the values and save again."
    else:
        text = f"The database refused this change: it breaks a rule{of}{named}. {meanwhile}"
    return ConstraintViolated(text, kind=kind, table=table, column=column, constraint=constraint)


# --- opening ------------------------------------------------------------------------------------------


def sqlite_open_message(path: str, exc: DBAPIError) -> str:
    """A person-readable line for a SQLite file that cannot be opened."""
    text = str(exc.orig)
    if "not a database" in text or "malformed" in text:
        return f"{path} is not a SQLite database (or it is damaged)."
    if "locked" in text or "busy" in text:
        return f"{path} is locked by another program; close it there or try again."
    if "unable to open" in text:
        return f"Cannot open {path}: check the path and that you may read it."
    if "readonly" in text or "read-only" in text:
        return f"{path} is read-only; open it read-only or check its permissions."
    return f"Cannot open {path}: {text}"


def pg_connect_message(url: URL, exc: DBAPIError) -> str:
    """A person-readable line for a PostgreSQL server that refused or could not take a connection."""
    where = pg_target_name(url)
    lines = str(exc.orig).strip().splitlines()
    text = lines[0] if lines else type(exc.orig).__name__
    if url.password:
        text = text.replace(str(url.password), "***")
    low = text.lower()
    if "authentication" in low or ('role "' in low and "does not exist" in low):
        return f"{where} refused user '{url.username}': wrong user name or password."
    if "does not exist" in low and "database" in low:
        return f"{where}: database '{url.database}' does not exist."
    if "connection refused" in low or "could not connect" in low or "timeout" in low or "no route" in low:
        return f"Cannot reach {where}: is the server running? ({text})"
    return f"Cannot connect to {where}: {text}"
