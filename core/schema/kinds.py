"""Column kinds: what an editor, a filter and validation make of a column, whatever its SQL spelling.

The mapping from a SQLAlchemy type to a kind lives here, beside the catalog that records it; reflection
(core/schema/reflect.py) only refines it from the data of a database Warden did not create.
"""

from __future__ import annotations

import weakref
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pgvector.sqlalchemy import VECTOR
from sqlalchemy.dialects import postgresql

from core.types import Vector


class ColumnKind(StrEnum):
    """What a column holds, as the editors, filters and validation see it (values are saved in settings)."""

    STRING = "string"  # short text with a length
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    FLOAT = "float"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    DATE = "date"
    TIME = "time"
    JSON = "json"
    ARRAY = "array"
    UUID = "uuid"
    ENUM = "enum"
    VECTOR = "vector"
    BINARY = "binary"
    OTHER = "other"


#: Checked in this order: a subclass before its base (Text before String, Enum before String).
_KIND_OF_TYPE: tuple[tuple[type, ColumnKind], ...] = (
    (sa.Enum, ColumnKind.ENUM),
    (sa.JSON, ColumnKind.JSON),
    (postgresql.JSONB, ColumnKind.JSON),
    (sa.ARRAY, ColumnKind.ARRAY),
    (sa.Boolean, ColumnKind.BOOLEAN),
    (sa.DateTime, ColumnKind.DATETIME),
    (sa.Date, ColumnKind.DATE),
    (sa.Time, ColumnKind.TIME),
    (sa.Integer, ColumnKind.INTEGER),
    (sa.Float, ColumnKind.FLOAT),
    (sa.Numeric, ColumnKind.DECIMAL),
    (sa.Uuid, ColumnKind.UUID),
    (sa.LargeBinary, ColumnKind.BINARY),
    (sa.Text, ColumnKind.TEXT),
    (sa.String, ColumnKind.STRING),
)


def backend_type(t: sa.types.TypeEngine[Any], dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
    """The type this backend really stores: a with_variant() type's variant (e.g. TEXT[] tags on PostgreSQL).

    SQLAlchemy's public dialect_impl picks the variant; Warden's own TypeDecorators stay as they are, so
    kind_of sees a Vector, not the bytes it is stored as.
    """
    if isinstance(t, sa.types.TypeDecorator):
        return t
    # dialect_impl adapts the type anew for every engine (its memo lives on the dialect instance), which
    # was a third of loading the catalog; what it picks depends only on the backend, so keep it per type.
    by_backend = _BACKEND_TYPES.setdefault(t, {})
    backend = (dialect.name, dialect.driver)
    found = by_backend.get(backend)
    if found is None:
        found = by_backend[backend] = t.dialect_impl(dialect)
    return found


_Type = sa.types.TypeEngine[Any]
_BACKEND_TYPES: weakref.WeakKeyDictionary[_Type, dict[tuple[str, str], _Type]] = weakref.WeakKeyDictionary()


def kind_of(t: sa.types.TypeEngine[Any]) -> tuple[ColumnKind, int | None]:
    """The kind of a SQLAlchemy type, and a vector's dimension."""
    if isinstance(t, Vector | VECTOR):
        return ColumnKind.VECTOR, t.dim
    if isinstance(t, sa.types.TypeDecorator):
        return kind_of(t.impl_instance)
    for cls, kind in _KIND_OF_TYPE:
        if isinstance(t, cls):
            if kind == ColumnKind.STRING and getattr(t, "length", None) is None:
                return ColumnKind.TEXT, None
            return kind, None
    if type(t).__name__ in ("BYTEA", "BLOB"):
        return ColumnKind.BINARY, None
    return ColumnKind.OTHER, None
