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

import datetime as dt
import functools
import json
import math
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa

from core.data.repository import PLAIN_TYPES, to_jsonable
from core.schema.catalog import Entity

__all__ = ["ColumnExport", "cell_of", "dumps", "finite_json", "plain_value", "plan_columns", "strict_dumps"]

#: A batch of one column's values as read (None for NULL) → the same number of exported values.
Convert = Callable[[Sequence[Any]], Sequence[Any]]

#: One JSON encoder, built once: json.dumps(..., ensure_ascii=False) builds a new encoder per call.
dumps = json.JSONEncoder(ensure_ascii=False).encode
#: The JSON export's encoder: a float that is not finite raises ValueError instead of writing `Infinity`,
#: which strict parsers refuse (RFC 8259 has no such literal); the writer then goes through finite_json.
strict_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
_TEXT_OR_NULL = frozenset({str, type(None)})
_SEP = "\x00"  # joins a batch for the whole-batch checks; no stored text of interest holds it
_NOT_OBJECT = re.compile(r"\x00[^{\[]")  # a value after the first that is not an object or array
_IS_HEX = np.zeros(256, dtype=bool)
_IS_HEX[list(b"0123456789abcdef")] = True
_UUID_PIECES = ((0, 8), b"-", (8, 12), b"-", (12, 16), b"-", (16, 20), b"-", (20, 32))
# SQLAlchemy's SQLite DATETIME storage format, "2026-01-01 10:00:00.000000": its marks and digits.
_STAMP_MARKS = [4, 7, 10, 13, 16, 19]
_STAMP_MARK_BYTES = np.frombuffer(b"-- ::.", dtype=np.uint8)
_STAMP_DIGITS = [i for i in range(26) if i not in _STAMP_MARKS]
_ISO_PIECES = ((0, 10), b"T", (11, 26), b"+00:00")


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


def cell_of(value: Any) -> Any:
    """A CSV cell from a JSON-able value: objects and lists as compact JSON text, the rest as it is."""
    if isinstance(value, dict | list):
        return dumps(value)
    return value


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
        return col, _raw_values, _raw_values
    if kind == "uuid":
        return col, _uuid_text, _uuid_text
    if kind == "datetime":
        if getattr(col.type, "timezone", False):
            return col, _utc_stamps, _utc_stamps
        return col, _raw_values, _raw_values  # a naive DATETIME: the stored text, as stored
    if kind == "json":
        if isinstance(col.type, sa.JSON):
            return col, _json_values, _json_cells
        # JSON kept in a TEXT column (reflection saw JSON in it): a string, exported as the stored text.
        return col, _raw_values, _raw_values
    return None


def _raw_values(values: Sequence[Any]) -> Sequence[Any]:
    """Stored text, numbers and NULLs as they are; a BLOB in a text column (SQLite allows it) as base64."""
    if PLAIN_TYPES.issuperset(map(type, values)):
        return values
    return [plain_value(v) for v in values]


def _joined_text(values: Sequence[Any]) -> str | None:
    """The non-NULL values joined by _SEP when all are text, else None."""
    try:
        return _SEP.join(values)  # C speed; a TypeError means a NULL or a value that is not text
    except TypeError:
        pass
    if not _TEXT_OR_NULL.issuperset(map(type, values)):
        return None
    present = [v for v in values if v is not None]
    return _SEP.join(present) if present else None


def _uuid_text(values: Sequence[Any]) -> Sequence[Any]:
    """Stored 32-digit hex keys as 8-4-4-4-12 UUID text; anything else through uuid.UUID, else as stored."""
    matrix = _fixed_width(values, 32)
    if matrix is not None and _IS_HEX[matrix[:, :32]].all():
        return _with_nulls(values, _rebuilt(matrix, _UUID_PIECES))
    return [_one_uuid(v) for v in values]


def _fixed_width(values: Sequence[Any], width: int) -> np.ndarray | None:
    """The batch's non-NULL values as a byte matrix, one row per value (ending in _SEP), if all are ASCII
    text of `width` characters; else None.

    Keys and times are rebuilt from such a matrix by a few array copies instead of a Python f-string per
    value (those took a third of an export's time).
    """
    joined = _joined_text(values)
    if joined is None or (len(joined) + 1) % (width + 1):
        return None
    try:
        data = (joined + _SEP).encode("ascii")
    except UnicodeEncodeError:
        return None
    matrix = np.frombuffer(data, dtype=np.uint8).reshape(-1, width + 1)
    if matrix[:, width].any() or not matrix[:, :width].all():
        return None  # the separators are not where fixed-width values put them
    return matrix


def _rebuilt(matrix: np.ndarray, pieces: Sequence[tuple[int, int] | bytes]) -> list[str]:
    """Every row of a _fixed_width matrix rebuilt from its column slices and literal bytes."""
    n, width = matrix.shape[0], matrix.shape[1] - 1
    parts = [
        np.broadcast_to(np.frombuffer(p, dtype=np.uint8), (n, len(p)))
        if isinstance(p, bytes)
        else matrix[:, p[0] : p[1]]
        for p in pieces
    ]
    parts.append(matrix[:, width:])  # the separator closes every row
    return np.concatenate(parts, axis=1).tobytes().decode("ascii").split(_SEP)[:-1]


def _with_nulls(values: Sequence[Any], present: list[str]) -> Sequence[Any]:
    """`present` (the converted non-NULL values, in order) with the NULLs of `values` put back."""
    if len(present) == len(values):
        return present
    converted = iter(present)
    return [None if v is None else next(converted) for v in values]


def _one_uuid(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            return value  # not a UUID: exported as stored
    if isinstance(value, bytes) and len(value) == 16:
        return str(uuid.UUID(bytes=value))
    return plain_value(value)


def _utc_stamps(values: Sequence[Any]) -> Sequence[Any]:
    """UTC times stored as naive text: ISO 8601 with +00:00, as datetime.isoformat() writes them."""
    matrix = _fixed_width(values, 26)
    if matrix is not None and _is_sqlite_stamp(matrix):
        if not (matrix[:, 20:26] == ord("0")).all(axis=1).any():
            return _with_nulls(values, _rebuilt(matrix, _ISO_PIECES))
        # isoformat() leaves out a zero fraction of a second.
        return [
            None if v is None else f"{v[:10]}T{v[11:19] if v.endswith('.000000') else v[11:]}+00:00"
            for v in values
        ]
    return [_one_utc_stamp(v) for v in values]


def _is_sqlite_stamp(matrix: np.ndarray) -> bool:
    """Whether every row is SQLAlchemy's SQLite DATETIME text, "2026-01-01 10:00:00.000000"."""
    digits = matrix[:, _STAMP_DIGITS]
    return bool(((digits >= ord("0")) & (digits <= ord("9"))).all()) and bool(
        (matrix[:, _STAMP_MARKS] == _STAMP_MARK_BYTES).all()
    )


def _one_utc_stamp(value: Any) -> Any:
    if isinstance(value, str):
        try:
            stamp = dt.datetime.fromisoformat(value)
        except ValueError:
            return value  # not a timestamp: exported as stored
        stamp = stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)
        return stamp.isoformat()
    return plain_value(value)


def _canonical_json(values: Sequence[Any]) -> bool:
    """Whether every stored text is an ASCII JSON object or array without \\u escapes.

    Such text, as json.dumps wrote it, reads back and re-encodes to itself; escaped non-ASCII text
    (json.dumps' default) is written as the characters themselves, and a top-level string, number,
    true or null as the value it holds (as the old export did), so those go value by value.
    """
    joined = _joined_text(values)
    return (
        joined is not None
        and joined[:1] in ("{", "[")
        and _NOT_OBJECT.search(joined) is None
        and joined.isascii()
        and "\\u" not in joined
    )


def _json_cells(values: Sequence[Any]) -> Sequence[Any]:
    """JSON text as compact JSON with non-ASCII characters as themselves; JSON null as an empty cell."""
    if _canonical_json(values):
        return values
    return [_one_json_cell(v) for v in values]


def _one_json_cell(value: Any) -> Any:
    if isinstance(value, str):
        if value[:1] in ("{", "[") and value.isascii() and "\\u" not in value:
            return value  # as in a batch of such text: the same value gives the same cell in any batch
        try:
            return cell_of(json.loads(value))
        except ValueError:
            return value  # not JSON: exported as stored
    return cell_of(plain_value(value))


def _json_values(values: Sequence[Any]) -> list[Any]:
    """JSON text as the JSON values it holds (text that is not JSON stays a string)."""
    return [_one_json_value(v) for v in values]


def _one_json_value(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return plain_value(value)
