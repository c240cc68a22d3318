"""Values only the server can judge, checked in the save's transaction before anything is written: types
edited as text (interval, inet, cidr…) and values of a PostgreSQL domain (its CHECK may be any expression).
A value the server would refuse becomes a FieldProblem on its cell, and nothing is written.

PostgreSQL 16+ answers for many values at once with pg_input_is_valid; older servers try a CAST of each
distinct value under a savepoint (a failed statement would otherwise abort the transaction).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from core.data.changes import Change, Delete
from core.errors import ConstraintViolated, FieldProblem, ValueRefused
from core.schema.catalog import ColumnInfo, Entity

#: The first PostgreSQL with pg_input_is_valid(text, type).
SOFT_INPUT_CHECK = (16,)
#: Values whose str() is PostgreSQL's input syntax for them (a domain's base value, read by validation).
AS_TEXT = (str, int, float, Decimal, bool, uuid.UUID, dt.date, dt.time)

Cells = dict[str, list[tuple[int, str]]]  # value as text -> the (row, column) cells holding it


def server_problems(checked: list[tuple[Entity | None, Change]], conn: sa.Connection) -> list[FieldProblem]:
    """A problem for every value of a server-checked column the server would refuse (nothing on SQLite)."""
    if conn.dialect.name != "postgresql":
        return []
    wanted: dict[tuple[str, str], Cells] = defaultdict(dict)  # (SQL type name, what it is called) -> cells
    for row, (entity, change) in enumerate(checked):
        if entity is None or isinstance(change, Delete):
            continue
        for name, value in change.values.items():
            col = entity.columns_by_name.get(name)
            target = _checked_as(col, conn.dialect) if col is not None else None
            if target is not None and value is not None and isinstance(value, AS_TEXT):
                wanted[target].setdefault(str(value), []).append((row, name))
    problems: list[FieldProblem] = []
    for (type_sql, label), cells in wanted.items():
        for value in _refused(conn, type_sql, list(cells)):
            problems.extend(
                FieldProblem(name, f"is not a valid {label} value", row) for row, name in cells[value]
            )
    return problems


def _checked_as(col: ColumnInfo, dialect: sa.Dialect) -> tuple[str, str] | None:
    """The type the server reads a column's values as, and its name for a person; None for no check."""
    if col.server_type:
        return col.server_type, col.server_type
    if col.domain:
        quote = dialect.identifier_preparer.quote
        return ".".join(quote(part) for part in col.domain.split(".")), col.domain
    return None


def _refused(conn: sa.Connection, type_sql: str, values: list[str]) -> list[str]:
    """The values the server would not read as `type_sql`; none when it cannot say (the write will)."""
    try:
        with conn.begin_nested():  # a type the server cannot resolve must not abort the save's transaction
            if (conn.dialect.server_version_info or (0,)) >= SOFT_INPUT_CHECK:
                stmt = sa.text(
                    "SELECT v FROM unnest(CAST(:vals AS text[])) AS t(v) WHERE NOT pg_input_is_valid(v, :t)"
                )
                return list(conn.execute(stmt, {"vals": values, "t": type_sql}).scalars())
            return [v for v in values if not _casts(conn, type_sql, v)]
    except (sa.exc.DBAPIError, ValueRefused, ConstraintViolated):  # as core/engine translates them
        return []


def _casts(conn: sa.Connection, type_sql: str, value: str) -> bool:
    """Whether the server reads `value` as `type_sql` (tried under a savepoint of its own)."""
    cast: Any = sa.text(f"SELECT CAST(CAST(:v AS text) AS {type_sql})")  # type_sql is a catalog type, quoted
    try:
        with conn.begin_nested():
            conn.execute(cast, {"v": value})
    except (sa.exc.DBAPIError, ValueRefused, ConstraintViolated):
        return False
    return True
