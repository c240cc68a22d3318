"""Alembic as an API, in one place for callers: the functions live in the modules named for what they do
(scripts, status, drift, preview, lint, backups, running); this module keeps the names callers import."""

from __future__ import annotations

from pathlib import Path

from core.engine.db import Database
from core.migrate import backups
from core.migrate.drift import DriftItem, drift, drift_report
from core.migrate.preview import sql
from core.migrate.running import MigrationResult, downgrade, ensure_schema, upgrade
from core.migrate.scripts import (
    DIALECTS,
    VERSION_TABLE,
    MultipleHeads,
    Revision,
    alembic_config,
    script_directory,
)
from core.migrate.status import (
    GraphNode,
    Status,
    current,
    graph,
    heads,
    history,
    is_reference_schema,
    pending,
    status,
)


def backup_sqlite(db: Database, directory: Path | None = None) -> Path:
    """Copy a SQLite file with the online backup API, check it and keep it; returns its path."""
    return backups.take(db, directory)


__all__ = [
    "DIALECTS",
    "VERSION_TABLE",
    "DriftItem",
    "GraphNode",
    "MigrationResult",
    "MultipleHeads",
    "Revision",
    "Status",
    "alembic_config",
    "backup_sqlite",
    "current",
    "downgrade",
    "drift",
    "drift_report",
    "ensure_schema",
    "graph",
    "heads",
    "history",
    "is_reference_schema",
    "pending",
    "script_directory",
    "sql",
    "status",
    "upgrade",
]
