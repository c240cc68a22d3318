"""core.engine.health.ping: a database that answers passes; a stopped server is ConnectionLost, and the same
open database answers again (and reads again) once the server is back."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from core.data.repository import fetch_page
from core.engine.db import open_database
from core.engine.health import ping
from core.errors import ConnectionLost
from core.schema.load import load_catalog
from tests.fixtures import postgres
from tests.fixtures.postgres import StoppableServer, admin_url

stoppable_pg = postgres.stoppable_pg  # the fixture: a server of the test's own


def test_a_sqlite_file_that_is_there_answers(tmp_path: Path) -> None:
    db = open_database(tmp_path / "here.db", create=True)
    try:
        ping(db)
    finally:
        db.dispose()


def test_a_stopped_server_is_lost_and_answers_again_after_it_starts(stoppable_pg: StoppableServer) -> None:
    url = admin_url(stoppable_pg)
    setup = sa.create_engine(url)
    with setup.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)")
        conn.exec_driver_sql("INSERT INTO items (name) SELECT 'item ' || n FROM generate_series(1, 20) n")
    setup.dispose()
    db = open_database(url.render_as_string(hide_password=False))
    try:
        catalog = load_catalog(db)
        ping(db)  # a pooled connection now exists: it dies with the server
        stoppable_pg.stop()
        with pytest.raises(ConnectionLost) as lost:
            ping(db)
        assert "SELECT" not in str(lost.value)
        with pytest.raises(ConnectionLost):
            ping(db)  # still down: each try says so, none hangs
        stoppable_pg.start()
        ping(db)  # the same Database: its pool reconnects
        assert len(fetch_page(db, catalog, "items", limit=5).rows) == 5
    finally:
        db.dispose()
