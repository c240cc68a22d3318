"""A plain summary of an open database for the main window: where it is, what it can do, what it holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.catalog import load_catalog
from core.db import Database


@dataclass(frozen=True)
class Overview:
    """What the main window shows about a database; plain data, safe to hand to another thread."""

    display_url: str
    backend: str
    capabilities: dict[str, Any]
    tables: list[tuple[str, str]]  # (navigator group, entity name), in navigator order
    read_only_reasons: dict[str, str] = field(default_factory=dict)  # entity name → why it is read-only
    source: str = "models"  # "models" | "reflected" | "mixed"


def describe(db: Database) -> Overview:
    """Summarise `db`: its location, capabilities and entities grouped for the navigator."""
    catalog = load_catalog(db)
    entities = catalog.ordered()
    return Overview(
        display_url=db.display_url,
        backend=db.backend,
        capabilities=db.capabilities.as_dict(),
        tables=[(e.group, e.name) for e in entities],
        read_only_reasons={e.name: e.read_only_reason for e in entities if e.read_only_reason},
        source=catalog.source,
    )
