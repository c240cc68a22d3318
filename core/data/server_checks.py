"""Values only the server can judge (interval, inet, cidr…), checked in the save's transaction before
anything is written: a value it would refuse becomes a FieldProblem on its cell, and nothing is written.

PostgreSQL 16+ answers for a whole column at once with pg_input_is_valid; older servers try a CAST of
each distinct value under a savepoint (a failed statement would otherwise abort the transaction).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from core.data.changes import Change, Delete
from core.errors import ConstraintViolated, FieldProblem, ValueRefused
from core.schema.catalog import Entity

#: The first PostgreSQL with pg_input_is_valid(text, type).
SOFT_INPUT_CHECK = (16,)


def server_problems(checked: list[tuple[Entity | None, Change]], conn: sa.Connection) -> list[FieldProblem]:
    """A problem for every value of a server-checked column the server would refuse (nothing on SQLite)."""
    if conn.dialect.name != "postgresql":
        return []
    # (type name) -> value -> the (row, column) cells holding it
    wanted: dict[str, dict[str, list[tuple[int, str]]]] = defaultdict(dict)
    for row, (entity, change) in enumerate(checked):
        if entity is None or isinstance(change, Delete):
            continue
        for name, value in change.values.items():
            col = entity.columns_by_name.get(name)
            if col is not None and col.server_type and isinstance(value, str):
                wanted[col.server_type].setdefault(value, []).append((row, name))
    problems: list[FieldProblem] = []
    for type_name, cells in wanted.items():
        for value in _refused(conn, type_name, list(cells)):
            problems.extend(
                FieldProblem(name, f"is not a valid {type_name} value", row) for row, name in cells[value]
            )
    return problems


def _refused(conn: sa.Connection, type_name: str, values: list[str]) -> list[str]:
    """The values the server would not read as `type_name`."""
    if (conn.dialect.server_version_info or (0,)) >= SOFT_INPUT_CHECK:
        stmt = sa.text(
            "SELECT v FROM unnest(CAST(:vals AS text[])) AS t(v) WHERE NOT pg_input_is_valid(v, :type_name)"
        )
        return list(conn.execute(stmt, {"vals": values, "type_name": type_name}).scalars())
    refused = []
    cast: Any = sa.text(f"SELECT CAST(CAST(:v AS text) AS {type_name})")  # type_name is one of ours
    for value in values:
        try:
            with conn.begin_nested():
                conn.execute(cast, {"v": value})
        except (sa.exc.DBAPIError, ValueRefused, ConstraintViolated):  # as core/engine translates them
            refused.append(value)
    return refused
