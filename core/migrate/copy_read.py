"""Reading a table's rows for a copy or its check: raw from the driver (sqlite3's tuples, a psycopg
server-side cursor), batch by batch, without SQLAlchemy's rows and result processing, which cost more than
the copy itself.

The values are what the driver gives: on SQLite the stored text, numbers and BLOBs; on PostgreSQL psycopg's
types (UUID, aware datetime, Decimal, parsed JSON, pgvector's arrays). core/migrate/copy_values.py turns both
into what COPY writes and into the canonical form the checksums compare.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from psycopg import sql
from psycopg.types.json import set_json_loads

from core.engine.db import Database
from core.schema.catalog import ColumnInfo, Entity

#: Rows fetched per round trip when the caller names no batch size.
FETCH_ROWS = 10_000


def table_sql(schema: str | None, name: str) -> sql.Identifier:
    """A target table's name for psycopg's SQL, schema-qualified when it has a schema."""
    return sql.Identifier(*([schema] if schema else []), name)


def select_sql(db: Database, entity: Entity, columns: Sequence[ColumnInfo]) -> str:
    """The SELECT of these columns, compiled for the database (types' column expressions included), in
    storage order: a key order would make SQLite read a large table through its index, row by row."""
    stmt = sa.select(*(entity.table.c[c.name] for c in columns))
    return str(stmt.compile(dialect=db.engine.dialect))


def raw_batches(
    db: Database, entity: Entity, columns: Sequence[ColumnInfo], batch_rows: int = FETCH_ROWS
) -> Iterator[list[tuple[Any, ...]]]:
    """The table's rows as the driver returns them, `batch_rows` at a time, streamed."""
    text = select_sql(db, entity, columns)
    with db.engine.connect() as conn:
        driver: Any = conn.connection.driver_connection
        if db.backend == "postgresql":
            # A server-side cursor streams, in the binary format (numbers, UUIDs and times load without
            # parsing text); timestamptz arrives in UTC, JSON is parsed by orjson.
            driver.execute("SET LOCAL TIME ZONE 'UTC'")
            cur = driver.cursor(name="warden_copy_read", binary=True)
            set_json_loads(orjson.loads, cur)
            cur.itersize = batch_rows
        else:
            cur = driver.cursor()
        try:
            cur.execute(text)
            while batch := cur.fetchmany(batch_rows):
                yield batch
        finally:
            cur.close()
            if db.backend == "postgresql":
                driver.rollback()  # the read's transaction (and its time zone) ends here
