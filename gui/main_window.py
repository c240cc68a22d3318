"""The frame: entity navigator, tabs and status bar. It wires features; it holds none."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import shiboken6
from PySide6.QtCore import QByteArray, QCoreApplication, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QTabBar, QTabWidget, QVBoxLayout, QWidget

from gui import settings as saved
from gui.runtime import workers
from gui.runtime.open_database import CatalogChange, OpenDatabase

# The window's parts are imported by build(): the app shows the bare window first, then builds it (about
# 35 ms of imports and 30 ms of widgets that would otherwise come before the first frame). PySide6's `Qt`
# namespace is imported where it is used, in build(): importing it makes every one of its enums (~20 ms).
if TYPE_CHECKING:  # SQLAlchemy, numpy and pgvector load on the worker that opens a database, after show()
    from collections.abc import Callable

    from core.audit.profiles import Profile
    from core.data.overview import Overview, RowCount
    from core.data.recovery import Recovery
    from core.engine.db import Database
    from core.schema.catalog import Catalog
    from gui.connection.profiles import RecentConnection
    from gui.editor.model.table_model import TableEditorModel
    from gui.editor.recovery import RecoveryJournal, RestorePrompt
    from gui.editor.view import TableEditor
    from gui.runtime.connection_state import State
    from gui.safety.state import LevelState

log = logging.getLogger("warden.gui.main_window")

DEFAULT_SIZE = (1200, 800)
UNAVAILABLE_STYLE = "QLabel { color: #b3261e; font-weight: bold; }"
QUIT_WAITS = "The migration has ended; quitting once its tables are read again…"


class MainWindow(QMainWindow):
    """Warden's main window: navigator on the left, tabs in the middle, connection in the status bar."""

    database_opened = Signal(object)  # the Database, after it opened (on the GUI thread)
    overview_loaded = Signal(object)  # the Overview of a loaded catalog, which now fills the navigator
    #: The Overview whose entities the navigator first lists for a database: its listing (before the
    #: catalog) or, when there was none, its first catalog's.
    navigator_filled = Signal(object)
    counts_loaded = Signal(object)  # {entity: RowCount | None}, the navigator's first counts
    load_failed = Signal(str)  # a message a person can act on
    entity_activated = Signal(str)  # an entity name the user opened from the navigator
    counts_refreshed = Signal(object)  # {entity: RowCount} re-counted after a save changed rows

    def __init__(
        self, db: Database | None = None, parent: QWidget | None = None, *, build_later: bool = False
    ) -> None:
        """The window on `db` if given; with `build_later`, only the bare frame until build() is called."""
        super().__init__(parent)
        # The open database and its catalog; the navigator, editors and forms follow its signals
        self.open_db = OpenDatabase(self)
        self._pending_recent: RecentConnection | None = None
        self._pending_pg: str | None = None  # a PostgreSQL URL being opened, remembered once it opened
        self._pending_open: str | None = None  # an entity opened from the listing, before its catalog came
        self._listed_generation = -1  # the database whose listing filled the navigator
        # The open database's counts as shown, to show again when another one fails to open or is not opened
        self._counts: dict[str, RowCount | None] = {}
        self._exact: dict[str, int] = {}
        self._counts_failed = False  # the navigator's counts could not be read: read again on recovery
        self._journal: RecoveryJournal | None = None  # keeps the open database's staged edits for recovery
        self.restore_prompt: RestorePrompt | None = None  # the open "Restore unsaved changes?" question
        self.built = False
        self.quit_waits = False  # Ctrl+Q came as a run ended: the window closes once the catalog is reloaded
        self.setWindowTitle("Warden")
        self.resize(*DEFAULT_SIZE)
        self._restore_saved("geometry", self.restoreGeometry)
        if build_later:
            return
        self.build()
        if db is not None:
            self.set_database(db)

    def build(self) -> None:
        """Make the navigator, tabs, status bar and menus (once); the app calls it after the first frame."""
        from gui.connection.menu import ConnectionActions
        from gui.unsaved import LeaveGuard

        if self.built:
            return
        self.built = True
        self.leave_guard = LeaveGuard(self)  # Save / Discard / Cancel before staged edits could go away
        self.leave_guard.save_failed.connect(self._on_leave_guard_save_failed)
        app = QCoreApplication.instance()
        if app is not None:  # a quit that skips the close (Ctrl+C in a terminal) still keeps the edits
            app.aboutToQuit.connect(self._on_app_about_to_quit)
        self.connection_actions = ConnectionActions(self)
        self.connection_actions.target_chosen.connect(self.open_target)
        self.connection_actions.profile_chosen.connect(self._on_connection_actions_profile_chosen)
        self.connection_actions.failed.connect(self._show_error)
        self.connection_actions.demo_builder.guard = self._guard_demo
        self._build_tabs()
        self._build_navigator()
        self._build_status_bar()
        self._build_menus()
        self._add_level_actions()
        self._follow_connection()
        # After the navigator's own subscription: it lists a new catalog's tables before tabs highlight them
        self.open_db.listed.connect(self._on_open_db_listed)
        self.open_db.catalog_changed.connect(self._on_open_db_catalog_changed)
        self.open_db.catalog_failed.connect(self._on_open_db_catalog_failed)
        self.open_db.catalog_aborted.connect(self._on_open_db_catalog_aborted)
        self._restore_saved("state", self.restoreState)  # where the docks were: they exist now

    # --- building ------------------------------------------------------------------------------

    def _build_tabs(self) -> None:
        from gui.welcome import WelcomePage

        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.tabCloseRequested.connect(self._on_tabs_close_requested)
        self.welcome = WelcomePage()
        self.welcome.open_requested.connect(self.connection_actions.ask_file)
        self.welcome.connect_requested.connect(self.connection_actions.ask_connection)
        self.welcome.demo_requested.connect(self.connection_actions.ask_demo)
        self.tabs.addTab(self.welcome, "Welcome")
        for side in (QTabBar.ButtonPosition.RightSide, QTabBar.ButtonPosition.LeftSide):
            self.tabs.tabBar().setTabButton(0, side, None)  # the welcome tab stays
        self.setCentralWidget(self._above_tabs(self.tabs))

    def _above_tabs(self, tabs: QTabWidget) -> QWidget:
        """The tabs with the one "server unavailable" banner above them (hidden while connected)."""
        from gui.connection.unavailable_banner import UnavailableBanner

        central = QWidget()
        central.setObjectName("central")
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.unavailable_banner = UnavailableBanner()
        layout.addWidget(self.unavailable_banner)
        from gui.migrate.banner import MigrationBanner
        from gui.migrate.watch import MigrationWatch

        # Behind head or at an unknown revision (gui/migrate/); the watch also pauses editors during a run.
        self.migration_banner = MigrationBanner()
        layout.addWidget(self.migration_banner)
        editors = lambda: [e for _, e in self._editor_pages()]  # noqa: E731
        self.migration_watch = MigrationWatch(self.open_db, editors, self.migration_banner, self)
        self.leave_guard.migrating = lambda: self.migration_watch.paused  # no way out while a run is on
        layout.addWidget(tabs, 1)
        return central

    def _build_navigator(self) -> None:
        from PySide6.QtCore import Qt

        from gui.navigator import Navigator

        self.navigator = Navigator()
        self.navigator.follow(self.open_db)
        self.navigator.entity_activated.connect(self._on_navigator_entity_activated)
        self.navigator.entity_selected.connect(self._on_navigator_entity_selected)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)  # the highlight follows the tab
        dock = QDockWidget("Tables", self)
        dock.setObjectName("navigatorDock")
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        dock.setWidget(self.navigator)
        dock.setMinimumWidth(260)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.resizeDocks([dock], [330], Qt.Orientation.Horizontal)
        from gui.view_refresh import ViewRefresher  # the navigator's Refresh of a materialized view

        status = self.statusBar()
        self.view_refresher = ViewRefresher(self.open_db, self.navigator, self._editors_of, status, self)

    def _build_status_bar(self) -> None:
        from PySide6.QtCore import Qt

        bar = self.statusBar()
        self.connection_label = QLabel("No database")
        self.connection_label.setObjectName("connectionLabel")
        self.connection_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.backend_label = QLabel()
        self.backend_label.setObjectName("backendLabel")
        self.vector_label = QLabel()
        self.vector_label.setObjectName("vectorLabel")
        from gui.safety.level_badge import LevelBadge
        from gui.safety.levels import SafetyLevels

        # The protection level (issue 12): red READ-ONLY (a click unlocks), amber CONFIRM, UNLOCKED until…
        self.level_badge = LevelBadge()
        self.read_only_badge = self.level_badge  # its name before the levels
        self.safety = SafetyLevels(self.open_db, self._use_reopened, self)
        self.safety.changed.connect(self._on_safety_changed)
        self.safety.message.connect(self._on_background_message)
        self.level_badge.unlock_requested.connect(self.safety.ask_unlock)
        self.connection_state_label = QLabel()  # Connected / Reconnecting… / Unavailable since 14:03
        self.connection_state_label.setObjectName("connectionState")
        from gui.audit.consent_gate import AuditGate  # asks before saving unaudited; its "Audit off" badge

        self.audit_gate = AuditGate(self.open_db, bar, self)
        from gui.safety.save_gate import ConfirmGate  # the confirm level's SQL, then the audit question

        self.save_gate = ConfirmGate(self.safety, self.open_db, self.audit_gate.allows, bar, self)
        self.audit_gate.declined.connect(self.save_gate.withdraw)  # not sent: the next save shows its SQL
        for gate in (self.save_gate, self.audit_gate):  # a quit's save waits for their answer, then closes
            self.leave_guard.follow_gate(gate)
        bar.addWidget(self.connection_label, 1)
        permanent = (self.connection_state_label, self.backend_label, self.vector_label, self.level_badge)
        for widget in (*permanent, self.audit_gate.badge):
            bar.addPermanentWidget(widget)

    def _follow_connection(self) -> None:
        """The status bar and the banner show whether the open database answers; reads resume with it."""
        monitor = self.open_db.connection
        monitor.count_staged = self._staged_total
        monitor.state_changed.connect(self._on_connection_state_changed)
        monitor.recovered.connect(self._on_connection_recovered)
        self.open_db.database_changed.connect(self._on_open_db_database_changed)
        self.unavailable_banner.follow(monitor)

    def _build_menus(self) -> None:
        from gui.menus import MainMenus

        self.menus = MainMenus(self)  # File, Edit, View, Tools, Help; Edit and View follow the current tab

    def _add_level_actions(self) -> None:
        """File → Unlock Editing… and Lock Editing Now, above the editor's file actions."""
        from PySide6.QtGui import QAction

        menu = self.menus.file_menu
        first = next((a for a in menu.actions() if a.isSeparator()), None)
        self.unlock_action = QAction("&Unlock Editing…", self)
        self.unlock_action.setObjectName("unlockAction")
        self.unlock_action.setStatusTip("Let Warden change a read-only connection for a while, with a reason")
        self.unlock_action.triggered.connect(self.safety.ask_unlock)
        self.lock_action = QAction("&Lock Editing Now", self)
        self.lock_action.setObjectName("lockAction")
        self.lock_action.setStatusTip("End the unlock: the connection is read-only again (edits stay staged)")
        self.lock_action.triggered.connect(self.safety.relock)
        self.save_profile_action = QAction("Save as &Profile…", self)
        self.save_profile_action.setObjectName("saveProfileAction")
        self.save_profile_action.setStatusTip("Keep the open database as a named profile, with a level")
        self.save_profile_action.triggered.connect(self.ask_save_profile)
        actions = [self.save_profile_action, self.unlock_action, self.lock_action]
        if first is not None:
            menu.insertActions(first, actions)
        else:
            menu.addActions(actions)
        self._show_level_actions()

    def ask_save_profile(self) -> QWidget | None:
        """File → Save as Profile…: a name and a level for the open database (window-modal, not blocking)."""
        from PySide6.QtCore import Qt

        from gui.connection.profile_dialog import ProfileDialog

        db, state = self.open_db.database, self.safety.state()
        if db is None or state is None:
            return None
        dialog = ProfileDialog(db, "read-only" if state.unlocked else state.level, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._save_profile(dialog.profile()))
        dialog.open()
        return dialog

    def _save_profile(self, profile: Profile) -> None:
        from core.audit.profiles import save_profile

        workers.run(
            save_profile, profile,
            on_done=lambda _none: self._on_profile_saved(profile), on_error=self._on_background_failed,
            owner=self,
        )  # fmt: skip

    def _on_profile_saved(self, profile: Profile) -> None:
        now = self.open_db.database is not None and self.safety.adopt(profile)
        later = "" if now else " Open it from File → Profiles to work at its level."
        self.statusBar().showMessage(f"Saved profile '{profile.name}' ({profile.level}).{later}", 10_000)

    def _restore_saved(self, key: str, restore: Callable[[QByteArray], bool]) -> None:
        value = saved.settings().value(f"main_window/{key}")
        if isinstance(value, QByteArray) and not value.isEmpty():
            restore(value)

    # --- opening and describing a database (always on a worker) --------------------------------

    @property
    def database(self) -> Database | None:
        """The open database, if any."""
        return self.open_db.database

    @property
    def catalog(self) -> Catalog | None:
        """The open database's catalog, once it has loaded."""
        return self.open_db.catalog

    @property
    def overview(self) -> Overview | None:
        """The summary of the open database, once it has loaded."""
        return self.open_db.overview

    def open_target(self, target: str, *, read_only: bool = False, profile: Profile | None = None) -> None:
        """Open a SQLite file or database URL on a worker; the window switches to it when it is open.

        With `profile` it opens at the profile's level (`target` is its target, with a password if any).
        Staged edits of the open database are saved or discarded first, if the person says so.
        """
        from core.engine import connections
        from gui.connection import profiles
        from gui.runtime.core_calls import open_database
        from gui.safety.jobs import open_profile

        again = functools.partial(self.open_target, target, read_only=read_only, profile=profile)
        if self.leave_guard.refused("opening another database"):
            return
        if not self.leave_guard.check(self._leaving(), "opening another database", then=again):
            return
        is_pg = connections.is_pg_url(target)
        if is_pg:
            # Parsed once it opened: parsing loads SQLAlchemy, which the worker loads anyway, off this thread.
            self._pending_recent, self._pending_pg = None, target
        else:
            path = str(Path(target).expanduser().absolute())
            self._pending_recent, self._pending_pg = profiles.RecentConnection(path, "sqlite"), None
        self._show_loading(connections.display_safe(target) if is_pg else target)
        self.safety.expect(profile)
        opened = {"on_done": self._on_open_done, "on_error": self._on_load_failed}
        if profile is not None:  # at its level: a read-only profile is a read-only session
            workers.run(
                open_profile, profile, target, **opened, on_aborted=self._on_load_aborted,
                owner=self, key="database",
            )  # fmt: skip
            return
        workers.run(
            open_database, target, read_only=read_only, **opened, on_aborted=self._on_load_aborted,
            owner=self, key="database",
        )  # fmt: skip

    def _on_connection_actions_profile_chosen(self, profile: Profile, target: str) -> None:
        self.open_target(target, profile=profile)

    def set_database(self, db: Database, *, owned: bool = False) -> None:
        """Show `db` (already open); the window disposes it on close only if it `owned` it."""
        self._close_entity_tabs()
        self._start_journal(db.display_url)
        self._counts, self._exact = {}, {}
        self._pending_open = None
        self._show_loading(db.display_url)
        self.open_db.set_database(db, owned=owned)  # its catalog loads on a worker: catalog_changed follows

    def _on_open_done(self, db: Database) -> None:
        from gui.connection import profiles

        # Edits may have been staged in the open database while this one was opening: ask again.
        again = functools.partial(self._on_open_done, db)
        cancelled = functools.partial(self._on_open_cancelled, db)
        if self.leave_guard.refused("opening another database", cancelled):
            return
        if not self.leave_guard.check(
            self._leaving(), "opening another database", then=again,
            on_cancel=cancelled,
        ):  # fmt: skip
            return
        if self._pending_pg is not None:
            from core.engine import connections

            pg = connections.parse_pg_url(self._pending_pg)
            self._pending_recent = profiles.RecentConnection(pg.url(), "postgresql", pg.account)
        if self._pending_recent is not None:
            profiles.remember_connection(self._pending_recent)
        self._pending_recent = self._pending_pg = None
        self.set_database(db, owned=True)
        self.database_opened.emit(db)

    def _on_open_cancelled(self, db: Database) -> None:
        """The person chose to stay: the database that just opened is let go, the window is as it was."""
        self._pending_recent = self._pending_pg = None
        workers.run(db.dispose)
        self._show_open_again()

    def _on_open_db_listed(self, overview: Overview) -> None:
        self._listed_generation = self.open_db.generation
        self._show_overview(overview)
        self.navigator_filled.emit(overview)

    def _on_open_db_catalog_changed(self, change: CatalogChange) -> None:
        self._show_overview(change.overview)
        self._estimate_counts()
        if change.first:
            for name in saved.open_tabs(change.overview.display_url):
                if name in change.catalog.entities:
                    self._open_entity_tab(name)
            self._read_recovery()
            pending, self._pending_open = self._pending_open, None
            if pending is not None and pending in change.catalog.entities:
                self._open_entity_tab(pending)  # opened from the listing while the catalog was read
                self.entity_activated.emit(pending)
        else:  # the schema changed: open editors follow it themselves; tables that are gone close
            self._close_vanished_tabs(change.catalog)
        if change.first and self._listed_generation != self.open_db.generation:
            self.navigator_filled.emit(change.overview)
        self.overview_loaded.emit(change.overview)

    def _on_open_db_catalog_failed(self, failure: workers.Failure) -> None:
        if self.open_db.catalog is None:  # the database's first catalog: nothing of it can be shown
            self._on_load_failed(failure)
        else:  # a reload: the catalog shown so far stays
            self._on_background_failed(failure)

    def _estimate_counts(self) -> None:
        from gui.runtime.core_calls import estimate_counts

        self._counts_failed = False
        workers.run(
            estimate_counts, self.open_db.database, self.open_db.catalog,
            on_done=functools.partial(self._on_counts_done, self.open_db.generation),
            on_error=functools.partial(self._on_counts_failed, self.open_db.generation),
            owner=self, key="counts", interruptible=True,
        )  # fmt: skip

    def _on_counts_failed(self, generation: int, failure: workers.Failure) -> None:
        if generation == self.open_db.generation:
            self._counts_failed = True
            self._on_background_failed(failure)

    def _on_counts_done(self, generation: int, counts: dict[str, RowCount | None]) -> None:
        if generation == self.open_db.generation:
            self._counts.update(counts)
            self.navigator.set_counts(counts)
            self.welcome.show_counts(counts)
            self.counts_loaded.emit(counts)

    def _on_load_failed(self, failure: workers.Failure) -> None:
        self._pending_recent = self._pending_pg = None
        self._show_open_again()
        self._show_error(failure.message)
        self.load_failed.emit(failure.message)

    def _on_load_aborted(self) -> None:
        """A bug stopped opening a database (the crash handler says so): the window shows what it showed."""
        self._pending_recent = self._pending_pg = None
        self._show_open_again()

    def _on_open_db_catalog_aborted(self) -> None:
        if self.open_db.catalog is None:  # a reload's bug leaves the catalog shown so far
            self._on_load_aborted()

    def _on_background_failed(self, failure: workers.Failure) -> None:
        from core.errors import ConnectionLost

        if isinstance(failure.exception, ConnectionLost):
            return  # the banner says it, and what failed is read again when the server is back
        self.statusBar().showMessage(failure.message, 10_000)

    # --- the connection's state ----------------------------------------------------------------

    def _staged_total(self) -> int:
        """Staged edits across the open editors (what the banner says is kept)."""
        return sum(editor.model.staged_count for _, editor in self._editor_pages())

    def _on_open_db_database_changed(self, _db: Database | None) -> None:
        self._on_connection_state_changed(self.open_db.connection.state)

    def _on_connection_state_changed(self, _state: State) -> None:
        monitor, label = self.open_db.connection, self.connection_state_label
        if self.open_db.database is None:
            label.clear()
            return
        label.setText(monitor.status_text())
        label.setStyleSheet("" if monitor.connected else UNAVAILABLE_STYLE)
        since = monitor.since
        label.setToolTip(f"The server stopped answering at {since:%H:%M:%S}." if since is not None else "")

    def _on_connection_recovered(self) -> None:
        """The database answers again: the navigator's counts that could not be read are read now (each
        editor reads its own failed pages and count again)."""
        if self._counts_failed and self.open_db.catalog is not None:
            self._estimate_counts()

    def _show_error(self, message: str) -> None:
        self.welcome.show_error(message)
        self.tabs.setCurrentWidget(self.welcome)

    # --- showing state -------------------------------------------------------------------------

    def _show_loading(self, where: str) -> None:
        self.connection_label.setText(f"Opening {where} …")
        self.navigator.show_loading()
        self.welcome.show_loading(where)

    def _show_nothing_open(self) -> None:
        self.navigator.clear()
        self.connection_label.setText("No database")
        self.connection_label.setToolTip("")
        for label in (self.backend_label, self.vector_label):
            label.clear()
            label.setToolTip("")
        self.level_badge.show_state(None)
        self._show_level_actions()
        self.welcome.show_empty()

    def _show_open_again(self) -> None:
        """The open database as it was shown (counts and highlight too), after another did not replace it."""
        overview = self.open_db.overview
        if overview is None:
            self._show_nothing_open()
            return
        self.navigator.show_overview(overview)
        self._show_overview(overview)
        self.navigator.set_counts(self._counts)
        for name, rows in self._exact.items():
            self.navigator.set_exact_count(name, rows)
        self.welcome.show_counts(self._counts)
        self._on_tabs_current_changed(self.tabs.currentIndex())

    def _show_overview(self, overview: Overview) -> None:
        from gui.welcome import backend_text, has_vector_columns, shows_vector_state, vector_text

        caps = overview.capabilities
        self._show_title(overview)
        self.connection_label.setText(overview.display_url)
        self.connection_label.setToolTip(overview.display_url)
        self.backend_label.setText(backend_text(caps))
        libraries = ", ".join(f"{k} {v}" for k, v in caps.get("library_versions", {}).items())
        self.backend_label.setToolTip(f"Driver {caps.get('driver', '?')}; {libraries}")
        # The fallback's orange warning only where there are vectors to search (welcome.shows_vector_state)
        has_vectors = self.catalog is None or has_vector_columns(self.catalog)
        shown = shows_vector_state(caps, has_vectors)
        self.vector_label.setVisible(shown)
        self.vector_label.setText(f"Vectors: {vector_text(caps)}" if shown else "")
        self.vector_label.setProperty("fallback", shown and caps.get("vector_search") == "fallback")
        self.vector_label.setToolTip(
            caps.get("vector_reason") or "Nearest-neighbour search runs natively in the database."
        )
        self.vector_label.style().unpolish(self.vector_label)  # re-read the [fallback] style rule
        self.vector_label.style().polish(self.vector_label)
        self.level_badge.show_state(self.safety.state())
        kinds = {e.name: e.kind for e in self.catalog.entities.values()} if self.catalog is not None else None
        # a foreign database is described in its own terms
        self.welcome.show_overview(overview, kinds, has_vectors=has_vectors)

    # --- the protection level (issue 12) -------------------------------------------------------

    def _show_title(self, overview: Overview | None = None) -> None:
        """The title, "prod — Warden [READ-ONLY]": the profile (or the database) and its level."""
        overview, state = overview or self.open_db.overview, self.safety.state()
        if overview is None:
            return
        name = overview.title or overview.display_url
        if state is not None and state.profile:
            name = state.profile
        self.setWindowTitle(f"{name} — Warden{state.title_tag if state is not None else ''}")

    def _show_level_actions(self) -> None:
        if hasattr(self, "unlock_action"):
            self.unlock_action.setEnabled(self.safety.can_unlock())
            self.lock_action.setEnabled(self.safety.elevation is not None)
            self.save_profile_action.setEnabled(self.open_db.database is not None)

    def _on_safety_changed(self, state: LevelState | None) -> None:
        """The level changed (opened, unlocked, locked again): the badge, the title and the editors follow."""
        self.level_badge.show_state(state)
        self._show_level_actions()
        self._show_title()
        db = self.open_db.database
        if db is not None:
            for _, editor in self._editor_pages():
                editor.use_database(db)

    def _use_reopened(self, db: Database) -> None:
        """The open database reopened with other rights (an unlock or its end): tabs, rows and staged edits
        stay; every screen works on the new connection from now on."""
        self.open_db.swap_database(db)
        for _, editor in self._editor_pages():
            editor.use_database(db)
        audit = self.findChild(QWidget, "auditPanel")
        if audit is not None and hasattr(audit, "set_database"):
            audit.set_database(db, self.open_db.catalog)

    # --- navigator and tabs --------------------------------------------------------------------

    def entity_names(self) -> list[str]:
        """The entity names listed in the navigator, in order (none before the window is built)."""
        return self.navigator.entity_names() if self.built else []

    def open_entity_names(self) -> list[str]:
        """The entities that have a tab open, in tab order."""
        pages = (self.tabs.widget(i) for i in range(self.tabs.count()))
        return [
            str(p.property("entity"))
            for p in pages
            if p is not None and p.property("entity") and not p.property("filtered")
        ]

    def _on_navigator_entity_activated(self, name: str) -> None:
        if self.open_db.catalog is None:  # listed, its catalog still being read: it opens when it is
            self._pending_open = name
            self.statusBar().showMessage(f"Reading the schema; {name} opens in a moment…", 5000)
            return
        self._open_entity_tab(name)
        self.entity_activated.emit(name)

    def _on_navigator_entity_selected(self, name: str) -> None:
        from gui.runtime.core_calls import exact_count

        db, catalog = self.open_db.database, self.open_db.catalog
        if db is None or catalog is None or name not in catalog.entities:
            return
        if self.navigator.has_exact_count(name):
            return
        workers.run(
            exact_count, db, catalog.get(name),
            on_done=functools.partial(self._on_exact_count_done, self.open_db.generation, name),
            on_error=self._on_background_failed, owner=self, key="exact",
            interruptible=True,
        )  # fmt: skip

    def _on_exact_count_done(self, generation: int, name: str, rows: int) -> None:
        if generation == self.open_db.generation:
            self._exact[name] = rows
            self.navigator.set_exact_count(name, rows)

    def _on_tabs_current_changed(self, index: int) -> None:
        """The navigator highlights the active tab's entity (it opens nothing)."""
        page = self.tabs.widget(index)
        entity = page.property("entity") if page is not None else None
        self.navigator.select_entity(str(entity) if entity else None)

    def _on_editor_saved(self, name: str, result: Any) -> None:
        """Re-count the tables whose rows a save inserted or deleted, cascades included, on a worker."""
        from gui.navigator_counts import affected_entities, recount

        db, catalog = self.open_db.database, self.open_db.catalog
        if db is None or catalog is None:
            return
        names = affected_entities(catalog, name, result)
        if not names:
            return
        exact = [n for n in names if self.navigator.has_exact_count(n)]
        workers.run(
            recount, db, catalog, names, exact,
            on_done=functools.partial(self._on_recount_done, self.open_db.generation),
            on_error=self._on_background_failed, owner=self,
        )  # fmt: skip

    def _on_recount_done(self, generation: int, counts: dict[str, RowCount]) -> None:
        if generation == self.open_db.generation:
            self._counts.update(counts)
            for name in counts:
                self._exact.pop(name, None)  # the recount replaces it (exact where it was)
            self.navigator.update_counts(counts)
            self.welcome.show_counts(dict(counts))
            self.counts_refreshed.emit(counts)

    def _open_entity_tab(self, name: str, filters: list[Any] | None = None) -> None:
        """Focus `name`'s tab or open one; with `filters` (from a related-rows link) always a new one."""
        for i in range(self.tabs.count()):
            page = self.tabs.widget(i)
            assert page is not None  # i < count()
            if not filters and page.property("entity") == name and not page.property("filtered"):
                self.tabs.setCurrentIndex(i)
                return
        page = self._make_editor(name, filters)
        page.setProperty("entity", name)
        page.setProperty("filtered", bool(filters))
        title = f"{name} (filtered)" if filters else name
        self.tabs.setCurrentIndex(self.tabs.addTab(page, title))
        self._save_open_tabs()

    def _make_editor(self, name: str, filters: list[Any] | None = None) -> QWidget:
        """The table editor for `name`, or a placeholder while the editor feature is not installed."""
        try:
            from gui.editor.catalog_follow import follow_editor
            from gui.editor.view import TableEditor
        except ImportError as exc:
            from PySide6.QtCore import Qt

            log.debug("table editor unavailable (%s); showing a placeholder", exc)
            page = QLabel(f"{name}\n\nThe table editor opens here.")
            page.setObjectName("entityPlaceholder")
            page.setAlignment(Qt.AlignmentFlag.AlignCenter)
            return page
        db, catalog = self.open_db.database, self.open_db.catalog
        assert db is not None and catalog is not None  # tabs open only on an open database
        paused = self.migration_watch.paused  # opened while a migration runs: it reads once the run ends
        editor = TableEditor(db, catalog, name, filters=filters, reads_paused=paused)
        self.open_db.follow(editor, functools.partial(follow_editor, editor))  # a schema change: it follows
        editor.open_entity_requested.connect(self._open_entity_tab)
        editor.graph_requested.connect(self.show_graph)
        editor.similar_requested.connect(self.show_search)
        self.view_refresher.equip(editor)  # a materialized view's Refresh View button
        self.migration_watch.equip(editor)  # read-only at an unknown revision, paused during a migration
        editor.model.saved.connect(functools.partial(self._on_editor_saved, name))
        editor.model.follow_connection(self.open_db.connection)  # saves refused and reads resumed with it
        editor.model.save_gate = self.save_gate.allows  # confirm level: the SQL; no audit log: ask first
        if self._journal is not None:
            self._journal.watch(editor.model)
        return editor

    def show_graph(self, entity: str | None = None, key: dict[str, Any] | None = None) -> QWidget:
        """Focus the graph tab (made on first use); with a record, show the graph around it."""
        from gui.graph.panel import GraphPanel

        panel = self.findChild(GraphPanel, "graphPanel")
        if panel is None or self.tabs.indexOf(panel) < 0:
            panel = GraphPanel(self.open_db)
            panel.open_entity_requested.connect(self._open_entity_tab)
            panel.links_saved.connect(self._on_audit_reverted)  # the written tables' editors read again
            panel.links.save_gate = self.save_gate.allows  # confirm level: the SQL; no audit log: ask
            self.migration_watch.equip(panel)  # paused if a migration runs
            self.tabs.addTab(panel, "Graph")
        self.tabs.setCurrentWidget(panel)
        if entity is not None and key is not None:
            panel.show_record(entity, key)
        return panel

    def show_schema(self) -> QWidget:
        """Focus the schema diagram's tab (made on first use)."""
        from gui.graph.er_panel import ErPanel

        panel = self.findChild(ErPanel, "erPanel")
        if panel is None or self.tabs.indexOf(panel) < 0:
            panel = ErPanel(self.open_db)
            panel.open_entity_requested.connect(self._open_entity_tab)
            self.migration_watch.equip(panel)  # paused if a migration runs
            self.tabs.addTab(panel, "Schema")
        self.tabs.setCurrentWidget(panel)
        return panel

    def show_audit(self) -> QWidget:
        """Focus the audit log's tab (made on first use); double-clicking an entry opens its record."""
        from gui.audit.panel import AuditPanel

        panel = self.findChild(AuditPanel, "auditPanel")
        if panel is None or self.tabs.indexOf(panel) < 0:
            panel = AuditPanel()
            panel.setObjectName("auditPanel")
            panel.record_requested.connect(self._open_record)
            panel.reverted.connect(self._on_audit_reverted)
            self.open_db.follow(panel, lambda catalog: panel.set_database(self.open_db.database, catalog))
            self.migration_watch.equip(panel)  # paused if a migration runs (before it reads)
            self.tabs.addTab(panel, "Audit Log")
            panel.set_database(self.open_db.database, self.open_db.catalog)
        self.tabs.setCurrentWidget(panel)
        return panel

    def _open_record(self, entity: str, key: dict[str, Any]) -> None:
        """Open `entity`'s table filtered to the row with this key (as the search's Open Record does)."""
        from core.data.repository import Filter

        self._open_entity_tab(entity, [Filter(k, "eq", v) for k, v in key.items()])

    def _on_audit_reverted(self, names: list[str]) -> None:
        """A revert wrote rows: open editors of those tables read them again."""
        for name in names:
            for editor in self._editors_of(name):
                editor.model.refresh()

    def show_search(self, entity: str | None = None, key: dict[str, Any] | None = None) -> QWidget:
        """Focus the search tab (made on first use); with a record, show the rows like it."""
        from gui.search.panel import SearchPanel

        panel = self.findChild(SearchPanel, "searchPanel")
        if panel is None or self.tabs.indexOf(panel) < 0:
            panel = SearchPanel(self.open_db)
            panel.open_entity_requested.connect(self._open_entity_tab)
            panel.graph_requested.connect(self.show_graph)
            self.migration_watch.equip(panel)  # paused if a migration runs
            self.tabs.addTab(panel, "Search")
        self.tabs.setCurrentWidget(panel)
        if entity is not None and key is not None:
            panel.more_like_this(entity, key)
        else:
            panel.query.setFocus()
        return panel

    def _editor_pages(self) -> list[tuple[str, TableEditor]]:
        """The open table editors with their tab titles."""
        return [(self.tabs.tabText(i), e) for i in range(self.tabs.count()) if (e := self._editor_at(i))]

    def _leaving(self) -> list[tuple[str, Any]]:
        """Every tab with staged edits a quit or another database would lose: the table editors, and the
        record graphs' link edits (gui/unsaved.py asks about them all)."""
        tabs = range(self.tabs.count())
        graphs = [(self.tabs.tabText(i), links) for i in tabs if (links := self._links_at(i)) is not None]
        return [*self._editor_pages(), *graphs]

    def _links_at(self, index: int) -> Any:
        """The link edits of a record graph tab, else None (without importing the graph)."""
        links = getattr(self.tabs.widget(index), "links", None)
        return links if hasattr(links, "save_finished") else None

    def _editors_of(self, name: str) -> list[TableEditor]:
        """The open table editors of entity `name` (filtered ones too)."""
        pages = (self._editor_at(i) for i in range(self.tabs.count()))
        return [e for e in pages if e is not None and e.property("entity") == name]

    def _editor_at(self, index: int) -> TableEditor | None:
        """The table editor in a tab (not the welcome page or a placeholder), without importing the editor."""
        page = self.tabs.widget(index)
        return cast("TableEditor", page) if page is not None and hasattr(page, "model") else None

    def _on_tabs_close_requested(self, index: int) -> None:
        page = self.tabs.widget(index)
        assert page is not None  # Qt asks to close a tab it shows
        if page is self.welcome:
            return
        title, work = self.tabs.tabText(index), self._editor_at(index) or self._links_at(index)
        again = functools.partial(self._close_tab, page)
        if self.leave_guard.check([(title, work)] if work else [], f"closing {title}", then=again):
            self._close_tab(page)

    def _close_tab(self, page: QWidget) -> None:
        index = self.tabs.indexOf(page)
        if index < 0:
            return
        self.tabs.removeTab(index)
        page.deleteLater()
        self._save_open_tabs()

    def _on_leave_guard_save_failed(self, editor: QWidget) -> None:
        if self.tabs.indexOf(editor) >= 0:
            self.tabs.setCurrentWidget(editor)  # its inline message says why nothing closed

    def _guard_demo(self, build: Callable[[], None]) -> None:
        """Before a new demo database is built (and then opened): save or discard staged edits, or stay."""
        if self.leave_guard.refused("creating a demo database"):
            return
        if self.leave_guard.check(self._leaving(), "creating a demo database", then=build):
            build()

    def _close_entity_tabs(self) -> None:
        self._save_open_tabs()
        for i in reversed(range(self.tabs.count())):
            page = self.tabs.widget(i)
            assert page is not None  # i < count()
            if page is not self.welcome:
                self.tabs.removeTab(i)
                page.deleteLater()

    def _close_vanished_tabs(self, catalog: Catalog) -> None:
        """Close the tabs of tables the new catalog no longer has, and tell what went with them."""
        from gui.editor.staged_follow import plural

        told: list[str] = []
        for i in reversed(range(self.tabs.count())):
            page = self.tabs.widget(i)
            name = page.property("entity") if page is not None else None
            if page is None or not name or str(name) in catalog.entities:
                continue
            editor = self._editor_at(i)
            staged = editor.model.staged_count if editor is not None else 0
            lost = plural(staged, "unsaved change was", "unsaved changes were") if staged else ""
            lost = f": {lost} dropped" if lost else ""
            told.append(f"{self.tabs.tabText(i)} no longer exists; its tab was closed{lost}.")
            if editor is not None and staged:
                editor.model.revert()  # the recovery file lets them go too: they cannot be saved anywhere
            self.tabs.removeTab(i)
            page.deleteLater()
        if told:
            self._save_open_tabs()
            self.statusBar().showMessage(" ".join(reversed(told)), 15_000)

    def _save_open_tabs(self) -> None:
        overview = self.open_db.overview
        if overview is not None:
            saved.set_open_tabs(overview.display_url, self.open_entity_names())

    # --- crash recovery of staged edits ----------------------------------------------------------

    def _start_journal(self, target: str) -> None:
        """Follow the staged edits of the database at `target` in its recovery file (after the old one's)."""
        from gui.editor.recovery import RecoveryJournal

        self._stop_journal()
        self._journal = RecoveryJournal(target, self)
        self._journal.failed.connect(self._on_background_message)

    def _stop_journal(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal.deleteLater()
            self._journal = None
        if self.restore_prompt is not None and shiboken6.isValid(self.restore_prompt):
            self.restore_prompt.close()
        self.restore_prompt = None

    def _read_recovery(self) -> None:
        """Look for edits an earlier session left unsaved (on a worker); offer them when found."""
        from core.data.recovery import read_recovery

        if self._journal is not None:
            workers.run(
                read_recovery, self._journal.target,
                on_done=functools.partial(self._on_recovery_read, self._journal),
                on_error=self._on_background_failed, owner=self._journal, key="recovery",
            )  # fmt: skip

    def _on_recovery_read(self, journal: RecoveryJournal, recovery: Recovery | None) -> None:
        catalog = self.open_db.catalog
        if journal is not self._journal or catalog is None:
            return
        self.restore_prompt = journal.offer(recovery, self, catalog.entities, self._open_editor_model)

    def _open_editor_model(self, name: str) -> TableEditorModel | None:
        """Open (or focus) `name`'s tab; its editor's model, if the tab holds an editor."""
        self._open_entity_tab(name)
        page = self.tabs.currentWidget()
        return getattr(page, "model", None) if page is not None and page.property("entity") == name else None

    def _on_app_about_to_quit(self) -> None:
        if self._journal is not None:
            self._journal.flush()  # the last edit may still be in the debounce

    def _on_background_message(self, message: str) -> None:
        self.statusBar().showMessage(message, 10_000)

    # --- closing -----------------------------------------------------------------------------

    def _close_again(self) -> None:
        self.close()

    def _quit_after_reload(self) -> None:
        """Quit once the screens have the catalog reloaded after a run (a second or two): then as always,
        staged edits asked about first."""
        self.statusBar().showMessage(QUIT_WAITS)
        if not self.quit_waits:
            self.quit_waits = True
            self.migration_watch.paused_changed.connect(self._on_migration_watch_paused_changed)

    def _on_migration_watch_paused_changed(self, paused: bool) -> None:
        if paused or not self.quit_waits:
            return
        self.quit_waits = False
        self.migration_watch.paused_changed.disconnect(self._on_migration_watch_paused_changed)
        self.statusBar().clearMessage()
        QTimer.singleShot(0, self, self._close_again)  # after the other screens have resumed

    def closeEvent(self, event: QCloseEvent) -> None:
        """Remember the window layout and open tabs; release a database this window opened.

        With staged edits it asks first, and stays open: it closes again once they are saved or discarded.
        Refused while a migration runs; asked as a run ends, it waits for the catalog reloaded after it.
        """
        if not self.built:  # closed before its first frame: nothing was opened or staged yet
            super().closeEvent(event)
            return
        if self.migration_watch.ending:  # the run is over, the catalog is read again: no need to refuse
            self._quit_after_reload()
            event.ignore()
            return
        if self.leave_guard.refused("quitting"):  # the runner would be deleted under its run
            event.ignore()
            return
        if not self.leave_guard.check(self._leaving(), "quitting", then=self._close_again):
            event.ignore()
            return
        state = saved.settings()
        state.setValue("main_window/geometry", self.saveGeometry())
        state.setValue("main_window/state", self.saveState())
        self._save_open_tabs()
        self._stop_journal()  # nothing is staged any more: this removes the recovery file
        self.open_db.close()  # disposed if this window opened it
        super().closeEvent(event)
