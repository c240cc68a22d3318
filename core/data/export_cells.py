"""Converters of a batch of one column's values as SQLite stores them into the values an export writes.

A whole batch of a column is checked at C speed (one join, one regular expression, a few numpy array
operations) and only a batch holding something unusual goes value by value. core/data/export_columns.py
decides which column takes which converter. This module imports no more than numpy, so that the export's
helper process (core/data/export_parallel.py) starts in a fraction of a second: the rare values that need
SQLAlchemy's types (core/data/repository.py) import it on first use.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "Convert",
    "cell_of",
    "dumps",
    "json_cells",
    "json_values",
    "plain_value",
    "raw_values",
    "utc_stamps",
    "uuid_text",
]

#: A batch of one column's values as read (None for NULL) → the same number of exported values.
Convert = Callable[[Sequence[Any]], Sequence[Any]]

#: One JSON encoder, built once: json.dumps(..., ensure_ascii=False) builds a new encoder per call.
dumps = json.JSONEncoder(ensure_ascii=False).encode
#: The types a value of the driver or of to_jsonable already is as exported (core.data.repository's).
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})
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
_STAMP_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}")


def plain_value(value: Any) -> Any:
    """A JSON-able value, naive times as stored (no offset invented): what an export writes. The twin of
    export_columns.plain_value (a partial of to_jsonable, for its per-value loops) that imports the
    repository only when an unusual value comes: the export's helper process imports numpy alone."""
    from core.data.repository import to_jsonable  # only unusual values come here: imported when one does

    return to_jsonable(value, naive_as_utc=False)


def cell_of(value: Any) -> Any:
    """A CSV cell from a JSON-able value: objects and lists as compact JSON text, the rest as it is."""
    if isinstance(value, dict | list):
        return dumps(value)
    return value


def raw_values(values: Sequence[Any]) -> Sequence[Any]:
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


def uuid_text(values: Sequence[Any]) -> Sequence[Any]:
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


def utc_stamps(values: Sequence[Any]) -> Sequence[Any]:
    """UTC times stored as naive text: ISO 8601 with +00:00, as datetime.isoformat() writes them."""
    matrix = _fixed_width(values, 26)
    if matrix is not None and _is_sqlite_stamp(matrix):
        if not (matrix[:, 20:26] == ord("0")).all(axis=1).any():
            return _with_nulls(values, _rebuilt(matrix, _ISO_PIECES))
        return [None if v is None else _iso_utc(v) for v in values]
    return [_one_utc_stamp(v) for v in values]


def _iso_utc(text: str) -> str:
    """SQLAlchemy's SQLite DATETIME text as isoformat() writes it in UTC (a zero fraction left out)."""
    return f"{text[:10]}T{text[11:19] if text.endswith('.000000') else text[11:]}+00:00"


def _is_sqlite_stamp(matrix: np.ndarray) -> bool:
    """Whether every row is SQLAlchemy's SQLite DATETIME text, "2026-01-01 10:00:00.000000"."""
    digits = matrix[:, _STAMP_DIGITS]
    return bool(((digits >= ord("0")) & (digits <= ord("9"))).all()) and bool(
        (matrix[:, _STAMP_MARKS] == _STAMP_MARK_BYTES).all()
    )


def _one_utc_stamp(value: Any) -> Any:
    if isinstance(value, str) and _STAMP_TEXT.fullmatch(value):
        # As utc_stamps writes a whole batch of such text, even an impossible date ("2026-13-45 …"): one
        # value's cell must not depend on the batch it was read in (two processes cut batches elsewhere).
        return _iso_utc(value)
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


def json_cells(values: Sequence[Any]) -> Sequence[Any]:
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


def json_values(values: Sequence[Any]) -> list[Any]:
    """JSON text as the JSON values it holds (text that is not JSON stays a string)."""
    return [_one_json_value(v) for v in values]


def _one_json_value(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return plain_value(value)
