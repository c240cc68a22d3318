"""A few values of the columns whose data says more than their type (JSON kept as text, vectors kept as
bytes), read for many tables at once.

On SQLite one query per table costs microseconds; on PostgreSQL each is a round trip to the server, so the
first rows of many tables come back in one statement, as JSON. A sample never fails a catalog: a table
that cannot be read (no privilege) simply has no sample.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import sqlalchemy as sa

from core.engine.db import Database

SAMPLE_ROWS = 20
PG_BATCH = 100  # tables per statement on PostgreSQL
PG_SAMPLERS = 3  # PostgreSQL connections reading batches side by side


@dataclass(frozen=True)
class SampleRequest:
    """The columns to sample of one table (`binary`: those whose values are bytes)."""

    key: str
    table: str
    schema: str | None
    columns: tuple[str, ...]
    binary: frozenset[str] = frozenset()


def sample_tables(
    db: Database, conn: sa.Connection, requests: Sequence[SampleRequest]
) -> dict[str, dict[str, list[Any]]]:
    """Up to SAMPLE_ROWS values that are not NULL of each requested column, by request key and column, on
    SQLite (PostgreSQL reads its samples with PgSampler)."""
    wanted = [r for r in requests if r.columns]
    out: dict[str, dict[str, list[Any]]] = {r.key: {c: [] for c in r.columns} for r in requests}
    rows: dict[str, int] = {}  # rows read per table: a full first sample means there may be more
    if wanted:
        _sqlite_first_rows(db, conn, wanted, out, rows)
    _look_further(db, conn, wanted, out, rows)
    return out


class PgSampler:
    """PostgreSQL samples read on connections of their own while the caller goes on describing tables: a
    batch is sent as soon as it is full, so the server reads the first tables' rows (most of it is opening
    each relation) while Python works out the columns of the next ones, and the caller uses the first
    batches' samples while the server reads the last ones.

        with PgSampler(db) as sampler:
            for request in requests:
                sampler.add(request)
            for request in requests:
                use(sampler.samples_of(request.key))
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pool = ThreadPoolExecutor(max_workers=PG_SAMPLERS, thread_name_prefix="warden-samples")
        self._pending: list[SampleRequest] = []
        self._sent: list[Future[dict[str, dict[str, list[Any]]]]] = []
        self._batch_of: dict[str, int] = {}  # request key -> its batch in _sent (or len(_sent): pending)

    def __enter__(self) -> PgSampler:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def add(self, request: SampleRequest) -> None:
        """Sample this table's columns (sent with the next full batch)."""
        if not request.columns:
            return
        self._batch_of[request.key] = len(self._sent)
        self._pending.append(request)
        if len(self._pending) >= PG_BATCH:
            self._send()

    def flush(self) -> None:
        """Send the last batch now, however small (every request was added)."""
        if self._pending:
            self._send()

    def samples_of(self, key: str) -> dict[str, list[Any]]:
        """The samples of the added request `key` by column, as sample_tables gives them (waits for its
        batch only); no columns for a request that asked for none."""
        batch = self._batch_of.get(key)
        if batch is None:
            return {}
        if batch == len(self._sent):  # still pending: send what there is
            self._send()
        return self._sent[batch].result()[key]

    def _send(self) -> None:
        batch, self._pending = self._pending, []
        self._sent.append(self._pool.submit(self._read, batch))

    def _read(self, batch: list[SampleRequest]) -> dict[str, dict[str, list[Any]]]:
        out: dict[str, dict[str, list[Any]]] = {}
        rows: dict[str, int] = {}
        with self._db.engine.connect() as conn:
            _pg_batch(self._db, conn, batch, out, rows)
            _look_further(self._db, conn, batch, out, rows)
        return out


def _relation(db: Database, r: SampleRequest) -> str:
    quote = db.engine.dialect.identifier_preparer.quote
    return ".".join(quote(p) for p in (r.schema, r.table) if p)


def _first_rows(db: Database, conn: sa.Connection, r: SampleRequest) -> tuple[dict[str, list[Any]], int]:
    quote = db.engine.dialect.identifier_preparer.quote
    listed = ", ".join(quote(c) for c in r.columns)
    try:
        rows = conn.exec_driver_sql(f"SELECT {listed} FROM {_relation(db, r)} LIMIT {SAMPLE_ROWS}").all()
    except sa.exc.DBAPIError:  # e.g. no SELECT privilege: nothing to learn from the rows
        conn.rollback()  # PostgreSQL refuses every statement of a failed transaction
        rows = []
    return _values(r, rows), len(rows)


def _values(r: SampleRequest, rows: Sequence[Sequence[Any]]) -> dict[str, list[Any]]:
    """The values that are not NULL of each requested column, in row order."""
    found: dict[str, list[Any]] = {c: [] for c in r.columns}
    for row in rows:
        for name, value in zip(r.columns, row, strict=True):
            if value is not None:
                found[name].append(value)
    return found


def _sqlite_first_rows(
    db: Database,
    conn: sa.Connection,
    wanted: Sequence[SampleRequest],
    out: dict[str, dict[str, list[Any]]],
    rows_read: dict[str, int],
) -> None:
    """The first rows of each table, one query each on the driver's own cursor: each takes microseconds, and
    SQLAlchemy's work around a statement (its result object, the event hooks) cost several times that over
    2,500 tables. Only reads, on the connection the catalog is read on."""
    quote = db.engine.dialect.identifier_preparer.quote
    driver_error = conn.dialect.loaded_dbapi.Error
    cursor = conn.connection.cursor()  # the DB-API connection SQLAlchemy documents for driver-level work
    try:
        for r in wanted:
            listed = ", ".join(quote(c) for c in r.columns)
            try:
                cursor.execute(f"SELECT {listed} FROM {_relation(db, r)} LIMIT {SAMPLE_ROWS}")
                rows = cursor.fetchall()
            except driver_error:  # e.g. a virtual table whose module is missing: nothing to learn
                rows = []
            out[r.key], rows_read[r.key] = _values(r, rows), len(rows)
    finally:
        cursor.close()


def _pg_batch(
    db: Database,
    conn: sa.Connection,
    batch: list[SampleRequest],
    out: dict[str, dict[str, list[Any]]],
    rows_read: dict[str, int],
) -> None:
    """The first rows of each table of the batch in one statement: one JSON array of row objects each."""
    quote = db.engine.dialect.identifier_preparer.quote
    parts = [
        f"SELECT {i}, (SELECT coalesce(json_agg(x), '[]')::text FROM "
        f"(SELECT {', '.join(quote(c) for c in r.columns)} FROM {_relation(db, r)} LIMIT {SAMPLE_ROWS}) x)"
        for i, r in enumerate(batch)
    ]
    try:
        rows = conn.exec_driver_sql(" UNION ALL ".join(parts)).all()
    except sa.exc.DBAPIError:  # one table the user may not read: ask table by table
        conn.rollback()
        for r in batch:
            out[r.key], rows_read[r.key] = _first_rows(db, conn, r)
        return
    for i, text in rows:
        r = batch[i]
        records = json.loads(text)
        found: dict[str, list[Any]] = {c: [] for c in r.columns}
        for record in records:
            for name in r.columns:
                value = record.get(name)
                if value is None:
                    continue
                if name in r.binary and isinstance(value, str) and value.startswith("\\x"):
                    value = bytes.fromhex(value[2:])  # bytea as JSON: "\x…" hex
                elif not isinstance(value, str) and name not in r.binary:
                    value = json.dumps(value)  # a json(b) value read as text
                found[name].append(value)
        out[r.key], rows_read[r.key] = found, len(records)


def _look_further(
    db: Database,
    conn: sa.Connection,
    requests: Sequence[SampleRequest],
    out: dict[str, dict[str, list[Any]]],
    rows_read: dict[str, int],
) -> None:
    """The tables whose first rows were a full sample (there are more rows): for each column those rows held
    no value of, its first values that are not NULL."""
    quote = db.engine.dialect.identifier_preparer.quote
    for r in requests:
        if rows_read.get(r.key, 0) < SAMPLE_ROWS:
            continue
        found = out[r.key]
        for name in [c for c in r.columns if not found[c]]:
            col = quote(name)
            sql = f"SELECT {col} FROM {_relation(db, r)} WHERE {col} IS NOT NULL LIMIT {SAMPLE_ROWS}"
            try:
                found[name] = [v for (v,) in conn.exec_driver_sql(sql)]
            except sa.exc.DBAPIError:
                conn.rollback()
