"""Refreshing a materialized view from the navigator's context menu or its editor's toolbar: REFRESH runs on
a worker, then its count and any open editor of it are read again."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QStatusBar

from gui.runtime import workers

if TYPE_CHECKING:
    from core.data.overview import RowCount
    from core.engine.db import Database
    from core.schema.catalog import Catalog
    from gui.editor.view import TableEditor
    from gui.navigator import Navigator
    from gui.runtime.open_database import OpenDatabase

#: The open editors of an entity: objects with a `model` that has `refresh()` (TableEditor).
EditorsOf = Callable[[str], Iterable[Any]]
#: What the editor's toolbar button says, and its tooltip.
TOOLBAR_TEXT = "Refresh View"
TOOLBAR_TIP = (
    "Refresh View: run the materialized view's query again (in the background), then reload its rows"
)


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
        self._buttons: dict[str, list[QAction]] = {}  # the editors' Refresh View actions, by view
        navigator.refresh_requested.connect(self.refresh)

    def equip(self, editor: TableEditor) -> None:
        """Give the editor of a materialized view a Refresh View button on its toolbar (others get none)."""
        name = editor.entity.name
        if str(editor.entity.kind) != "materialized_view":
            return
        action = QAction(TOOLBAR_TEXT, editor)
        action.setObjectName("refreshViewAction")
        action.setToolTip(TOOLBAR_TIP)
        action.setEnabled(not self.navigator.is_refreshing(name))
        action.triggered.connect(functools.partial(self.refresh, name))
        # First on the toolbar: a read-only view's editing buttons are all greyed, so this one leads.
        existing = editor.toolbar.actions()
        if existing:
            editor.toolbar.insertAction(existing[0], action)
            editor.toolbar.insertSeparator(existing[0])
        else:
            editor.toolbar.addAction(action)
        self._buttons.setdefault(name, []).append(action)

    def refresh(self, name: str) -> None:
        """Refresh materialized view `name` on a worker; the navigator shows it is under way."""
        db, catalog = self.open_db.database, self.open_db.catalog
        if db is None or catalog is None or name not in catalog.entities:
            return
        self._set_refreshing(name, True)
        self._say(f"Refreshing {name}…")
        generation = self.open_db.generation
        workers.run(
            refresh_and_count, db, catalog, name,
            on_done=functools.partial(self._on_refresh_done, generation, name),
            on_error=functools.partial(self._on_refresh_failed, generation, name),
            on_aborted=functools.partial(self._set_refreshing, name, False),
            owner=self, key=("refresh", name),
        )  # fmt: skip

    def _set_refreshing(self, name: str, refreshing: bool) -> None:
        """The navigator shows it; the view's Refresh View buttons wait until it is done."""
        self.navigator.set_refreshing(name, refreshing)
        buttons = [a for a in self._buttons.get(name, []) if shiboken6.isValid(a)]  # closed editors' are gone
        self._buttons[name] = buttons
        for action in buttons:
            action.setEnabled(not refreshing)

    def _on_refresh_done(self, generation: int, name: str, count: RowCount) -> None:
        self._set_refreshing(name, False)
        if generation != self.open_db.generation:
            return
        self.navigator.update_counts({name: count})
        for editor in self.editors_of(name):
            editor.model.refresh()
        self._say(f"Refreshed {name}.")
        self.refreshed.emit(name)

    def _on_refresh_failed(self, generation: int, name: str, failure: workers.Failure) -> None:
        self._set_refreshing(name, False)
        if generation != self.open_db.generation:
            return
        self._say(f"Could not refresh {name}: {failure.message}")
        self.failed.emit(name, failure.message)

    def _say(self, text: str) -> None:
        if self.status is not None:
            self.status.showMessage(text, 10_000)
