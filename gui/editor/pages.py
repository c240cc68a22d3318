"""The table editor's sparse row window: cached keyset pages anchored at the start or the end, no Qt.

Row positions are those of the current order (0 = first row). A page holds PAGE_SIZE rows and is anchored
either at the start ("head", page p covers positions p*PAGE_SIZE…) or at the end ("tail", page t covers the
t-th block of PAGE_SIZE rows counted back from the last row), so the last rows can be shown before the
exact count is known. A page far from every cached page is reached by walking keyset pages (`load`, on a
worker thread); at most MAX_PAGES pages are kept, the farthest from what the user looks at are evicted.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.catalog import Catalog, ColumnInfo
from core.db import Database
from core.repository import Cursor, Filter, Sort, fetch_page, to_jsonable
from gui.editor.roles import DISPLAY_LIMIT
from gui.editor.vector_cell import as_vector

PAGE_SIZE = 200
MAX_PAGES = 20
STRIDE = 5000  # rows passed per round trip while walking to a far page
BUFFER = PAGE_SIZE // 2  # rows loaded beyond each edge of the visible range

Slot = tuple[str, int]  # ("head" | "tail", page index)


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


@dataclass
class Loaded:
    """A page as a worker returns it; `total` is set when the walk ran into the far end of the data."""

    slot: Slot
    rows: list[tuple[Any, ...]]
    first_cursor: Cursor | None
    last_cursor: Cursor | None
    total: int | None = None


@dataclass
class CachedPage:
    """One page in the window; `fresh` is False after a refresh until it is reloaded."""

    rows: list[tuple[Any, ...]]
    first_cursor: Cursor | None
    last_cursor: Cursor | None
    fresh: bool = True


def load(db: Database, catalog: Catalog, entity: str, query: Query, walk: Walk) -> Loaded:
    """Worker side: follow `walk` with keyset pages (or one OFFSET page) and return the target page."""

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


@dataclass
class PageCache:
    """Cached pages by slot; positions are resolved against the current row count `total`."""

    keyed: bool = True
    pages: dict[Slot, CachedPage] = field(default_factory=dict)

    def clear(self) -> None:
        """Forget every page."""
        self.pages.clear()

    def mark_stale(self) -> None:
        """Keep showing every page, but reload each before trusting its cursors."""
        for page in self.pages.values():
            page.fresh = False

    @property
    def rows_held(self) -> int:
        """How many rows are in memory."""
        return sum(len(p.rows) for p in self.pages.values())

    def span(self, slot: Slot, total: int, length: int | None = None) -> tuple[int, int]:
        """Positions [start, end) the slot covers (with `length` rows, default its cached rows or a page)."""
        page = self.pages.get(slot)
        n = length if length is not None else (len(page.rows) if page is not None else PAGE_SIZE)
        anchor, index = slot
        if anchor == "head":
            return index * PAGE_SIZE, index * PAGE_SIZE + n
        end = total - index * PAGE_SIZE
        return max(0, end - n), max(0, end)

    def row(self, pos: int, total: int) -> tuple[Any, ...] | None:
        """The loaded row at a position, or None (a placeholder)."""
        head = self.pages.get(("head", pos // PAGE_SIZE))
        if head is not None and pos % PAGE_SIZE < len(head.rows):
            return head.rows[pos % PAGE_SIZE]
        d = total - 1 - pos
        tail = self.pages.get(("tail", d // PAGE_SIZE)) if d >= 0 else None
        if tail is not None:
            i = len(tail.rows) - 1 - (d % PAGE_SIZE)
            if i >= 0:
                return tail.rows[i]
        return None

    def slot_for(self, pos: int, total: int, exact: bool) -> Slot:
        """The slot a position is best loaded in: from the nearer edge (only the start without a key)."""
        if not self.keyed or pos <= (total - 1) / 2 or total <= PAGE_SIZE:
            return ("head", pos // PAGE_SIZE)
        return ("tail", (total - 1 - pos) // PAGE_SIZE)

    def wanted(self, first: int, last: int, total: int, exact: bool) -> list[Slot]:
        """Slots covering positions first..last plus a buffer, nearest the middle of the range first."""
        if total <= 0:
            return [("head", 0)]
        lo, hi = max(0, first - BUFFER), min(total - 1, last + BUFFER)
        slots: dict[Slot, int] = {}
        centre = (first + last) // 2
        pos = lo
        while pos <= hi:
            slot = self.slot_for(pos, total, exact)
            start, end = self.span(slot, total, PAGE_SIZE)
            slots.setdefault(slot, abs((start + end) // 2 - centre))
            pos = max(pos + 1, min(end, hi + 1))
        return sorted(slots, key=lambda s: slots[s])

    def missing(self, slots: list[Slot]) -> list[Slot]:
        """Slots not loaded, or loaded before a refresh."""
        return [s for s in slots if s not in self.pages or not self.pages[s].fresh]

    def walk(self, slot: Slot, total: int, exact: bool) -> Walk:
        """The shortest way to `slot` from the start, the end or a cached page."""
        anchor, index = slot
        if not self.keyed:
            return Walk(slot, None, False, 0, PAGE_SIZE, 0, offset=index * PAGE_SIZE)
        end_space = anchor == "tail" and not exact
        base = total if exact else 0  # positions are measured from the end (≤ 0) in end space
        if anchor == "head":
            a = index * PAGE_SIZE
            b = a + PAGE_SIZE if not exact else min(a + PAGE_SIZE, max(total, a + 1))
        else:
            b = (total if exact else 0) - index * PAGE_SIZE
            a = b - PAGE_SIZE if not exact else max(0, b - PAGE_SIZE)
        options: list[Walk] = []
        if not end_space:
            options.append(Walk(slot, None, False, a, b - a, 0))
        if exact or end_space:
            options.append(Walk(slot, None, True, base - b, b - a, base, end_space))
        for other, page in self.pages.items():
            if not page.fresh or not page.rows or (other[0] != anchor and not exact):
                continue
            s, e = self.span(other, total)
            if end_space:
                s, e = s - total, e - total
            if e <= a and page.last_cursor is not None:
                options.append(Walk(slot, page.last_cursor, False, a - e, b - a, e, end_space))
            elif s >= b and page.first_cursor is not None:
                options.append(Walk(slot, page.first_cursor, True, s - b, b - a, s, end_space))
        return min(options, key=lambda w: w.skip)

    def store(self, loaded: Loaded) -> None:
        """Keep a loaded page."""
        self.pages[loaded.slot] = CachedPage(loaded.rows, loaded.first_cursor, loaded.last_cursor)

    def evict(self, keep: list[Slot], centre: int, total: int) -> list[tuple[int, int]]:
        """Drop the pages farthest from `centre` beyond MAX_PAGES; the position spans that were dropped."""
        spans: list[tuple[int, int]] = []
        others = [s for s in self.pages if s not in keep]
        others.sort(key=lambda s: -abs(sum(self.span(s, total)) // 2 - centre))
        while len(self.pages) > MAX_PAGES and others:
            slot = others.pop(0)
            spans.append(self.span(slot, total))
            del self.pages[slot]
        return spans

    def positions_of(self, match: Any, total: int) -> list[int]:
        """Positions of loaded rows for which `match(row)` is true."""
        found: list[int] = []
        for slot, page in self.pages.items():
            start, _ = self.span(slot, total)
            found.extend(start + i for i, r in enumerate(page.rows) if match(r))
        return found

    def replace_rows(self, match: Any, row: tuple[Any, ...]) -> None:
        """Put `row` in place of every loaded row for which `match(row)` is true."""
        for page in self.pages.values():
            page.rows = [row if match(r) else r for r in page.rows]


# --- how values read in the grid --------------------------------------------------------------------


def full_text(info: ColumnInfo, value: Any) -> str:
    """The whole value as text that pastes back into the same column ('' for NULL)."""
    if value is None:
        return ""
    if info.kind == "datetime" and isinstance(value, dt.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return stamp.astimezone().isoformat()
    if info.kind == "boolean":
        return "true" if value else "false"
    if info.kind == "vector":
        vec = as_vector(value)
        return json.dumps([round(float(x), 6) for x in vec]) if vec is not None else str(value)
    if info.kind in ("json", "array") or isinstance(value, dict | list):
        return json.dumps(to_jsonable(value), ensure_ascii=False)
    if isinstance(value, bytes | bytearray | memoryview):
        return "0x" + bytes(value).hex()
    if isinstance(value, Decimal) and info.scale is not None:
        return f"{value:.{info.scale}f}"
    return str(value)


def display_text(info: ColumnInfo, value: Any) -> str:
    """One line for the grid: local times, ✓ for true, decimals at their scale, vectors as a summary."""
    if value is None:
        return ""
    if info.kind == "datetime" and isinstance(value, dt.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return stamp.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    if info.kind == "boolean":
        return "✓" if value else ""
    if info.kind == "vector":
        vec = as_vector(value)
        if vec is None:
            return str(value)[:DISPLAY_LIMIT]
        return f"{vec.shape[0]}-d ‖v‖={float((vec.astype('float64') ** 2).sum() ** 0.5):.2f}"
    text = f"{value:.6g}" if isinstance(value, float) else full_text(info, value)
    text = " ".join(text.split()) if "\n" in text or "\r" in text else text
    return text if len(text) <= DISPLAY_LIMIT else text[: DISPLAY_LIMIT - 1] + "…"
