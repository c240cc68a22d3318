"""How each column of an export is read and written, decided once per column and applied a batch at a time.

Values leave as they are stored. For what Warden writes, the old row-at-a-time export's output is kept
byte for byte: keys as UUID text, the reference schema's UTC timestamps (`core.types.UTCDateTime`) as
ISO 8601 with `+00:00`, JSON columns as JSON (non-ASCII as the characters), vectors as lists of floats,
bytes as base64. A naive DATETIME is written as stored, with no invented offset, and so is JSON object
text another program stored in its own layout (`{"a":1}` stays so), and JSON kept in a TEXT column.
A float that is not finite is the text "Infinity", "-Infinity" or "NaN" in JSON (strict JSON has no
literal for it; see finite_json), and inf, -inf or nan in CSV.

On SQLite the columns whose stored form is already the exported text, or turns into it by a cheap text
operation, are read as the driver returns them (no SQLAlchemy result processing: no datetime, UUID or
JSON object is built per value). A whole batch of a column is checked at C speed (one join, one regular
expression) and only a batch holding something unusual goes value by value. Everything else is read
through its SQLAlchemy type and made JSON-able per value.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from core.data.export_cells import (
    Convert,
    cell_of,
    dumps,
    json_cells,
    json_values,
    raw_values,
    utc_stamps,
    uuid_text,
)
from core.data.repository import PLAIN_TYPES, to_jsonable
from core.schema.catalog import Entity

__all__ = ["ColumnExport", "cell_of", "dumps", "finite_json", "plain_value", "plan_columns", "strict_dumps"]

#: The JSON export's encoder: a float that is not finite raises ValueError instead of writing `Infinity`,
#: which strict parsers refuse (RFC 8259 has no such literal); the writer then goes through finite_json.
strict_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode


@dataclass(frozen=True)
class ColumnExport:
    """One column of an export: what the SELECT reads, and how a batch becomes JSON values or CSV cells.

    A converter of None means the values as read are already what is written.
    """

    name: str
    select: sa.ColumnElement[Any]
    to_value: Convert | None
    to_cell: Convert | None
    raw: bool = False  # read as the driver returns it (no SQLAlchemy result processing)


def plan_columns(entity: Entity, backend: str) -> list[ColumnExport]:
    """The export plan of every column of `entity` but a rowid Warden added (core/schema/keys.py), in table
    order."""
    kinds = {c.name: c.kind for c in entity.columns}
    rowid = {c.name for c in entity.columns if c.row_id}  # SQLite's row number is no data: never exported
    shown = [col for col in entity.table.columns if col.name not in rowid]
    return [_plan(col, kinds.get(col.name, "other"), backend) for col in shown]


def _plan(col: sa.Column[Any], kind: str, backend: str) -> ColumnExport:
    if backend == "sqlite":
        raw = _sqlite_raw(col, kind)
        if raw is not None:
            select, to_value, to_cell = raw
            # NullType has no result processor: the driver's str/int/float/bytes arrive untouched.
            read = sa.type_coerce(select, sa.types.NullType()).label(col.name)
            return ColumnExport(col.name, read, to_value, to_cell, raw=True)
    return ColumnExport(col.name, col, _processed_values, _processed_cells)


# --- columns read through their SQLAlchemy type -----------------------------------------------------


#: A JSON-able value, naive times as stored (no offset invented): what an export writes.
plain_value: Callable[[Any], Any] = functools.partial(to_jsonable, naive_as_utc=False)


def finite_json(value: Any) -> Any:
    """A JSON-able value with every float that is not finite, at any depth, as "Infinity", "-Infinity" or
    "NaN": the text PostgreSQL's to_json and protobuf's JSON mapping write, and what a NUMERIC infinity
    already exports as (its str()). A string, not null, so that it stays distinct from NULL.
    """
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(v) for v in value]
    return value


def _processed_values(values: Sequence[Any]) -> list[Any]:
    if PLAIN_TYPES.issuperset(map(type, values)):
        return list(values)
    return [plain_value(v) for v in values]


def _processed_cells(values: Sequence[Any]) -> list[Any]:
    if PLAIN_TYPES.issuperset(map(type, values)):
        return list(values)
    return [cell_of(plain_value(v)) for v in values]


# --- columns read raw on SQLite ---------------------------------------------------------------------


def _sqlite_raw(
    col: sa.Column[Any], kind: str
) -> tuple[sa.ColumnElement[Any], Convert | None, Convert | None] | None:
    """What to SELECT for a column read raw on SQLite, and its converters; None: read it through its type."""
    if kind in ("string", "text", "enum", "integer", "float"):
        return col, raw_values, raw_values
    if kind == "uuid":
        return col, uuid_text, uuid_text
    if kind == "datetime":
        if getattr(col.type, "timezone", False):
            return col, utc_stamps, utc_stamps
        return col, raw_values, raw_values  # a naive DATETIME: the stored text, as stored
    if kind == "json":
        if isinstance(col.type, sa.JSON):
            return col, json_values, json_cells
        # JSON kept in a TEXT column (reflection saw JSON in it): a string, exported as the stored text.
        return col, raw_values, raw_values
    return None
