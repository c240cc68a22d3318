"""A plain summary of an open database for the main window: where it is, what it can do, what it holds."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError

from core import redact
from core.engine.db import Database
from core.schema.listing import ListedEntity, list_entities

if TYPE_CHECKING:  # the listing needs neither: it comes first, without the catalog's imports (numpy, models)
    from core.schema.catalog import Catalog, Entity

log = logging.getLogger("warden.overview")


@dataclass(frozen=True)
class Overview:
    """What the main window shows about a database; plain data, safe to hand to another thread."""

    display_url: str
    backend: str
    capabilities: dict[str, Any]
    tables: list[tuple[str, str]]  # (navigator group, entity name), in navigator order
    read_only_reasons: dict[str, str] = field(default_factory=dict)  # entity name → why it is read-only
    source: str = "models"  # "models" | "reflected" | "mixed"
    title: str = ""  # short name for the window title: the file name, or "db on host"
    kinds: dict[str, str] = field(default_factory=dict)  # entity name → EntityKind value (table, view…)
    schemas: dict[str, str] = field(default_factory=dict)  # entity name → PostgreSQL schema
    partitions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # partitioned table → its partitions
    search_path: tuple[str, ...] = ()  # PostgreSQL's schemas on the search path, in order


def short_title(db: Database) -> str:
    """'game.db' for a SQLite file, 'game on db.example.com' for PostgreSQL."""
    if db.backend == "sqlite":
        return Path(db.url.database or ":memory:").name
    where = db.url.host or str(db.url.query.get("host") or "localhost")
    return f"{db.url.database} on {where}"


def describe(db: Database, catalog: Catalog | None = None) -> Overview:
    """Summarise `db`: its location, capabilities and entities grouped for the navigator."""
    from core.schema.load import load_catalog

    catalog = catalog if catalog is not None else load_catalog(db)
    return _overview(db, catalog.ordered(), catalog.source, catalog.search_path)


def listed_overview(db: Database) -> Overview:
    """The summary of `db` from a listing of its entities (core/schema/listing.py): the navigator's names
    in a few queries, before the catalog is read."""
    listing = list_entities(db)
    return _overview(db, listing.entities, listing.source, listing.search_path)


def _overview(
    db: Database, entities: Sequence[Entity | ListedEntity], source: str, search_path: tuple[str, ...]
) -> Overview:
    """The Overview of entities in navigator order (catalog entities or listed ones: the same fields)."""
    return Overview(
        display_url=db.display_url,
        backend=db.backend,
        capabilities=db.capabilities.as_dict(),
        tables=[(e.group, e.name) for e in entities],
        read_only_reasons={e.name: e.read_only_reason for e in entities if e.read_only_reason},
        source=source,
        title=short_title(db),
        kinds={e.name: str(e.kind) for e in entities},
        schemas={e.name: e.schema for e in entities if e.schema},
        partitions={e.name: e.partitions for e in entities if e.partitions},
        search_path=search_path,
    )


def load_overview(db: Database) -> tuple[Catalog, Overview]:
    """The catalog of `db` (loaded once) and the summary built from it."""
    from core.schema.load import load_catalog

    catalog = load_catalog(db)
    return catalog, describe(db, catalog)


@dataclass(frozen=True)
class RowCount:
    """A row count and whether it is exact (small tables are counted, big ones estimated)."""

    rows: int
    exact: bool


def estimate_counts(db: Database, catalog: Catalog) -> dict[str, RowCount | None]:
    """A cheap row count per entity (exact when small); None where the database cannot count it."""
    # Imported here: the repository (writes, queries, the audit trail) is not needed to list the navigator's
    # names, which come first (core_calls.listed_overview imports this module on opening a database).
    from core.data.repository import ESTIMATE_CAP, estimate_count

    counts: dict[str, RowCount | None] = {}
    for entity in catalog.ordered():
        try:
            rows = estimate_count(db, entity)
        except DBAPIError as exc:  # e.g. a view over a dropped table: the rest still count
            log.warning("cannot estimate rows of %s: %s", entity.name, redact.describe(exc.orig or exc))
            counts[entity.name] = None
            continue
        counts[entity.name] = RowCount(rows, exact=rows <= ESTIMATE_CAP)
    return counts
