"""The table editor's row window: which database rows are shown, their pages, the count and FK labels.

A plain object (no Qt): it decides what to load (model/page_cache.py), asks a worker door for it (`run`,
gui/runtime/workers.run bound to the model in the app, a queue in plain tests) and drops superseded results
by token. It tells its host (the Qt adapter, model/table_model.py) what changed, in database row positions
(0 = the first database row of the current order); the host adds the staged new rows shown above them.
"""

from __future__ import annotations

import functools
import itertools
import logging
from collections.abc import Callable, Hashable
from dataclasses import replace
from typing import Any, Protocol

from core.data import repository
from core.data.lookup import labels_for
from core.data.repository import ESTIMATE_CAP
from core.engine.db import Database
from core.schema.catalog import Catalog, Entity
from gui.editor.model.page_cache import PAGE_SIZE, PageCache
from gui.editor.model.page_loading import Loaded, Query, Slot, load, read_rows

log = logging.getLogger("warden.gui.editor")

FIRST_PAGE = 64  # rows of the first load into an empty window: one screenful, shown before the rest
FOLLOW_UP_MS = 40  # then, time for the view to paint it before other loads compete for the GIL
MAX_IN_FLIGHT = 3  # page loads running at once
ASK_SPAN = 2 * PAGE_SIZE  # rows data() may ask for in one go (a view paints what it shows)
MAX_MORE_LABELS = 2000  # labels of staged FK values not on a page, looked up one by one


class Cancellable(Protocol):
    """A submitted worker call (gui.runtime.workers.Task)."""

    def cancel(self) -> None:
        """Stop it, or drop its result."""


class Run(Protocol):
    """The worker door: call `fn` off the GUI thread, then `on_done(result)` or `on_error(failure)` on it."""

    def __call__(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[Any], None] | None = None,
        on_aborted: Callable[[], None] | None = None,
        key: Hashable | None = None,
        interruptible: bool = False,
        **kwargs: Any,
    ) -> Cancellable:
        """Submit one call."""


class WindowHost(Protocol):
    """What the row window tells the grid it feeds; positions are database rows [start, end)."""

    def reset_rows(self, apply: Callable[[], None]) -> None:
        """Every row may have changed: call `apply` between a model reset's begin and end."""

    def resize_rows(self, old: int, new: int, apply: Callable[[], None]) -> None:
        """The database rows go from `old` to `new`: call `apply` between the insert/remove begin and end."""

    def rows_changed(self, start: int, end: int) -> None:
        """Rows [start, end) show other values."""

    def all_rows_changed(self) -> None:
        """Any row may show other values."""

    def column_changed(self, name: str) -> None:
        """A column's labels changed."""

    def rows_arrived(self, start: int, end: int) -> None:
        """Rows [start, end) were loaded."""

    def count_changed(self, n: int, exact: bool) -> None:
        """The row count changed, or became exact."""

    def loading_changed(self) -> None:
        """`loading_rows` or `counting` changed."""

    def load_failed(self, message: str) -> None:
        """A page or a count could not be read (said once per cause)."""

    def busy_changed(self) -> None:
        """`in_flight` may have changed."""

    def start_debounce(self, restart: bool) -> None:
        """Call `RowWindow.on_debounce` soon, once however often asked meanwhile (`restart`: not before
        the full interval from now)."""

    def call_later(self, ms: int, fn: Callable[[], None]) -> None:
        """Call `fn` after `ms` milliseconds."""


class RowWindow:
    """A lazy window of one entity's rows in the current order: pages, placeholders, the count, FK labels."""

    def __init__(self, db: Database, catalog: Catalog, entity: Entity, host: WindowHost, run: Run) -> None:
        self.db, self.catalog, self.entity = db, catalog, entity
        self.host, self.run = host, run
        names = list(entity.column_names)
        self.names = names
        self.pk = [names.index(c) for c in entity.primary_key]
        self.fks = {fk.columns[0]: fk for fk in entity.foreign_keys if len(fk.columns) == 1}
        self.query = Query(sort=entity.default_sort)  # newest first for logs, else key order
        self.cache = PageCache(keyed=bool(self.pk))
        self.total, self.exact = 0, False
        self.loading_rows = self.counting = False  # a new sort or filter's first page / count is due
        self._loading: dict[Slot, int] = {}
        self._load_tasks: dict[Slot, Cancellable] = {}  # in flight, cancelled when superseded
        self._settling = False  # the first screenful has arrived and is being painted: no other loads yet
        self._queue: list[Slot] = []
        self._tokens = itertools.count(1)
        self._visible = (0, PAGE_SIZE - 1)
        self._asked: tuple[int, int] | None = None
        self._count_token, self._count_deferred = 0, False
        self._failed: str | None = None  # the last read failure's message, until a reload or a retry
        self._count_failed = False  # the count could not be read: counted again by retry_failed()
        #: An exact count was sent and has not come back: an estimate may have made the total exact first.
        self._exact_in_flight = False
        self._more_labels: dict[tuple[str, Any], str | None] = {}
        self.closed = False  # replaced (the entity changed shape): results still on their way are dropped

    # --- reading --------------------------------------------------------------------------------

    @property
    def in_flight(self) -> bool:
        """Whether page loads are running."""
        return bool(self._loading)

    def row(self, pos: int) -> tuple[Any, ...] | None:
        """The loaded row at a database position, or None (a placeholder)."""
        return self.cache.row(pos, self.total)

    def key(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        """The primary key of a loaded row."""
        return tuple(row[i] for i in self.pk)

    def positions_of(self, keys: set[Any]) -> list[int]:
        """Positions of the loaded rows with these keys."""
        return self.cache.positions_of(lambda r: self.key(r) in keys, self.total) if keys else []

    def fk_label(self, pos: int | None, column: str, value: Any) -> str | None:
        """An FK value's label: from its page, else looked up once in a worker (None meanwhile)."""
        label = self.cache.label(pos, self.total, column, value) if pos is not None else None
        if label is not None:
            return label
        try:
            known = (column, value) in self._more_labels
        except TypeError:  # an unhashable value is shown as it is
            return None
        if not known:
            if len(self._more_labels) >= MAX_MORE_LABELS:
                self._more_labels.clear()  # staged values only; bounded, they are fetched again if needed
            self._more_labels[(column, value)] = None
            fk = self.fks[column]
            self.run(
                labels_for, self.db, self.catalog, fk.target, [value], key_column=fk.target_columns[0],
                on_done=functools.partial(self._on_label_done, column, value),
                on_error=functools.partial(self._on_label_failed, column, value),
                key=("label", column, value), interruptible=True,
            )  # fmt: skip
        return self._more_labels.get((column, value))

    # --- what to show ---------------------------------------------------------------------------

    def set_query(self, query: Query) -> None:
        """Show another order or filter from its top; a new filter is counted again."""
        if query == self.query:
            return
        recount = (query.filters, query.quick) != (self.query.filters, self.query.quick)
        self.query = query
        self._visible = (0, PAGE_SIZE - 1)  # a new order, or the matches, start at their top
        self._reload(reset=True, recount=recount)

    def refresh(self) -> None:
        """Reload what is shown and count again (F5); rows keep showing until their page is back."""
        self._reload(reset=False, recount=True)

    def show(self, first: int, last: int) -> None:
        """The view shows database rows first..last: load them (debounced) and let far pages go."""
        self._visible = (max(0, first), max(0, last))
        self._asked = None
        self.host.start_debounce(restart=True)

    def ask(self, pos: int) -> None:
        """A placeholder at `pos` was painted: load it with the others asked for meanwhile (debounced)."""
        lo, hi = self._asked if self._asked is not None else (pos, pos)
        self._asked = (min(lo, pos), max(hi, pos))
        self.host.start_debounce(restart=False)

    def on_debounce(self) -> None:
        """The debounce interval passed: load what was asked for."""
        if self._asked is not None:
            lo, hi = self._asked
            self._visible = (lo, min(hi, lo + ASK_SPAN))
            self._asked = None
        self._plan()

    def jump_to_end(self) -> None:
        """Load the last rows now, keyset from the end (Ctrl+End)."""
        last = max(0, self.total - 1)
        self._visible = (max(0, last - PAGE_SIZE // 4), last)
        self._plan()

    # --- after a save ---------------------------------------------------------------------------

    def put_rows(self, rows: dict[Any, tuple[Any, ...]]) -> list[int]:
        """Show these rows (by key) in place of the loaded ones; the positions that changed."""
        if not rows:
            return []
        self.cache.replace_rows_by(lambda r: rows.get(self.key(r)))
        changed = sorted(self.positions_of(set(rows)))
        for pos in changed:
            self.host.rows_changed(pos, pos + 1)
        return changed

    def saved(self, updated: dict[Any, dict[str, Any]], inserted: int, deleted: int) -> None:
        """A save wrote these rows: show them as written; inserts and deletes move the count by their number.

        `updated` holds what was written per key (the new version included). Those rows are read again by
        key (values the database set itself, such as `updated_at`), and no page or count is reloaded for
        them. Inserted and deleted rows move others, so the pages are reloaded where they are shown.
        """
        overlaid: dict[Any, tuple[Any, ...]] = {}
        for pos in self.positions_of(set(updated)):
            row = self.row(pos)
            if row is not None:
                written = updated[self.key(row)]
                shown = zip(self.names, row, strict=True)
                overlaid[self.key(row)] = tuple(written.get(n, v) for n, v in shown)
        self.put_rows(overlaid)
        if overlaid:
            keys = [dict(zip(self.entity.primary_key, k, strict=True)) for k in overlaid]
            self.run(
                read_rows, self.db, self.catalog, self.entity, keys,
                on_done=self._on_reread_done, on_error=self._on_reread_failed,
            )  # fmt: skip
        if inserted or deleted:
            self.cache.mark_stale()  # rows moved: reload the pages in view, keep showing them meanwhile
            self._set_total(max(0, self.total + inserted - deleted), self.exact)
            if not self.exact or self._exact_in_flight:
                # A count still on its way may have run before this save committed: count again instead.
                self._count_token, self._count_deferred = next(self._tokens), True
            self._plan()
            if self._count_deferred and not self._loading:
                self._count()

    def _on_reread_done(self, rows: list[tuple[Any, ...]]) -> None:
        if self.closed:
            return
        self.put_rows({self.key(r): r for r in rows})

    def _on_reread_failed(self, failure: Any) -> None:
        log.warning("saved rows of %s not read again: %s", self.entity.name, failure.message)

    # --- loading --------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop loading and drop every result still on its way (this window is being replaced)."""
        self.closed = True
        for task in self._load_tasks.values():
            task.cancel()
        self._load_tasks.clear()
        self._loading.clear()
        self._queue.clear()

    def retry_failed(self) -> None:
        """Read again what could not be read (the connection came back): pages still shown as placeholders,
        a first page that never came, the count."""
        if self.closed or self._failed is None:
            return
        self._failed = None
        if not self.cache.pages:  # nothing came at all: start as when the editor opened
            self._reload(reset=True, recount=self._count_failed or not self.exact)
            return
        self._plan()
        if self._count_failed and not self._count_deferred:
            self._count()

    def start(self) -> None:
        """Load the first page and count."""
        self._reload(reset=True, recount=True)

    def _reload(self, *, reset: bool, recount: bool) -> None:
        self._failed, self._settling = None, False
        for task in self._load_tasks.values():
            task.cancel()  # superseded: stop its statement (a full sort of a big table can take seconds)
        self._load_tasks.clear()
        self._loading.clear()
        self._queue.clear()
        if reset:

            def clear() -> None:
                self.cache.clear()
                if recount:
                    self.total, self.exact = 0, False

            self.host.reset_rows(clear)
            # Until they arrive, the view shows that rows (and a count) are coming, not an empty grid
            # or the first page's length as a count.
            self._set_pending(rows=True, count=recount or self.counting)
        else:
            self.cache.mark_stale()
        if recount:  # counted once the first page is shown: it competes with it for the GIL otherwise
            self._count_token, self._count_deferred = next(self._tokens), True
        self._plan()
        if self._count_deferred and not self._loading:
            self._count()

    def _count(self) -> None:
        self._count_deferred = self._count_failed = False
        q, token = self.query, next(self._tokens)
        self._count_token = token
        args = (self.db, self.entity, list(q.filters))
        fail = functools.partial(self._on_load_failed, token, None)
        aborted = functools.partial(fail, None)

        def count(kind: str, key: str, fn: Callable[..., int], *fn_args: Any) -> None:
            done = functools.partial(self._on_count_done, token, kind)
            self.run(
                fn, *fn_args, on_done=done, on_error=fail, on_aborted=aborted, key=key, interruptible=True
            )

        if q.quick is None:
            count("estimate", "estimate", repository.estimate_count, *args)
        self._exact_in_flight = True
        count("exact", "count", repository.exact_count, *args, q.quick)

    def _set_pending(self, *, rows: bool | None = None, count: bool | None = None) -> None:
        """Say that the first page (`rows`) or the count of a new sort or filter is due, or has come."""
        before = (self.loading_rows, self.counting)
        self.loading_rows = before[0] if rows is None else rows
        self.counting = before[1] if count is None else count
        if (self.loading_rows, self.counting) != before:
            self.host.loading_changed()

    def _on_count_done(self, token: int, kind: str, n: int) -> None:
        if self.closed:
            return
        if kind == "exact" and token == self._count_token:
            self._exact_in_flight = False
        if token != self._count_token:
            return
        self.counting = False  # told below: by count_changed, else by loading_changed
        if kind == "exact":
            self._count_failed = False
        exact = kind == "exact" or n <= ESTIMATE_CAP
        if exact or not self.exact:
            self._set_total(n, exact)
        self.host.loading_changed()

    def _set_total(self, n: int, exact: bool) -> None:
        old, was_exact = self.total, self.exact
        if n != old:

            def resize() -> None:
                self.total = n

            self.host.resize_rows(old, n, resize)
        self.exact = exact
        if n != old and any(slot[0] == "tail" for slot in self.cache.pages):
            self.host.all_rows_changed()  # rows counted from the end moved
        if n != old or exact != was_exact:
            self.host.count_changed(n, exact)
        if n > old:
            self._plan()

    def _plan(self) -> None:
        if self._settling:
            return  # the first screenful is being painted; _follow_up plans once it has been
        first, last = self._visible
        total = self.total
        if total:
            first, last = min(first, total - 1), min(last, total - 1)
        slots = self.cache.wanted(first, last, total, self.exact)
        self._queue = [s for s in self.cache.missing(slots) if s not in self._loading]
        self._pump()
        for start, end in self.cache.evict(slots, (first + last) // 2, total):
            self.host.rows_changed(start, end)

    def _pump(self) -> None:
        while self._queue and len(self._loading) < MAX_IN_FLIGHT:
            slot = self._queue.pop(0)
            walk = self.cache.walk(slot, self.total, self.exact)
            first = slot == ("head", 0) and not self.cache.pages and walk.cursor is None and not walk.skip
            if first:  # an empty window: one screenful first, the whole page right after
                walk = replace(walk, limit=min(walk.limit, FIRST_PAGE))
            token = self._loading[slot] = next(self._tokens)
            self._load_tasks[slot] = self.run(
                load,
                self.db,
                self.catalog,
                self.entity.name,
                self.query,
                walk,
                on_done=functools.partial(self._on_page_done, token, partial=first),
                on_error=functools.partial(self._on_load_failed, token, slot),
                on_aborted=functools.partial(self._on_load_failed, token, slot, None),
                key=("page", slot),
                interruptible=True,  # a re-sort, a new filter or a closed editor stops it
            )
        self.host.busy_changed()

    def _on_page_done(self, token: int, loaded: Loaded, *, partial: bool = False) -> None:
        if self.closed:
            return
        if self._loading.get(loaded.slot) != token:
            return  # superseded: another sort, filter or refresh
        del self._loading[loaded.slot]
        self._load_tasks.pop(loaded.slot, None)
        pending = (self.loading_rows, self.counting)
        self.loading_rows = False
        if loaded.total is not None:
            self.counting = False  # the page ran into the end: the count is known
        complete = not partial or loaded.total is not None
        self.cache.store(loaded, complete=complete)
        if not complete:  # the first screenful: let the view paint it before the rest and the count start
            self._settling = True
            self.host.call_later(FOLLOW_UP_MS, functools.partial(self._follow_up, self._count_token))
        elif self._count_deferred:
            if loaded.total is None:
                self._count()
            else:
                self._count_deferred = False  # the page ran into the end: its total is the exact count
        seen = loaded.slot[1] * PAGE_SIZE + len(loaded.rows) if loaded.slot[0] == "head" else 0
        if loaded.total is not None:
            self._set_total(loaded.total, True)
        elif seen > self.total:
            # At least this many rows exist; an exact count from before a refresh may be out of date.
            self._set_total(seen, False)
        start, end = self.cache.span(loaded.slot, self.total)
        if end > start:
            self.host.rows_changed(start, end)
            self.host.rows_arrived(start, end)
        if (self.loading_rows, self.counting) != pending:
            self.host.loading_changed()
        if complete:
            self._plan()

    def _follow_up(self, count_token: int) -> None:
        """After the first screenful: count (unless a newer reload took over) and load the rest."""
        if self.closed:
            return
        self._settling = False
        if self._count_deferred and count_token == self._count_token:
            self._count()
        self._plan()

    def _on_load_failed(self, token: int, slot: Slot | None, failure: Any) -> None:
        """A page or count read failed (`failure`), or stopped on a bug (None: the crash handler says why)."""
        if self.closed:
            return
        if slot is not None:
            if self._loading.get(slot) != token:
                return
            del self._loading[slot]
            self._load_tasks.pop(slot, None)
            self._set_pending(rows=False)
        elif token != self._count_token:
            return
        else:
            self._count_failed = True
            self._set_pending(count=False)
        if self._count_deferred:
            self._count()
        self._pump()
        if failure is not None and failure.message != self._failed:  # one message per cause, not per page
            self._failed = failure.message
            self.host.load_failed(failure.message)

    def _on_label_done(self, column: str, value: Any, found: dict[Any, str]) -> None:
        if self.closed:
            return
        if value in found:
            self._more_labels[(column, value)] = found[value]
            self.host.column_changed(column)

    def _on_label_failed(self, column: str, value: Any, failure: Any) -> None:
        log.warning("a label for %s not found: %s", column, failure.message)  # the key stays shown
