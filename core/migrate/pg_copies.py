"""PostgreSQL copies before destructive revisions: a table a revision drops, or whose columns it drops or
narrows, is copied whole into the `warden_backup` schema first (in its own committed transaction), so the
data can be brought back after a downgrade or a mistake. The copies are listed and can be dropped."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import sqlalchemy as sa

from core.engine.db import Database
from core.errors import NotFoundError
from core.migrate.lint import RevisionLint

log = logging.getLogger("warden.migrate.pg_copies")

SCHEMA = "warden_backup"
#: The kinds of lint findings whose table is copied first.
COPIED_KINDS = frozenset({"drop_table", "drop_column", "narrow_type"})
_MAX_NAME = 63  # PostgreSQL's identifier length


@dataclass(frozen=True)
class TableCopy:
    """One copy in warden_backup: its name, what it copies and why, and how many rows it holds."""

    name: str
    note: str
    rows: int


def tables_to_copy(found: RevisionLint) -> list[str]:
    """The tables a revision changes in a way that can lose data, in the order first named."""
    names: list[str] = []
    for finding in found.findings:
        if finding.kind in COPIED_KINDS and finding.table and finding.table not in names:
            names.append(finding.table)
    return names


def copy_tables(db: Database, revision: str, tables: list[str]) -> list[str]:
    """Copy each existing table into warden_backup (committed before the revision runs); the copies' names."""
    made = []
    stamp = dt.datetime.now().strftime("%Y%m%d%H%M%S")
    with db.engine.begin() as conn:
        quote = conn.dialect.identifier_preparer.quote
        conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {quote(SCHEMA)}")
        inspector = sa.inspect(conn)
        for table in tables:
            if not inspector.has_table(table):
                continue  # made by an earlier revision of this run that failed? nothing to keep
            name, n = _name(table, revision, stamp), 1
            while inspector.has_table(name, schema=SCHEMA) or name in made:  # two copies within a second
                n += 1
                name = _name(table, revision, f"{stamp}_{n}")
            conn.exec_driver_sql(f"CREATE TABLE {quote(SCHEMA)}.{quote(name)} AS TABLE {quote(table)}")
            note = f"Warden copy of {table} before revision {revision}"
            conn.exec_driver_sql(f"COMMENT ON TABLE {quote(SCHEMA)}.{quote(name)} IS {_literal(note)}")
            made.append(name)
            log.info("copied %s to %s.%s before revision %s", table, SCHEMA, name, revision)
    return made


def list_copies(db: Database) -> list[TableCopy]:
    """The copies in warden_backup, by name (table, revision, time)."""
    if db.backend != "postgresql":
        return []
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "select c.relname, coalesce(obj_description(c.oid, 'pg_class'), '') "
                "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname = :schema and c.relkind = 'r'"
            ),
            {"schema": SCHEMA},
        ).all()
        quote = conn.dialect.identifier_preparer.quote
        found = []
        for name, note in rows:
            count = conn.exec_driver_sql(f"select count(*) from {quote(SCHEMA)}.{quote(str(name))}").scalar()
            found.append(TableCopy(str(name), str(note), int(count or 0)))
    return sorted(found, key=lambda c: c.name, reverse=True)


def drop_copy(db: Database, name: str) -> None:
    """Drop one copy from warden_backup."""
    if name not in {c.name for c in list_copies(db)}:
        raise NotFoundError(f"No copy named {name!r} in {SCHEMA}")
    with db.engine.begin() as conn:
        quote = conn.dialect.identifier_preparer.quote
        conn.exec_driver_sql(f"DROP TABLE {quote(SCHEMA)}.{quote(name)}")


def _name(table: str, revision: str, stamp: str) -> str:
    """`<table>_<revision>_<time>`, the table's name shortened to fit PostgreSQL's 63 characters."""
    suffix = f"_{revision[:16]}_{stamp}"
    return table[: _MAX_NAME - len(suffix)] + suffix


def _literal(text: str) -> str:
    # Names only (table, revision id), never row values; % is left out so no driver reads it as a marker.
    return "'" + text.replace("'", "''").replace("%", "") + "'"
