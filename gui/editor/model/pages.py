"""The table editor model's loading side: counts and pages of its row window, through workers.

The window itself (which pages are cached, where a row is, what to load next) is model/page_cache.py,
plain Python; WindowLoading asks workers for what it lacks and drops superseded results by token.
"""

from __future__ import annotations

import functools
import itertools
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QTimer

from core.data import repository
from core.data.lookup import labels_for
from core.data.repository import ESTIMATE_CAP
from core.engine.db import Database
from core.schema.catalog import Catalog, Entity
from gui.editor.model.page_cache import MAX_PAGES, PAGE_SIZE, PageCache
from gui.editor.model.page_loading import STRIDE, FkLabels, Loaded, Query, Slot, Walk, load
from gui.runtime import workers

if TYPE_CHECKING:
    from PySide6.QtCore import QAbstractTableModel, SignalInstance

    _ModelBase = QAbstractTableModel  # the mixin's host is one: its Qt methods and QObject-ness
else:
    _ModelBase = object

log = logging.getLogger("warden.gui.editor")

FIRST_PAGE = 64  # rows of the first load into an empty window: one screenful, shown before the rest
FOLLOW_UP_MS = 40  # then, time for the view to paint it before other loads compete for the GIL
MAX_IN_FLIGHT = 3  # page loads running at once
ASK_SPAN = 2 * PAGE_SIZE  # rows data() may ask for in one go (a view paints what it shows)
MAX_MORE_LABELS = 2000  # labels of staged FK values not on a page, looked up one by one

__all__ = [  # re-exported for callers
    "MAX_PAGES", "PAGE_SIZE", "STRIDE", "FkLabels", "Loaded", "PageCache", "Query", "Slot", "Walk", "load",
]  # fmt: skip


# --- the model's loading side -----------------------------------------------------------------------


class WindowLoading(_ModelBase):
    """Counts and pages for TableEditorModel, in workers; superseded results are dropped by token."""

    if TYPE_CHECKING:  # provided by TableEditorModel
        _db: Database
        _catalog: Catalog
        _entity: Entity
        _query: Query
        _cache: PageCache
        _total: int
        _exact: bool
        _loading: dict[Slot, int]
        _settling: bool
        _load_tasks: dict[Slot, workers.Task]
        _queue: list[Slot]
        _tokens: itertools.count[int]
        _count_token: int
        _count_deferred: bool
        _visible: tuple[int, int]
        _asked: tuple[int, int] | None
        _timer: QTimer
        _saving: Any
        _busy: bool
        _failed: str | None
        _pending_rows: bool
        _pending_count: bool
        _staging: Any
        _fks: dict[str, Any]
        _more_labels: dict[tuple[str, Any], str | None]
        count_changed: SignalInstance
        rows_loaded: SignalInstance
        load_failed: SignalInstance
        busy_changed: SignalInstance
        loading_changed: SignalInstance

        def _changed_rows(self, start: int, end: int) -> None: ...
        def _changed_all(self) -> None: ...
        def _changed_column(self, name: str) -> None: ...

    def _reload(self, *, reset: bool, recount: bool) -> None:
        self._failed, self._settling = None, False
        for task in self._load_tasks.values():
            task.cancel()  # superseded: stop its statement (a full sort of a big table can take seconds)
        self._load_tasks.clear()
        self._loading.clear()
        self._queue.clear()
        if reset:
            self.beginResetModel()
            self._cache.clear()
            if recount:
                self._total, self._exact = 0, False
            self.endResetModel()
            # Until they arrive, the view shows that rows (and a count) are coming, not an empty grid
            # or the first page's length as a count.
            self._set_pending(rows=True, count=recount or self._pending_count)
        else:
            self._cache.mark_stale()
        if recount:  # counted once the first page is shown: it competes with it for the GIL otherwise
            self._count_token, self._count_deferred = next(self._tokens), True
        self._plan()
        if self._count_deferred and not self._loading:
            self._count()

    def _count(self) -> None:
        self._count_deferred = False
        q, token = self._query, next(self._tokens)
        self._count_token = token
        args = (self._db, self._entity, list(q.filters))
        fail = functools.partial(self._on_load_failed, token, None)

        def count(kind: str, key: str, fn: Callable[..., int], *fn_args: Any) -> None:
            done = functools.partial(self._on_count_done, token, kind)
            workers.run(fn, *fn_args, on_done=done, on_error=fail, owner=self, key=key, interruptible=True)

        if q.quick is None:
            count("estimate", "estimate", repository.estimate_count, *args)
        count("exact", "count", repository.exact_count, *args, q.quick)

    def _set_pending(self, *, rows: bool | None = None, count: bool | None = None) -> None:
        """Say that the first page (`rows`) or the count of a new sort or filter is due, or has come."""
        before = (self._pending_rows, self._pending_count)
        self._pending_rows = before[0] if rows is None else rows
        self._pending_count = before[1] if count is None else count
        if (self._pending_rows, self._pending_count) != before:
            self.loading_changed.emit()

    def _on_count_done(self, token: int, kind: str, n: int) -> None:
        if token != self._count_token:
            return
        self._pending_count = False  # told below: by count_changed, else by loading_changed
        exact = kind == "exact" or n <= ESTIMATE_CAP
        if exact or not self._exact:
            self._set_total(n, exact)
        self.loading_changed.emit()

    def _set_total(self, n: int, exact: bool) -> None:
        old, was_exact, first = self._total, self._exact, len(self._staging.inserts)
        if n > old:
            self.beginInsertRows(QModelIndex(), first + old, first + n - 1)
            self._total = n
            self.endInsertRows()
        elif n < old:
            self.beginRemoveRows(QModelIndex(), first + n, first + old - 1)
            self._total = n
            self.endRemoveRows()
        self._exact = exact
        if n != old and any(slot[0] == "tail" for slot in self._cache.pages):
            self._changed_all()  # rows counted from the end moved
        if n != old or exact != was_exact:
            self.count_changed.emit(n, exact)
        if n > old:
            self._plan()

    def _ask(self, pos: int) -> None:
        lo, hi = self._asked if self._asked is not None else (pos, pos)
        self._asked = (min(lo, pos), max(hi, pos))
        if not self._timer.isActive():
            self._timer.start()

    def _on_timer_timeout(self) -> None:
        if self._asked is not None:
            lo, hi = self._asked
            self._visible = (lo, min(hi, lo + ASK_SPAN))
            self._asked = None
        self._plan()

    def _plan(self) -> None:
        if self._settling:
            return  # the first screenful is being painted; _follow_up plans once it has been
        first, last = self._visible
        total = self._total
        if total:
            first, last = min(first, total - 1), min(last, total - 1)
        slots = self._cache.wanted(first, last, total, self._exact)
        self._queue = [s for s in self._cache.missing(slots) if s not in self._loading]
        self._pump()
        for start, end in self._cache.evict(slots, (first + last) // 2, total):
            self._changed_rows(start, end)

    def _pump(self) -> None:
        while self._queue and len(self._loading) < MAX_IN_FLIGHT:
            slot = self._queue.pop(0)
            walk = self._cache.walk(slot, self._total, self._exact)
            first = slot == ("head", 0) and not self._cache.pages and walk.cursor is None and not walk.skip
            if first:  # an empty window: one screenful first, the whole page right after
                walk = replace(walk, limit=min(walk.limit, FIRST_PAGE))
            token = self._loading[slot] = next(self._tokens)
            self._load_tasks[slot] = workers.run(
                load,
                self._db,
                self._catalog,
                self._entity.name,
                self._query,
                walk,
                on_done=functools.partial(self._on_page_done, token, partial=first),
                on_error=functools.partial(self._on_load_failed, token, slot),
                owner=self,
                key=("page", slot),
                interruptible=True,  # a re-sort, a new filter or a closed editor stops it
            )
        self._update_busy()

    def _on_page_done(self, token: int, loaded: Loaded, *, partial: bool = False) -> None:
        if self._loading.get(loaded.slot) != token:
            return  # superseded: another sort, filter or refresh
        del self._loading[loaded.slot]
        self._load_tasks.pop(loaded.slot, None)
        pending = (self._pending_rows, self._pending_count)
        self._pending_rows = False
        if loaded.total is not None:
            self._pending_count = False  # the page ran into the end: the count is known
        complete = not partial or loaded.total is not None
        self._cache.store(loaded, complete=complete)
        if not complete:  # the first screenful: let the view paint it before the rest and the count start
            self._settling = True
            QTimer.singleShot(FOLLOW_UP_MS, self, functools.partial(self._follow_up, self._count_token))
        elif self._count_deferred:
            if loaded.total is None:
                self._count()
            else:
                self._count_deferred = False  # the page ran into the end: its total is the exact count
        seen = loaded.slot[1] * PAGE_SIZE + len(loaded.rows) if loaded.slot[0] == "head" else 0
        if loaded.total is not None:
            self._set_total(loaded.total, True)
        elif seen > self._total:
            # At least this many rows exist; an exact count from before a refresh may be out of date.
            self._set_total(seen, False)
        start, end = self._cache.span(loaded.slot, self._total)
        if end > start:
            self._changed_rows(start, end)
            n = len(self._staging.inserts)
            self.rows_loaded.emit(n + start, n + end - 1)
        if (self._pending_rows, self._pending_count) != pending:
            self.loading_changed.emit()
        if complete:
            self._plan()

    def _follow_up(self, count_token: int) -> None:
        """After the first screenful: count (unless a newer reload took over) and load the rest."""
        self._settling = False
        if self._count_deferred and count_token == self._count_token:
            self._count()
        self._plan()

    def _on_load_failed(self, token: int, slot: Slot | None, failure: workers.Failure) -> None:
        if slot is not None:
            if self._loading.get(slot) != token:
                return
            del self._loading[slot]
            self._load_tasks.pop(slot, None)
            self._set_pending(rows=False)
        elif token != self._count_token:
            return
        else:
            self._set_pending(count=False)
        if self._count_deferred:
            self._count()
        if failure.bug:
            log.error("loading %s failed: %s\n%s", self._entity.name, failure.message, failure.details)
        self._pump()
        if failure.message != self._failed:  # one message per cause, not one per page
            self._failed = failure.message
            self.load_failed.emit(failure.message)

    def _fk_label(self, pos: int | None, column: str, value: Any) -> str | None:
        """An FK value's label: from its page, else looked up once in a worker (None meanwhile)."""
        label = self._cache.label(pos, self._total, column, value) if pos is not None else None
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
            fk = self._fks[column]
            workers.run(
                labels_for, self._db, self._catalog, fk.target, [value], key_column=fk.target_columns[0],
                on_done=functools.partial(self._on_label_done, column, value),
                on_error=functools.partial(self._on_label_failed, column, value),
                owner=self, key=("label", column, value), interruptible=True,
            )  # fmt: skip
        return self._more_labels.get((column, value))

    def _on_label_done(self, column: str, value: Any, found: dict[Any, str]) -> None:
        if value in found:
            self._more_labels[(column, value)] = found[value]
            self._changed_column(column)

    def _on_label_failed(self, column: str, value: Any, failure: workers.Failure) -> None:
        log.warning("label of %s=%s not found: %s", column, value, failure.message)  # the key stays shown

    def _update_busy(self) -> None:
        busy = bool(self._loading) or self._saving is not None
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)
