"""The entities of a database by name, group and kind only: what the navigator lists before the catalog
(columns, keys, links) is read.

A listing takes a few catalog queries whatever the size of the schema, so a database of thousands of tables
shows its navigator at once; the full catalog (core/schema/load.py) follows. It names entities exactly as
the catalog will, in the same order.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.schema import pg_tables, sqlite_tables
from core.schema.entity_kinds import (
    GROUP_ORDER,
    HIDDEN_TABLES,
    REFERENCE_TABLES,
    CatalogSource,
    EntityKind,
)
from core.schema.names import VEC0_READ_ONLY, model_tables, table_names, vec0_tables

if TYPE_CHECKING:
    import sqlalchemy as sa

    from core.engine.db import Database


@dataclass(frozen=True)
class ListedEntity:
    """One entity as the navigator lists it."""

    name: str
    group: str
    kind: EntityKind
    schema: str | None = None
    partitions: tuple[str, ...] = ()
    read_only_reason: str | None = None  # known without the catalog (views, virtual tables), else None


@dataclass(frozen=True)
class Listing:
    """Every entity of a database, in navigator order, and what the catalog will say of them all."""

    entities: tuple[ListedEntity, ...]
    source: CatalogSource
    search_path: tuple[str, ...] = ()


def list_entities(db: Database) -> Listing:
    """List the database's entities (a few catalog queries; no columns are read)."""
    if db.backend == "postgresql":
        listed, search_path = _postgresql(db)
    else:
        listed, search_path = _sqlite(db), ()
    listed = [e for e in listed if e.name not in HIDDEN_TABLES]
    models = model_tables(db, [e.name for e in listed])  # as the catalog decides (core/schema/load.py)
    listed = [e if e.name in models else _foreign(e) for e in listed]
    modelled = sum(1 for e in listed if e.name in models)
    if modelled == len(listed):
        source = CatalogSource.MODELS
    else:
        source = CatalogSource.REFLECTED if not modelled else CatalogSource.MIXED
    rank = {g: i for i, g in enumerate(GROUP_ORDER)}
    listed.sort(key=lambda e: (rank.get(e.group, len(rank)), e.name))
    return Listing(tuple(listed), source, search_path)


def _foreign(e: ListedEntity) -> ListedEntity:
    """A table that only shares its name with one of the models: no group or reason of theirs."""
    if e.name not in REFERENCE_TABLES:
        return e
    reason = None if e.kind == EntityKind.TABLE else e.read_only_reason
    return dataclasses.replace(e, group="Other", read_only_reason=reason)


def _model_table(name: str) -> sa.Table | None:
    """The reference models' table of that name; the models load only for a name of theirs, so a foreign
    database is listed without them."""
    if name not in REFERENCE_TABLES:
        return None
    from core.schema.models import metadata

    return metadata.tables.get(name)


def _group(name: str) -> str:
    table = _model_table(name)
    return str(table.info.get("group", "Other")) if table is not None else "Other"


def _model_reason(name: str) -> str | None:
    """Why a table of the reference models is read-only (its table info says), as the catalog says it."""
    table = _model_table(name)
    reason: Any = table.info.get("read_only") if table is not None else None
    return str(reason) if reason else None


def _sqlite(db: Database) -> list[ListedEntity]:
    with db.engine.connect() as conn:
        views = {
            n for (n,) in conn.exec_driver_sql("SELECT name FROM main.sqlite_master WHERE type = 'view'")
        }
    vec0 = vec0_tables(db)
    virtual = sqlite_tables.virtual_tables(db)
    out = []
    for name in table_names(db):
        reason: str | None
        if name in vec0:
            kind, reason = EntityKind.VEC0, VEC0_READ_ONLY
        elif name in virtual:
            vt = virtual[name]
            fts = vt.module in sqlite_tables.FULLTEXT_MODULES
            kind, reason = (EntityKind.FTS if fts else EntityKind.VIRTUAL), sqlite_tables.read_only_reason(vt)
        elif name in views:
            kind, reason = EntityKind.VIEW, "it is a view"
        else:
            kind, reason = EntityKind.TABLE, _model_reason(name)
        out.append(ListedEntity(name, _group(name), kind, read_only_reason=reason))
    return out


def _postgresql(db: Database) -> tuple[list[ListedEntity], tuple[str, ...]]:
    layout = pg_tables.read_layout(db)
    out = [
        ListedEntity(
            r.entity,
            _group(r.entity),
            r.kind,
            schema=r.schema,
            partitions=layout.partitions_of(r),
            read_only_reason=pg_tables.READ_ONLY_REASONS.get(r.kind) or _model_reason(r.entity),
        )
        for r in layout.entities()
    ]
    return out, layout.search_path
