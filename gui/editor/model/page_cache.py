"""The table editor's sparse row window: cached keyset pages anchored at the start or the end. No Qt.

Row positions are those of the current order (0 = first row). A page holds PAGE_SIZE rows and is anchored
either at the start ("head", page p covers positions p*PAGE_SIZE…) or at the end ("tail", page t covers the
t-th block of PAGE_SIZE rows counted back from the last row), so the last rows can be shown before the
exact count is known. A page far from every cached page is reached by walking keyset pages (`load`, on a
worker thread); at most MAX_PAGES pages are kept, the farthest from what the user looks at are evicted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from core.data.repository import Cursor
from gui.editor.model.page_loading import FkLabels, Loaded, Slot, Walk

PAGE_SIZE = 200
MAX_PAGES = 20
BUFFER = PAGE_SIZE // 2  # rows loaded beyond each edge of the visible range


@dataclass
class CachedPage:
    """One page in the window; `fresh` is False after a refresh until it is reloaded."""

    rows: list[tuple[Any, ...]]
    first_cursor: Cursor | None
    last_cursor: Cursor | None
    fresh: bool = True
    labels: FkLabels = field(default_factory=dict)  # fk column → {value: label}, evicted with the page


@dataclass
class PageCache:
    """Cached pages by slot; positions are resolved against the current row count `total`."""

    keyed: bool = True
    pages: dict[Slot, CachedPage] = field(default_factory=dict)
    generation: int = 0  # changes whenever a row may have moved, come or gone (callers cache lookups by it)

    def clear(self) -> None:
        """Forget every page."""
        self.pages.clear()
        self.generation += 1

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
        found = self._find(pos, total)
        return found[0].rows[found[1]] if found is not None else None

    def label(self, pos: int, total: int, column: str, value: Any) -> str | None:
        """The label of FK `value` in `column`, as resolved with the page holding position `pos`."""
        found = self._find(pos, total)
        labels = found[0].labels.get(column) if found is not None else None
        return labels.get(value) if labels else None

    def _find(self, pos: int, total: int) -> tuple[CachedPage, int] | None:
        head = self.pages.get(("head", pos // PAGE_SIZE))
        if head is not None and pos % PAGE_SIZE < len(head.rows):
            return head, pos % PAGE_SIZE
        d = total - 1 - pos
        tail = self.pages.get(("tail", d // PAGE_SIZE)) if d >= 0 else None
        if tail is not None:
            i = len(tail.rows) - 1 - (d % PAGE_SIZE)
            if i >= 0:
                return tail, i
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
        return replace(min(options, key=lambda w: w.skip), absolute=None if end_space else a)

    def store(self, loaded: Loaded, *, complete: bool = True) -> None:
        """Keep a loaded page (an incomplete one is shown, and loaded again in full)."""
        self.pages[loaded.slot] = CachedPage(
            loaded.rows, loaded.first_cursor, loaded.last_cursor, complete, labels=loaded.labels
        )
        self.generation += 1

    def evict(self, keep: list[Slot], centre: int, total: int) -> list[tuple[int, int]]:
        """Drop the pages farthest from `centre` beyond MAX_PAGES; the position spans that were dropped."""
        spans: list[tuple[int, int]] = []
        others = [s for s in self.pages if s not in keep]
        others.sort(key=lambda s: -abs(sum(self.span(s, total)) // 2 - centre))
        while len(self.pages) > MAX_PAGES and others:
            slot = others.pop(0)
            spans.append(self.span(slot, total))
            del self.pages[slot]
            self.generation += 1
        return spans

    def positions_of(self, match: Any, total: int) -> list[int]:
        """Positions of loaded rows for which `match(row)` is true."""
        found: list[int] = []
        for slot, page in self.pages.items():
            start, _ = self.span(slot, total)
            found.extend(start + i for i, r in enumerate(page.rows) if match(r))
        return found

    def replace_rows_by(self, new: Callable[[tuple[Any, ...]], tuple[Any, ...] | None]) -> None:
        """Put `new(row)` in place of every loaded row for which it is not None."""
        for page in self.pages.values():
            page.rows = [r if (n := new(r)) is None else n for r in page.rows]
        self.generation += 1

    def replace_rows(self, match: Any, row: tuple[Any, ...]) -> None:
        """Put `row` in place of every loaded row for which `match(row)` is true."""
        for page in self.pages.values():
            page.rows = [row if match(r) else r for r in page.rows]
        self.generation += 1
