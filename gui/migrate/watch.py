"""Where the open database stands against its migrations, and what the editors may do meanwhile.

On every catalog (the database opened, or its schema changed) the watch reads the database's standing on a
worker and shows it in the banner. At a revision the scripts do not know, every editor (and the graph's link
edits) is held read-only with the reason until the right project is picked; until the first standing comes, a
write checks the revision first on its worker, as the CLI's do (core/migrate/first_write.py). While the runner
migrates (or restores a backup) the editors are paused: staged edits are kept, editing and scrolling are off
so no page is read (one opened meanwhile reads nothing until the end), and the pooled connections are closed,
so our own idle reads hold neither SQLite's lock nor PostgreSQL's DDL locks. Every other screen of the window
that can pause (gui/migrate/pausable.py: the record form, the graph, the schema diagram, the search and the
audit panels) is paused the same way: it reads nothing, what is asked meanwhile waits, staged edits stay. When
the run ends, whatever its outcome, the open database reloads the catalog (its change_schema): the screens
stay paused until the reloaded catalog is in place and every screen has followed it, then resume and read
once, with it (resumed earlier, they read with the old catalog, and read again when it came). The watch knows
those screens without walking the window's objects (thousands, on the GUI thread, on every standing): the
window hands it each panel it makes (`equip`), and the record forms are the open editors' own; an equipped
panel that stages writes (the graph's link edits) has `hold_writes`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from core.migrate.first_write import check_on_first_write
from gui.migrate import jobs
from gui.migrate.banner import MigrationBanner, unknown_reason
from gui.migrate.pausable import PAUSED_READS, Pausable, WriteHoldable
from gui.migrate.project_choice import project_for
from gui.runtime import workers
from gui.runtime.priority import Priority

if TYPE_CHECKING:
    from core.engine.db import Database
    from gui.editor.view import TableEditor
    from gui.migrate.dialog import MigrationDialog
    from gui.runtime.open_database import CatalogChange, OpenDatabase

log = logging.getLogger("warden.gui.migrate")

_T = TypeVar("_T")

PAUSED = "Paused while a migration runs: your staged edits are kept; editing resumes when it ends."


class MigrationWatch(QObject):
    """Keeps the banner and the editors' holds in step with the open database's standing; pauses editors
    during a run. A child of the open database, so the runner finds it (`find`)."""

    standing_changed = Signal(object)  # a jobs.Standing, or None (not a migrated database)
    paused_changed = Signal(bool)

    def __init__(
        self,
        open_db: OpenDatabase,
        editors: Callable[[], list[TableEditor]],
        banner: MigrationBanner,
        window: QWidget,
    ) -> None:
        super().__init__(open_db)
        self.setObjectName("migrationWatch")
        self.open_db, self.editors, self.banner, self.window = open_db, editors, banner, window
        self.standing: jobs.Standing | None = None
        self.paused = False
        self._runs = 0  # runs under way (two runners may be open): paused until the last one ends
        self._reloading = False  # the last run ended: paused until the catalog it reloads is in place
        self._held: set[int] = set()  # editors whose message is ours (to clear it again)
        self._screens: list[Pausable] = []  # the panels equipped (graph, search, audit…): paused with editors
        open_db.database_changed.connect(self._on_open_db_database_changed)
        open_db.database_swapped.connect(self._on_open_db_database_swapped)
        open_db.catalog_changed.connect(self._on_open_db_catalog_changed)
        open_db.catalog_failed.connect(self._on_open_db_catalog_failed)
        open_db.catalog_aborted.connect(self._on_open_db_catalog_aborted)
        banner.review_requested.connect(self.open_runner)

    @staticmethod
    def find(open_db: OpenDatabase) -> MigrationWatch | None:
        """The watch of `open_db`, if the window made one."""
        return open_db.findChild(MigrationWatch, "migrationWatch")

    @property
    def ending(self) -> bool:
        """The last run has ended: paused only until the catalog it reloads is in place (paused_changed)."""
        return self._reloading and not self._runs

    @property
    def hold_reason(self) -> str | None:
        """Why editors are read-only now (paused, or an unknown revision); None: they may edit."""
        if self.paused:
            return PAUSED
        return self.unknown_reason

    @property
    def unknown_reason(self) -> str | None:
        """Why nothing may be written at the open database's revision (its scripts do not know it)."""
        if self.standing is not None and not self.standing.known:
            return unknown_reason(self.standing)
        return None

    # --- standing --------------------------------------------------------------------------------

    def check(self) -> None:
        """Read the open database's standing again (on a worker); the banner and holds follow."""
        db = self.open_db.database
        if db is None:
            return
        workers.run(
            jobs.standing, db, project_for(db.display_url),
            on_done=lambda found, g=self.open_db.generation: self._on_standing(g, found),
            on_error=self._on_standing_failed,
            owner=self, key="standing", priority=Priority.READ,
        )  # fmt: skip

    def _on_standing(self, generation: int, standing: jobs.Standing | None) -> None:
        if generation != self.open_db.generation:
            return  # another database was opened meanwhile
        self.standing = standing
        self.banner.show_standing(standing)
        self.standing_changed.emit(standing)
        self._apply()

    def _on_standing_failed(self, failure: workers.Failure) -> None:
        # Not knowing where it stands is no reason to stop anyone: the runner shows the error when opened.
        log.info("the database's migration standing could not be read: %s", failure.message)

    def _on_open_db_database_changed(self, db: Database | None) -> None:
        if self._reloading:  # the reload waited for is dropped with the database it was for
            self._end_pause()
        self.standing = None
        self.banner.show_standing(None)
        self._apply()
        if db is not None:  # until the standing comes, a write checks the revision first (on its worker)
            check_on_first_write(db, project_for(db.display_url))

    def _on_open_db_database_swapped(self, db: Database) -> None:
        # The one place a reopened connection (an unlock, its end) gets its write hold.
        if self.standing is None:  # the check not yet replaced by a standing's hold: the new connection's
            check_on_first_write(db, project_for(db.display_url))
        else:
            from core.migrate.status import hold_writes  # loaded already: the standing was read with it

            hold_writes(db, self.unknown_reason)

    def _on_open_db_catalog_changed(self, _change: CatalogChange) -> None:
        if self._reloading:
            # Connected before the screens' own subscriptions (editors, forms, panels made later): they follow
            # the new catalog in this same emission, after this slot. Resume once they all have.
            QTimer.singleShot(0, self, self._on_catalog_followed)
            return  # the standing is read when the pause ends
        self.check()

    def _on_open_db_catalog_failed(self, _failure: workers.Failure) -> None:
        if self._reloading:  # the catalog shown so far stays (the window says why): resume with it
            self._end_pause()

    def _on_open_db_catalog_aborted(self) -> None:
        if self._reloading:
            self._end_pause()

    def _on_catalog_followed(self) -> None:
        if self._reloading and not self._runs:
            self._end_pause()

    # --- editors ---------------------------------------------------------------------------------

    def equip(self, screen: TableEditor | Pausable) -> None:
        """A new editor gets the current hold (read-only on an unknown revision, paused during a run; one made
        during a run was made with its reads paused and reads when it ends); a new screen that can pause is
        paused when a run is under way."""
        if isinstance(screen, Pausable):
            screen.set_paused(PAUSED_READS if self.paused else None)
            self._screens = [*self._alive(self._screens), screen]
            if isinstance(screen, WriteHoldable):
                screen.hold_writes(self.unknown_reason)  # a new graph's link edits
        else:
            self._hold(screen, self.hold_reason)

    def pause(self) -> None:
        """A run starts: editors keep their staged edits but neither edit nor read; connections released."""
        self._runs += 1
        self._reloading = False  # this run's end waits for its own reload
        if self._runs > 1:
            return  # already paused by another runner's run
        db = self.open_db.database
        if db is not None:
            workers.run(db.dispose, owner=self)  # idle pooled connections hold no lock of ours in its way
        if self.paused:
            return  # still paused: the last run's reload had not landed
        self.paused = True
        self._apply()
        self.paused_changed.emit(True)

    def resume(self, *, after_reload: bool = False) -> None:
        """The run ended (done, failed or stopped): editors edit and read again, unless another runner's run
        is still under way; the standing is re-read. With `after_reload` (a runner's run: change_schema
        reloads the catalog after it), once the reloaded catalog is in place and the screens followed it."""
        self._runs = max(self._runs - 1, 0)
        if self._runs or not self.paused:
            return
        if after_reload and self.open_db.database is not None:
            self._reloading = True  # catalog_changed (or its failure) ends the pause
            return
        self._end_pause()

    def _end_pause(self) -> None:
        self._reloading = False
        self.paused = False
        self._apply()
        self.paused_changed.emit(False)
        self.check()

    def _apply(self) -> None:
        reason = self.hold_reason
        for editor in self.editors():
            self._hold(editor, reason)
        for screen in self.screens():
            screen.set_paused(PAUSED_READS if self.paused else None)
        self._hold_writes()

    def _hold_writes(self) -> None:
        """The equipped screens that stage writes (the graph's link edits), held as the editors are."""
        for screen in self._alive(self._screens):
            if isinstance(screen, WriteHoldable):
                screen.hold_writes(self.unknown_reason)

    def screens(self) -> list[Pausable]:
        """The window's screens that pause during a run: the panels equipped (graph, search; the search
        panel pauses its stale bar) and the open editors' record forms."""
        self._screens = self._alive(self._screens)
        forms = [f for e in self.editors() if isinstance(f := getattr(e, "form", None), Pausable)]
        return [*self._screens, *forms]

    @staticmethod
    def _alive(objects: list[_T]) -> list[_T]:
        """`objects` without those Qt has deleted (a closed tab's panel)."""
        return [o for o in objects if shiboken6.isValid(o)]

    def _hold(self, editor: TableEditor, reason: str | None) -> None:
        editor.hold(reason)
        editor.setEnabled(not self.paused)  # no scrolling, so no page is read while paused
        if not self.paused:
            editor.resume_reads()  # one opened during the run reads its first page now
        if reason:
            editor.show_message(reason)  # inline until lifted: a toast would time out while it holds
            self._held.add(id(editor))
        elif id(editor) in self._held:
            self._held.discard(id(editor))
            editor.clear_message()

    # --- the runner ------------------------------------------------------------------------------

    def open_runner(self) -> MigrationDialog | None:
        """Open the migration runner for the open database."""
        from gui.migrate.dialog import open_runner

        if self.open_db.database is None:
            return None
        return open_runner(self.open_db, self.window)

    def follow_runner(self, dialog: MigrationDialog) -> None:
        """Pause the editors while `dialog` runs something; read the standing again after a project pick."""
        dialog.run_started.connect(self.pause)
        dialog.run_finished.connect(self._on_dialog_run_finished)
        dialog.project_changed.connect(self.check)

    def _on_dialog_run_finished(self) -> None:
        self.resume(after_reload=True)  # its runs go through change_schema, which reloads the catalog
