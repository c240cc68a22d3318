"""Migrations are audited writes: one audit-log entry (action "migrate") per revision applied or undone.

An entry names the revision, the version(s) before and after, the OS user and the connection profile; the
entries of one run share its save_id. A run is audited when the database had an audit log before it started:
one without (an external project's, a new database being created) gets none, and the run is not refused for
it, as a save would be, because the migration may be what brings the audit log.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa

from core.data.audit_trail import os_user
from core.engine.db import Database
from core.migrate.scripts import VERSION_TABLE, down_revisions
from core.schema.models.audit import AUDIT_TABLE, AuditEntry

#: The audit log's action for a revision applied or undone.
ACTION = "migrate"


def has_log(db: Database) -> bool:
    """Whether the database has an audit log now (a run is audited when it had one before it started)."""
    return sa.inspect(db.engine).has_table(AUDIT_TABLE)


def record(db: Database, conn: sa.Connection | None, verb: str, script: Any, run_id: uuid.UUID) -> None:
    """Add the entry of one revision: on `conn` (inside the revision's transaction), or, without one, in a
    transaction of its own once the revision is committed."""
    if conn is not None:
        _write(conn, db, verb, script, run_id)
        return
    with db.engine.begin() as own:
        _write(own, db, verb, script, run_id)


def _write(conn: sa.Connection, db: Database, verb: str, script: Any, run_id: uuid.UUID) -> None:
    if not sa.inspect(conn).has_table(AUDIT_TABLE):
        return  # no audit log (yet, or any more: the revision undone may be the one that created it)
    rev = str(script.revision)
    parents = list(down_revisions(script))
    before, after = (parents, [rev]) if verb == "upgrade" else ([rev], parents)
    doc = (script.doc or "").strip().splitlines()
    table: sa.Table = AuditEntry.__table__  # type: ignore[assignment]
    conn.execute(
        table.insert().values(
            at=dt.datetime.now(dt.UTC),
            os_user=os_user(),
            profile=db.profile or "default",
            entity=VERSION_TABLE,
            row_key={"revision": rev},
            action=ACTION,
            before_json={"version": before},
            after_json={"version": after},
            reason=f"{verb} {rev}" + (f": {doc[0]}" if doc else ""),
            save_id=run_id,
        )
    )
