"""Typed errors a person can act on. The GUI and CLI each have one boundary that shows them.

Driver failures become these in core/engine/driver_errors.py, the one place that knows driver exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class WardenError(Exception):
    """Base of every error a user can cause; its message is meant to be shown as it is."""


class ConnectionFailed(WardenError):
    """The database could not be opened or reached."""


class ConnectionLost(ConnectionFailed):
    """The connection broke while in use: the server stopped, restarted or the network went away."""


class DatabaseBusy(WardenError):
    """The database is locked or busy with another program's work; trying again later may succeed."""


class DiskFull(WardenError):
    """The disk (or the server's disk) has no room left for the write; nothing of it was kept."""


class DatabaseDamaged(WardenError):
    """The file is not a database, or its content is damaged."""


class StatementTimeout(WardenError):
    """A statement ran longer than the database allows and was cancelled; nothing of it was kept."""


class ConstraintViolated(WardenError):
    """The database refused a write that breaks one of its rules, often because of someone else's write.

    `kind` is "unique", "foreign key", "not null", "check", "trigger" or "constraint"; `table`, `column` and
    `constraint` are names (never values), each None when the driver does not tell.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str = "constraint",
        table: str | None = None,
        column: str | None = None,
        constraint: str | None = None,
    ):
        super().__init__(message)
        self.kind, self.table, self.column, self.constraint = kind, table, column, constraint


class ValueRefused(WardenError):
    """The database refused a value that does not fit its column (type, size or range)."""

    def __init__(self, message: str, *, column: str | None = None):
        super().__init__(message)
        self.column = column  # a name, never the value; None when the driver does not tell


class NotFoundError(WardenError):
    """An entity, column, row or revision does not exist."""


class ReadOnlyError(WardenError):
    """A write was attempted where writes are not allowed."""


class PermissionDenied(ReadOnlyError):
    """The file is read-only or the account may not do this (file permissions, database privileges)."""


class MigrationFailed(WardenError):
    """A migration could not be applied; nothing of the failing revision was kept."""


@dataclass
class FieldProblem:
    """One problem with one field of one row of a change batch."""

    column: str
    message: str
    row: int | None = None  # index of the change in its batch


class ValidationError(WardenError):
    """A change batch failed validation; every problem is listed and nothing was written."""

    def __init__(self, problems: list[FieldProblem]):
        self.problems = problems
        lines = [
            (f"row {p.row + 1}: " if p.row is not None else "") + f"{p.column}: {p.message}" for p in problems
        ]
        super().__init__("; ".join(lines) if lines else "invalid change")


@dataclass
class Conflict:
    """A row that changed in the database since it was loaded.

    Three sides of one row: `original` as I loaded it, `stored` as it is now (their changes are where it
    differs from `original`) and `attempted`, my new values (empty for a delete). `original` holds what the
    change carried (core/data/changes.py: at least the columns I changed, for a delete the columns compared);
    a caller that loaded the whole row may add the rest. Empty when unknown.
    """

    entity: str
    key: dict[str, Any]
    stored: dict[str, Any] | None  # None when the row was deleted meanwhile
    attempted: dict[str, Any] = field(default_factory=dict)
    original: dict[str, Any] = field(default_factory=dict)


class ConflictError(WardenError):
    """Someone else changed rows of this batch; nothing of the batch was written."""

    def __init__(self, conflicts: list[Conflict]):
        self.conflicts = conflicts
        n = len(conflicts)
        super().__init__(
            f"{n} row{'s' if n != 1 else ''} changed in the database since you loaded "
            f"{'them' if n != 1 else 'it'}; nothing was saved. Reload or merge, then save again."
        )
