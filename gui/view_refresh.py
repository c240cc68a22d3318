"""Refreshing a materialized view from the navigator: REFRESH runs on a worker, then its count and any open
editor of it are read again."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QStatusBar

from gui.runtime import workers

if TYPE_CHECKING:
    from core.data.overview import RowCount
    from core.engine.db import Database
    from core.schema.catalog import Catalog
    from gui.navigator import Navigator
    from gui.runtime.open_database import OpenDatabase

#: The open editors of an entity: objects with a `model` that has `refresh()` (TableEditor).
EditorsOf = Callable[[str], Iterable[Any]]


def refresh_and_count(db: Database, catalog: Catalog, name: str) -> RowCount:
    """Refresh materialized view `name` and count its rows again (on a worker: core is imported here)."""
    from core.data.overview import RowCount
    from core.data.refresh import refresh_materialized_view
    from core.data.repository import ESTIMATE_CAP, estimate_count

    refresh_materialized_view(db, catalog, name)
    rows = estimate_count(db, catalog.get(name))
    return RowCount(rows, exact=rows <= ESTIMATE_CAP)


class ViewRefresher(QObject):
    """Runs the navigator's Refresh requests in the background; says on the status bar how it went."""

    refreshed = Signal(str)  # a materialized view's rows were read again from its query
    failed = Signal(str, str)  # (view, message): the refresh was refused; nothing changed

    def __init__(
        self,
        open_db: OpenDatabase,
        navigator: Navigator,
        editors_of: EditorsOf,
        status: QStatusBar | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.open_db = open_db
        self.navigator = navigator
        self.editors_of = editors_of
        self.status = status
        navigator.refresh_requested.connect(self.refresh)

    def refresh(self, name: str) -> None:
        """Refresh materialized view `name` on a worker; the navigator shows it is under way."""
        db, catalog = self.open_db.database, self.open_db.catalog
        if db is None or catalog is None or name not in catalog.entities:
            return
        self.navigator.set_refreshing(name, True)
        self._say(f"Refreshing {name}…")
        generation = self.open_db.generation
        workers.run(
            refresh_and_count, db, catalog, name,
            on_done=functools.partial(self._on_refresh_done, generation, name),
            on_error=functools.partial(self._on_refresh_failed, generation, name),
            on_aborted=functools.partial(self.navigator.set_refreshing, name, False),
            owner=self, key=("refresh", name),
        )  # fmt: skip

    def _on_refresh_done(self, generation: int, name: str, count: RowCount) -> None:
        self.navigator.set_refreshing(name, False)
        if generation != self.open_db.generation:
            return
        self.navigator.update_counts({name: count})
        for editor in self.editors_of(name):
            editor.model.refresh()
        self._say(f"Refreshed {name}.")
        self.refreshed.emit(name)

    def _on_refresh_failed(self, generation: int, name: str, failure: workers.Failure) -> None:
        self.navigator.set_refreshing(name, False)
        if generation != self.open_db.generation:
            return
        self._say(f"Could not refresh {name}: {failure.message}")
        self.failed.emit(name, failure.message)

    def _say(self, text: str) -> None:
        if self.status is not None:
            self.status.showMessage(text, 10_000)
