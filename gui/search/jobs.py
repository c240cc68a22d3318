"""What the search panel runs on workers: load the embedding model, search by text, search like a row.

Each function runs on a pool thread (gui/runtime/workers.py) and imports its core module there, so the GUI
thread never loads the model or touches the database; it gets plain data back (core/search/panel_queries.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.data.query import Filter
    from core.engine.db import Database
    from core.progress import TaskState
    from core.schema.catalog import Catalog
    from core.search.panel_queries import PanelAnswer


def load_model() -> str:
    """Load the local embedding model once per process; its name (ModelNotInstalled says how to install)."""
    from core.search.panel_queries import load_embedder

    return load_embedder()


def search(
    db: Database,
    catalog: Catalog,
    targets: Sequence[tuple[str, str | None]],
    text: str,
    *,
    mode: str,
    k: int,
    metric: str,
    filters: list[Filter],
    state: TaskState | None = None,
) -> PanelAnswer:
    """Search each target for `text` (core/search/panel_queries.py's search)."""
    from core.search.panel_queries import search as run

    return run(db, catalog, targets, text, mode=mode, k=k, metric=metric, filters=filters, state=state)


def like(
    db: Database,
    catalog: Catalog,
    entity: str,
    key: dict[str, Any],
    *,
    column: str | None,
    k: int,
    metric: str,
    filters: list[Filter],
) -> PanelAnswer:
    """The rows nearest to one row's stored vector (core/search/panel_queries.py's like)."""
    from core.search.panel_queries import like as run

    return run(db, catalog, entity, key, column=column, k=k, metric=metric, filters=filters)
