"""Portable column types: UUID, JSON, Vector(n), money, UTC timestamps, tags."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from pgvector.sqlalchemy import VECTOR
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

if TYPE_CHECKING:
    # numpy is loaded by the first vector a value goes through, not by every import of the types: the
    # catalog of a database without vectors (`warden inspect`) never needs it (a tenth of a second).
    import numpy as np

#: Keys are UUIDs: native uuid on PostgreSQL, CHAR(32) on SQLite.
UUIDType = sa.Uuid(as_uuid=True)

#: JSONB on PostgreSQL, JSON text on SQLite.
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

#: Tags: a text array on PostgreSQL, a JSON list on SQLite.
TagsType = sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), "postgresql")

#: Money is an exact decimal with two places.
Money = sa.Numeric(12, 2, asdecimal=True)


def new_uuid() -> uuid.UUID:
    """A fresh random key."""
    return uuid.uuid4()


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """A timezone-aware timestamp stored in UTC (naive UTC text on SQLite, timestamptz on PostgreSQL)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            # A naive time is taken to be UTC already: the only safe reading for stored data.
            value = value.replace(tzinfo=dt.UTC)
        utc: dt.datetime = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        stored: dt.datetime = value
        if stored.tzinfo is None:
            return stored.replace(tzinfo=dt.UTC)
        return stored.astimezone(dt.UTC)


class Vector(sa.TypeDecorator["np.ndarray"]):
    """An n-dimensional float32 vector: pgvector `vector(n)` on PostgreSQL, a little-endian BLOB on SQLite."""

    impl = sa.LargeBinary
    cache_ok = True

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(VECTOR(self.dim))
        return dialect.type_descriptor(sa.LargeBinary())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        import numpy as np

        arr = np.asarray(value, dtype="<f4").reshape(-1)
        if arr.shape[0] != self.dim:
            raise ValueError(f"expected {self.dim} dimensions, got {arr.shape[0]}")
        if dialect.name == "postgresql":
            return arr
        return arr.tobytes()

    def process_result_value(self, value: Any, dialect: Dialect) -> np.ndarray | None:
        if value is None:
            return None
        import numpy as np

        if isinstance(value, bytes | memoryview | bytearray):
            return np.frombuffer(bytes(value), dtype="<f4").copy()
        return np.asarray(value, dtype=np.float32)

    def __repr__(self) -> str:
        return f"Vector({self.dim})"


def vector_from_blob(blob: bytes) -> np.ndarray:
    """Decode a sqlite-vec float32 BLOB."""
    import numpy as np

    return np.frombuffer(blob, dtype="<f4").copy()
