"""Loading the catalog of an open database: reference tables from the models, everything else reflected."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from core.engine.db import Database
from core.schema import catalog_cache, pg_tables, sqlite_tables
from core.schema.catalog import (
    Catalog,
    CatalogSource,
    Entity,
    entity_from_table,
    link_references,
)
from core.schema.entity_kinds import HIDDEN_TABLES
from core.schema.names import model_tables, table_names
from core.schema.reflect import reflect_entities


def load_catalog(
    db: Database,
    *,
    cached: bool = True,
    stamp: Callable[[], catalog_cache.Stamp | None] | None = None,
) -> Catalog:
    """Describe `db`: reference tables from the models, everything else by reflection.

    The catalog is cached per database while its schema is unchanged (core/schema/catalog_cache.py);
    `cached=False` reads it from the database again. `stamp` gives catalog_cache.stamp_of(db) when the
    caller asked for it already.
    """
    if not cached:
        return read_catalog(db)
    return catalog_cache.cached_catalog(db, read_catalog, stamp_given=stamp)


def _model_tables(names: set[str]) -> list[sa.Table]:
    """The reference models' Tables of `names`, in the models' order; the models (the ORM, numpy) are not
    loaded for a database with none of them (a tenth of a second of `warden inspect` on another database)."""
    if not names:
        return []
    from core.schema.models import metadata

    return [t for name, t in metadata.tables.items() if name in names]


def read_catalog(db: Database) -> Catalog:
    """Describe `db` from the database itself, without the cache."""
    with catalog_cache.collector_paused():
        return _read_catalog(db)


def _read_catalog(db: Database) -> Catalog:
    # PostgreSQL's relations are listed once per load: the names, the reflection and the placing share it.
    layout = pg_tables.read_layout(db) if db.backend == "postgresql" else None
    present = [r.entity for r in layout.entities()] if layout is not None else table_names(db)
    models = model_tables(db, present)  # same name and columns: a foreign `orders` is reflected instead
    modelled = _model_tables(models)
    entities: dict[str, Entity] = {t.name: entity_from_table(t, db.engine.dialect) for t in modelled}
    others = [n for n in present if n not in entities and n not in HIDDEN_TABLES]
    if others:
        for ent in reflect_entities(db, others, layout=layout):
            entities[ent.name] = ent
    if not others:
        source = CatalogSource.MODELS
    else:
        source = CatalogSource.REFLECTED if not modelled else CatalogSource.MIXED
    search_path: tuple[str, ...] = ()
    if layout is not None:  # every entity knows its schema; names follow the search path
        entities, search_path = pg_tables.place_modelled(entities, layout), layout.search_path
    entities = sqlite_tables.with_fulltext(db, entities)  # tables an FTS index covers: searched through it
    return Catalog(
        entities=link_references(entities), source=source, backend=db.backend, search_path=search_path
    )
