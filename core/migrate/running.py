"""Upgrading and downgrading: one revision at a time, progress and cancel between revisions, a checked SQLite
backup before anything changes and restored automatically on failure; on PostgreSQL one transaction per
revision, so a failure leaves the database at the last good revision."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy.exc import DBAPIError

from core.engine.db import Database
from core.errors import DatabaseBusy, MigrationFailed, ReadOnlyError, WardenError
from core.migrate import backups, migration_audit, pg_copies
from core.migrate.drift import drift
from core.migrate.lint import lint
from core.migrate.scripts import (
    VERSION_TABLE,
    alembic_config,
    check_known,
    down_revisions,
    multiple_heads,
    plan,
    script_directory,
)
from core.migrate.status import current
from core.progress import Cancelled, TaskState

log = logging.getLogger("warden.migrations")


@dataclass(frozen=True)
class MigrationResult:
    """What an upgrade or downgrade did, and where the SQLite backup went if one was made."""

    before: list[str]
    after: list[str]
    applied: list[str]  # revision ids applied (upgrade) or undone (downgrade), in order
    backup: Path | None = None
    cancelled: bool = False  # cancel stopped it between revisions: `after` is the last finished one
    copies: tuple[str, ...] = ()  # PostgreSQL: tables copied into warden_backup before destructive revisions


def upgrade(
    db: Database,
    revision: str = "head",
    *,
    backup_dir: Path | None = None,
    state: TaskState | None = None,
    scripts: Path | None = None,
) -> MigrationResult:
    """Apply revisions up to `revision`, one transaction each; SQLite files are backed up first."""
    return _migrate(db, "upgrade", revision, backup_dir, state, scripts)


def downgrade(
    db: Database,
    revision: str,
    *,
    backup_dir: Path | None = None,
    state: TaskState | None = None,
    scripts: Path | None = None,
) -> MigrationResult:
    """Undo revisions down to `revision` ("base" drops the schema); SQLite files are backed up first."""
    return _migrate(db, "downgrade", revision, backup_dir, state, scripts)


def ensure_schema(db: Database, *, backup_dir: Path | None = None) -> MigrationResult:
    """Bring a database to the newest reference schema: create it when empty, else upgrade it."""
    if not backups.has_tables(db) or sa.inspect(db.engine).has_table(VERSION_TABLE):
        return upgrade(db, "head", backup_dir=backup_dir)
    if not drift(db):
        # Made by create_all (tests, older demos): identical to head, so record that instead of recreating.
        db.allow_writes(migration=True)
        with db.engine.connect() as conn:
            command.stamp(alembic_config(conn), "head")
            conn.commit()
        log.info("stamped %s at head: its tables already match the reference schema", db.display_url)
        return MigrationResult(before=[], after=current(db), applied=[])
    raise MigrationFailed(
        f"{db.display_url} already has tables that are not Warden's reference schema; "
        "open it as it is, or pick an empty database for the reference schema."
    )


def _migrate(
    db: Database,
    verb: str,
    revision: str,
    backup_dir: Path | None,
    state: TaskState | None,
    scripts: Path | None,
) -> MigrationResult:
    if db.capabilities.read_only:
        raise ReadOnlyError(f"{db.display_url} is open read-only; reopen it writable to migrate it.")
    script = script_directory(scripts)
    before = current(db)
    check_known(script, before)
    if verb == "upgrade" and revision == "head" and len(script.get_heads()) > 1:
        raise multiple_heads(script, revision)
    todo = plan(script, verb, revision, before)
    if not todo:
        return MigrationResult(before=before, after=before, applied=[])
    _refuse_what_cannot_run(db, verb, revision, before, scripts)
    db.allow_writes(migration=True)  # a file read-only until its first write is writable now; held or not
    pending = backups.start(db, backup_dir) if _worth_backing_up(db) else None
    backup = pending.path if pending is not None else None
    if pending is not None and not _calls_back(scripts):
        pending.wait()  # another env.py may commit without calling back: the check passes before it runs
    done: list[str] = []
    run = _Run(db, verb, todo, done, state, scripts)
    run.before_commit = pending.wait if pending is not None else None
    if db.backend == "postgresql":
        run.copies_before = _pg_copies_plan(db, verb, revision, before, scripts)
    try:
        cancelled = run.all(revision, linear=_is_linear(script, verb, todo, before))
        if pending is not None:
            pending.wait()  # a run cancelled before its first revision still leaves a checked backup
    except backups.BackupDamaged:
        raise  # found before the first revision committed (it waits for the check): nothing changed
    except Exception as exc:
        log.exception("%s of %s failed", verb, db.display_url)
        failed = todo[min(len(done), len(todo) - 1)]
        backup = _checked(pending)
        restored = _restore_after_failure(db, backup, before, done)
        text = _failure(db, verb, failed, exc, backup, restored, scripts)
        raise (DatabaseBusy(text) if isinstance(exc, DatabaseBusy) else MigrationFailed(text)) from exc
    if verb == "upgrade":
        _refresh_vector_capability(db)
    return MigrationResult(
        before=before,
        after=current(db),
        applied=done,
        backup=backup,
        cancelled=cancelled,
        copies=tuple(run.copies),
    )


class _Run:
    """The revisions of one command, run one Alembic command per revision so cancel can stop between them."""

    def __init__(
        self,
        db: Database,
        verb: str,
        todo: list[str],
        done: list[str],
        state: TaskState | None,
        scripts: Path | None,
    ) -> None:
        self.db, self.verb, self.todo, self.done = db, verb, todo, done
        self.state, self.scripts = state, scripts
        self.started = time.perf_counter()
        self.copies_before: dict[str, list[str]] = {}  # revision -> tables to copy just before it runs
        # Waits for the backup's integrity check; called inside each revision's transaction, before it
        # commits, so a damaged backup rolls the first revision back.
        self.before_commit: Callable[[], object] | None = None
        self.copies: list[str] = []
        self.run_id = uuid.uuid4()  # the audit entries of one run share it
        # Only a database that had an audit log before the run gets entries: creating a schema from nothing
        # (a new or demo database) is no one's change to its data, and could record only its later half.
        self.audited = migration_audit.has_log(db)
        self.scripts_read: Any = None

    def _script(self) -> Any:
        """The script directory, read once per run (an external project's revisions are imported again
        on every read)."""
        if self.scripts_read is None:
            self.scripts_read = script_directory(self.scripts)
        return self.scripts_read

    def all(self, revision: str, *, linear: bool) -> bool:
        """Run every revision; True when cancel stopped it between two of them."""
        self._progress()
        if not linear:  # branches and merges: Alembic's own single run, progress still per revision
            self._command(revision)
            for rev in self.todo:
                if rev not in self.done:  # an external project's env.py does not call back
                    self._finished(rev, None)
            return False
        for rev in self.todo:
            if self.state is not None and self.state.cancelled:
                log.info("%s cancelled after %d revisions", self.verb, len(self.done))
                return True
            if self.copies_before.get(rev):
                self.copies += pg_copies.copy_tables(self.db, rev, self.copies_before[rev])
                if self.state is not None:
                    self.state.set_partial_result(
                        f"Copied {', '.join(self.copies_before[rev])} to warden_backup"
                    )
            target = rev if self.verb == "upgrade" else self._below(rev)
            self._command(target)
            if rev not in self.done:  # an external project's env.py does not pass on our callback
                self._finished(rev, None)
        return False

    def _below(self, rev: str) -> str:
        downs = down_revisions(self._script().get_revision(rev))
        return downs[0] if downs else "base"

    def _command(self, target: str) -> None:
        with self.db.engine.connect() as conn:
            cfg = alembic_config(conn, on_version_apply=[self._record], scripts=self.scripts)
            try:
                getattr(command, self.verb)(cfg, target)
                conn.commit()
            except BaseException:
                conn.rollback()
                raise

    def _record(self, *, ctx: Any, step: Any, **_kw: Any) -> None:
        if self.before_commit is not None:
            self.before_commit()
        # Alembic names the revision applied, or for a downgrade the one undone, `up_revision_id`.
        self._finished(str(step.up_revision_id), ctx.connection)

    def _finished(self, rev: str, conn: sa.Connection | None) -> None:
        """One revision done: its audit entry, the log line and progress.

        With Warden's env.py (`conn`: the revision's own connection, inside its transaction) the entry is
        written in the revision's transaction on both backends, so a revision rolled back leaves no entry.
        An external project's env.py opens its own connection and calls nothing back, so its entries are
        written just after each revision committed, in a transaction of their own: on SQLite the project's
        connection holds the write lock until then, and on PostgreSQL its transaction is not ours to join.
        """
        if self.audited:
            migration_audit.record(self.db, conn, self.verb, self._script().get_revision(rev), self.run_id)
        self.done.append(rev)
        seconds = time.perf_counter() - self.started
        log.info("%s %s done on %s", self.verb, rev, self.db.display_url)
        if self.state is not None:
            self.state.set_partial_result(f"{self.verb.capitalize()} of {rev} done ({seconds:.1f} s)")
        self._progress()

    def _progress(self) -> None:
        if self.state is None:
            return
        n = len(self.done)
        message = (
            f"{self.verb.capitalize()} {self.todo[n]} ({n + 1} of {len(self.todo)})"
            if n < len(self.todo)
            else f"{self.verb.capitalize()} finished"
        )
        self.state.set_progress(n, len(self.todo), message)


def _is_linear(script: Any, verb: str, todo: list[str], before: list[str]) -> bool:
    """Whether each revision can be its own command. An upgrade always can (the plan is in order); a
    downgrade when it undoes one line from one head, so each step's target is its revision's parent."""
    if verb == "upgrade":
        return True
    return len(before) <= 1 and all(len(down_revisions(script.get_revision(rev))) <= 1 for rev in todo)


def _refuse_what_cannot_run(
    db: Database, verb: str, revision: str, before: list[str], scripts: Path | None
) -> None:
    """Refuse before anything runs when a revision cannot run as written: a SQLite batch rebuild of a table
    a view depends on fails halfway (alembic#1207)."""
    if db.backend != "sqlite":
        return
    with db.engine.connect() as conn:
        if not conn.exec_driver_sql("select count(*) from sqlite_master where type = 'view'").scalar():
            return
    for found in lint(db, revision, scripts=scripts, from_revision=",".join(before) or "base", verb=verb):
        for finding in found.findings:
            if finding.blocks:
                raise MigrationFailed(
                    f"Refused before it started: revision {found.revision} {finding.words}. "
                    "Nothing was changed."
                )


def _pg_copies_plan(
    db: Database, verb: str, revision: str, before: list[str], scripts: Path | None
) -> dict[str, list[str]]:
    """For each revision of the run that can lose data, the tables to copy into warden_backup first."""
    found = lint(db, revision, scripts=scripts, from_revision=",".join(before) or "base", verb=verb)
    return {r.revision: tables for r in found if (tables := pg_copies.tables_to_copy(r))}


def _calls_back(scripts: Path | None) -> bool:
    """Whether the revisions run through an env.py written for Warden (its own, or a scripts folder's),
    which runs on the shared connection and calls `_Run._record` inside each revision's transaction: the
    run can wait there for the backup's check before anything commits. An external project's env.py
    (an alembic.ini) may open its own connection and commit without calling back."""
    return scripts is None or scripts.suffix != ".ini"


def _checked(pending: backups.PendingBackup | None) -> Path | None:
    """The backup of a failed run once its check has passed; None when there is none or it is damaged."""
    if pending is None:
        return None
    try:
        return pending.wait()
    except backups.BackupDamaged:
        log.exception("the backup taken before the failed run is damaged")
        return None


def _restore_after_failure(db: Database, backup: Path | None, before: list[str], done: list[str]) -> bool:
    """Put the checked SQLite backup back when revisions of this run were kept; True when it was."""
    if backup is None:
        return False
    try:
        changed = bool(done) or current(db) != before
    except (DBAPIError, WardenError):
        changed = True
    if not changed:
        return False
    try:
        backups.restore(db, backup, checked=True)
    except Exception:  # the failure to restore is logged; the message then points at the backup file
        log.exception("restoring %s from %s failed", db.display_url, backup)
        return False
    return True


def _failure(
    db: Database,
    verb: str,
    failed: str,
    exc: BaseException,
    backup: Path | None,
    restored: bool,
    scripts: Path | None,
) -> str:
    """One line: which revision, what went wrong, what state the database is in."""
    problem = _one_line(exc)
    doc = (script_directory(scripts).get_revision(failed).doc or "").strip().splitlines()
    name = f"{failed} ({doc[0].rstrip('.')})" if doc else failed
    try:
        at = ", ".join(current(db)) or "no revision"
    except (DBAPIError, WardenError):  # e.g. the lock that failed the migration (DatabaseBusy)
        at = "an unknown revision"
    text = f"{verb.capitalize()} of revision {name} failed: {problem}. "
    if restored:
        text += f"Warden restored the database from the backup taken before the {verb}; it is at {at}."
    else:
        text += f"It was rolled back; the database is at {at}."
    if backup is not None:
        text += f" A copy from before the {verb} is at {backup}."
    return text


def _one_line(exc: BaseException) -> str:
    """The underlying problem, driver messages first, in one line."""
    inner = exc.orig if isinstance(exc, DBAPIError) else exc
    text = str(inner).strip().splitlines()
    return text[0].rstrip(".") if text else type(inner).__name__


def _worth_backing_up(db: Database) -> bool:
    """A SQLite file with something in it; an empty new file has nothing to lose."""
    return backups.sqlite_file(db) is not None and backups.has_tables(db)


def _refresh_vector_capability(db: Database) -> None:
    """After the first revision created pgvector, report it and let new connections register its type."""
    if db.backend != "postgresql" or db.capabilities.vector_search == "pgvector":
        return
    with db.engine.connect() as conn:
        version = conn.exec_driver_sql("select extversion from pg_extension where extname='vector'").scalar()
    if version:
        db.capabilities.vector_search, db.capabilities.vector_reason = "pgvector", None
        db.capabilities.library_versions["pgvector"] = str(version)
        db.engine.dispose()  # pooled connections were opened before the type existed


__all__ = ["Cancelled", "MigrationResult", "downgrade", "ensure_schema", "upgrade"]
