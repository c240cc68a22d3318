"""Reading a SQLite database's tables in one pass of pragmas: a handful of queries for any number of tables.

SQLAlchemy's reflection asks per table, and each ask scans sqlite_master again (a 2,500-table file took 12 s).
Here every table's columns, foreign keys and unique indexes come from one query each, through SQLite's
table-valued pragma functions (`pragma_table_xinfo(name)` …) joined to sqlite_master, and the CREATE
statements from one more. What comes out is plain data (core/schema/table_spec.py); nothing is written.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from core.engine.db import Database
from core.schema.table_spec import ColumnSpec, TableSpec

log = logging.getLogger("warden.schema")

_NAMES = "SELECT value FROM json_each(?)"
_MASTER = "SELECT type, name, sql FROM main.sqlite_master WHERE type IN ('table', 'view')"
_COLUMNS = (
    'SELECT m.name, p.name, p.type, p."notnull", p.dflt_value, p.pk, p.hidden '
    "FROM main.sqlite_master m JOIN pragma_table_xinfo(m.name, 'main') p "
    f"WHERE m.type = ? AND m.name IN ({_NAMES}) ORDER BY m.name, p.cid"
)
_FOREIGN_KEYS = (
    'SELECT m.name, p.id, p.seq, p."table", p."from", p."to", p.on_delete '
    "FROM main.sqlite_master m JOIN pragma_foreign_key_list(m.name, 'main') p "
    f"WHERE m.type = 'table' AND m.name IN ({_NAMES}) ORDER BY m.name, p.id, p.seq"
)
_UNIQUE_INDEXES = (
    "SELECT m.name, il.name, il.partial, ii.seqno, ii.cid, ii.name "
    "FROM main.sqlite_master m JOIN pragma_index_list(m.name, 'main') il "
    "JOIN pragma_index_info(il.name, 'main') ii "
    f"WHERE m.type = 'table' AND il.\"unique\" AND il.origin != 'pk' AND m.name IN ({_NAMES}) "
    "ORDER BY m.name, il.name, ii.seqno"
)
_CHECK = re.compile(r"(?<![\w$])CHECK\s*\(", re.I)


@dataclass(frozen=True)
class SqliteForeignKey:
    """One foreign key as PRAGMA foreign_key_list gives it (target columns None: the target's primary key)."""

    columns: tuple[str, ...]
    target: str
    target_columns: tuple[str | None, ...]
    on_delete: str | None


@dataclass
class SqliteTables:
    """What one pass read: per table or view its spec, CREATE statement, foreign keys and unique column sets
    (unique constraints and whole unique indexes, not partial or expression ones)."""

    specs: dict[str, TableSpec] = field(default_factory=dict)
    sql: dict[str, str] = field(default_factory=dict)
    views: set[str] = field(default_factory=set)
    foreign_keys: dict[str, list[SqliteForeignKey]] = field(default_factory=dict)
    unique_sets: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    #: Relations SQLite could not describe (a view over a table that is gone), with the reason.
    unreadable: dict[str, str] = field(default_factory=dict)

    def check_texts(self, name: str) -> list[str]:
        """The bodies of the CHECK constraints in a table's CREATE statement."""
        return check_bodies(self.sql.get(name) or "")


def read_tables(db: Database, names: Iterable[str]) -> SqliteTables:
    """Describe the named tables and views of the main schema (a few queries, whatever their number)."""
    wanted = list(names)
    out = SqliteTables()
    with db.engine.connect() as conn:
        kinds: dict[str, str] = {}
        for kind, name, sql in conn.exec_driver_sql(_MASTER):
            kinds[name] = kind
            out.sql[name] = sql or ""
        wanted = [n for n in wanted if n in kinds]
        out.views = {n for n in wanted if kinds[n] == "view"}
        tables = [n for n in wanted if kinds[n] == "table"]
        rows = _column_rows(conn, "table", tables, out) + _column_rows(conn, "view", sorted(out.views), out)
        fk_rows = list(conn.exec_driver_sql(_FOREIGN_KEYS, (json.dumps(tables),)).all())
        index_rows = list(conn.exec_driver_sql(_UNIQUE_INDEXES, (json.dumps(tables),)).all())
    by_table: dict[str, list[Any]] = {}
    for row in rows:
        by_table.setdefault(row[0], []).append(row)
    for name in wanted:
        if name in by_table:
            out.specs[name] = _spec(name, by_table[name], out.sql.get(name, ""))
    out.foreign_keys = _foreign_keys(fk_rows)
    out.unique_sets = _unique_sets(index_rows)
    return out


def _column_rows(conn: sa.Connection, kind: str, names: list[str], out: SqliteTables) -> list[Any]:
    """Every column of the named tables (or views) in one query; one query per relation only when the
    whole pass fails (a view over a dropped table makes the pragma fail), so that one bad view costs
    only itself."""
    if not names:
        return []
    try:
        return list(conn.exec_driver_sql(_COLUMNS, (kind, json.dumps(names))).all())
    except sa.exc.DBAPIError:
        pass
    rows: list[Any] = []
    for name in names:
        try:
            rows += conn.exec_driver_sql(_COLUMNS, (kind, json.dumps([name]))).all()
        except sa.exc.DBAPIError as exc:
            out.unreadable[name] = "SQLite could not read its definition"
            log.info("%s %s is unreadable: %s", kind, name, type(exc.orig).__name__)
    return rows


def _spec(name: str, rows: list[Any], sql: str) -> TableSpec:
    columns: list[ColumnSpec] = []
    key: list[tuple[int, str]] = []
    body: str | None = None
    for _table, col, declared, notnull, default, pk, hidden in rows:
        if hidden == 1:  # a virtual table's hidden column
            continue
        declared = (declared or "").upper()
        generated = None
        if hidden in (2, 3):
            # The type of "c INTEGER GENERATED ALWAYS AS (…)" reads "INTEGER GENERATED ALWAYS".
            declared = re.sub(r"\b(GENERATED|ALWAYS)\b", "", declared).strip()
            body = sql if body is None else body
            generated = generated_expression(body, col)
        columns.append(
            ColumnSpec(
                name=col,
                type=column_type(declared),
                nullable=not notnull,
                default=None if default is None else str(default),
                generated=generated,
                persisted=hidden == 3,
            )
        )
        if pk:
            key.append((pk, col))
    return TableSpec(name=name, columns=tuple(columns), primary_key=tuple(c for _, c in sorted(key)))


def _foreign_keys(rows: list[Any]) -> dict[str, list[SqliteForeignKey]]:
    grouped: dict[tuple[str, int], list[Any]] = {}
    for row in rows:
        grouped.setdefault((row[0], row[1]), []).append(row)
    out: dict[str, list[SqliteForeignKey]] = {}
    for (table, _id), parts in grouped.items():
        parts.sort(key=lambda r: r[2])
        action = str(parts[0][6] or "").upper()
        out.setdefault(table, []).append(
            SqliteForeignKey(
                columns=tuple(r[4] for r in parts),
                target=parts[0][3],
                target_columns=tuple(r[5] for r in parts),
                on_delete=None if action in ("", "NO ACTION") else action,
            )
        )
    return out


def _unique_sets(rows: list[Any]) -> dict[str, list[tuple[str, ...]]]:
    grouped: dict[tuple[str, str], list[Any]] = {}
    partial: set[tuple[str, str]] = set()
    for table, index, is_partial, _seq, cid, col in rows:
        grouped.setdefault((table, index), []).append((cid, col))
        if is_partial:
            partial.add((table, index))
    out: dict[str, list[tuple[str, ...]]] = {}
    for (table, index), cols in grouped.items():
        if (table, index) in partial or any(cid < 0 or col is None for cid, col in cols):
            continue  # unique over some rows only, or over an expression (or the rowid)
        out.setdefault(table, []).append(tuple(col for _cid, col in cols))
    return out


def primary_key_of(db: Database, table: str) -> tuple[str, ...]:
    """One table's primary key columns, in key order (a foreign key's target outside those read)."""
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT name, pk FROM pragma_table_info(?, 'main') WHERE pk", (table,)
        ).all()
    return tuple(name for name, _pk in sorted(rows, key=lambda r: r[1]))


@lru_cache(maxsize=4096)
def column_type(declared: str) -> sa.types.TypeEngine[Any]:
    """The type SQLAlchemy reflects for a declared SQLite type (its affinity rules, the same names), one
    shared object per declaration: columns declared alike share what is worked out from their type."""
    match = re.match(r"([\w ]+)(\(.*?\))?", declared)
    name, args = (match.group(1), match.group(2)) if match else ("", None)
    names: dict[str, type[sa.types.TypeEngine[Any]]] = sqlite.dialect.ischema_names
    cls: type[sa.types.TypeEngine[Any]]
    if name in names:
        cls = names[name]
    elif "INT" in name:
        cls = sa.INTEGER
    elif "CHAR" in name or "CLOB" in name or "TEXT" in name:
        cls = sa.TEXT
    elif "BLOB" in name or not name:
        cls = sa.types.NullType
    elif "REAL" in name or "FLOA" in name or "DOUB" in name:
        cls = sa.REAL
    else:
        cls = sa.NUMERIC
    if args is None:
        return cls()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            numbers: list[Any] = [int(a) for a in re.findall(r"(\d+)", args)]
            return cls(*numbers)
    except TypeError:  # e.g. "TEXT(10, 2)": the type takes fewer arguments
        return cls()


def generated_expression(sql: str, column: str) -> str:
    """A generated column's expression from its table's CREATE statement ("" when it cannot be found)."""
    quoted = "|".join(
        re.escape(q) for q in (f'"{column}"', f"[{column}]", f"`{column}`", f"'{column}'", column)
    )
    pattern = rf"(?:^|[(,\s])(?:{quoted})(?=[\s(])[^,]*?\bAS\s*\("
    m = re.search(pattern, sql, re.I | re.S)
    return _balanced(sql, m.end()) if m else ""


def check_bodies(sql: str) -> list[str]:
    """The text inside every CHECK ( … ) of a CREATE statement, parentheses and quotes respected."""
    return [_balanced(sql, m.end()) for m in _CHECK.finditer(sql)]


def _balanced(text: str, start: int) -> str:
    """The text from `start` to the parenthesis that closes the one just before it."""
    depth, i, quote = 1, start, ""
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif ch == "[":
            quote = "]"
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return text[start:i].strip()
        i += 1
    return text[start:].strip()
