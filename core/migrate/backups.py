"""SQLite backups around migrations: taken with the online backup API, checked with `PRAGMA
integrity_check`, kept timestamped in the user data folder with a small JSON note (source file, revision),
listed, and restored with the same API.

The check reads the whole copy, as long as a migration of a large table: `start` runs it on a thread of its
own (SQLite works without the GIL) so the migration can run meanwhile, and the migration waits for it
(`PendingBackup.wait`) before its first commit."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from core import paths
from core.engine.db import Database
from core.errors import MigrationFailed, NotFoundError

log = logging.getLogger("warden.migrate.backups")

#: Room kept free on the disk beyond the copy itself, so the migration after it can still write.
SPARE_BYTES = 16 * 1024 * 1024
#: The memory map of a file being checked (SQLite caps it at its own compiled-in limit).
MMAP_BYTES = 1 << 40


@dataclass(frozen=True)
class Backup:
    """One backup file: which database it copies, at which revision(s), how big, and when it was taken."""

    path: Path
    source: str
    revision: list[str]
    size: int
    created: dt.datetime


def default_folder() -> Path:
    """Where backups are kept: "backups" in the user data folder."""
    return paths.data_dir() / "backups"


def sqlite_file(db: Database) -> Path | None:
    """The file of a SQLite database, or None (PostgreSQL, in-memory)."""
    name = db.url.database or ""
    if db.backend != "sqlite" or name in ("", ":memory:") or name.startswith("file::memory:"):
        return None
    return Path(name)


def check_room(source: Path, folder: Path) -> None:
    """Refuse before anything runs when the folder cannot take a copy of `source`: not writable, or full."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".warden-write-test-"):
            pass
    except OSError:
        raise MigrationFailed(
            f"Cannot write backups to {folder}; nothing was changed. Make the folder writable "
            "(or set WARDEN_DATA_DIR) and try again."
        ) from None
    need = _size(source) + SPARE_BYTES
    free = shutil.disk_usage(folder).free
    if free < need:
        raise MigrationFailed(
            f"Not enough disk space for a backup in {folder}: {_mb(need)} needed, {_mb(free)} free; "
            "nothing was changed. Free some space and try again."
        )


class BackupDamaged(MigrationFailed):
    """The backup failed its integrity check (it is deleted); nothing was changed."""


class PendingBackup:
    """A backup just copied whose integrity check (then its note) runs on a thread of its own."""

    def __init__(self, db: Database, path: Path, source: Path) -> None:
        self.path, self._db, self._source = path, db, source
        self._problem: str | None = None
        self._logged = False  # wait() runs before every revision's commit: the line is written once
        self._thread = threading.Thread(target=self._check, name="warden-backup-check", daemon=True)
        self._thread.start()

    def _check(self) -> None:
        try:
            self._problem = integrity_problem(self._db, self.path)
            if self._problem is None:
                _sync(self.path)
                note = {"source": str(self._source.resolve()), "revision": _revisions(self._db, self.path)}
                note["created"] = _now()
                _note_path(self.path).write_text(json.dumps(note), encoding="utf-8")
        except Exception as exc:  # the thread must always leave an answer for wait()
            self._problem = self._problem or type(exc).__name__

    def wait(self) -> Path:
        """The backup once its check has passed; BackupDamaged (the file deleted) when it has not."""
        self._thread.join()
        if self._problem is not None:
            self.path.unlink(missing_ok=True)
            raise BackupDamaged(
                f"The backup of {self._source.name} failed its integrity check ({self._problem}); "
                "nothing was changed."
            )
        if not self._logged:
            self._logged = True
            log.info("backed up %s to %s", self._source, self.path)
        return self.path


def take(db: Database, folder: Path | None = None) -> Path:
    """Copy a SQLite file with the online backup API into `folder`, check it, note it; returns its path."""
    return start(db, folder).wait()


def start(db: Database, folder: Path | None = None) -> PendingBackup:
    """Copy a SQLite file with the online backup API into `folder`; its check and note follow on a thread."""
    source = sqlite_file(db)
    if source is None:
        raise ValueError(f"only SQLite files can be backed up, not {db.display_url}")
    folder = Path(folder) if folder is not None else default_folder()
    check_room(source, folder)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = folder / f"{source.stem}.backup-{stamp}.db"
    n = 1
    while target.exists():  # two migrations within a second must not overwrite each other's backup
        n += 1
        target = folder / f"{source.stem}.backup-{stamp}-{n}.db"
    raw = db.engine.raw_connection()
    try:
        copy = _connect(db, target)
        try:
            # No journal and no syncs while it is written: a copy cut short is deleted, never used. The
            # check's thread syncs the finished file once (`_sync`) before the migration may commit.
            copy.execute("PRAGMA journal_mode = OFF")
            copy.execute("PRAGMA synchronous = OFF")
            raw.driver_connection.backup(copy)  # type: ignore[union-attr]
        finally:
            copy.close()
    finally:
        raw.close()
    return PendingBackup(db, target, source)


def integrity_problem(db: Database, file: Path) -> str | None:
    """None when `PRAGMA integrity_check` on the file says ok, else its first complaint."""
    conn = _connect(db, file, read_only=True)
    try:
        # Pages read from the memory map instead of copied into SQLite's cache: half the check's time.
        conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        first = conn.execute("PRAGMA integrity_check").fetchone()
    except Exception as exc:  # not a database at all
        return type(exc).__name__
    finally:
        conn.close()
    return None if first and first[0] == "ok" else str(first[0] if first else "no answer")[:200]


def restore(db: Database, backup: Path, *, checked: bool = False) -> None:
    """Put the content of `backup` back into the database's file (the backup API, page by page); `checked`:
    its integrity check has just passed (the backup of a failed migration), so it is not read twice."""
    # ReadOnlyError on a read-only session (the backup API writes past query_only); a hold lets it by
    db.allow_writes(migration=True)
    if not backup.is_file():
        raise NotFoundError(f"No backup at {backup}")
    problem = None if checked else integrity_problem(db, backup)
    if problem is not None:
        raise MigrationFailed(
            f"The backup {backup.name} is damaged ({problem}); the database was not changed."
        )
    db.engine.dispose()  # pooled connections would keep schema caches of the file as it was
    raw = db.engine.raw_connection()
    try:
        src = _connect(db, backup, read_only=True)
        try:
            src.backup(raw.driver_connection)
        finally:
            src.close()
    finally:
        raw.close()
    db.engine.dispose()
    log.info("restored %s from %s", db.display_url, backup)


def list_backups(db: Database | None = None, folder: Path | None = None) -> list[Backup]:
    """Backups in `folder` (default: the user data folder's), newest first; only `db`'s when given."""
    folder = Path(folder) if folder is not None else default_folder()
    source = sqlite_file(db) if db is not None else None
    wanted = str(source.resolve()) if source is not None else None
    found = []
    for note_file in folder.glob("*.backup-*.db.json"):
        try:
            note: dict[str, Any] = json.loads(note_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        path = note_file.with_suffix("")
        if not path.is_file() or (wanted is not None and note.get("source") != wanted):
            continue
        found.append(
            Backup(
                path=path,
                source=str(note.get("source", "")),
                revision=list(note.get("revision") or []),
                size=path.stat().st_size,
                created=dt.datetime.fromisoformat(str(note.get("created"))),
            )
        )
    return sorted(found, key=lambda b: (b.created, b.path.name), reverse=True)


def _note_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ".json")


def _revisions(db: Database, file: Path) -> list[str]:
    conn = _connect(db, file, read_only=True)
    try:
        return sorted(str(r[0]) for r in conn.execute("select version_num from alembic_version").fetchall())
    except Exception:  # never migrated: no alembic_version table
        return []
    finally:
        conn.close()


def _connect(db: Database, file: Path, *, read_only: bool = False) -> Any:
    """A plain connection of Warden's own SQLite driver (two SQLite libraries would not share locks)."""
    dbapi: Any = db.engine.dialect.dbapi
    if read_only:
        return dbapi.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
    return dbapi.connect(str(file))


def _sync(file: Path) -> None:
    """Flush a file written without syncs to the disk."""
    with open(file, "r+b") as fh:  # writable: Windows syncs only a handle open for writing
        os.fsync(fh.fileno())


def _size(source: Path) -> int:
    total = 0
    for part in (source, source.with_name(source.name + "-wal")):
        with contextlib.suppress(OSError):
            total += os.path.getsize(part)
    return total


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


def has_tables(db: Database) -> bool:
    """Whether the database holds any table (an empty new file has nothing to back up)."""
    return bool(sa.inspect(db.engine).get_table_names())
