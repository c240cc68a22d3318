"""Values on their way to PostgreSQL's COPY, and the canonical form both sides of a copy are checksummed in.

A value read through SQLAlchemy (typed: UUID, aware datetime, Decimal, dict, numpy vector) or raw from a
reflected file (JSON text, a float32 BLOB) becomes what COPY's text format reads back as the same value;
`canonical` spells a value the same way whichever side it was read from, so equal data hashes equal.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from core.schema.catalog import ColumnInfo
from core.schema.kinds import ColumnKind

Convert = Callable[[Any], Any]
_MOD = 1 << 256


def _json_text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value  # JSON text from a reflected file: the server parses it into jsonb
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _vector_text(value: Any) -> Any:
    if value is None:
        return None
    arr = _floats(value)
    # A float32 widened to a double prints its exact value; pgvector's strtof reads it back bit for bit.
    return "[" + ",".join(map(repr, arr.tolist())) + "]"


def _floats(value: Any) -> np.ndarray:
    if isinstance(value, bytes | bytearray | memoryview):
        return np.frombuffer(bytes(value), dtype="<f4")
    if isinstance(value, str):  # pgvector's text form, when its type is not registered on the connection
        return np.asarray(json.loads(value), dtype="<f4")
    if hasattr(value, "to_numpy"):  # pgvector's own Vector, as its psycopg loader returns it
        value = value.to_numpy()
    return np.asarray(value, dtype="<f4").reshape(-1)


def _uuid_text(value: Any) -> Any:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return str(uuid.UUID(str(value)))


def _array(value: Any) -> Any:
    if isinstance(value, str):  # a JSON list kept as text
        return json.loads(value)
    return value


def to_copy(target: ColumnInfo) -> Convert | None:
    """How a source value becomes what COPY writes into the target column; None: psycopg's own adapter."""
    if target.kind == ColumnKind.JSON:
        return _json_text
    if target.kind == ColumnKind.VECTOR:
        return _vector_text
    if target.kind == ColumnKind.UUID:
        return _uuid_text
    if target.kind == ColumnKind.ARRAY:
        return _array
    return None


def canonical(value: Any, kind: ColumnKind) -> Any:
    """One value as plain JSON, spelt the same whichever backend and type it was read with."""
    if value is None:
        return None
    if kind == ColumnKind.VECTOR or isinstance(value, np.ndarray) or hasattr(value, "to_numpy"):
        return _floats(value).astype("<f4").tobytes().hex()
    if kind in (ColumnKind.JSON, ColumnKind.ARRAY) and isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, uuid.UUID):
        return value.hex
    if kind == ColumnKind.UUID and isinstance(value, str):
        return uuid.UUID(value).hex
    if isinstance(value, dt.datetime):
        return (value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value).isoformat()
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list | tuple | str):
        return value
    return str(value)


#: Types whose values are already their canonical form, and quick spellings of the common others.
_PLAIN = frozenset({str, int, bool, type(None), dict, list})
_QUICK: dict[type, Convert] = {
    float: repr,
    uuid.UUID: lambda v: v.hex,
    decimal.Decimal: lambda v: canonical(v, ColumnKind.DECIMAL),
    dt.datetime: lambda v: canonical(v, ColumnKind.DATETIME),
}
_ROW_TEXT = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _by_kind(kind: ColumnKind) -> Convert | None:
    """A column's own spelling, for kinds whose values need their kind to be read (JSON text, a vector's
    bytes, a UUID spelt as text); None: by the value's type."""
    if kind == ColumnKind.UUID:
        return lambda v: v.hex if type(v) is uuid.UUID else canonical(v, ColumnKind.UUID)
    if kind in (ColumnKind.JSON, ColumnKind.ARRAY, ColumnKind.VECTOR):
        return lambda v: canonical(v, kind)
    return None


class Checksum:
    """An order-free checksum of a table's rows: the sum (mod 2**256) of each row's sha256 over the canonical
    JSON text of its values, so it streams in any order and a duplicated row changes it."""

    def __init__(self, kinds: Sequence[ColumnKind]) -> None:
        self.kinds = tuple(kinds)
        self._by_kind = tuple(_by_kind(k) for k in self.kinds)
        self.total = 0
        self.rows = 0

    def add(self, row: Sequence[Any]) -> None:
        """Count one row (values in the order of `kinds`)."""
        values: list[Any] = []
        for v, kind, own in zip(row, self.kinds, self._by_kind, strict=True):
            if v is None:
                values.append(v)
            elif own is not None:
                values.append(own(v))
            elif type(v) in _PLAIN:
                values.append(v)
            else:
                quick = _QUICK.get(type(v))
                values.append(quick(v) if quick is not None else canonical(v, kind))
        digest = hashlib.sha256(_ROW_TEXT.encode(values).encode()).digest()
        self.total = (self.total + int.from_bytes(digest, "big")) % _MOD
        self.rows += 1

    @property
    def hexdigest(self) -> str:
        """The checksum as 64 hex digits."""
        return f"{self.total:064x}"
