"""Read-only means no writes (issue 12, Proof: tests): on a read-only profile the DATABASE refuses DML, DDL,
ATTACH, VACUUM, PRAGMA writes, CREATE TEMP and a migration, on SQLite (a WAL file and a rollback-journal
file) and on PostgreSQL. A statement hook shows the attempts reach the database and none of them runs; the
SQLite file's bytes and modification time stay the same."""

from __future__ import annotations

import functools
import hashlib
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from core.audit.profiles import Profile, open_profile
from core.data.audit_trail import AUDIT_OFF
from core.data.changes import Insert
from core.data.writes import save
from core.engine.db import Database, open_database
from core.errors import ReadOnlyError, WardenError
from core.migrate import migrations
from core.schema.load import load_catalog
from tests.fixtures.postgres import new_pg_database

KINDS = ("sqlite-wal", "sqlite-journal", "postgresql")
WRITE = re.compile(
    r"^\s*(insert|update|delete|replace|merge|create|drop|alter|attach|detach|vacuum|reindex|analyze|"
    r"truncate|grant|revoke|comment)\b"
    # PRAGMAs setting this connection only (Alembic turns foreign_keys off and on) write nothing.
    r"|^\s*pragma\s+(?!(main\.)?(foreign_keys|busy_timeout|cache_size)\b)[\w.]+\s*=",
    re.IGNORECASE,
)

#: Attempts on every backend: (what, SQL).
COMMON = [
    ("insert", "INSERT INTO t (id, v) VALUES (2, 'b')"),
    ("update", "UPDATE t SET v = 'z'"),
    ("delete", "DELETE FROM t"),
    ("create table", "CREATE TABLE u (x integer)"),
    ("drop table", "DROP TABLE t"),
    ("alter table", "ALTER TABLE t ADD COLUMN w integer"),
    ("create index", "CREATE INDEX ix_t_v ON t (v)"),
    ("create temp table", "CREATE TEMP TABLE tt (x integer)"),
]
SQLITE_ONLY = [
    ("vacuum", "VACUUM"),
    ("attach a new file", "ATTACH DATABASE '{folder}/other.db' AS other"),
    ("attach memory", "ATTACH DATABASE ':memory:' AS m"),
    ("vacuum into", "VACUUM INTO '{folder}/copy.db'"),
    ("create temp view", "CREATE TEMP VIEW tv AS SELECT 1"),
    ("pragma user_version", "PRAGMA user_version = 7"),
    ("pragma journal_mode delete", "PRAGMA journal_mode = DELETE"),
    ("pragma journal_mode wal", "PRAGMA journal_mode = WAL"),
    ("pragma application_id", "PRAGMA application_id = 3"),
    ("pragma query_only off", "PRAGMA query_only = OFF"),
    ("pragma wal_checkpoint", "PRAGMA wal_checkpoint(TRUNCATE)"),
    ("analyze", "ANALYZE"),
]
PG_ONLY = [
    ("make the session writable", "SET default_transaction_read_only = off"),
    ("make the session writable", "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE"),
    ("a writable transaction", "SET TRANSACTION READ WRITE"),
    ("make the session writable", "SELECT set_config('default_transaction_read_only', 'off', false)"),
    ("analyze", "ANALYZE t"),
    ("create temp table as", "CREATE TEMP TABLE tt2 AS SELECT 1 AS x"),
    ("create schema", "CREATE SCHEMA s2"),
    ("truncate", "TRUNCATE t"),
]


@dataclass
class Statements:
    """What the database was sent (before) and what it ran without an error (after), on one engine."""

    sent: list[str] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)

    @property
    def writes_sent(self) -> list[str]:
        return [s for s in self.sent if WRITE.search(s)]

    @property
    def writes_ran(self) -> list[str]:
        return [s for s in self.ran if WRITE.search(s)]


def hook(db: Database) -> Statements:
    """Record every statement on the database's engine."""
    seen = Statements()

    @event.listens_for(db.engine, "before_cursor_execute")
    def _sent(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        seen.sent.append(statement)

    @event.listens_for(db.engine, "after_cursor_execute")
    def _ran(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        seen.ran.append(statement)

    return seen


@dataclass
class Target:
    kind: str
    target: str
    folder: Path
    file: Path | None  # the SQLite file; None on PostgreSQL

    def fingerprint(self) -> tuple[str, int] | None:
        if self.file is None:
            return None
        return hashlib.sha256(self.file.read_bytes()).hexdigest(), self.file.stat().st_mtime_ns

    def content(self) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Tables and rows of t, read by a writable session of its own."""
        db = open_database(self.target)
        try:
            with db.engine.connect() as conn:
                tables = sorted(sa.inspect(conn).get_table_names())
                rows = [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM t ORDER BY id")]
            return tables, rows
        finally:
            db.dispose()


@pytest.fixture(params=KINDS)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """A database holding one table t with one row, made by a writable session; no audit log."""
    kind = str(request.param)
    if kind == "sqlite-journal":
        path = tmp_path / "theirs.db"
        theirs = sqlite3.connect(path)
        theirs.execute("CREATE TABLE t (id integer PRIMARY KEY, v text)")
        theirs.execute("INSERT INTO t VALUES (1, 'a')")
        theirs.commit()
        theirs.close()
        yield Target(kind, str(path), tmp_path, path)
        return
    if kind == "sqlite-wal":
        path = tmp_path / "own.db"
        db = open_database(path, create=True)  # Warden's own file: WAL
        url, file = str(path), path
    else:
        url = new_pg_database(request.getfixturevalue("pg_server"), vector=False)
        db = open_database(url)
        file = None
    with db.transaction() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id integer PRIMARY KEY, v text)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1, 'a')")
    db.dispose()
    yield Target(kind, url, tmp_path, file)


def attempts(t: Target) -> list[tuple[str, str]]:
    extra = PG_ONLY if t.kind == "postgresql" else SQLITE_ONLY
    return [(what, sql.format(folder=t.folder)) for what, sql in COMMON + extra]


def refused(action: Callable[[], Any]) -> WardenError:
    with pytest.raises(WardenError) as caught:
        action()
    return caught.value


def run_sql(db: Database, sql: str, *, autocommit: bool = False, as_a_save: bool = False) -> None:
    """Run one statement and commit it; `as_a_save`: ready the database for writing first, as saves do."""
    if as_a_save:
        db.allow_writes()
    conn = db.engine.connect()
    try:
        if autocommit:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql(sql)
        conn.commit()
    finally:
        conn.close()


def test_a_read_only_profile_writes_nothing_whatever_it_tries(target: Target) -> None:
    before_content = target.content()
    before_file = target.fingerprint()
    profile = Profile("prod", target.target, "read-only")
    db = open_profile(profile)
    seen = hook(db)
    try:
        assert db.capabilities.read_only
        problems: dict[str, str] = {}
        for what, sql in attempts(target):
            err = refused(functools.partial(run_sql, db, sql))
            problems[what] = str(err)
            # A refused write says the connection is read-only (not "locked", not a driver's text).
            assert isinstance(err, ReadOnlyError), (what, type(err).__name__, str(err))
            assert "read-only" in str(err), (what, str(err))
        if target.kind == "postgresql":
            # Outside a transaction block too: the session's default, not psycopg's BEGIN READ ONLY.
            # (VACUUM runs only outside one.)
            for what, sql in [
                ("autocommit insert", COMMON[0][1]),
                ("vacuum", "VACUUM t"),
                ("vacuum", "VACUUM"),
            ]:
                err = refused(functools.partial(run_sql, db, sql, autocommit=True))
                assert isinstance(err, ReadOnlyError), (what, str(err))
            with db.engine.connect() as conn:
                assert conn.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "on"
        # The core write path names the profile.
        catalog = load_catalog(db)
        err = refused(lambda: save(db, catalog, [Insert("t", {"id": 3, "v": "c"})], audit=AUDIT_OFF))
        assert isinstance(err, ReadOnlyError)
        assert "profile 'prod'" in str(err) and "unlock" in str(err)
        if target.file is not None:
            # Restoring a backup writes through SQLite's backup API, which PRAGMA query_only does not stop.
            from core.migrate import backups

            backup = target.folder / "backup.db"
            other = sqlite3.connect(backup)
            other.execute("CREATE TABLE other (y integer)")
            other.commit()
            other.close()
            err = refused(lambda: backups.restore(db, backup))
            assert isinstance(err, ReadOnlyError) and "profile 'prod'" in str(err)
        # A migration: Warden's runner refuses it ...
        err = refused(lambda: migrations.upgrade(db, "head"))
        assert isinstance(err, ReadOnlyError) and "read-only" in str(err)
        # ... and so does the database when Alembic runs on the session directly, past Warden's check.
        from alembic import command

        from core.migrate.scripts import alembic_config

        def alembic_upgrade() -> None:
            with db.engine.connect() as conn:
                command.upgrade(alembic_config(conn), "head")

        with pytest.raises(Exception) as caught:  # Alembic wraps the refusal its own way
            alembic_upgrade()
        assert "read-only" in str(caught.value) or "not authorized" in str(caught.value)
    finally:
        db.dispose()
    # The DML and DDL attempts reached the database (its refusal, not Warden's); not one write ran.
    assert len(seen.writes_sent) >= len(COMMON)
    assert seen.writes_ran == []
    assert target.content() == before_content
    assert target.fingerprint() == before_file
    if target.file is not None:
        assert not (target.folder / "other.db").exists() and not (target.folder / "copy.db").exists()


def test_the_hook_sees_writes_on_a_writable_profile(target: Target) -> None:
    """The same statements do run on an editor profile: the proof above is not a hook that sees nothing."""
    db = open_profile(Profile("dev", target.target, "editor"))
    seen = hook(db)
    try:
        run_sql(db, COMMON[0][1], as_a_save=True)
        run_sql(db, "CREATE TEMP TABLE tt (x integer)")
    finally:
        db.dispose()
    assert len(seen.writes_ran) == 2
    assert target.content()[1] == [(1, "a"), (2, "b")]


def test_an_elevated_read_only_profile_writes(target: Target) -> None:
    db = open_profile(Profile("prod", target.target, "read-only"), elevated=True)
    try:
        assert not db.capabilities.read_only
        run_sql(db, COMMON[0][1], as_a_save=True)
    finally:
        db.dispose()
    assert target.content()[1] == [(1, "a"), (2, "b")]
