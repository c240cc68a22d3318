"""PostgreSQL stopped in the middle of a session (a server of the test's own, tests/fixtures/postgres.py):
a save fails with the typed "lost the connection" message (no SQL, no values), writes nothing and leaves the
staged changes as they were; once the server is back, the same open database saves them, audited once."""

from __future__ import annotations

import copy

import pytest
import sqlalchemy as sa

from core.audit.log import list_entries
from core.data.audit_trail import Auditing
from core.data.changes import Change, Insert, Update
from core.data.writes import save
from core.engine.db import open_database
from core.errors import ConnectionFailed
from core.schema.load import load_catalog
from core.schema.models import metadata
from tests.fixtures import postgres
from tests.fixtures.postgres import StoppableServer, new_pg_database

stoppable_pg = postgres.stoppable_pg  # the fixture: a server of the test's own


def test_a_save_while_the_server_is_stopped_says_so_keeps_the_changes_and_goes_through_after_restart(
    stoppable_pg: StoppableServer,
) -> None:
    url = new_pg_database(stoppable_pg)
    db = open_database(url)
    metadata.create_all(db.engine)
    catalog = load_catalog(db, cached=False)
    try:
        key = (
            save(db, catalog, [Insert("users", {"username": "ann", "email": "ann@example.org"})])
            .inserted[0]
            .key
        )
        staged: list[Change] = [Update("users", key, {"display_name": "Secret Name 42"}, {}, 1)]
        kept = copy.deepcopy(staged)
        stoppable_pg.stop()
        with pytest.raises(ConnectionFailed) as caught:
            save(db, catalog, staged, audit=Auditing(user="me"))
        message = str(caught.value)
        assert message.startswith("Lost the connection to PostgreSQL"), message
        assert "UPDATE" not in message and "Secret Name 42" not in message
        assert staged == kept
        stoppable_pg.start()
        save(db, catalog, staged, audit=Auditing(user="me"))  # the same open database, the same changes
        users = catalog.get("users").table
        with db.engine.connect() as conn:
            assert conn.execute(sa.select(users.c.display_name, users.c.version)).one() == (
                "Secret Name 42",
                2,
            )
        assert [e.action for e in list_entries(db, catalog)] == ["update", "insert"]
    finally:
        db.dispose()
