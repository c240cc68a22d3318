"""Writing demo rows fast: values in their stored form, batches, and SQLite's bulk mode."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from core.engine.db import Database
from core.errors import NotFoundError
from core.schema.models import metadata
from core.seed.common import EPOCH, Progress, Row, SeedError

BATCH = 10_000

_V4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64)) & ((1 << 128) - 1)
_V4_SET = (0x8000 << 48) | (4 << 76)
_EPOCH_NAIVE = EPOCH.replace(tzinfo=None)


def v4_bits(rng: random.Random) -> int:
    """The 128 bits of a random version-4 UUID drawn from `rng`."""
    return rng.getrandbits(128) & _V4_CLEAR | _V4_SET


def check_schema(conn: sa.Connection, db: Database, tables: Sequence[str]) -> None:
    """Refuse a database without the schema, or one that already holds rows."""
    present = set(sa.inspect(conn).get_table_names())
    missing = [t for t in tables if t not in present]
    if missing:
        raise NotFoundError(
            f"{db.display_url} has no table {missing[0]}: create the schema first (warden migrate upgrade)."
        )
    for t in tables:
        if conn.execute(sa.select(sa.literal(1)).select_from(metadata.tables[t]).limit(1)).first():
            where = db.display_url
            raise SeedError(f"{where} is not empty ({t} has rows); demo data needs an empty database.")


@contextlib.contextmanager
def bulk_mode(conn: sa.Connection, sqlite: bool, tables: list[str]) -> Iterator[None]:
    """On SQLite, build secondary indexes once at the end and use a bigger page cache.

    The indexes are dropped and re-created from their own DDL inside the same transaction,
    so a failure rolls the schema back with the rows.
    """
    if not sqlite:
        yield
        return
    # The sqlite3 module opens its implicit transaction only at the first INSERT, so DDL run before
    # that would be committed on the spot; begin explicitly so the DROP INDEX can be rolled back.
    if not conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        conn.exec_driver_sql("BEGIN")
    marks = ", ".join("?" * len(tables))
    saved = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master"
        f" WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
        tuple(tables),
    ).all()
    cache = int(conn.exec_driver_sql("PRAGMA cache_size").scalar() or -2000)
    conn.exec_driver_sql("PRAGMA cache_size = -131072")
    quote = conn.dialect.identifier_preparer.quote
    try:
        for name, _ in saved:
            conn.exec_driver_sql(f"DROP INDEX {quote(name)}")
        yield
        for _, ddl in saved:
            conn.exec_driver_sql(ddl)
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {cache}")


class Writer:
    """Buffers rows per table and writes them in batches, parents first.

    On SQLite rows are built directly in the stored form SQLAlchemy writes (32-hex UUIDs, naive UTC
    timestamps, JSON text, REAL numerics) and go straight to executemany; on PostgreSQL they are
    Python values bound by SQLAlchemy.
    """

    def __init__(self, conn: sa.Connection, backend: str, totals: dict[str, int], progress: Progress | None):
        self.conn = conn
        self.sqlite = backend == "sqlite"
        self.totals = totals
        self.progress = progress
        self.counts = dict.fromkeys(totals, 0)
        self._order = {name: i for i, name in enumerate(totals)}
        self._buffers: dict[str, list[Row]] = {}
        self._statements: dict[str, Any] = {}
        self._columns: dict[str, list[str]] = {}
        self._json_cache: dict[Any, Any] = {}

    # values in the form the backend stores or binds

    def uid(self, rng: random.Random) -> Any:
        """A random version-4 UUID drawn from `rng`."""
        n = v4_bits(rng)
        return f"{n:032x}" if self.sqlite else uuid.UUID(int=n)

    def ts(self, seconds: float) -> Any:
        """The moment `seconds` after the epoch (negative: before it)."""
        if self.sqlite:
            return (_EPOCH_NAIVE + dt.timedelta(seconds=seconds)).isoformat(" ", "microseconds")
        return EPOCH + dt.timedelta(seconds=seconds)

    def json(self, value: Any) -> Any:
        """A JSON value; None stays SQL NULL."""
        return json.dumps(value) if self.sqlite and value is not None else value

    def cached_json(self, key: Any, make: Callable[[], Any]) -> Any:
        """`self.json(make())`, computed once per distinct key (small values repeat a lot)."""
        value = self._json_cache.get(key)
        if value is None:
            value = self._json_cache[key] = self.json(make())
        return value

    def tags(self, value: list[str]) -> Any:
        """A list of tags (a JSON list on SQLite, a text array on PostgreSQL)."""
        return json.dumps(value) if self.sqlite else value

    def money(self, value: Decimal | None) -> Any:
        """An exact amount; SQLite stores NUMERIC as REAL, as SQLAlchemy does."""
        return float(value) if self.sqlite and value is not None else value

    # rows

    def table(self, name: str, columns: str) -> None:
        """Declare the columns (space-separated) of the rows about to be added to `name`."""
        cols = self._columns[name] = columns.split()
        if self.sqlite:
            q = self.conn.dialect.identifier_preparer.quote
            marks = ", ".join("?" * len(cols))
            self._statements[name] = f"INSERT INTO {q(name)} ({', '.join(map(q, cols))}) VALUES ({marks})"
        else:
            real = metadata.tables[name]
            light = sa.table(name, *(sa.column(c, _pg_type(real.c[c])) for c in cols))
            self._statements[name] = light.insert()
        self._buffers.setdefault(name, [])

    def add(self, name: str, row: Row) -> None:
        """Queue one row; hand over a batch when the buffer is full."""
        buf = self._buffers[name]
        buf.append(row)
        if len(buf) >= BATCH:
            self.flush()

    def extend(self, name: str, rows: list[Row]) -> None:
        """Queue several rows of one table."""
        buf = self._buffers[name]
        buf.extend(rows)
        if len(buf) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Write every queued row, parent tables first, and report progress."""
        for name in sorted(self._buffers, key=self._order.__getitem__):
            rows = self._buffers[name]
            if not rows:
                continue
            if self.sqlite:
                self.conn.exec_driver_sql(self._statements[name], rows)
            else:
                cols = self._columns[name]
                self.conn.execute(self._statements[name], [dict(zip(cols, r, strict=True)) for r in rows])
            self.counts[name] += len(rows)
            self._buffers[name] = []
            if self.progress:
                self.progress(name, self.counts[name], self.totals[name])


def _pg_type(col: sa.Column[Any]) -> Any:
    """The column's type, except that a nullable JSON column writes None as SQL NULL."""
    if isinstance(col.type, sa.JSON) and col.nullable:
        return postgresql.JSONB(none_as_null=True)
    return col.type

