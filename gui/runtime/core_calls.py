"""Core calls the main window runs on workers, each importing its core module when it runs.

core.engine.db, core.data.overview and core.data.repository load SQLAlchemy, numpy and pgvector: about half
a second that the window would otherwise wait for before it can show. Handed to `workers.run`, these wrappers
import them on the pool thread that makes the call, so the window is up (and stays responsive) while
they load. Once loaded, a later import is a dictionary look-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.data.overview import Overview, RowCount
    from core.engine.db import Database
    from core.schema.catalog import Catalog, Entity


def open_database(target: str | Path, **options: Any) -> Database:
    """core.engine.db.open_database, imported on the calling (worker) thread."""
    from core.engine.db import open_database as open_

    return open_(target, **options)


def listed_overview(db: Database) -> Overview:
    """core.data.overview.listed_overview, imported on the calling (worker) thread."""
    from core.data.overview import listed_overview as listed

    return listed(db)


def load_overview(db: Database) -> tuple[Catalog, Overview]:
    """core.data.overview.load_overview, imported on the calling (worker) thread."""
    from core.data.overview import load_overview as load

    return load(db)


def estimate_counts(db: Database, catalog: Catalog) -> dict[str, RowCount | None]:
    """core.data.overview.estimate_counts, imported on the calling (worker) thread."""
    from core.data.overview import estimate_counts as estimate

    return estimate(db, catalog)


def exact_count(db: Database, entity: Entity) -> int:
    """core.data.repository.exact_count, imported on the calling (worker) thread."""
    from core.data.repository import exact_count as count

    return count(db, entity)
