"""First run: the embedded default database, created, migrated and seeded before the GUI opens."""

from __future__ import annotations

import importlib.util
import logging
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

from core.errors import WardenError
from core.paths import default_database

# core.engine.db (SQLAlchemy) is imported only where a database is opened: the usual start checks the default
# database with one sqlite3 read and must not pay for SQLAlchemy before the window shows.

log = logging.getLogger("warden.bootstrap")

Progress = Callable[[str, int, int], None]

REVISION_RE = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*[\"'](\w+)[\"']", re.M)
DOWN_REVISION_RE = re.compile(r"^down_revision\b[^=]*=\s*(.*)$", re.M)


def script_head(versions: Path | None = None) -> str | None:
    """The newest revision in the Alembic script directory (migrations/versions), read from the scripts'
    `revision` and `down_revision` lines; None when there is not exactly one head or no scripts.

    Knowing it lets every start check the default database with one plain read, without opening an engine
    or importing Alembic (or the migrations package, which imports SQLAlchemy). A test ties it to Alembic's
    own reading of the scripts.
    """
    if versions is None:
        spec = importlib.util.find_spec("migrations")  # finds the package without running it
        if spec is None or not spec.submodule_search_locations:
            return None
        versions = Path(next(iter(spec.submodule_search_locations))) / "versions"
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in versions.glob("*.py"):
        text = script.read_text(encoding="utf-8")
        revision = REVISION_RE.search(text)
        if revision:
            revisions.add(revision.group(1))
        down = DOWN_REVISION_RE.search(text)
        if down:
            parents.update(re.findall(r"[\"'](\w+)[\"']", down.group(1)))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


#: The newest revision Warden ships (see script_head).
SCHEMA_HEAD = script_head()


def create_demo_database(
    target: str, *, scale: int = 1, seed: int = 42, progress: Progress | None = None
) -> dict[str, int]:
    """Create or open `target`, migrate it to head and fill it with demo data; rows per table."""
    from core import seed as seeding
    from core.engine.db import open_database
    from core.migrate import migrations

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
    if _stored_revision(path) in (SCHEMA_HEAD, None):
        return  # the usual start: already current (or not a database Warden versions)
    from core.engine.db import open_database
    from core.migrate import migrations

    db = open_database(str(path))
    try:
        if migrations.is_reference_schema(db) and migrations.pending(db):
            migrations.upgrade(db)
    except WardenError as exc:
        log.warning("the default database stays at its revision: %s", exc)
    finally:
        db.dispose()


def _stored_revision(path: Path) -> str | None:
    """The Alembic revision a SQLite file records, or None when it records none (or cannot be read)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return str(row[0]) if row else None
