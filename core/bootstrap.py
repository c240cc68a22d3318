"""First run: the embedded default database, created, migrated and seeded before the GUI opens."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from core.db import open_database
from core.errors import WardenError
from core.paths import default_database

log = logging.getLogger("warden.bootstrap")

Progress = Callable[[str, int, int], None]


def create_demo_database(
    target: str, *, scale: int = 1, seed: int = 42, progress: Progress | None = None
) -> dict[str, int]:
    """Create or open `target`, migrate it to head and fill it with demo data; rows per table."""
    from core import migrations
    from core import seed as seeding

    db = open_database(target, create=True)
    try:
        migrations.ensure_schema(db)
        return seeding.seed(db, scale=scale, seed=seed, progress=progress)
    finally:
        db.dispose()


def ensure_default_database(progress: Progress | None = None) -> Path:
    """The default database's path, building it first if it does not exist yet (or upgrading it to the
    newest schema when an older Warden built it).

    It is built under a temporary name and renamed at the end, so an interrupted first run
    never leaves a half-filled database under the real name.
    """
    path = default_database()
    if path.exists():
        _bring_up_to_date(path)
        return path
    tmp = path.with_name(path.name + ".creating")
    for suffix in ("", "-wal", "-shm", "-journal"):
        leftover = Path(str(tmp) + suffix)
        if leftover.exists():
            leftover.unlink()
    create_demo_database(str(tmp), progress=progress)
    tmp.rename(path)
    return path


def _bring_up_to_date(path: Path) -> None:
    """Upgrade the default database to the newest schema when an older Warden made it (backed up first).

    A failed upgrade is rolled back and logged; the database still opens at the revision it has.
    """
    from core import migrations

    db = open_database(str(path))
    try:
        if migrations.is_reference_schema(db) and migrations.pending(db):
            migrations.upgrade(db)
    except WardenError as exc:
        log.warning("the default database stays at its revision: %s", exc)
    finally:
        db.dispose()
