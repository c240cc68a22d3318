"""Where a database stands: its current revision(s), the script heads, what is pending, the history graph;
and the hold on writes to a database at a revision its scripts do not know (a newer Warden or another app
migrated it): every write but a migration's is refused with the reason (Database.write_guard), in the CLI
and in the GUI alike. A database without a version table (reflected, foreign) is never held."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from alembic.migration import MigrationContext

from core.engine.db import Database
from core.errors import ReadOnlyError
from core.migrate import drift as _drift
from core.migrate.scripts import (
    VERSION_TABLE,
    Revision,
    check_known,
    down_revisions,
    script_directory,
    steps,
    to_revision,
)


@dataclass(frozen=True)
class GraphNode:
    """One revision in the history graph: parents, whether it branches or merges, whether it is applied."""

    revision: str
    down_revisions: tuple[str, ...]
    message: str
    is_head: bool
    is_branch_point: bool
    is_merge: bool
    applied: bool
    is_current: bool


@dataclass(frozen=True)
class Status:
    """The three-way comparison: database revision(s), script heads, pending revisions, graph and drift."""

    current: list[str]
    heads: list[str]
    pending: list[Revision]
    graph: list[GraphNode]
    drift: list[_drift.DriftItem] | None = None  # None: not compared (external scripts without metadata)
    known: bool = True  # False: the database is at a revision the scripts do not have
    notes: list[str] = field(default_factory=list)

    @property
    def at_head(self) -> bool:
        """True when nothing is pending."""
        return self.known and not self.pending and sorted(self.current) == sorted(self.heads)


def current(db: Database) -> list[str]:
    """The revision ids the database is at; empty when it has never been migrated."""
    with db.engine.connect() as conn:
        return sorted(MigrationContext.configure(conn).get_current_heads())


def heads(*, scripts: Path | None = None) -> list[str]:
    """The newest revision ids of the scripts (default: shipped with Warden)."""
    return sorted(script_directory(scripts).get_heads())


def history(db: Database | None = None, *, scripts: Path | None = None) -> list[Revision]:
    """Every revision, newest first; is_current is filled in when a database is given."""
    script = script_directory(scripts)
    at = set(current(db)) if db is not None else set()
    head_ids = set(script.get_heads())
    return [to_revision(s, head_ids, at) for s in script.walk_revisions()]


def pending(db: Database, *, scripts: Path | None = None) -> list[Revision]:
    """The revisions an upgrade to all heads would apply, oldest first."""
    script = script_directory(scripts)
    at = current(db)
    check_known(script, at)
    head_ids = set(script.get_heads())
    return [to_revision(s.revision, head_ids, set(at)) for s in steps(script, "upgrade", "heads", at)]


def graph(db: Database | None = None, *, scripts: Path | None = None) -> list[GraphNode]:
    """The history as a graph, newest first: applied revisions are the current ones and their ancestors."""
    script = script_directory(scripts)
    at = current(db) if db is not None else []
    applied: set[str] = set()
    for rev in at:
        try:
            applied |= {r.revision for r in script.iterate_revisions(rev, "base")}
        except Exception:  # a revision the scripts do not know: nothing below it can be placed
            continue
    head_ids = set(script.get_heads())
    return [
        GraphNode(
            revision=s.revision,
            down_revisions=down_revisions(s),
            message=(s.doc or "").strip(),
            is_head=s.revision in head_ids,
            is_branch_point=bool(s.is_branch_point),
            is_merge=bool(s.is_merge_point),
            applied=s.revision in applied,
            is_current=s.revision in at,
        )
        for s in script.walk_revisions()
    ]


def is_migrated(db: Database) -> bool:
    """Whether the database has Alembic's version table (some project's migrations have run on it)."""
    return sa.inspect(db.engine).has_table(VERSION_TABLE)


def is_reference_schema(db: Database) -> bool:
    """True when the database carries an alembic_version row naming a revision Warden knows."""
    if not sa.inspect(db.engine).has_table(VERSION_TABLE):
        return False
    at = current(db)
    return bool(at) and not _unknown(at)


def status(
    db: Database, *, scripts: Path | None = None, with_drift: bool = True, metadata: sa.MetaData | None = None
) -> Status:
    """Current revision(s), heads, pending (message and docstring), the graph and drift between the live
    database and the models (Warden's own scripts) or `metadata` (an external project's, when given)."""
    script = script_directory(scripts)
    at = current(db)
    known_ids = {s.revision for s in script.walk_revisions()}
    known = all(rev in known_ids for rev in at)
    notes = []
    pend: list[Revision] = []
    if known:
        pend = pending(db, scripts=scripts)
    else:
        notes.append("The database is at a revision these scripts do not know; it was migrated elsewhere.")
    compared = scripts is None or metadata is not None
    found = _drift.drift_report(db, metadata) if with_drift and compared else None
    return Status(
        current=at,
        heads=sorted(script.get_heads()),
        pending=pend,
        graph=graph(db, scripts=scripts),
        drift=found,
        known=known,
        notes=notes,
    )


def unknown_revisions(db: Database, *, scripts: Path | None = None) -> list[str]:
    """The revisions `db` stands at that the scripts do not know; empty when all are known or it was never
    migrated (no version table: a reflected database)."""
    return _unknown(current(db), scripts) if is_migrated(db) else []


def _unknown(at: list[str], scripts: Path | None = None) -> list[str]:
    """Those of the revisions `at` that the scripts do not know (none for an empty `at`: nothing is read)."""
    if not at:
        return []
    known = {s.revision for s in script_directory(scripts).walk_revisions()}
    return [rev for rev in at if rev not in known]


def unknown_revision_reason(at: list[str], project: str | None = None) -> str:
    """Why writes to a database at revisions `at`, unknown to Warden's migrations (or `project`'s), are
    refused, and what to do."""
    where = f"the project {project}" if project else "Warden's migrations"
    return (
        f"Read-only: this database is at revision {', '.join(at)}, which {where} do not know (a newer "
        "Warden or another app migrated it). Migrate it with the project that knows that revision to edit it."
    )


def hold_writes(db: Database, reason: str | None) -> None:
    """Refuse every write to `db` but a migration's with ReadOnlyError(`reason`); None lifts the hold."""
    db.write_guard = None if reason is None else functools.partial(_refuse, reason)


def _refuse(reason: str) -> None:
    raise ReadOnlyError(reason)


def check_writes(db: Database, *, scripts: Path | None = None, project: str | None = None) -> None:
    """Hold writes to `db` when it stands at a revision the scripts (or the external project whose alembic.ini
    is `project`) do not know, raising ReadOnlyError then; else lift any hold. A write's first check
    (core/migrate/first_write.py): reading the scripts costs a moment a read need not pay."""
    if project is not None:
        from core.migrate.project import call, find_project  # above this module: asked for only here

        found = find_project(project)
        standing: Status = call(found, db, "status")
        reason = None if standing.known else unknown_revision_reason(standing.current, found.name)
    else:
        at = current(db) if is_migrated(db) else []
        reason = unknown_revision_reason(at) if _unknown(at, scripts) else None
    hold_writes(db, reason)
    if reason is not None:
        raise ReadOnlyError(reason)
