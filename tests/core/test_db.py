"""Engines open real databases, load sqlite-vec / pgvector, and fail with clear messages."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
import sqlalchemy as sa

from core.engine.db import open_database
from core.errors import ConnectionFailed, PermissionDenied
from core.schema.models import Location, Region


def test_capabilities_report_native_vectors(schema_db):
    caps = schema_db.capabilities
    assert caps.backend in ("sqlite", "postgresql")
    assert caps.vector_search in ("sqlite-vec", "pgvector")
    assert caps.vector_reason is None
    assert caps.server_version


def test_sqlite_pragmas_are_set(tmp_path):
    db = open_database(tmp_path / "p.db", create=True)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        assert conn.exec_driver_sql("select vec_version()").scalar().startswith("v")
    db.dispose()


def test_vector_round_trip(schema_db):
    vec = np.linspace(-1, 1, 384, dtype=np.float32)
    rid = uuid.uuid4()
    with schema_db.session() as s, s.begin():
        s.add(Region(id=rid, name="Vale", embedding=vec))
        s.flush()  # no ORM relationships, so the unit of work cannot order the two inserts
        s.add(Location(region_id=rid, name="Ford", location_type="shore", embedding=vec))
    with schema_db.session() as s:
        got = s.get(Region, rid)
        assert got is not None and np.allclose(got.embedding, vec)
        assert got.created_at.tzinfo is not None
    if schema_db.backend == "sqlite":
        with schema_db.engine.connect() as conn:
            blob = conn.execute(sa.text("select embedding from regions")).scalar()
            assert isinstance(blob, bytes) and len(blob) == 384 * 4
            # sqlite-vec reads the BLOB as its own float32 format
            dist = conn.execute(sa.text("select vec_distance_l2(embedding, embedding) from regions")).scalar()
            assert dist == 0.0


def test_missing_file_is_not_created(tmp_path):
    missing = tmp_path / "no" / "such.db"
    with pytest.raises(ConnectionFailed, match="No such database file"):
        open_database(missing)
    assert not missing.parent.exists()


def test_non_sqlite_file_is_refused(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 300)
    with pytest.raises(ConnectionFailed, match="not a SQLite database"):
        open_database(junk)


def test_server_down_hides_password():
    with pytest.raises(ConnectionFailed) as err:
        open_database("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    assert "secret" not in str(err.value)
    assert "127.0.0.1:1" in str(err.value)


def test_pg_without_vector_extension_is_a_capability(pg_server):
    from tests.fixtures.postgres import new_pg_database

    db = open_database(new_pg_database(pg_server, vector=False))
    assert db.capabilities.vector_search == "fallback"
    assert "pgvector" in (db.capabilities.vector_reason or "")
    db.dispose()


def test_slow_statements_are_logged_without_parameters(tmp_path, caplog):
    db = open_database(tmp_path / "slow.db", create=True, slow_ms=0.0)
    with caplog.at_level("WARNING", logger="warden.slow"), db.engine.connect() as conn:
        conn.execute(sa.text("select :secret_value"), {"secret_value": "hunter2"})
    assert db.slow_statements
    assert "hunter2" not in caplog.text
    assert "select" in caplog.text
    db.dispose()


def test_slow_log_sees_every_kind_of_statement_and_keeps_no_values(empty_url, caplog):
    db = open_database(empty_url, create=True, slow_ms=0.0)
    with caplog.at_level("WARNING", logger="warden.slow"), db.engine.begin() as conn:
        conn.exec_driver_sql("create table slow_t (x text)")  # no parameters
        conn.execute(sa.text("insert into slow_t values (:x)"), [{"x": "hunter2"}, {"x": "swordfish"}])
        conn.execute(sa.text("select * from slow_t where x = :x"), {"x": "hunter2"})
    sql = [s.sql.lower() for s in db.slow_statements]
    assert any("create table slow_t" in s for s in sql)
    assert any("insert into slow_t" in s for s in sql)
    assert any(s.startswith("select * from slow_t") for s in sql)
    assert "hunter2" not in caplog.text and "swordfish" not in caplog.text
    assert all(s.duration_ms >= 0 and "hunter2" not in repr(s) for s in db.slow_statements)
    assert not db.engine._has_events  # timing needs no engine event listener (their dispatch costs)
    db.dispose()


def test_fast_statements_are_not_logged(tmp_path, caplog):
    db = open_database(tmp_path / "quick.db", create=True, slow_ms=60_000.0)
    with caplog.at_level("WARNING", logger="warden.slow"), db.engine.connect() as conn:
        conn.execute(sa.text("select 1"))
    assert not db.slow_statements and "slow statement" not in caplog.text
    db.dispose()


def test_read_only_sqlite_refuses_writes(tmp_path):
    path = tmp_path / "ro.db"
    db = open_database(path, create=True)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("create table t (x)")
    db.dispose()
    ro = open_database(path, read_only=True)
    assert ro.capabilities.read_only
    with ro.engine.connect() as conn:
        assert conn.exec_driver_sql("select count(*) from t").scalar() == 0
        with pytest.raises(PermissionDenied, match="open read-only"):
            conn.exec_driver_sql("insert into t values (1)")
    ro.dispose()
