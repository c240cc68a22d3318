"""The copy's checksum (core/migrate/copy_values.py): the same rows read raw from SQLite (hex text keys,
naive UTC text times, JSON text, REAL decimals, 0/1 booleans, float32 BLOBs) and as psycopg types (UUID,
aware datetime, parsed JSON, Decimal, bool, arrays) sum to the same digest in any order; any changed value,
a missing or a duplicated row changes it."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import numpy as np

from core.migrate.copy_values import Checksum
from core.schema.kinds import ColumnKind as K

KINDS = [K.UUID, K.DATETIME, K.JSON, K.DECIMAL, K.FLOAT, K.BOOLEAN, K.VECTOR, K.DATE, K.STRING, K.INTEGER]
SCALES = [None, None, None, 2, None, None, None, None, None, None]
VEC = np.array([0.1, -2.5, 3.25], dtype="<f4")
KEY = uuid.UUID("e87f342957844baca16199315e403594")


def _sqlite_rows() -> list[tuple[object, ...]]:
    return [
        (KEY.hex, "2025-07-05 01:15:19.305213", '{"b": 1, "a": [1, 2.5]}', 14.99, 1.5, 1, VEC.tobytes(),
         "2024-01-02", "x", 7),
        (uuid.UUID(int=5).hex, "2024-01-02 00:00:00.000000", "[]", 3.0, float("nan"), 0, None, None, None, 8),
    ]  # fmt: skip


def _postgres_rows() -> list[tuple[object, ...]]:
    return [
        (KEY, dt.datetime(2025, 7, 5, 1, 15, 19, 305213, tzinfo=dt.UTC), {"a": [1, 2.5], "b": 1},
         Decimal("14.99"), 1.5, True, VEC.copy(), dt.date(2024, 1, 2), "x", 7),
        (uuid.UUID(int=5), dt.datetime(2024, 1, 2, tzinfo=dt.UTC), [], Decimal("3.00"), float("nan"), False,
         None, None, None, 8),
    ]  # fmt: skip


def _digest(rows: list[tuple[object, ...]]) -> str:
    found = Checksum(KINDS, SCALES)
    found.add_rows(rows)
    return found.hexdigest


def test_both_backends_spelling_of_the_same_rows_sum_alike_in_any_order() -> None:
    sqlite, postgres = _sqlite_rows(), _postgres_rows()
    assert _digest(sqlite) == _digest(postgres) == _digest(list(reversed(postgres)))
    # A time in another zone is the same instant.
    moved = list(postgres[0])
    moved[1] = dt.datetime(2025, 7, 5, 3, 15, 19, 305213, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert _digest([tuple(moved), postgres[1]]) == _digest(sqlite)


def test_a_changed_value_a_missing_or_a_duplicated_row_changes_the_digest() -> None:
    base = _digest(_postgres_rows())
    for column, value in [
        (0, uuid.UUID(int=6)),
        (1, dt.datetime(2025, 7, 5, 1, 15, 19, 305214, tzinfo=dt.UTC)),
        (2, {"a": [1, 2.5], "b": 2}),
        (3, Decimal("14.98")),
        (5, False),
        (6, np.array([0.1, -2.5, 3.5], dtype="<f4")),
        (8, "y"),
    ]:
        row = list(_postgres_rows()[0])
        row[column] = value
        assert _digest([tuple(row), _postgres_rows()[1]]) != base, KINDS[column]
    assert _digest(_postgres_rows()[:1]) != base
    assert _digest([*_postgres_rows(), _postgres_rows()[1]]) != base
