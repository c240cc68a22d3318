"""SQL preview: what an upgrade or a downgrade over any range would run, from Alembic's offline mode,
for the target's dialect, without touching the database."""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from sqlalchemy.engine import URL

from core.engine.db import Database, to_url
from core.errors import MigrationFailed
from core.migrate.scripts import DIALECTS, alembic_config, is_below, resolve, script_directory
from core.migrate.status import current


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
    if down:
        command.downgrade(cfg, f"{from_revision}:{revision}", sql=True)
    else:
        command.upgrade(cfg, f"{from_revision}:{revision}" if from_revision else revision, sql=True)
    return out.getvalue()


def save(text: str, path: Path) -> Path:
    """Write a preview to a file (UTF-8); returns the path."""
    path.write_text(text, encoding="utf-8")
    return path
