"""Exceptions as text that is safe to log: tracebacks without the row values an exception's message may quote.

Values reach exception text through the driver (PostgreSQL's `DETAIL: Key (email)=(x) already exists.`, a
trigger's RAISE text), through SQLAlchemy's `[parameters: ...]` (engines hide those, see core/engine/db.py),
through Python exceptions raised on a value (`invalid literal for int() with base 10: 'Dmitri'`, a KeyError's
key) and through exception chains. `format_exception` keeps every frame (file, line, function, source line:
code, never data) and each exception's type, and keeps a message only when it cannot carry values.

No SQLAlchemy or driver import here: the GUI's crash handler loads this before any database is open, and
an exception of a library that was never imported cannot occur.
"""

from __future__ import annotations

import re
import sys
import traceback
from types import TracebackType

from core.errors import WardenError

__all__ = ["WITHHELD", "describe", "format_exception", "safe_message"]

WITHHELD = "(message withheld: it may quote row values)"

#: Exact built-in types whose messages come from code (names and types), never from the data handled.
CODE_MESSAGE_TYPES: frozenset[type[BaseException]] = frozenset(
    {
        AttributeError,
        NameError,
        UnboundLocalError,
        ImportError,
        ModuleNotFoundError,
        NotImplementedError,
        TypeError,
        ZeroDivisionError,
        RecursionError,
        MemoryError,
        IndexError,
    }
)

#: PostgreSQL SQLSTATE classes whose primary message names objects, never values. Left out on purpose:
#: 22 (data exceptions quote the value), 23 (a trigger may raise these with its own text), P0 (RAISE).
PG_NAME_ONLY_CLASSES = frozenset(
    {"08", "0A", "25", "28", "3D", "3F", "40", "42", "53", "54", "55", "57", "58"}
)
#: SQLite's extended code for a trigger's RAISE(...): its text is the trigger's own, so it may quote values.
SQLITE_CONSTRAINT_TRIGGER = 1811
SQLITE_CONSTRAINT = 19  # the primary code, all some drivers give (sqlean) for a trigger's RAISE as well
#: SQLite's own texts for a broken constraint: they name columns or the constraint, never values.
SQLITE_CONSTRAINT_TEXT = re.compile(r"(UNIQUE|CHECK|NOT NULL|FOREIGN KEY|PRIMARY KEY) constraint failed\b")

_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def format_exception(exc: BaseException, tb: TracebackType | None = None) -> str:
    """A traceback like Python's for `exc` and its chain, each message kept only when it cannot quote values.

    `tb` is the traceback of `exc` itself when it is not (yet) `exc.__traceback__` (a logging record's).
    """
    chain: list[tuple[BaseException, TracebackType | None, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    current_tb = tb if tb is not None else exc.__traceback__
    joint = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, current_tb, joint))
        if current.__cause__ is not None:
            current, joint = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, joint = current.__context__, _CONTEXT
        else:
            current = None
        current_tb = current.__traceback__ if current is not None else None
    parts: list[str] = []
    for item, item_tb, joint in reversed(chain):  # the first cause first, as Python prints it
        parts.append(_one(item, item_tb))
        parts.append(joint)
    return "".join(parts)


def _one(exc: BaseException, tb: TracebackType | None) -> str:
    text = ""
    if tb is not None:
        text = "Traceback (most recent call last):\n" + "".join(traceback.format_tb(tb))
    text += describe(exc) + "\n"
    if getattr(exc, "__notes__", None):
        text += "(notes withheld: they may quote row values)\n"
    for i, inner in enumerate(getattr(exc, "exceptions", None) or (), 1):  # an exception group's members
        if isinstance(inner, BaseException):
            body = format_exception(inner).rstrip("\n").replace("\n", "\n  | ")
            text += f"  +-- {i} --\n  | {body}\n"
    return text


def describe(exc: BaseException) -> str:
    """`module.Type: message` for one exception (no chain), its message withheld when it may quote values."""
    kind = type(exc)
    name = (
        kind.__qualname__
        if kind.__module__ in ("builtins", "__main__")
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    message = safe_message(exc)
    return f"{name}: {message}" if message else name


def safe_message(exc: BaseException) -> str:
    """The exception's message when it cannot carry row values, else WITHHELD ('' when it has none)."""
    if not _text(exc):
        return ""
    if isinstance(exc, WardenError):  # Warden's own texts: written to be shown, without values
        return str(exc)
    kind = type(exc)
    if kind in CODE_MESSAGE_TYPES:
        return str(exc)
    if isinstance(exc, OSError) and kind.__module__ == "builtins" and exc.errno is not None:
        names = [n for n in (exc.filename, exc.filename2) if n is not None]  # paths, never row values
        where = ": " + " -> ".join(repr(n) for n in names) if names else ""
        return f"[Errno {exc.errno}] {exc.strerror}{where}"
    statement = _sqlalchemy_statement_error(exc)
    if statement is not None:
        return statement
    driver = _driver_message(exc)
    if driver is not None:
        return driver
    return WITHHELD


def _text(exc: BaseException) -> str:
    """str(exc), or '' when even that fails (a broken __str__ must not stop the log)."""
    try:
        return str(exc)
    except Exception:
        return ""


def _sqlalchemy_statement_error(exc: BaseException) -> str | None:
    """A SQLAlchemy statement error as its driver error's safe text and its SQL (never its parameters)."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is None or not isinstance(exc, sa_exc.StatementError):
        return None
    orig = exc.orig
    text = WITHHELD
    if isinstance(orig, BaseException):
        kind = type(orig)
        text = f"({kind.__module__}.{kind.__qualname__}) {safe_message(orig) or kind.__qualname__}"
    if exc.statement:
        text += f"\n[SQL: {exc.statement}]"
    return text


def _driver_message(exc: BaseException) -> str | None:
    """A DB-API error's first line when it names objects only; its codes and object names otherwise.

    None when `exc` is not a psycopg or SQLite error. The lines after the first (PostgreSQL's DETAIL,
    CONTEXT and the failing row) are always dropped.
    """
    module = type(exc).__module__
    lines = _text(exc).strip().splitlines()
    first = lines[0] if lines else ""
    if module.startswith("psycopg"):
        state = str(getattr(exc, "sqlstate", None) or "")
        if state[:2] in PG_NAME_ONLY_CLASSES:
            return first
        diag = getattr(exc, "diag", None)
        names = [
            f"{what} {value}"
            for what, attr in (
                ("schema", "schema_name"),
                ("table", "table_name"),
                ("column", "column_name"),
                ("constraint", "constraint_name"),
                ("type", "datatype_name"),
            )
            if (value := getattr(diag, attr, None))
        ]
        return ", ".join([f"SQLSTATE {state or '?'}", *names, WITHHELD])
    if module.startswith(("sqlite3", "sqlean")):
        # SQLite's texts are fixed or name tables, columns and constraints, but a trigger's RAISE text is its
        # own (an expression since SQLite 3.48: it may quote NEW.x), and Python's module quotes the text it
        # cannot decode ("… column 'x' with text 'the value'").
        code = getattr(exc, "sqlite_errorcode", None)
        primary = code & 0xFF if isinstance(code, int) else None
        refused = primary == SQLITE_CONSTRAINT or type(exc).__name__ == "IntegrityError"
        if code == SQLITE_CONSTRAINT_TRIGGER or (refused and not SQLITE_CONSTRAINT_TEXT.match(first)):
            return f"{getattr(exc, 'sqlite_errorname', 'SQLITE_CONSTRAINT')} {WITHHELD}"
        named, quoting, _ = first.partition(" with text ")
        return f"{named} {WITHHELD}" if quoting else first
    return None
