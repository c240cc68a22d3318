"""What the migration runner asks of core, as functions a worker runs (gui/runtime/workers.py): each
imports core on the worker thread and returns plain data."""

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


def load_view(db: Database) -> RunnerView:
    """Status, the pending revisions' lint and SQL preview, SQLite backups or PostgreSQL copies of `db`."""
    from core.errors import WardenError
    from core.migrate import backups, pg_copies
    from core.migrate.lint import lint
    from core.migrate.preview import sql
    from core.migrate.status import status

    found = status(db)
    checked = lint(db) if found.known else []
    text, problem = "", None
    if found.pending:
        try:
            text = sql(db, "heads")
        except WardenError as exc:
            problem = str(exc)
    files = backups.list_backups(db) if db.backend == "sqlite" else []
    return RunnerView(found, checked, text, problem, files, pg_copies.list_copies(db))


def lint_target(db: Database, target: str) -> list[RevisionLint]:
    """The lint of the revisions going to `target` would run (or undo)."""
    from core.migrate.lint import lint

    return lint(db, target)


def preview_target(db: Database, target: str) -> str:
    """The SQL going to `target` would run."""
    from core.migrate.preview import sql

    return sql(db, target)


def migrate(db: Database, verb: str, target: str, *, state: TaskState | None = None) -> Any:
    """Upgrade or downgrade `db` to `target` with progress; core's MigrationResult."""
    from core.migrate.running import downgrade, upgrade

    run = upgrade if verb == "upgrade" else downgrade
    return run(db, target, state=state)


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
