"""Which navigator counts a save changes, and re-counting just those on a worker.

A save that inserts or deletes rows changes its own table's count; a delete also changes every table its
foreign keys cascade to (and, for SET NULL, leaves their counts alone but their rows changed: they are
re-counted too, which costs little and keeps the rule simple). Any save that writes adds entries to the
audit log, so its count is re-read too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # core loads SQLAlchemy: only on the worker that counts
    from core.data.overview import RowCount
    from core.engine.db import Database
    from core.schema.catalog import Catalog

#: ON DELETE actions through which a delete reaches other tables' rows.
REACHING = frozenset({"CASCADE", "SET NULL", "SET DEFAULT"})


def affected_entities(catalog: Catalog, entity: str, result: Any) -> list[str]:
    """The entities whose row counts a save of `entity` may have changed (it first), from a SaveResult."""
    from core.schema.models.audit import AUDIT_TABLE  # loaded already: the save ran on a worker

    inserted = bool(getattr(result, "inserted", None))
    deleted = bool(getattr(result, "deleted", None))
    updated = bool(getattr(result, "updated", None))
    names = [entity] if inserted or deleted else []
    if deleted:
        names += [n for n in reached_by_delete(catalog, entity) if n != entity]
    if (inserted or deleted or updated) and AUDIT_TABLE in catalog.entities and AUDIT_TABLE not in names:
        names.append(AUDIT_TABLE)  # every written row added an entry to the audit log
    return names


def reached_by_delete(catalog: Catalog, entity: str) -> list[str]:
    """Entities whose rows a delete in `entity` deletes or changes (ON DELETE actions), nearest first."""
    seen: dict[str, None] = {}
    todo = [entity]
    while todo:
        ent = catalog.entities.get(todo.pop(0))
        if ent is None:
            continue
        for fk in ent.referenced_by:
            action = (fk.ondelete or "").upper()
            if action not in REACHING or fk.entity in seen or fk.entity not in catalog.entities:
                continue
            seen[fk.entity] = None
            if action == "CASCADE":  # only deleted rows delete further
                todo.append(fk.entity)
    return list(seen)


def recount(
    db: Database, catalog: Catalog, names: Iterable[str], exact: Iterable[str] = ()
) -> dict[str, RowCount]:
    """Worker side: a fresh count per entity; exact for the `exact` ones (they showed one), else cheap."""
    from core.data.overview import RowCount
    from core.data.repository import ESTIMATE_CAP, estimate_count, exact_count

    precise = set(exact)
    counts: dict[str, RowCount] = {}
    for name in names:
        entity = catalog.get(name)
        if name in precise:
            counts[name] = RowCount(exact_count(db, entity), exact=True)
        else:
            rows = estimate_count(db, entity)
            counts[name] = RowCount(rows, exact=rows <= ESTIMATE_CAP)
    return counts
