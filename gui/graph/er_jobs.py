"""What the schema view runs on workers: build the ER model from the catalog in memory, and lay out views.

Nothing here queries the database (the catalog is already loaded); layouts still run off the GUI thread,
since a big schema's clusters take a moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.graph import er_layout
from core.graph.er import ErModel, Mode, er_model

if TYPE_CHECKING:
    from core.schema.catalog import Catalog


def open_schema(catalog: Catalog, mode: Mode) -> tuple[ErModel, er_layout.ErDiagram]:
    """The catalog's ER model and its overview (the whole schema, or its clusters)."""
    model = er_model(catalog)
    return model, er_layout.overview(model, mode)


def overview(model: ErModel, members: Sequence[str] | None, mode: Mode) -> er_layout.ErDiagram:
    """The whole schema, or one cluster's tables."""
    return er_layout.overview(model, mode, members)


def around(model: ErModel, table: str, hops: int, mode: Mode) -> er_layout.ErDiagram:
    """A table and the tables up to `hops` FKs away."""
    return er_layout.around(model, table, hops, mode)


def path(model: ErModel, start: str, end: str, mode: Mode) -> er_layout.ErDiagram:
    """The shortest FK path between two tables."""
    return er_layout.path(model, start, end, mode)
