"""Driver failures become typed errors with messages a person can act on (core/engine/driver_errors.py), on
real SQLite files and a real PostgreSQL server: a write lock held by another connection, a full database,
a read-only file, a killed connection, a statement timeout, a lock timeout and a unique value written by
someone else meanwhile. Messages name the database, never the SQL or the values."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.data import writes
from core.data.changes import Insert
from core.engine.db import Database, open_database
from core.engine.driver_errors import translate
from core.errors import (
    ConnectionLost,
    ConstraintViolated,
    DatabaseBusy,
    DiskFull,
    PermissionDenied,
    StatementTimeout,
    ValidationError,
    ValueRefused,
)
from core.schema.load import load_catalog
from tests.fixtures.postgres import admin_url
from tests.fixtures.sqlite_locks import write_lock_held

SECRET = "s3cret-value-4711"  # a row value: it must never appear in a message


@pytest.fixture
def sqlite_file(tmp_path: Path, quick_busy: None) -> Iterator[Database]:
    """A Warden SQLite file (WAL) with one table that has a unique column."""
    db = open_database(tmp_path / "t.db", create=True)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT UNIQUE, body BLOB)")
    yield db
    db.dispose()


def _clean(message: str) -> None:
    """No SQL and no row value in a message."""
    assert SECRET not in message
    for word in ("INSERT", "UPDATE", "SELECT", "[SQL", "parameters"):
        assert word not in message, message


# --- SQLite -------------------------------------------------------------------------------------------


def test_sqlite_write_lock_held_elsewhere_is_busy(sqlite_file: Database) -> None:
    path = sqlite_file.url.database or ""
    with write_lock_held(path), pytest.raises(DatabaseBusy) as caught, sqlite_file.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO t (code) VALUES (:v)"), {"v": SECRET})  # another program writes
    message = str(caught.value)
    assert str(sqlite_file.url.database) in message and "locked by another program" in message
    assert "try again" in message
    _clean(message)
    with sqlite_file.engine.begin() as conn:  # once the lock is gone, the same write goes through
        conn.execute(sa.text("INSERT INTO t (code) VALUES (:v)"), {"v": SECRET})


def test_sqlite_full_database_is_disk_full(sqlite_file: Database) -> None:
    with pytest.raises(DiskFull) as caught, sqlite_file.engine.begin() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
        conn.exec_driver_sql(f"PRAGMA max_page_count = {pages}")  # SQLite's own "database or disk is full"
        big = {"c": SECRET, "b": b"x" * 200_000}
        conn.execute(sa.text("INSERT INTO t (code, body) VALUES (:c, :b)"), big)
    assert "full" in str(caught.value) and "Free some space" in str(caught.value)
    _clean(str(caught.value))


def test_sqlite_read_only_file_is_permission_denied(tmp_path: Path) -> None:
    """A connection SQLite opened read-only (as it does for a file the user may not write)."""
    path = tmp_path / "ro.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        conn.execute("INSERT INTO t VALUES (1)")
    except sqlite3.Error as exc:
        error = translate(exc, str(path))
    finally:
        conn.close()
    assert isinstance(error, PermissionDenied)
    assert str(path) in str(error) and "permissions" in str(error)


def test_sqlite_opened_read_only_says_so(sqlite_file: Database) -> None:
    path = sqlite_file.url.database or ""
    ro = open_database(path, read_only=True)
    try:
        with pytest.raises(PermissionDenied, match="open read-only; reopen it"), ro.engine.begin() as c:
            c.exec_driver_sql("DELETE FROM t")
    finally:
        ro.dispose()


def test_sqlite_unique_value_is_a_constraint_with_names_only(sqlite_file: Database) -> None:
    with sqlite_file.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO t (code) VALUES (:v)"), {"v": SECRET})
    with pytest.raises(ConstraintViolated) as caught, sqlite_file.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO t (code) VALUES (:v)"), {"v": SECRET})
    error = caught.value
    assert (error.kind, error.table, error.column) == ("unique", "t", "code")
    assert "must be unique" in str(error) and "Someone else may have saved it meanwhile" in str(error)
    _clean(str(error))


def test_an_interrupted_read_is_left_to_its_caller(sqlite_file: Database) -> None:
    """A statement stopped on purpose (core/engine/interrupt.py) keeps the driver's own error."""
    raw = sqlite3.connect(":memory:")
    threading.Timer(0.1, raw.interrupt).start()
    try:
        raw.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")
    except sqlite3.OperationalError as exc:
        assert translate(exc, "memory") is None
    else:
        pytest.fail("the statement was not interrupted")
    finally:
        raw.close()


# --- PostgreSQL ---------------------------------------------------------------------------------------


@pytest.fixture
def pg(pg_server: object) -> Iterator[Database]:
    """A fresh PostgreSQL database with one table that has a unique column."""
    from tests.fixtures.postgres import new_pg_database

    db = open_database(new_pg_database(pg_server, vector=False))
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id serial PRIMARY KEY, code text UNIQUE)")
    yield db
    db.dispose()


def _where(db: Database) -> str:
    host = db.url.host or db.url.query.get("host") or "localhost"
    return f"PostgreSQL at {host}:{db.url.port or 5432}/{db.url.database}"


def test_pg_terminated_backend_is_connection_lost(pg: Database, pg_server: object) -> None:
    admin = sa.create_engine(admin_url(pg_server), isolation_level="AUTOCOMMIT")
    try:
        with pg.engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with admin.connect() as other:
                other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid or 0)})")
            with pytest.raises(ConnectionLost) as caught:
                conn.execute(sa.text("SELECT count(*) FROM t WHERE code = :v"), {"v": SECRET})
    finally:
        admin.dispose()
    message = str(caught.value)
    assert message.startswith(f"Lost the connection to {_where(pg)}") and "server is running" in message
    _clean(message)
    with pg.engine.connect() as conn:  # the pool drops the dead connection: the next one works
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1


def test_pg_statement_timeout_is_statement_timeout(pg: Database) -> None:
    with pytest.raises(StatementTimeout) as caught, pg.engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL statement_timeout = 100")
        conn.execute(sa.text("SELECT pg_sleep(5), :v"), {"v": SECRET})
    assert "statement_timeout" in str(caught.value) and _where(pg) in str(caught.value)
    _clean(str(caught.value))


def test_pg_row_locked_elsewhere_is_busy(pg: Database) -> None:
    with pg.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t (code) VALUES ('a')")
    holder = pg.engine.connect()
    holder.exec_driver_sql("SELECT * FROM t FOR UPDATE")  # another session holds the row
    try:
        with pytest.raises(DatabaseBusy) as caught, pg.engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL lock_timeout = 100")
            conn.execute(sa.text("UPDATE t SET code = :v"), {"v": SECRET})
    finally:
        holder.rollback()
        holder.close()
    assert "locked by another session" in str(caught.value) and "Try again" in str(caught.value)
    _clean(str(caught.value))


def test_pg_unique_value_is_a_constraint_with_names_only(pg: Database) -> None:
    with pg.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO t (code) VALUES (:v)"), {"v": SECRET})
    with pytest.raises(ConstraintViolated) as caught, pg.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO t (code) VALUES (:v)"), {"v": SECRET})
    error = caught.value
    assert (error.kind, error.table, error.constraint) == ("unique", "t", "t_code_key")
    assert "must be unique (t_code_key)" in str(error)
    _clean(str(error))


def test_pg_missing_privilege_is_permission_denied(pg: Database) -> None:
    role = f"reader_{uuid.uuid4().hex[:8]}"
    with pg.engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
    reader = open_database(pg.url.set(username=role, password=None).render_as_string(hide_password=False))
    try:
        with pytest.raises(PermissionDenied) as caught, reader.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO t (code) VALUES (:v)"), {"v": SECRET})
    finally:
        reader.dispose()
        with pg.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP ROLE {role}")
    assert "permission denied for table t" in str(caught.value) and "administrator" in str(caught.value)
    _clean(str(caught.value))


def test_pg_value_too_long_is_refused_without_the_value(pg: Database) -> None:
    """PostgreSQL's own text quotes a value it cannot read ('invalid input syntax … "abc"'); ours never."""
    with pg.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE short (s varchar(3), n integer)")
    with pytest.raises(ValueRefused) as caught, pg.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO short (s) VALUES (:v)"), {"v": SECRET})
    assert "too long for its column" in str(caught.value) and "Correct the value" in str(caught.value)
    _clean(str(caught.value))
    with pytest.raises(ValueRefused) as caught, pg.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO short (n) VALUES (CAST(:v AS integer))"), {"v": SECRET})
    assert "not valid for its column's type" in str(caught.value)
    _clean(str(caught.value))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_bug_s_driver_error_never_shows_the_values(backend: str, request: pytest.FixtureRequest) -> None:
    """An error no one can act on stays the driver's (a bug for the log), without the bound values."""
    db: Database = request.getfixturevalue("sqlite_file" if backend == "sqlite" else "pg")
    with pytest.raises(sa.exc.DBAPIError) as caught, db.engine.connect() as conn:
        conn.execute(sa.text("SELECT * FROM no_such_table WHERE x = :v"), {"v": SECRET})
    assert "no_such_table" in str(caught.value) and SECRET not in str(caught.value)


# --- through core's save --------------------------------------------------------------------------------


def test_save_refused_by_someone_elses_write_names_the_row_and_column(schema_db: Database) -> None:
    """Validation passes; meanwhile another session saved the same unique email: one typed problem."""
    catalog = load_catalog(schema_db)
    email = f"{SECRET}@example.org"
    user = {"email": email, "username": "first", "role": "player", "metadata": {}}
    writes.save(schema_db, catalog, [Insert("users", {**user, "id": uuid.uuid4()})])
    second = {**user, "id": uuid.uuid4(), "username": "second"}
    with pytest.raises(ValidationError) as caught:
        writes.save(schema_db, catalog, [Insert("users", second)])
    [problem] = caught.value.problems
    assert problem.row == 0 and problem.column in ("email", "users")  # SQLite and PostgreSQL name the column
    assert "must be unique" in problem.message and "reload" in problem.message
    _clean(str(caught.value))

