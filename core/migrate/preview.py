"""SQL preview: what an upgrade or a downgrade over any range would run, from Alembic's offline mode,
for the target's dialect, without touching the database."""

from __future__ import annotations

import io
import re
from pathlib import Path

from alembic import command
from alembic.util import CommandError
from sqlalchemy.engine import URL

from core.engine.db import Database, to_url
from core.errors import MigrationFailed, WardenError
from core.migrate.scripts import DIALECTS, alembic_config, is_below, resolve, script_directory
from core.migrate.status import current

#: Alembic's comment before each revision's SQL: "-- Running upgrade a -> b" (b: the revision it runs).
RUNNING = re.compile(r"^-- Running (upgrade|downgrade)\s+(\S*)\s*->\s*(\S*)", re.M)


def sql(
    target: Database | URL | str,
    revision: str = "head",
    from_revision: str | None = None,
    *,
    scripts: Path | None = None,
) -> str:
    """The SQL going from `from_revision` (a database: its current revision) to `revision`; either
    direction. `revision` may also be a range "FROM:TO" (e.g. "base:head", "head:4c1d2e7a9b30")."""
    if ":" in revision:
        from_revision, revision = (part or None for part in revision.split(":", 1))  # type: ignore[assignment]
        revision = revision or "head"
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
    script = script_directory(scripts)
    resolve(script, revision)
    if from_revision == "base":
        from_revision = None
    if from_revision is not None:
        resolve(script, from_revision.split(",")[0])
    down = from_revision is not None and is_below(script, revision, from_revision)
    if from_revision is None and revision == "base":
        raise MigrationFailed("A downgrade preview needs the revision to start from (FROM:base).")
    out = io.StringIO()
    cfg = alembic_config(dialect_name=dialect, output=out, scripts=scripts)
    try:
        if down:
            command.downgrade(cfg, f"{from_revision}:{revision}", sql=True)
        else:
            command.upgrade(cfg, f"{from_revision}:{revision}" if from_revision else revision, sql=True)
    except WardenError:
        raise
    except Exception as exc:  # the revision's own code failed, or needs a live database (batch on SQLite)
        raise MigrationFailed(_stopped(out.getvalue(), dialect, exc)) from exc
    return out.getvalue()


def _stopped(text: str, dialect: str, exc: BaseException) -> str:
    """Which revision the preview stopped at, and why, in one line."""
    running = RUNNING.findall(text)
    if running:  # an upgrade runs the revision after the arrow, a downgrade undoes the one before it
        verb, below, above = running[-1]
        where = f" at revision {above if verb == 'upgrade' else below}"
    else:
        where = ""
    if isinstance(exc, CommandError) and "batch" in str(exc):
        why = (
            "it rebuilds a table (Alembic batch mode), which needs the live table, so its SQL "
            f"cannot be written ahead on {dialect}"
        )
    else:
        lines = str(exc).strip().splitlines()
        why = lines[0].rstrip(".") if lines else type(exc).__name__
    return f"The SQL preview stopped{where}: {why}."


def save(text: str, path: Path) -> Path:
    """Write a preview to a file (UTF-8); returns the path."""
    path.write_text(text, encoding="utf-8")
    return path
