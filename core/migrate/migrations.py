"""Alembic as an API: current, heads, history, pending, upgrade, downgrade, SQL preview, backups."""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError, RevisionError
from alembic.util import CommandError
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

import migrations as _env
from core.engine.db import Database, to_url
from core.errors import MigrationFailed, NotFoundError, ReadOnlyError, WardenError

log = logging.getLogger("warden.migrations")

VERSION_TABLE = "alembic_version"
DIALECTS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Revision:
    """One revision of the reference schema."""

    revision: str
    down_revision: tuple[str, ...]
    doc: str
    is_head: bool
    is_current: bool = False


@dataclass(frozen=True)
class MigrationResult:
    """What an upgrade or downgrade did, and where the SQLite backup went if one was made."""

    before: list[str]
    after: list[str]
    applied: list[str]  # revision ids applied (upgrade) or undone (downgrade), in order
    backup: Path | None = None


# --- configuration ----------------------------------------------------------------------------------


def alembic_config(
    connection: sa.Connection | None = None,
    *,
    url: str | None = None,
    dialect_name: str | None = None,
    output: io.StringIO | None = None,
    on_version_apply: Sequence[Callable[..., None]] = (),
) -> Config:
    """An Alembic Config built in code: no alembic.ini, script location from the installed package."""
    cfg = Config(output_buffer=output, stdout=io.StringIO())
    cfg.set_main_option("script_location", str(_env.script_location()))
    cfg.set_main_option("path_separator", "os")
    if url is not None:
        # Without a shared connection env.py opens this URL itself; ConfigParser needs % doubled.
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    # Sharing a Connection (Alembic cookbook): env.py runs on it instead of opening its own.
    cfg.attributes["connection"] = connection
    cfg.attributes["dialect_name"] = dialect_name
    cfg.attributes["on_version_apply"] = tuple(on_version_apply)
    return cfg


def script_directory() -> ScriptDirectory:
    """The revisions shipped with Warden."""
    return ScriptDirectory.from_config(alembic_config())


# --- reading ----------------------------------------------------------------------------------------


def current(db: Database) -> list[str]:
    """The revision ids the database is at; empty when it has never been migrated."""
    with db.engine.connect() as conn:
        return sorted(MigrationContext.configure(conn).get_current_heads())


def heads() -> list[str]:
    """The newest revision ids shipped with Warden."""
    return sorted(script_directory().get_heads())


def history(db: Database | None = None) -> list[Revision]:
    """Every revision, newest first; is_current is filled in when a database is given."""
    script = script_directory()
    at = set(current(db)) if db is not None else set()
    head_ids = set(script.get_heads())
    return [_revision(s, head_ids, at) for s in script.walk_revisions()]


def pending(db: Database) -> list[Revision]:
    """The revisions an upgrade to head would apply, oldest first."""
    script = script_directory()
    at = current(db)
    _check_known(script, at)
    head_ids = set(script.get_heads())
    return [_revision(step.revision, head_ids, set(at)) for step in _steps(script, "upgrade", "heads", at)]


def is_reference_schema(db: Database) -> bool:
    """True when the database carries an alembic_version row naming a revision Warden knows."""
    if not sa.inspect(db.engine).has_table(VERSION_TABLE):
        return False
    at = current(db)
    known = {s.revision for s in script_directory().walk_revisions()}
    return bool(at) and all(rev in known for rev in at)


def drift(db: Database) -> list[str]:
    """Differences between the database and the reference models, as Alembic autogenerate sees them."""
    with db.engine.connect() as conn:
        skipped = _env.sqlite_virtual_tables(conn) if db.backend == "sqlite" else set()
        ctx = MigrationContext.configure(conn, opts=_env.context_options(db.backend, skipped))
        return [_describe(diff) for diff in compare_metadata(ctx, ctx.opts["target_metadata"])]


def _describe(diff: Any) -> str:
    """One line per autogenerate difference (they come as tuples, or lists of tuples for columns)."""
    first = diff[0] if isinstance(diff, list) else diff
    return f"{first[0]}: " + ", ".join(str(part) for part in first[1:] if part is not None)


def _revision(script: Any, head_ids: set[str], at: set[str]) -> Revision:
    down = script.down_revision
    downs = tuple(down) if isinstance(down, list | tuple) else ((down,) if down else ())
    return Revision(
        revision=script.revision,
        down_revision=downs,
        doc=(script.doc or "").strip(),
        is_head=script.revision in head_ids,
        is_current=script.revision in at,
    )


# --- changing ---------------------------------------------------------------------------------------


def upgrade(db: Database, revision: str = "head", *, backup_dir: Path | None = None) -> MigrationResult:
    """Apply revisions up to `revision`, one transaction each; SQLite files are backed up first."""
    return _migrate(db, "upgrade", revision, backup_dir)


def downgrade(db: Database, revision: str, *, backup_dir: Path | None = None) -> MigrationResult:
    """Undo revisions down to `revision` ("base" drops the schema); SQLite files are backed up first."""
    return _migrate(db, "downgrade", revision, backup_dir)


def ensure_schema(db: Database, *, backup_dir: Path | None = None) -> MigrationResult:
    """Bring a database to the newest reference schema: create it when empty, else upgrade it."""
    if not _has_tables(db) or sa.inspect(db.engine).has_table(VERSION_TABLE):
        return upgrade(db, "head", backup_dir=backup_dir)
    if not drift(db):
        # Made by create_all (tests, older demos): identical to head, so record that instead of recreating.
        db.allow_writes()
        with db.engine.connect() as conn:
            command.stamp(alembic_config(conn), "head")
            conn.commit()
        log.info("stamped %s at head: its tables already match the reference schema", db.display_url)
        return MigrationResult(before=[], after=current(db), applied=[])
    raise MigrationFailed(
        f"{db.display_url} already has tables that are not Warden's reference schema; "
        "open it as it is, or pick an empty database for the reference schema."
    )


def _migrate(db: Database, verb: str, revision: str, backup_dir: Path | None) -> MigrationResult:
    if db.capabilities.read_only:
        raise ReadOnlyError(f"{db.display_url} is open read-only; reopen it writable to migrate it.")
    script = script_directory()
    before = current(db)
    _check_known(script, before)
    plan = _plan(script, verb, revision, before)
    if not plan:
        return MigrationResult(before=before, after=before, applied=[])
    db.allow_writes()  # a file read-only until the first write becomes writable here
    backup = backup_sqlite(db, backup_dir) if _worth_backing_up(db) else None
    done: list[str] = []

    def _record(*, step: Any, **_kw: Any) -> None:
        done.append(step.up_revision_id)
        log.info("%s %s done on %s", verb, step.up_revision_id, db.display_url)

    with db.engine.connect() as conn:
        cfg = alembic_config(conn, on_version_apply=[_record])
        try:
            getattr(command, verb)(cfg, revision)
            conn.commit()
        except Exception as exc:
            conn.rollback()
            log.exception("%s of %s failed", verb, db.display_url)
            failed = plan[min(len(done), len(plan) - 1)]
            raise MigrationFailed(_failure(db, verb, failed, exc, backup)) from exc
    if verb == "upgrade":
        _refresh_vector_capability(db)
    return MigrationResult(before=before, after=current(db), applied=done, backup=backup)


def _plan(script: ScriptDirectory, verb: str, revision: str, before: list[str]) -> list[str]:
    """Revision ids the command would apply or undo, in order; unknown targets raise NotFoundError."""
    try:
        steps = _steps(script, verb, revision, before)
    except (CommandError, RevisionError) as exc:
        if isinstance(exc, ResolutionError) or "Can't locate" in str(exc):
            raise _unknown(revision) from None
        where = ", ".join(before) or "no revision"
        raise MigrationFailed(f"Cannot {verb} to {revision!r} from {where}: {exc}") from None
    return [step.revision.revision for step in steps]


def _unknown(revision: str) -> NotFoundError:
    return NotFoundError(f"Unknown revision {revision!r}: run `warden migrate history` to list them")


def _resolve(script: ScriptDirectory, revision: str) -> str | None:
    """The full id of a revision given by id, prefix or head/base; unknown ones raise NotFoundError."""
    try:
        found = script.get_revisions(revision)
    except (CommandError, RevisionError):
        raise _unknown(revision) from None
    return getattr(found[0], "revision", None) if found else None


def _steps(script: ScriptDirectory, verb: str, revision: str, before: list[str]) -> list[Any]:
    """Alembic's own plan for the command: the very steps command.upgrade/downgrade will run."""
    # Alembic passes the tuple of current heads here itself; its annotations say str.
    heads_now: Any = tuple(before)
    if verb == "upgrade":
        return list(script._upgrade_revs(revision, heads_now))
    return list(script._downgrade_revs(revision, heads_now or None))


def _check_known(script: ScriptDirectory, at: list[str]) -> None:
    """A database stamped by a newer Warden cannot be migrated by this one."""
    for rev in at:
        try:
            script.get_revision(rev)
        except (CommandError, RevisionError):
            raise NotFoundError(
                f"The database is at revision {rev!r}, which this Warden does not know; "
                "it was migrated by a newer version."
            ) from None


def _failure(db: Database, verb: str, failed: str, exc: BaseException, backup: Path | None) -> str:
    """One line: which revision, what went wrong, what state the database is in."""
    problem = _one_line(exc)
    doc = (script_directory().get_revision(failed).doc or "").strip().splitlines()
    name = f"{failed} ({doc[0].rstrip('.')})" if doc else failed
    try:
        at = ", ".join(current(db)) or "no revision"
    except (DBAPIError, WardenError):  # e.g. the lock that failed the migration (DatabaseBusy)
        at = "an unknown revision"
    text = (
        f"{verb.capitalize()} of revision {name} failed: {problem}. "
        f"It was rolled back; the database is at {at}."
    )
    if backup is not None:
        text += f" A copy from before the {verb} is at {backup}."
    return text


def _one_line(exc: BaseException) -> str:
    """The underlying problem, driver messages first, in one line."""
    inner = exc.orig if isinstance(exc, DBAPIError) else exc
    text = str(inner).strip().splitlines()
    return text[0].rstrip(".") if text else type(inner).__name__


# --- backups ----------------------------------------------------------------------------------------


def backup_sqlite(db: Database, directory: Path | None = None) -> Path:
    """Copy a SQLite file with the online backup API to "<name>.backup-<timestamp>.db"; returns its path."""
    source = Path(db.url.database or "")
    if db.backend != "sqlite" or not source.name or source.name == ":memory:":
        raise ValueError(f"only SQLite files can be backed up, not {db.display_url}")
    folder = Path(directory) if directory is not None else source.parent
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = folder / f"{source.stem}.backup-{stamp}.db"
    n = 1
    while target.exists():  # two migrations within a second must not overwrite each other's backup
        n += 1
        target = folder / f"{source.stem}.backup-{stamp}-{n}.db"
    raw = db.engine.raw_connection()
    try:
        copy = db.engine.dialect.dbapi.connect(str(target))  # type: ignore[union-attr]
        try:
            raw.driver_connection.backup(copy)  # type: ignore[union-attr]
        finally:
            copy.close()
    finally:
        raw.close()
    log.info("backed up %s to %s", source, target)
    return target


def _worth_backing_up(db: Database) -> bool:
    """A SQLite file with something in it; an empty new file has nothing to lose."""
    name = db.url.database or ""
    return db.backend == "sqlite" and name not in ("", ":memory:") and _has_tables(db)


def _has_tables(db: Database) -> bool:
    return bool(sa.inspect(db.engine).get_table_names())


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


# --- SQL preview ------------------------------------------------------------------------------------


def sql(target: Database | URL | str, revision: str = "head", from_revision: str | None = None) -> str:
    """The SQL an upgrade (or downgrade) would run, for the target's dialect, without touching it."""
    if isinstance(target, Database):
        dialect = target.backend
        if from_revision is None:
            from_revision = ",".join(current(target)) or None
    elif isinstance(target, str) and target in DIALECTS:
        dialect = target
    elif isinstance(target, URL):
        dialect = target.get_backend_name()
    else:
        dialect = to_url(target).get_backend_name()
    script = script_directory()
    _resolve(script, revision)
    down = from_revision is not None and _is_below(script, revision, from_revision)
    out = io.StringIO()
    cfg = alembic_config(dialect_name=dialect, output=out)
    if down:
        command.downgrade(cfg, f"{from_revision}:{revision}", sql=True)
    else:
        command.upgrade(cfg, f"{from_revision}:{revision}" if from_revision else revision, sql=True)
    return out.getvalue()


def _is_below(script: ScriptDirectory, revision: str, start: str) -> bool:
    """True when `revision` is `start` itself or older: previewing it means a downgrade."""
    if revision == "base":
        return True
    target = _resolve(script, revision)
    return target in {s.revision for s in script.iterate_revisions(start, "base")}
