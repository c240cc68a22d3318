"""What the schema view runs on workers: build the ER model from the catalog in memory, and lay out views.

Nothing here queries the database (the catalog is already loaded); layouts still run off the GUI thread,
since a big schema's clusters take a moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from core.graph import er_layout
from core.graph.er import ErModel, Mode, er_model

if TYPE_CHECKING:
    from core.schema.catalog import Catalog


def open_schema(
    catalog: Catalog, mode: Mode, request: tuple[Any, ...] = ("overview", None)
) -> tuple[ErModel, er_layout.ErDiagram, tuple[Any, ...]]:
    """The catalog's ER model and the view `request` names in it (after a schema change: the view shown
    before, on today's tables), or its overview when the tables of that view are gone; the request shown."""
    model = er_model(catalog)
    kind, *args = request
    if kind == "around" and args[0] in model.tables:
        return model, around(model, args[0], args[1], mode), request
    if kind == "path" and args[0] in model.tables and args[1] in model.tables:
        return model, path(model, args[0], args[1], mode), request
    members = [m for m in args[0] if m in model.tables] if kind == "overview" and args[0] else None
    shown: tuple[Any, ...] = ("overview", tuple(members) if members else None)
    return model, er_layout.overview(model, mode, shown[1]), shown


def overview(model: ErModel, members: Sequence[str] | None, mode: Mode) -> er_layout.ErDiagram:
    """The whole schema, or one cluster's tables."""
    return er_layout.overview(model, mode, members)


def around(model: ErModel, table: str, hops: int, mode: Mode) -> er_layout.ErDiagram:
    """A table and the tables up to `hops` FKs away."""
    return er_layout.around(model, table, hops, mode)


def path(model: ErModel, start: str, end: str, mode: Mode) -> er_layout.ErDiagram:
    """The shortest FK path between two tables."""
    return er_layout.path(model, start, end, mode)
