"""Which vector columns a catalog holds: the search targets, for the panel's picker and the CLI's --column."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import NotFoundError
from core.schema.catalog import Catalog, Entity, VectorInfo, VectorStorage


@dataclass(frozen=True)
class VectorTarget:
    """One vector column of one entity that k-NN can search."""

    entity: str
    column: str
    dimension: int
    storage: VectorStorage
    metric: str  # the column's own metric (a vec0 table's distance_metric; cosine elsewhere)


def vector_targets(catalog: Catalog) -> list[VectorTarget]:
    """Every searchable vector column, in the navigator's entity order."""
    return [
        VectorTarget(ent.name, v.column, v.dimension, v.storage, v.metric)
        for ent in catalog.ordered()
        if ent.primary_key
        for v in ent.vectors
    ]


def vector_of(entity: Entity, column: str | None = None) -> VectorInfo:
    """The entity's vector column named `column`, or its only (or first) one; NotFoundError when none."""
    if not entity.vectors:
        raise NotFoundError(f"{entity.name} has no vector column to search")
    if column is None:
        return entity.vectors[0]
    for v in entity.vectors:
        if v.column == column:
            return v
    names = ", ".join(v.column for v in entity.vectors)
    raise NotFoundError(f"{entity.name}.{column} is not a vector column. Vector columns: {names}")
