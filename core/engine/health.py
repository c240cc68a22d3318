"""Whether a database answers now: one cheap statement that raises a typed error when it does not.

The GUI's connection monitor (gui/runtime/connection_state.py) calls `ping` on a worker after a read or a
save lost the connection, and again with backoff until the server answers.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from core.engine.db import Database
from core.engine.driver_errors import where_of
from core.errors import ConnectionFailed, ConnectionLost

#: SQLite reads the file's first page for this, so a vanished or unreachable file (a network share) fails.
SQLITE_PING = "SELECT count(*) FROM sqlite_master"


def ping(db: Database) -> None:
    """Run one trivial statement; raise ConnectionLost (or ConnectionFailed) when the database is silent.

    PostgreSQL's pool tests a connection before handing it out (pre-ping) and, on a dead one, lets every
    connection older than it go: after a restart this checkout reconnects, and so do the reads after it.
    """
    statement = SQLITE_PING if db.backend == "sqlite" else "SELECT 1"
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text(statement)).scalar()
    except ConnectionFailed:
        raise
    except DBAPIError as exc:  # a failure the translation does not cover: still "not answering"
        raise ConnectionLost(
            f"{where_of(db.url)} does not answer. Check that it is running and reachable; Warden tries again "
            "by itself."
        ) from exc
