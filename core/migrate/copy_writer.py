"""Writing one target table's rows with COPY … FROM STDIN, and the words for a row the target refused."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from core.errors import WardenError
from core.migrate.copy_read import table_sql
from core.migrate.copy_values import copy_column, copy_texts, to_copy
from core.schema.catalog import ColumnInfo, Entity
from core.schema.kinds import ColumnKind

__all__ = ["Copier", "refused"]


class Copier:
    """COPY … FROM STDIN into one target table through the engine's raw psycopg connection."""

    def __init__(self, raw: Any, entity: Entity, columns: list[ColumnInfo], name: str) -> None:
        self.name = name
        self.raw = raw
        conn: Any = self.raw.driver_connection
        self.conn: psycopg.Connection[Any] = conn
        tgt_cols = [entity.columns_by_name[c.name] for c in columns]
        self.convert = [to_copy(c) for c in tgt_cols]
        # An array's JSON list needs psycopg's array adapter; every other column can go as text lines.
        self.by_text = all(c.kind != ColumnKind.ARRAY for c in tgt_cols)
        self.table = table_sql(entity.schema, entity.table_name)
        self.sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
            self.table, sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
        )

    def freeze(self) -> bool:
        """Make the table's rows go in frozen (COPY … FREEZE, in this transaction) when the table is empty,
        a plain table, and nothing else keeps it from being truncated; whether they will.

        FREEZE needs the table truncated in the same transaction. Rows written frozen, with their pages
        marked all-visible, are not rewritten by their first readers: without it the check's digest and
        ANALYZE set every row's hint bits right after the commit, and with data checksums on (PostgreSQL
        18's default) each page dirtied so goes to the WAL again whole (229 MB for a 1 M-row table)."""
        with self.conn.cursor() as cur:
            name = self.table.as_string(self.conn)
            cur.execute(
                "select c.relkind = 'r' and not exists (select 1 from pg_constraint f where f.contype = 'f' "
                "and f.confrelid = c.oid and f.conrelid <> c.oid) and not exists (select 1 from pg_trigger g "
                "where g.tgrelid = c.oid and not g.tgisinternal and g.tgtype & 32 <> 0) "  # ON TRUNCATE
                # A role granted only INSERT (COPY's own need) may neither truncate nor lock the table so.
                "and has_table_privilege(c.oid, 'TRUNCATE') "
                "from pg_class c where c.oid = %s::regclass",
                (name,),
            )
            found = cur.fetchone()
            if found is None or not found[0]:
                return False
            # Locked first: a row another session committed since the copy counted it is not truncated.
            cur.execute(sql.SQL("LOCK TABLE ONLY {} IN ACCESS EXCLUSIVE MODE").format(self.table))
            cur.execute(sql.SQL("select exists (select 1 from ONLY {})").format(self.table))
            held = cur.fetchone()
            if held is None or held[0]:
                return False
            cur.execute(sql.SQL("TRUNCATE ONLY {}").format(self.table))
        self.sql = sql.SQL("{} (FREEZE)").format(self.sql)
        return True

    @contextlib.contextmanager
    def statement(self) -> Iterator[psycopg.Copy]:
        """One COPY statement (in the open transaction); rows are written to it with write_rows."""
        with self.conn.cursor() as cur:
            cur.execute("SET LOCAL TIME ZONE 'UTC'")  # SQLite's naive times are UTC
            # A thread sends what is written (up to 128 MB queued) while this one reads and spells the next
            # batch: the server's parsing of the rows overlaps with the reading instead of following it.
            with cur.copy(self.sql, writer=QueuedLibpqWriter(cur)) as cp:
                yield cp

    def spelt(self, columns: Sequence[Sequence[Any]]) -> bytes | None:
        """A batch (as its columns) as COPY's text lines, made a column at a time; None when its values are
        not SQLite's plain ones (psycopg's adapters write those, row by row)."""
        if not self.by_text or not columns:
            return None
        lines = self._text_lines(columns)
        return lines.encode() if lines is not None else None

    def write_rows(
        self, cp: psycopg.Copy, rows: Sequence[Sequence[Any]], columns: Sequence[Sequence[Any]] | None = None
    ) -> None:
        """Write rows, each value converted for its target column: the batch as COPY's text lines when
        `spelt` can; else row by row through psycopg. `columns`: the rows' columns when the caller has made
        them already."""
        if not rows:
            return
        spelt = self.spelt(columns if columns is not None else list(zip(*rows, strict=True)))
        if spelt is not None:
            cp.write(spelt)
            return
        convert = [(i, fn) for i, fn in enumerate(self.convert) if fn is not None]
        write = cp.write_row
        if not convert:
            for row in rows:
                write(row)
            return
        for row in rows:
            values = list(row)
            for i, fn in convert:
                values[i] = fn(values[i])
            write(values)

    def _text_lines(self, columns: Sequence[Sequence[Any]]) -> str | None:
        texts: list[list[str]] = []
        for col, fn in zip(columns, self.convert, strict=True):
            spelt = copy_texts(copy_column(fn, col))
            if spelt is None:
                return None
            texts.append(spelt)
        return "\n".join(map("\t".join, zip(*texts, strict=True))) + "\n"

    def clear(self) -> None:
        """Delete the table's rows (in the open transaction)."""
        with self.conn.cursor() as cur:
            cur.execute(sql.SQL("DELETE FROM {}").format(self.table))


_REFUSALS = {
    "23503": "a row references a row the target does not hold",
    "23505": "a key the target already holds",
    "23502": "an empty value in a column that needs one",
    "22P02": "a value the target column's type cannot read",
}


def refused(table: str, exc: psycopg.Error) -> WardenError:
    """The target refused a row: say which table and column, never the value (it is the user's data)."""
    context = getattr(exc.diag, "context", None) or ""
    found = re.search(r"column (\w+)", context)
    where = f", column {found.group(1)}" if found else ""
    what = _REFUSALS.get(exc.sqlstate or "", "the target refused a value")
    return WardenError(
        f"Copying {table}{where} failed: {what} (SQLSTATE {exc.sqlstate}). "
        "The batches copied before it were kept; fix the source and run the copy again to resume."
    )
