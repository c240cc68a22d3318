"""Re-embedding on save: after a table editor's save commits, the saved rows whose text changed (stale by
core/search/stale.py) get new vectors on a worker, audited as re-embedding; the status bar says so.

A setting per database (the search panel's "Re-embed on save" box), on by default where the database keeps
the embedding state (the reference schema; a foreign database once it agreed to the table), off elsewhere.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMainWindow, QStatusBar, QTabWidget

from gui.runtime import workers
from gui.search import providers
from gui.settings import settings

if TYPE_CHECKING:
    from core.data.writes import SaveResult
    from core.engine.db import Database
    from core.progress import TaskState
    from core.schema.catalog import Catalog
    from gui.runtime.open_database import OpenDatabase
    from gui.search.providers import ProviderChoice

log = logging.getLogger("warden.gui.search.save_reembed")

REEMBED_ON_SAVE_KEY = "search/reembed_on_save"
WATCHED = "wardenReembedWatched"  # a model's property: its saves are already followed
AUDIT_REASON = "re-embedding after a save"


def _choices() -> dict[str, bool]:
    raw = settings().value(REEMBED_ON_SAVE_KEY)
    try:
        every = json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        every = {}
    return {str(k): bool(v) for k, v in every.items()} if isinstance(every, dict) else {}


def reembed_on_save(database: str, catalog: Catalog | None) -> bool:
    """Whether saves to `database` re-embed their changed rows: the user's choice, else on where the
    database keeps the embedding state."""
    chosen = _choices().get(database)
    if chosen is not None:
        return chosen
    from core.search.stale import has_state_table

    return catalog is not None and has_state_table(catalog)


def set_reembed_on_save(database: str, on: bool) -> None:
    """Remember whether saves to `database` re-embed their changed rows."""
    every = _choices()
    every[database] = on
    settings().setValue(REEMBED_ON_SAVE_KEY, json.dumps(every, sort_keys=True))


def reembed_saved(
    db: Database,
    catalog: Catalog,
    entity: str,
    keys: list[dict[str, Any]],
    chosen: dict[str, ProviderChoice],
    *,
    state: TaskState | None = None,
    only_stale: bool = True,
    reason: str = AUDIT_REASON,
) -> int:
    """On a worker: embed again the saved rows of `entity` that are stale in each vector column it has
    (`chosen`: the provider per column), or all of them (`only_stale` False: rows a person picked); the
    rows written."""
    from core.data.audit_trail import Auditing
    from core.errors import WardenError
    from core.schema.catalog import VectorStorage
    from core.search.reembed import embed_rows
    from core.search.stale import stale_keys
    from core.search.texts import text_sources
    from gui.search.providers import make_embedder

    ent = catalog.get(entity)
    try:
        text_sources(ent)
    except WardenError:
        return 0  # no text: nothing a save could make stale
    written = 0
    for info in ent.vectors:
        if info.storage == VectorStorage.VEC0 or ent.read_only:
            continue
        choice = chosen.get(info.column) or providers.ProviderChoice()
        todo = keys
        if only_stale:
            todo = stale_keys(db, catalog, ent, info.column, keys, model=choice.model_name)
        if not todo:
            continue
        result = embed_rows(
            db, catalog, ent, make_embedder(choice, info.dimension), column_name=info.column, which=todo,
            state=state, auditing=Auditing(reason=reason),
        )  # fmt: skip
        written += result.written
    return written


class SaveReembedder(QObject):
    """Follows the saves of the window's table editors and re-embeds their changed rows in the background."""

    reembedded = Signal(str, int)  # entity, rows written (0 when none needed it)

    def __init__(self, open_db: OpenDatabase, tabs: QTabWidget, status: QStatusBar, parent: QObject) -> None:
        super().__init__(parent)
        self.open_db, self.tabs, self.status = open_db, tabs, status
        tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.watch_editors()

    def watch_editors(self) -> None:
        """Follow the saves of every table editor among the tabs (each once)."""
        from gui.editor.view import TableEditor

        for i in range(self.tabs.count()):
            editor = self.tabs.widget(i)
            if isinstance(editor, TableEditor) and not editor.model.property(WATCHED):
                editor.model.setProperty(WATCHED, True)
                name = editor.entity.name
                editor.model.saved.connect(lambda result, name=name: self.on_saved(name, result))
                editor.reembed_requested.connect(self.reembed_rows)

    def on_saved(self, entity: str, result: SaveResult) -> None:
        """A save of `entity` committed: re-embed its rows whose text changed (when the setting is on)."""
        db, catalog = self.open_db.database, self.open_db.catalog
        if db is None or catalog is None or entity not in catalog.entities:
            return
        ent = catalog.get(entity)
        keys = [dict(r.key) for r in (*result.inserted, *result.updated) if r.entity == entity]
        if not ent.vectors or not keys or not reembed_on_save(db.display_url, catalog):
            return
        chosen = {v.column: providers.remembered(db.display_url, entity, v.column) for v in ent.vectors}
        workers.run(
            reembed_saved, db, catalog, entity, keys, chosen,
            on_done=lambda written: self._on_done(entity, written), on_error=self._on_failed,
            owner=self,
        )  # fmt: skip

    def reembed_rows(self, entity: str, keys: list[dict[str, Any]]) -> None:
        """Embed the rows a person picked (a table's row menu) again, whatever their state, on a worker."""
        db, catalog = self.open_db.database, self.open_db.catalog
        if db is None or catalog is None or entity not in catalog.entities or not keys:
            return
        ent = catalog.get(entity)
        chosen = {v.column: providers.remembered(db.display_url, entity, v.column) for v in ent.vectors}
        self.status.showMessage(f"Re-embedding {len(keys):,} rows of {entity}…")
        workers.run(
            reembed_saved, db, catalog, entity, keys, chosen, only_stale=False,
            reason="re-embedding selected rows",
            on_done=lambda written: self._on_done(entity, written, "selected"), on_error=self._on_failed,
            owner=self,
        )  # fmt: skip

    def _on_tabs_current_changed(self, _index: int) -> None:
        self.watch_editors()

    def _on_done(self, entity: str, written: int, which: str = "saved") -> None:
        if written or which == "selected":
            self.status.showMessage(f"Re-embedded {written:,} {which} rows of {entity}.", 6000)
        self.reembedded.emit(entity, written)

    def _on_failed(self, failure: workers.Failure) -> None:
        if not failure.cancelled:
            self.status.showMessage(f"Re-embedding stopped: {failure.message}", 10_000)


def attach(window: QMainWindow) -> SaveReembedder:
    """Give the main window its re-embedding on save (the window owns it)."""
    from gui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    follower = SaveReembedder(window.open_db, window.tabs, window.statusBar(), window)
    follower.setObjectName("saveReembedder")
    return follower
