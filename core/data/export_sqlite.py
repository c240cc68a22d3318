"""CSV lines of a whole SQLite table, a batch at a time, each batch read as one string.

Reading a row as a tuple of Python objects, one per value, took most of an export's time. Here one
SELECT per batch aggregates the batch's rows: `group_concat` joins every value (NULL as "") into one
string, and core/data/csv_text.py makes each column's cells from its values at C speed. Batches follow each
other by keyset on the rowid (the table's stored order, a plain scan) or on a one-column primary key (key
order), all inside one read transaction, so the export is one consistent snapshot.

group_concat writes every value as text, which is the exported text for text and integers only. So each
batch also asks, per column, whether it holds a BLOB (the greatest value in SQLite's order) and, in a
column whose affinity is not TEXT, a REAL; such a batch, or one whose text csv_text finds unusual, is
read again as rows and written by the value-by-value path, with the same values.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from core.data.csv_text import SEP, column_cells
from core.data.export_columns import ColumnExport
from core.engine.db import Database
from core.schema.catalog import Entity

__all__ = ["TableText", "table_text"]

#: Writes a batch read as rows (columns of values) as CSV lines, value by value; the fallback.
RowsToLines = Callable[[Sequence[Sequence[Any]]], list[str]]
_ROWID_NAMES = ("_rowid_", "rowid", "oid")
_VALUE = "ifnull({0}, '')"
#: A JSON column's cell quoted as csv.writer quotes it. Done by SQLite, while it reads the batch (and
#: while Python writes the previous one): quoting every object in Python took a third of an export.
_JSON_CELL = (
    "CASE WHEN instr({0}, '\"') THEN '\"' || replace({0}, '\"', '\"\"') || '\"' "
    "WHEN instr({0}, ',') OR instr({0}, char(10)) OR instr({0}, char(13)) THEN '\"' || {0} || '\"' "
    "ELSE ifnull({0}, '') END"
)


@dataclass(frozen=True)
class TableText:
    """The SQL of a whole-table CSV export read a batch at a time as one string per column."""

    columns: list[ColumnExport]
    first: str  # the first batch's aggregate SELECT; `after` takes the last key of the previous batch
    after: str
    first_rows: str  # the same batches as rows (the key first), for a batch the text cannot show
    after_rows: str
    null_key_rows: str | None  # key order: the rows whose key is NULL, which keyset batches would skip
    nulls_last: bool  # whether those come after the others

    def lines(self, dbapi_conn: Any, batch: int, rows_to_lines: RowsToLines) -> Iterator[list[str]]:
        """The CSV lines (without line ends) of every row, `batch` rows at a time, from one snapshot.

        A thread reads the batches (SQLite releases the GIL while it works) while this one writes the
        previous batch's lines: an export takes the longer of the two, not their sum.
        """
        cursor = dbapi_conn.cursor()
        began = not dbapi_conn.in_transaction
        reader = _Reader(self, dbapi_conn, batch)
        try:
            if began:
                cursor.execute("BEGIN")  # one read transaction: every batch sees the same snapshot
            if not self.nulls_last:
                yield from self._null_key_lines(cursor, batch, rows_to_lines)
            reader.start()
            for params, row, rows in reader:
                lines = None if row is None else self._lines(row)
                if lines is None:
                    if rows is None:
                        with reader.lock:
                            sql = self.first_rows if len(params) == 1 else self.after_rows
                            rows = cursor.execute(sql, params).fetchall()
                    lines = rows_to_lines([r[1:] for r in rows])
                yield lines
            if self.nulls_last:
                yield from self._null_key_lines(cursor, batch, rows_to_lines)
        finally:
            reader.stop()
            if began:
                cursor.execute("ROLLBACK")  # nothing was written
            cursor.close()

    def _null_key_lines(self, cursor: Any, batch: int, rows_to_lines: RowsToLines) -> Iterator[list[str]]:
        """The lines of the rows whose key is NULL (none, unless a foreign file's key allows NULL)."""
        if self.null_key_rows is not None:
            cursor.execute(self.null_key_rows)
            while rows := cursor.fetchmany(batch):
                yield rows_to_lines(rows)

    def _lines(self, row: Sequence[Any]) -> list[str] | None:
        """The batch's lines from its aggregate row, or None when a column holds what its text cannot show."""
        n, count = row[1], len(self.columns)
        if any(isinstance(g, bytes) for g in row[3 : 3 + count]) or any(row[3 + count :]):
            return None
        values = row[2].split(SEP)
        if len(values) != n * count:
            return None  # a value holds SEP
        cells: list[list[str]] = []
        for i, column in enumerate(self.columns):
            column_text = column_cells(column.text_kind or "", values[i::count])
            if column_text is None:
                return None
            cells.append(column_text)
        if count == 1:
            return [v if v else '""' for v in cells[0]]  # csv.writer quotes a lone empty field
        return list(map(",".join, zip(*cells, strict=True)))


def table_text(
    db: Database, entity: Entity, columns: list[ColumnExport], stored_order: bool
) -> TableText | None:
    """The batch SQL of a CSV export of all of `entity` on SQLite, in stored or key order; None if it cannot.

    It cannot when a column has no text kind (floats, vectors, booleans…), the entity is a view or a
    WITHOUT ROWID table (stored order), or its primary key is not one column (key order).
    """
    table = entity.table
    if db.backend != "sqlite" or table.schema is not None or not columns:
        return None
    if any(c.text_kind is None for c in columns):
        return None
    quote = db.engine.dialect.identifier_preparer.quote
    with db.engine.connect() as conn:
        # table_list came in SQLite 3.37; an older one ignores the unknown PRAGMA and lists nothing.
        listed = conn.exec_driver_sql(f"PRAGMA table_list({quote(table.name)})").fetchall()
        info = conn.exec_driver_sql(f"PRAGMA table_xinfo({quote(table.name)})").fetchall()
    declared = {r[1]: str(r[2] or "") for r in info}
    if len(listed) != 1 or listed[0][2] != "table" or any(c.name not in declared for c in columns):
        return None
    names = set(declared)
    cols = [quote(c.name) for c in columns]
    source = quote(table.name)
    null_key_rows, nulls_last = None, False
    if stored_order:
        if listed[0][4]:  # WITHOUT ROWID
            return None
        key = next((n for n in _ROWID_NAMES if n not in names), None)
        if key is None:
            return None
    else:
        pk = list(entity.primary_key)
        if len(pk) != 1 or pk[0] not in names:
            return None
        key = quote(pk[0])
        # SQLite lets a rowid table's key be NULL: rows that `key > last` never reaches, written apart
        # where the view's ORDER BY puts them (query.order_by: NULLS LAST where the catalog allows NULL).
        null_key_rows = f"SELECT {', '.join(cols)} FROM {source} WHERE {key} IS NULL"
        nulls_last = entity.column(pk[0]).nullable
    real_checked = [c.text_kind == "plain" and not _text_affinity(declared[c.name]) for c in columns]
    inner = f"SELECT {key} AS k_, {', '.join(f'{c} AS c{i}' for i, c in enumerate(cols))} FROM {source}"
    order = f" ORDER BY {key} LIMIT ?"
    row_text = " || char(0) || ".join(
        (_JSON_CELL if c.text_kind == "json" else _VALUE).format(f"c{i}") for i, c in enumerate(columns)
    )
    aggregates = ", ".join(
        [f"group_concat({row_text}, char(0))"]
        + [f"max(c{i})" for i in range(len(cols))]
        + [f"max(typeof(c{i}) IN ('real', 'blob'))" for i, checked in enumerate(real_checked) if checked]
    )

    def aggregate(where: str) -> str:
        return f"SELECT max(k_), count(*), {aggregates} FROM ({inner}{where}{order})"

    first = "" if stored_order else f" WHERE {key} IS NOT NULL"
    return TableText(
        columns,
        aggregate(first),
        aggregate(f" WHERE {key} > ?"),
        f"{inner}{first}{order}",
        f"{inner} WHERE {key} > ?{order}",
        null_key_rows,
        nulls_last,
    )


def _text_affinity(declared: str) -> bool:
    """Whether a column declared so has TEXT affinity (SQLite's rules, in order): a REAL in it is text."""
    upper = declared.upper()
    return "INT" not in upper and any(t in upper for t in ("CHAR", "CLOB", "TEXT"))


#: What the reader thread hands over per batch: its parameters, and its aggregate row or (when the driver
#: could not decode that row: a BLOB that is not UTF-8 text) its rows.
_Batch = tuple[tuple[Any, ...], Sequence[Any] | None, list[Any] | None]
_END = object()


class _Reader:
    """A thread that runs a TableText's batch SELECTs in order, one batch ahead of the writer."""

    def __init__(self, text: TableText, dbapi_conn: Any, batch: int) -> None:
        self.lock = threading.Lock()  # one statement at a time on the connection: the writer's fallbacks
        self._text, self._conn, self._batch = text, dbapi_conn, batch
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=2)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="warden-export-reader", daemon=True)

    def start(self) -> None:
        """Start reading."""
        self._thread.start()

    def __iter__(self) -> Iterator[_Batch]:
        while (item := self._queue.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item

    def stop(self) -> None:
        """Stop reading (after the current batch) and wait for the thread."""
        self._stopping.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)  # a reader blocked on a full queue moves on and sees the stop

    def _run(self) -> None:
        text, batch = self._text, self._batch
        cursor = self._conn.cursor()
        try:
            last: Any = None
            while not self._stopping.is_set():
                params: tuple[Any, ...] = (batch,) if last is None else (last, batch)
                row, rows = None, None
                first = last is None
                with self.lock:
                    try:
                        row = cursor.execute(text.first if first else text.after, params).fetchone()
                    except Exception as exc:
                        if hasattr(exc, "sqlite_errorcode"):
                            raise  # SQLite's own error (interrupted, I/O…), not text it could not decode
                        sql = text.first_rows if first else text.after_rows
                        rows = cursor.execute(sql, params).fetchall()
                if not (row[1] if row is not None else rows):
                    break
                last = row[0] if row is not None else rows[-1][0]  # type: ignore[index]
                self._put((params, row, rows))
            self._put(_END)
        except BaseException as exc:
            self._put(exc)
        finally:
            cursor.close()

    def _put(self, item: Any) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(queue.Full):
                self._queue.put(item, timeout=0.05)
                return
