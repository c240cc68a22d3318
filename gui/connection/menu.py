"""The File menu's ways to reach a database: open a file, connect to PostgreSQL, profiles, recent ones, a
demo."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from core.audit.profiles import Profile
from core.engine import connections
from gui import settings as saved
from gui.connection import profiles
from gui.connection.demo import DemoBuilder
from gui.connection.dialog import ConnectionDialog
from gui.runtime import workers

SQLITE_FILTER = "SQLite databases (*.db *.sqlite *.sqlite3 *.db3);;All files (*)"
LAST_FOLDER_KEY = "main_window/last_folder"


class ConnectionActions(QObject):
    """Adds the connection actions to a menu; `target_chosen(target)` says what to open."""

    target_chosen = Signal(str)  # a file path or a full URL (it may hold a password: never store it)
    #: A profile to open at its level, and its target with the password if any (never store it)
    profile_chosen = Signal(object, str)
    failed = Signal(str)  # a message a person can act on

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self.connection_dialog: ConnectionDialog | None = None
        self.demo_builder = DemoBuilder(window)
        self.demo_builder.built.connect(self.target_chosen)
        self.demo_builder.failed.connect(self.failed)

    def _action(
        self,
        menu: QMenu,
        text: str,
        slot: Callable[..., object],
        shortcut: QKeySequence | QKeySequence.StandardKey | None = None,
    ) -> QAction:
        action = QAction(text, self._window)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def add_to(self, menu: QMenu) -> None:
        """Add Open, Connect, Recent Connections and New Demo Database to `menu`."""
        self.open_action = self._action(
            menu, "&Open SQLite File…", self.ask_file, QKeySequence.StandardKey.Open
        )
        self.connect_action = self._action(
            menu, "&Connect to PostgreSQL…", self.ask_connection, QKeySequence("Ctrl+Shift+O")
        )
        self.profiles_menu = menu.addMenu("&Profiles")
        self.profiles_menu.setObjectName("profilesMenu")
        self.profiles_menu.setToolTipsVisible(True)
        self.profiles_menu.aboutToShow.connect(self.fill_profiles_menu)
        self.fill_profiles_menu()
        self.recent_menu = menu.addMenu("&Recent Connections")
        self.recent_menu.aboutToShow.connect(self.fill_recent_menu)
        self.fill_recent_menu()
        self.demo_action = self._action(menu, "&New Demo Database…", self.ask_demo)

    def last_folder(self) -> str:
        """Where the last file dialog was."""
        return str(saved.settings().value(LAST_FOLDER_KEY, str(Path.home())))

    def ask_file(self) -> None:
        """Ask for a SQLite file and open it."""
        path, _ = QFileDialog.getOpenFileName(
            self._window, "Open SQLite File", self.last_folder(), SQLITE_FILTER
        )
        if path:
            saved.settings().setValue(LAST_FOLDER_KEY, str(Path(path).parent))
            self.target_chosen.emit(path)

    def ask_connection(self, target: connections.PgTarget | None = None) -> ConnectionDialog:
        """Open the PostgreSQL dialog (window-modal, not blocking); Connect opens the database."""
        known = target if isinstance(target, connections.PgTarget) else None
        dialog = ConnectionDialog(known, self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.profile_chosen.emit(dialog.profile(), dialog.url()))
        self.connection_dialog = dialog
        dialog.open()
        return dialog

    def ask_demo(self) -> None:
        """Ask where to create a demo database, build it, then open it."""
        self.demo_builder.ask_and_build(self.last_folder())

    def fill_profiles_menu(self) -> None:
        """List the saved profiles (core.audit.profiles, shared with the CLI) with their levels."""
        from core.audit.profiles import load_profiles

        self.profiles_menu.clear()
        saved_profiles = load_profiles()  # a small JSON file in the data folder, no database
        for profile in saved_profiles:
            action = self.profiles_menu.addAction(f"{profile.name}  [{profile.level}]")
            shown = connections.display_safe(profile.target) if profile.is_postgresql else profile.target
            action.setToolTip(shown)
            action.triggered.connect(functools.partial(self.open_profile, profile))
        if not saved_profiles:
            empty = self.profiles_menu.addAction("No profiles (Connect to PostgreSQL… can save one)")
            empty.setEnabled(False)

    def open_profile(self, profile: Profile, *_: object) -> None:
        """Open a profile at its level; a PostgreSQL one takes its password from the keyring, else asks."""
        if not profile.is_postgresql:
            self.profile_chosen.emit(profile, profile.target)
            return
        workers.run(
            profiles.fetch_password,
            profile.account,
            on_done=lambda password: self._on_profile_password(profile, password),
            owner=self,
            key="profile",
        )

    def _on_profile_password(self, profile: Profile, password: str | None) -> None:
        if password is None:
            self.ask_connection().set_profile(profile)
        else:
            self.profile_chosen.emit(profile, connections.parse_pg_url(profile.target).url(password))

    def fill_recent_menu(self) -> None:
        """List the recent connections, most recent first."""
        self.recent_menu.clear()
        entries = profiles.recent_connections()
        for entry in entries:
            action = self.recent_menu.addAction(entry.label)
            is_pg = entry.kind == "postgresql"
            action.setToolTip(connections.display_safe(entry.target) if is_pg else entry.target)
            action.triggered.connect(functools.partial(self.open_recent, entry))
        if not entries:
            self.recent_menu.addAction("No recent connections").setEnabled(False)

    def open_recent(self, entry: profiles.RecentConnection, *_: object) -> None:
        """Reopen a recent connection; a PostgreSQL one read-only (its default level), with the password from
        the keyring, else asks."""
        if entry.kind != "postgresql":
            self.target_chosen.emit(entry.target)
            return
        target = connections.parse_pg_url(entry.target)
        workers.run(
            profiles.fetch_password,
            target.account,
            on_done=lambda password: self._on_recent_password(target, password),
            owner=self,
            key="recent",
        )

    def _on_recent_password(self, target: connections.PgTarget, password: str | None) -> None:
        if password is None:
            self.ask_connection(target)
        else:  # read-only, PostgreSQL's default level (issue 12): unlock it or save a profile to write
            self.profile_chosen.emit(
                Profile("", target.url(), "read-only", target.account), target.url(password)
            )
