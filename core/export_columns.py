"""How each column of an export is read and written, decided once per column and applied a batch at a time.

Values leave as they are stored. What the old row-at-a-time export wrote is kept byte for byte: keys as
UUID text, the reference schema's UTC timestamps (`core.types.UTCDateTime`) as ISO 8601 with `+00:00`,
JSON columns as JSON, vectors as lists of floats, bytes as base64. A naive DATETIME is written as
stored, with no invented offset.

On SQLite the columns whose stored form is already the exported text, or turns into it by a cheap text
operation, are read as the driver returns them (no SQLAlchemy result processing: no datetime, UUID or
JSON object is built per value). A whole batch of a column is checked at C speed (one join, one regular
expression) and only a batch holding something unusual goes value by value. Everything else is read
through its SQLAlchemy type and made JSON-able per value.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import json
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import sqlalchemy as sa

from core.catalog import Entity

__all__ = ["ColumnExport", "cell_of", "dumps", "plain_value", "plan_columns"]

#: A batch of one column's values as read (None for NULL) → the same number of exported values.
Convert = Callable[[Sequence[Any]], Sequence[Any]]

#: One JSON encoder, built once: json.dumps(..., ensure_ascii=False) builds a new encoder per call.
dumps = json.JSONEncoder(ensure_ascii=False).encode
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})
_TEXT_OR_NULL = frozenset({str, type(None)})
_SEP = "\x00"  # joins a batch for the whole-batch checks; no stored text of interest holds it
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_UUID_TEXT = re.compile(rf"(?:{_UUID}\x00)*{_UUID}")
_NOT_OBJECT = re.compile(r"\x00[^{\[]")  # a value after the first that is not an object or array
_ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{6})?\+00:00"
_ISO_UTC = re.compile(rf"(?:{_ISO}\x00)*{_ISO}")


@dataclass(frozen=True)
class ColumnExport:
    """One column of an export: what the SELECT reads, and how a batch becomes JSON values or CSV cells.

    A converter of None means the values as read are already what is written.
    """

    name: str
    select: sa.ColumnElement[Any]
    to_value: Convert | None
    to_cell: Convert | None


def plan_columns(entity: Entity, backend: str) -> list[ColumnExport]:
    """The export plan of every column of `entity`, in table order."""
    kinds = {c.name: c.kind for c in entity.columns}
    return [_plan(col, kinds.get(col.name, "other"), backend) for col in entity.table.columns]


def _plan(col: sa.Column[Any], kind: str, backend: str) -> ColumnExport:
    if backend == "sqlite":
        raw = _sqlite_raw(col, kind)
        if raw is not None:
            select, to_value, to_cell = raw
            # NullType has no result processor: the driver's str/int/float/bytes arrive untouched.
            read = sa.type_coerce(select, sa.types.NullType()).label(col.name)
            return ColumnExport(col.name, read, to_value, to_cell)
    return ColumnExport(col.name, col, _processed_values, _processed_cells)


# --- columns read through their SQLAlchemy type -----------------------------------------------------


def plain_value(value: Any) -> Any:
    """A JSON-able value: UUID/Decimal as text, aware times ISO 8601, naive times as stored, bytes base64."""
    if value is None or type(value) in _PLAIN_TYPES:
        return value
    if isinstance(value, dt.datetime):
        # An aware time keeps its offset; a naive one gets none invented (it is written as stored).
        return value.isoformat() if value.tzinfo is not None else value.isoformat(sep=" ")
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain_value(v) for v in value]
    if isinstance(value, enum.Enum):
        return plain_value(value.value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bool | int | float | str):  # subclasses of the plain types
        return value
    return str(value)


def cell_of(value: Any) -> Any:
    """A CSV cell from a JSON-able value: objects and lists as compact JSON text, the rest as it is."""
    if isinstance(value, dict | list):
        return dumps(value)
    return value


def _processed_values(values: Sequence[Any]) -> list[Any]:
    if _PLAIN_TYPES.issuperset(map(type, values)):
        return list(values)
    return [plain_value(v) for v in values]


def _processed_cells(values: Sequence[Any]) -> list[Any]:
    if _PLAIN_TYPES.issuperset(map(type, values)):
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
        return _sql_uuid_text(col), _uuid_text, _uuid_text
    if kind == "datetime":
        if getattr(col.type, "timezone", False):
            return _sql_utc_stamp(col), _utc_stamps, _utc_stamps
        return col, _raw_values, _raw_values  # a naive DATETIME: the stored text, as stored
    if kind == "json":
        if isinstance(col.type, sa.JSON):
            return col, _json_values, _json_cells
        # JSON kept in a TEXT column (reflection saw JSON in it): a string, exported as the stored text.
        return col, _raw_values, _raw_values
    return None


def _sql_uuid_text(col: sa.Column[Any]) -> sa.ColumnElement[Any]:
    """SQL giving a stored 32-digit lowercase hex key as 8-4-4-4-12 text, and anything else as stored.

    Done by SQLite (C) rather than per value in Python; the batch check in _uuid_text still decides.
    """
    text = sa.type_coerce(col, sa.String())

    def part(start: int, length: int | None = None) -> sa.ColumnElement[Any]:
        return sa.func.substr(text, start) if length is None else sa.func.substr(text, start, length)

    dashed = part(1, 8) + "-" + part(9, 4) + "-" + part(13, 4) + "-" + part(17, 4) + "-" + part(21)
    glob = text.op("GLOB", is_comparison=True)
    canonical = sa.and_(sa.func.length(text) == 32, sa.not_(glob("*[^0-9a-f]*")))
    return sa.case((canonical, dashed), else_=text)


#: SQLAlchemy's SQLite DATETIME storage format as a GLOB pattern.
_D = "[0-9]"
_STAMP_GLOB = f"{_D * 4}-{_D * 2}-{_D * 2} {_D * 2}:{_D * 2}:{_D * 2}.{_D * 6}"


def _sql_utc_stamp(col: sa.Column[Any]) -> sa.ColumnElement[Any]:
    """SQL giving a stored naive UTC time as isoformat() writes it, with +00:00; anything else as stored."""
    text = sa.type_coerce(col, sa.String())
    fraction = sa.func.substr(text, 20)
    iso = (
        sa.func.substr(text, 1, 10)
        + "T"
        + sa.func.substr(text, 12, 8)
        + sa.case((fraction == ".000000", ""), else_=fraction)  # isoformat() leaves out a zero fraction
        + "+00:00"
    )
    return sa.case((text.op("GLOB", is_comparison=True)(_STAMP_GLOB), iso), else_=text)


def _raw_values(values: Sequence[Any]) -> Sequence[Any]:
    """Stored text, numbers and NULLs as they are; a BLOB in a text column (SQLite allows it) as base64."""
    if _PLAIN_TYPES.issuperset(map(type, values)):
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
    """Keys as 8-4-4-4-12 lowercase UUID text (SQLite dashed the canonical ones); others one by one."""
    joined = _joined_text(values)
    if joined is not None and _UUID_TEXT.fullmatch(joined):
        return values
    return [_one_uuid(v) for v in values]


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
    """UTC times as ISO 8601 with +00:00 (SQLite rewrote the canonical ones); others one by one."""
    joined = _joined_text(values)
    if joined is not None and _ISO_UTC.fullmatch(joined):
        return values
    return [_one_utc_stamp(v) for v in values]


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
