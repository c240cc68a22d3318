"""The open database and its catalog, held in one place; the screens follow its signals.

Opening another database, building a demo and re-connecting replace the database; a migration or any other
schema change replaces the catalog. Either way the catalog is (re)loaded here, on a worker, and
`catalog_changed` tells every subscriber (the main window, the navigator, each editor and its record form)
to follow it, instead of each of them keeping a copy that silently goes stale.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from gui.runtime import workers
from gui.runtime.connection_state import ConnectionMonitor
from gui.runtime.priority import Priority

if TYPE_CHECKING:  # SQLAlchemy loads on the worker that opens a database, after the window shows
    from core.data.overview import Overview
    from core.engine.db import Database
    from core.schema.catalog import Catalog


@dataclass(frozen=True)
class CatalogChange:
    """A catalog that was loaded: the first one of a database, or a reload after its schema changed."""

    catalog: Catalog
    overview: Overview
    first: bool  # the first catalog of this database (screens build); False: a reload (screens follow)


class OpenDatabase(QObject):
    """Holds the open database and its catalog; signals when either changes."""

    database_changed = Signal(object)  # the Database now open (its catalog is loading), or None
    #: The Overview of a database just opened, from a listing of its entities (names, groups and kinds, a
    #: few queries): the navigator lists them while the catalog is read; catalog_changed follows.
    listed = Signal(object)
    catalog_changed = Signal(object)  # a CatalogChange, on the GUI thread
    #: The same database reopened with other rights (an unlock, its end; swap_database): the catalog and the
    #: screens stay, and what a screen allows (deleting, linking) may have changed.
    database_swapped = Signal(object)
    catalog_failed = Signal(object)  # a workers.Failure: the catalog could not be (re)loaded
    catalog_aborted = Signal()  # a bug stopped (re)loading the catalog: the crash handler says why

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._db: Database | None = None
        self._owned = False
        self._catalog: Catalog | None = None
        self._overview: Overview | None = None
        self._generation = 0  # bumped per database, so late results for the previous one are dropped
        self._lost_load = False  # the catalog could not be (re)loaded because the server was away
        #: Whether the open database answers; screens read again what failed when it `recovered`.
        self.connection = ConnectionMonitor(self)
        self.connection.recovered.connect(self._on_connection_recovered)

    # --- reading ---------------------------------------------------------------------------------

    @property
    def database(self) -> Database | None:
        """The open database, if any."""
        return self._db

    @property
    def catalog(self) -> Catalog | None:
        """The open database's catalog, once loaded (the previous one while a reload is under way)."""
        return self._catalog

    @property
    def overview(self) -> Overview | None:
        """The summary built with the catalog, once loaded."""
        return self._overview

    @property
    def generation(self) -> int:
        """Changes with every database set: results started for an older one can be told apart."""
        return self._generation

    def follow(self, owner: QObject, on_reload: Callable[[Catalog], None]) -> None:
        """Call `on_reload(catalog)` whenever this database's catalog is reloaded, while `owner` lives.

        For a screen on one entity (an editor, its record form): another database closes it instead.
        """
        _Follower(owner, self, on_reload)

    # --- changing --------------------------------------------------------------------------------

    def set_database(self, db: Database, *, owned: bool = False) -> None:
        """Hold `db` (already open) and load its catalog; a previous database it owned is disposed."""
        previous, previous_owned = self._db, self._owned
        self._db, self._owned, self._catalog, self._overview = db, owned, None, None
        self._generation += 1
        if previous is not None and previous_owned and previous is not db:
            workers.run(previous.dispose)
        self.connection.set_database(db)
        self.database_changed.emit(db)
        self._load(first=True)

    def swap_database(self, db: Database) -> None:
        """Hold `db`, the open database reopened with other rights (an unlock, its end): the catalog, the
        screens and their staged edits stay; the previous connection is disposed if this holder owned it. A
        hold on writes (an unknown revision) is the migration watch's to give the new connection
        (gui/migrate/watch.py, on database_swapped)."""
        previous, owned = self._db, self._owned
        self._db, self._owned = db, True  # reopened here: disposed with the window
        if previous is not None and owned and previous is not db:
            workers.run(previous.dispose)
        self.connection.set_database(db)
        self.database_swapped.emit(db)

    def reload_catalog(self) -> None:
        """Load the open database's catalog again (after its schema changed); catalog_changed follows."""
        if self._db is not None:
            self._load(first=self._catalog is None)

    def change_schema(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[workers.Failure], None] | None = None,
        on_aborted: Callable[[], None] | None = None,
        priority: Priority = Priority.SAVE,
        **kwargs: Any,
    ) -> workers.Task:
        """Run `fn(database, *args, **kwargs)` on a worker (a migration, DDL); then reload the catalog.

        It is a write a person waits for: it does not queue behind page loads. Options of workers.run
        (`on_progress`…) pass through. The catalog is reloaded after a failure too: a migration that failed
        halfway on a database without transactional DDL may still have changed it.
        """
        db = self._db
        if db is None:
            raise RuntimeError("change_schema needs an open database")
        generation = self._generation
        return workers.run(
            fn, db, *args,
            on_done=functools.partial(self._on_schema_changed, generation, on_done),
            on_error=functools.partial(self._on_schema_change_failed, generation, on_error),
            on_aborted=functools.partial(self._on_schema_change_aborted, generation, on_aborted),
            owner=self, priority=priority, **kwargs,
        )  # fmt: skip

    def close(self) -> None:
        """Let the database go (disposed if this holder owned it); nothing is open afterwards."""
        db, owned = self._db, self._owned
        self._db, self._owned, self._catalog, self._overview = None, False, None, None
        self._generation += 1
        if db is not None and owned:
            workers.run(db.dispose)
        self.connection.set_database(None)
        if db is not None:
            self.database_changed.emit(None)

    # --- loading ---------------------------------------------------------------------------------

    def _load(self, *, first: bool) -> None:
        if not first:
            self._load_catalog(first=False)
            return
        from gui.runtime.core_calls import listed_overview

        # First the listing, then the catalog: one after the other, so the listing (milliseconds) does not
        # share the interpreter with the catalog it comes before. Whatever stops the listing, the catalog
        # still loads, and reports the failure if there is one.
        generation = self._generation
        then = functools.partial(self._on_listed, generation)
        workers.run(
            listed_overview, self._db,
            on_done=then, on_error=lambda _failure: then(None), on_aborted=lambda: then(None),
            owner=self, key="catalog", interruptible=True,
        )  # fmt: skip

    def _on_listed(self, generation: int, overview: Overview | None) -> None:
        if generation != self._generation:
            return  # another database was set meanwhile
        if overview is not None and self._catalog is None:
            self.listed.emit(overview)
        self._load_catalog(first=True)

    def _load_catalog(self, *, first: bool) -> None:
        from gui.runtime.core_calls import load_overview

        self._lost_load = False
        workers.run(
            load_overview, self._db,
            on_done=functools.partial(self._on_loaded, self._generation, first),
            on_error=functools.partial(self._on_load_failed, self._generation),
            on_aborted=functools.partial(self._on_load_aborted, self._generation),
            owner=self, key="catalog", interruptible=True,
        )  # fmt: skip

    def _on_connection_recovered(self) -> None:
        """The database answers again: a catalog that could not be read while it was away is read now."""
        if self._db is not None and self._lost_load:
            self._load(first=self._catalog is None)

    def _on_loaded(self, generation: int, first: bool, loaded: tuple[Catalog, Overview]) -> None:
        if generation != self._generation:
            return  # another database was set meanwhile
        self._catalog, self._overview = loaded
        self.catalog_changed.emit(CatalogChange(self._catalog, self._overview, first))

    def _on_load_failed(self, generation: int, failure: workers.Failure) -> None:
        from core.errors import ConnectionLost

        if generation == self._generation:
            self._lost_load = isinstance(failure.exception, ConnectionLost)
            self.catalog_failed.emit(failure)

    def _on_load_aborted(self, generation: int) -> None:
        if generation == self._generation:
            self.catalog_aborted.emit()

    def _on_schema_changed(self, generation: int, on_done: Callable[[Any], None] | None, result: Any) -> None:
        if generation == self._generation:
            self.reload_catalog()
        if on_done is not None:
            on_done(result)

    def _on_schema_change_failed(
        self, generation: int, on_error: Callable[[workers.Failure], None] | None, failure: workers.Failure
    ) -> None:
        if generation == self._generation:
            self.reload_catalog()
        if on_error is not None:
            on_error(failure)

    def _on_schema_change_aborted(self, generation: int, on_aborted: Callable[[], None] | None) -> None:
        if generation == self._generation:
            self.reload_catalog()  # a bug halfway may have changed the schema all the same
        if on_aborted is not None:
            on_aborted()


class _Follower(QObject):
    """A child of the subscribing screen: destroyed with it, which ends the subscription."""

    def __init__(self, owner: QObject, open_db: OpenDatabase, on_reload: Callable[[Catalog], None]) -> None:
        super().__init__(owner)
        self._on_reload = on_reload
        open_db.catalog_changed.connect(self._on_open_db_catalog_changed)

    def _on_open_db_catalog_changed(self, change: CatalogChange) -> None:
        if not change.first:
            self._on_reload(change.catalog)
