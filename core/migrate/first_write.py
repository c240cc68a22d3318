"""A database's first write checks its revision first, in the CLI and in the window alike.

At a revision its migrations do not know (a newer Warden or another app migrated it) every write but a
migration's is refused (core/migrate/status.py hold_writes). Reading the scripts costs a moment a command or
a window that only reads need not pay, so the check waits for the first write: it runs where that write runs
(the command, or a worker of the window), holds or frees the database by what it finds, and so runs once. A
hold set meanwhile (the window's standing, read on a worker after the database opens) replaces it. This
module imports nothing heavy: Alembic is imported by the check, when something writes.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.engine.db import Database


def check_on_first_write(db: Database, project: str | None = None) -> None:
    """Have `db`'s first write (but a migration's) check its revision against Warden's migrations, or the
    external project whose alembic.ini is `project`; at one they do not know it and every later write are
    refused with the reason (ReadOnlyError)."""
    db.write_guard = functools.partial(_check, db, project)


def _check(db: Database, project: str | None) -> None:
    from core.migrate.status import check_writes

    check_writes(db, project=project)
