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
    from core.search.stale import StaleCount
    from gui.search.providers import ProviderChoice


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
    provider: ProviderChoice | None = None,
    state: TaskState | None = None,
) -> PanelAnswer:
    """Search each target for `text` (core/search/panel_queries.py's search), the query embedded by
    `provider` (the targets' own; None: the local model)."""
    from core.search.panel_queries import search as run

    embedder = None
    if provider is not None and mode != "keyword" and targets:
        from core.search.targets import vector_of
        from gui.search.providers import make_embedder

        entity, column = targets[0]
        embedder = make_embedder(provider, vector_of(catalog.get(entity), column).dimension)
    return run(
        db, catalog, targets, text, mode=mode, k=k, metric=metric, filters=filters, state=state,
        query_embedder=embedder,
    )  # fmt: skip


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


def count_stale(
    db: Database, catalog: Catalog, targets: Sequence[tuple[str, str | None]], models: Sequence[str]
) -> list[StaleCount]:
    """Each target's rows without a vector or changed since embedded by its model (one query each)."""
    from core.search.stale import count_stale as count

    return [count(db, catalog, e, c, model=m) for (e, c), m in zip(targets, models, strict=True)]


def reembed_stale(
    db: Database,
    catalog: Catalog,
    targets: Sequence[tuple[str, str]],
    providers: Sequence[ProviderChoice],
    *,
    batch_rows: int | None = None,
    state: TaskState | None = None,
    every_row: bool = False,
) -> int:
    """Re-embed the stale rows (`every_row`: all rows) of each target with its provider, in batches with one
    progress over all of them (a cancel keeps the finished batches); the rows written."""
    from core.data.audit_trail import Auditing
    from core.search.reembed import BATCH_ROWS, TaskShare, embed_rows
    from core.search.stale import count_stale as count
    from core.search.targets import vector_of
    from gui.search.providers import make_embedder

    todo = []
    for (entity, column), provider in zip(targets, providers, strict=True):
        c = count(db, catalog, entity, column, model=provider.model_name)
        n = c.total if every_row else c.stale
        if n:
            todo.append((entity, column, provider, n))
    total = sum(n for *_, n in todo)
    done = written = 0
    for entity, column, provider, n in todo:
        if state is not None:
            state.check()
        embedder = make_embedder(provider, vector_of(catalog.get(entity), column).dimension)
        part = TaskShare(state, done, total) if state is not None else None
        result = embed_rows(
            db, catalog, entity, embedder, column_name=column, which="all" if every_row else "stale",
            state=part, batch_rows=batch_rows or BATCH_ROWS,
            auditing=Auditing(reason="re-embedding all rows" if every_row else "re-embedding stale rows"),
        )  # fmt: skip
        written += result.written
        done += n
    return written
