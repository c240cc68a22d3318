"""The worker side of the table editor's page window: what is shown, how a page is reached, and loading it.

`load` runs on a worker thread: it walks keyset pages to the wanted page, then resolves the labels of the
page's foreign-key values (one bounded query per FK column), so the grid shows names instead of raw keys.
Everything returned is plain data; the labels live with their page in the cache and are evicted with it.
`read_rows` reads the rows a save wrote again by key, to show them as stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from core.data import repository
from core.data.lookup import FkLabels, page_labels
from core.data.repository import Cursor, Filter, Sort, fetch_page
from core.engine.db import Database
from core.errors import NotFoundError
from core.schema.catalog import Catalog, Entity

STRIDE = 5000  # rows passed per round trip while walking to a far page
READ_BATCH = 500  # saved rows read again per query

Slot = tuple[Literal["head", "tail"], int]  # a page counted from the start or from the end


@dataclass(frozen=True)
class Query:
    """What is shown: sort, filters and quick filter, as core takes them."""

    sort: Sort | None = None
    filters: tuple[Filter, ...] = ()
    quick: str | None = None


@dataclass(frozen=True)
class Walk:
    """How to reach one page: from a cursor (None = the start or the end), pass `skip` rows, take `limit`."""

    slot: Slot
    cursor: Cursor | None
    backward: bool
    skip: int
    limit: int
    origin: int  # coordinate of the walk's starting edge (absolute, or relative to the end when `end_space`)
    end_space: bool = False
    offset: int | None = None  # OFFSET paging, only for entities without a primary key
    absolute: int | None = None  # the page's first position, when known from the start


@dataclass
class Loaded:
    """A page as a worker returns it; `total` is set when the walk ran into the far end of the data."""

    slot: Slot
    rows: list[tuple[Any, ...]]
    first_cursor: Cursor | None
    last_cursor: Cursor | None
    total: int | None = None
    labels: FkLabels = field(default_factory=dict)


def load(db: Database, catalog: Catalog, entity: str, query: Query, walk: Walk) -> Loaded:
    """Worker side: the page `walk` leads to, with the labels of its foreign-key values."""
    loaded = _walk(db, catalog, entity, query, walk)
    loaded.labels = page_labels(db, catalog, catalog.get(entity), loaded.rows)
    return loaded


def _walk(db: Database, catalog: Catalog, entity: str, query: Query, walk: Walk) -> Loaded:
    """Follow `walk` with keyset pages (or one OFFSET page) and return the target page."""

    def fetch(cursor: Cursor | None, limit: int) -> Any:
        return fetch_page(
            db,
            catalog,
            entity,
            sort=query.sort,
            filters=query.filters,
            quick=query.quick,
            limit=limit,
            after=cursor if not walk.backward else None,
            before=cursor if walk.backward else None,
            from_end=walk.backward and cursor is None,
            offset=walk.offset,
        )

    if walk.offset is not None:
        page = fetch(None, walk.limit)
        total = walk.offset + len(page.rows) if not page.has_more else None
        return Loaded(walk.slot, page.rows, None, None, total)
    if walk.skip > STRIDE and walk.absolute is not None:
        # One OFFSET page instead of a long walk, where core offers OFFSET paging (Page.offset says so).
        page = fetch_page(
            db, catalog, entity, sort=query.sort, filters=query.filters, quick=query.quick,
            limit=walk.limit, offset=walk.absolute,
        )  # fmt: skip
        if page.offset is not None:
            return Loaded(walk.slot, page.rows, page.first_cursor, page.last_cursor)
    cursor, skip, passed = walk.cursor, walk.skip, 0
    while skip > 0:
        page = fetch(cursor, min(skip, STRIDE))
        passed += len(page.rows)
        if not page.has_more or not page.rows:
            return Loaded(walk.slot, [], None, None, _total(walk, passed))
        cursor = page.first_cursor if walk.backward else page.last_cursor
        skip -= len(page.rows)
    page = fetch(cursor, walk.limit)
    total = None if page.has_more else _total(walk, passed + len(page.rows))
    return Loaded(walk.slot, page.rows, page.first_cursor, page.last_cursor, total)


def _total(walk: Walk, passed: int) -> int | None:
    """The row count learnt from running out of rows, when the walk headed away from its known edge."""
    if not walk.backward and not walk.end_space:
        return walk.origin + passed
    if walk.backward and walk.end_space:
        return passed - walk.origin
    return None


def read_rows(
    db: Database, catalog: Catalog, entity: Entity, keys: list[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """Worker side: the rows with these keys as stored now (a row deleted meanwhile is left out).

    A one-column key is read READ_BATCH keys per query (`key IN (…)`), another one row at a time.
    """
    if len(entity.primary_key) == 1:
        (name,) = entity.primary_key
        rows: list[tuple[Any, ...]] = []
        for i in range(0, len(keys), READ_BATCH):
            batch = [k[name] for k in keys[i : i + READ_BATCH]]
            page = repository.fetch_page(
                db, catalog, entity, filters=[Filter(name, "in", batch)], limit=len(batch)
            )
            rows.extend(page.rows)
        return rows
    names = entity.column_names
    found: list[tuple[Any, ...]] = []
    for key in keys:
        try:
            row = repository.get_row(db, catalog, entity, key)
        except NotFoundError:
            continue
        found.append(tuple(row[n] for n in names))
    return found
