"""What the migration runner asks of core, as functions a worker runs (gui/runtime/workers.py): each
imports core on the worker thread and returns plain data.

`project` is an external Alembic project's alembic.ini (None: Warden's own migrations); its code runs in a
child process (core/migrate/project.py), so the worker only waits for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.engine.db import Database
    from core.migrate.backups import Backup
    from core.migrate.lint import RevisionLint
    from core.migrate.pg_copies import TableCopy
    from core.migrate.status import Status
    from core.progress import TaskState


@dataclass(frozen=True)
class RunnerView:
    """Everything the runner shows at once: status, the lint and SQL of what is pending, the backups."""

    status: Status
    lint: list[RevisionLint]
    sql: str
    sql_problem: str | None = None  # why there is no SQL preview (e.g. a SQLite batch rebuild)
    backups: list[Backup] = field(default_factory=list)
    copies: list[TableCopy] = field(default_factory=list)  # PostgreSQL: tables kept in warden_backup


@dataclass(frozen=True)
class Standing:
    """Where the open database stands for the banner: behind head, at head, or at an unknown revision."""

    current: list[str]
    heads: list[str]
    pending: int
    known: bool
    project: str | None = None  # the external project's name, when one was picked for this database


def _call(project: str | None, db: Database, action: str, rev: str | None = None, **kw: Any) -> Any:
    """`action` of Warden's own migrations, or of the external `project` in its child process."""
    if project:
        from core.migrate.project import call, find_project

        return call(find_project(project), db, action, rev, **kw)
    from core.migrate import lint, preview, running, status

    own: dict[str, Any] = {
        "status": lambda: status.status(db),
        "lint": lambda: lint.lint(db, rev or "heads"),
        "sql": lambda: preview.sql(db, rev or "heads"),
        "upgrade": lambda: running.upgrade(db, rev or "head", **kw),
        "downgrade": lambda: running.downgrade(db, str(rev), **kw),
    }
    return own[action]()


def standing(db: Database, project: str | None = None) -> Standing | None:
    """Where `db` stands against its migrations; None when it is not a migrated database (no version table
    and no project picked), so there is nothing to say. At a revision they do not know, core refuses every
    write to `db` but a migration's from now on (status.hold_writes), until a standing says otherwise."""
    from core.migrate.status import hold_writes, is_migrated, unknown_revision_reason

    if not project and not is_migrated(db):
        hold_writes(db, None)
        return None
    if project:
        from core.migrate.project import call, find_project

        found = call(find_project(project), db, "status")
        name: str | None = find_project(project).name
    else:
        from core.migrate.status import status

        found, name = status(db, with_drift=False), None
    hold_writes(db, None if found.known else unknown_revision_reason(found.current, name))
    return Standing(found.current, found.heads, len(found.pending), found.known, name)


def load_view(db: Database, project: str | None = None) -> RunnerView:
    """Status, the pending revisions' lint and SQL preview, SQLite backups or PostgreSQL copies of `db`."""
    from core.errors import WardenError
    from core.migrate import backups, pg_copies

    found = _call(project, db, "status")
    checked = _call(project, db, "lint") if found.known else []
    text, problem = "", None
    if found.pending:
        try:
            text = _call(project, db, "sql", "heads")
        except WardenError as exc:
            problem = str(exc)
    files = backups.list_backups(db) if db.backend == "sqlite" else []
    return RunnerView(found, checked, text, problem, files, pg_copies.list_copies(db))


def lint_target(db: Database, target: str, project: str | None = None) -> list[RevisionLint]:
    """The lint of the revisions going to `target` would run (or undo)."""
    result: list[RevisionLint] = _call(project, db, "lint", target)
    return result


def preview_target(db: Database, target: str, project: str | None = None) -> str:
    """The SQL going to `target` would run."""
    return str(_call(project, db, "sql", target))


def migrate(
    db: Database, verb: str, target: str, project: str | None = None, *, state: TaskState | None = None
) -> Any:
    """Upgrade or downgrade `db` to `target` with progress; core's MigrationResult."""
    return _call(project, db, verb, target, state=state)


def restore_backup(db: Database, path: str) -> list[str]:
    """Put a backup back; the revision(s) the database is at afterwards."""
    from core.migrate.backups import restore
    from core.migrate.status import current

    restore(db, Path(path))
    return current(db)


def drop_copy(db: Database, name: str) -> str:
    """Drop one warden_backup copy; its name."""
    from core.migrate.pg_copies import drop_copy as drop

    drop(db, name)
    return name
