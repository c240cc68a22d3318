"""`warden inspect` asks the server for the catalog cache's stamp on a thread of its own while the catalog's
code is imported (core/cli/inspect.py, 1656646): a failure on that thread is the command's usual one-line
error, and the command ends with its thread (no hang)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from core import cli
from core.cli import inspect as inspect_command
from core.engine.db import Database
from tests.fixtures import postgres
from tests.fixtures.postgres import StoppableServer

stoppable_pg = postgres.stoppable_pg  # the fixture: a server of the test's own


def test_a_server_gone_after_the_open_is_one_line_and_the_command_ends(
    stoppable_pg: StoppableServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The server stops between the open and the stamp's query: exit 2, one line naming the server (no
    traceback, no SQL), and no stamp thread left running."""
    monkeypatch.setenv("WARDEN_DATA_DIR", str(tmp_path / "data"))
    url = sa.make_url(stoppable_pg.get_uri()).set(drivername="postgresql+psycopg")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE guilds (id integer PRIMARY KEY, name text)")
    engine.dispose()
    opened = inspect_command.open_target

    def open_then_stop(target: Any) -> Database:
        db = opened(target)
        stoppable_pg.stop()  # the server goes away once the database is open
        return db

    monkeypatch.setattr(inspect_command, "open_target", open_then_stop)
    result: list[int] = []
    command = threading.Thread(
        target=lambda: result.append(cli.main(["inspect", "--db", url.render_as_string(False), "--json"])),
        daemon=True,
    )
    command.start()
    command.join(60)
    assert not command.is_alive(), "inspect hung after the server went away"
    out, err = capsys.readouterr()
    assert result == [2]
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warden: error: ") and "PostgreSQL at" in lines[0]
    assert "internal error" not in lines[0] and "select" not in lines[0].lower()
    assert not [t for t in threading.enumerate() if t.name.startswith("warden-stamp")]
