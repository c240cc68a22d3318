"""The main window's menu bar: File, Edit, View, Tools and Help.

Edit and View (and File's Save, Revert, Export) list the current editor tab's own QActions, swapped in
when the tab changes, so their enabled state is the editor's and each key has one owner: the editor's
action (WidgetWithChildrenShortcut). With no editor, each slot shows a disabled stand-in with the same
text and key. Window-wide keys (Open, Quit, font size, the navigator, Help) belong to this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu, QWidget

from core.paths import log_dir
from gui import help_dialogs
from gui import settings as saved
from gui.editor.actions import SPECS, key_sequences
from gui.editor.delegates import grid_font

if TYPE_CHECKING:
    from gui.main_window import MainWindow

K = QKeySequence.StandardKey

#: Editor actions per menu, in order; None is a separator.
FILE_EDITOR = ("save", "revert", "export")
EDIT_EDITOR = (
    "undo", "redo", None, "cut", "copy", "copy_headers", "paste", None,
    "insert", "duplicate", "delete", "set_null", None, "find",
)  # fmt: skip
VIEW_EDITOR = ("refresh", "form", "end")

#: Tools that are planned: (object name, menu text, what it will do).
COMING_TOOLS: tuple[tuple[str, str, str], ...] = ()


class MainMenus(QObject):
    """Builds the menu bar on `window` and keeps the editor slots pointed at the current tab."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.stand_ins: dict[str, QAction] = {}
        self.menu_of: dict[str, QMenu] = {}
        bar = window.menuBar()
        self.file_menu = self._file_menu(bar.addMenu("&File"))
        self.edit_menu = self._editor_menu(bar.addMenu("&Edit"), EDIT_EDITOR)
        self.view_menu = self._view_menu(bar.addMenu("&View"))
        self.tools_menu = self._tools_menu(bar.addMenu("&Tools"))
        self.help_menu = self._help_menu(bar.addMenu("&Help"))
        for menu in (self.file_menu, self.edit_menu, self.view_menu, self.tools_menu, self.help_menu):
            menu.setToolTipsVisible(True)  # disabled and planned items say why
        window.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.follow_current_tab()

    # --- building ------------------------------------------------------------------------------

    def _file_menu(self, menu: QMenu) -> QMenu:
        menu.setObjectName("fileMenu")
        self.window.connection_actions.add_to(menu)
        menu.addSeparator()
        self._editor_menu(menu, FILE_EDITOR)
        menu.addSeparator()
        self.quit_action = self._action(menu, "&Quit", "quitAction", self.window.close)
        bindings = QKeySequence.keyBindings(K.Quit)  # empty on some platforms: Ctrl+Q there too
        self.quit_action.setShortcuts(bindings or [QKeySequence("Ctrl+Q")])
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        return menu

    def _editor_menu(self, menu: QMenu, names: tuple[str | None, ...]) -> QMenu:
        if not menu.objectName():
            menu.setObjectName("editMenu")
        specs = {spec.name: spec for spec in SPECS}
        for name in names:
            if name is None:
                menu.addSeparator()
                continue
            spec = specs[name]
            stand_in = QAction(spec.text, self)
            stand_in.setObjectName(f"{name}MenuStandIn")
            stand_in.setShortcuts(key_sequences(spec.shortcut))
            stand_in.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)  # never fires
            stand_in.setEnabled(False)
            stand_in.setToolTip("Open a table to use this")
            stand_in.setStatusTip(f"{spec.tip} (open a table first)")
            menu.addAction(stand_in)
            self.stand_ins[name] = stand_in
            self.menu_of[name] = menu
        return menu

    def _view_menu(self, menu: QMenu) -> QMenu:
        menu.setObjectName("viewMenu")
        self._editor_menu(menu, VIEW_EDITOR)
        menu.addSeparator()
        dock = self.window.findChild(QDockWidget, "navigatorDock")
        if dock is not None:
            # The dock's own toggleViewAction is disabled while the dock is not closable; this one is not.
            self.navigator_action = QAction("&Navigator", self.window)
            self.navigator_action.setObjectName("navigatorAction")
            self.navigator_action.setCheckable(True)
            self.navigator_action.setChecked(not dock.isHidden())
            self.navigator_action.toggled.connect(dock.setVisible)
            menu.addAction(self.navigator_action)
            self.navigator_action.setShortcut(QKeySequence("Ctrl+B"))
            self.navigator_action.setStatusTip("Show or hide the list of tables")
            self._dock = dock
            dock.visibilityChanged.connect(self._on_dock_visibility_changed)
        fonts = menu.addMenu("&Font Size")
        fonts.setObjectName("fontSizeMenu")
        self.bigger_font_action = self._action(fonts, "&Bigger", "biggerFontAction", lambda: self.zoom(1))
        self.bigger_font_action.setShortcuts([QKeySequence(K.ZoomIn), QKeySequence("Ctrl+=")])
        self.smaller_font_action = self._action(fonts, "&Smaller", "smallerFontAction", lambda: self.zoom(-1))
        self.smaller_font_action.setShortcut(QKeySequence(K.ZoomOut))
        self.reset_font_action = self._action(fonts, "&Reset", "resetFontAction", lambda: self.zoom(0))
        self.reset_font_action.setShortcut(QKeySequence("Ctrl+0"))
        for action in fonts.actions():
            action.setStatusTip("The font size of the table grids (remembered)")
        return menu

    def _tools_menu(self, menu: QMenu) -> QMenu:
        menu.setObjectName("toolsMenu")
        graph = self._action(menu, "Record &Graph", "graphAction", lambda: self.window.show_graph())
        graph.setStatusTip("A record and its linked records as a graph (start from a row: Show in Graph)")
        self.graph_action = graph
        schema = self._action(menu, "Sc&hema Diagram", "schemaAction", lambda: self.window.show_schema())
        schema.setStatusTip("The tables and their foreign keys as a diagram (a big schema as clusters)")
        self.schema_action = schema
        search = self._action(menu, "Semantic &Search", "searchAction", lambda: self.window.show_search())
        search.setShortcut(QKeySequence("Ctrl+Shift+F"))
        search.setStatusTip("Find rows by meaning and by words, across the world tables or in one table")
        self.search_action = search
        audit = self._action(menu, "&Audit Log…", "auditAction", lambda: self.window.show_audit())
        audit.setStatusTip("Who changed what and when; revert a change")
        self.audit_action = audit
        self.migrations_action = self._action(menu, "&Migrations…", "migrationTool", self.show_migrations)
        self.migrations_action.setStatusTip("Schema revisions: status, lint, SQL preview, upgrade, downgrade")
        self.move_action = self._action(menu, "Move to &PostgreSQL…", "moveToPostgresAction", self.show_move)
        self.move_action.setStatusTip("Copy the open SQLite database into PostgreSQL, verified per table")
        menu.aboutToShow.connect(self._on_tools_menu_about_to_show)
        for name, text, what in COMING_TOOLS:
            action = self._action(menu, text, name, lambda: None)
            action.setEnabled(False)  # greyed by the style sheet: planned, not dead-but-clickable
            action.setToolTip(f"Coming in a later version: {what}")
            action.setStatusTip(f"Coming in a later version: {what}")
        return menu

    def show_migrations(self) -> None:
        """Open the migration runner (gui/migrate/) for the open database."""
        from gui.migrate.dialog import open_runner

        if self.window.open_db.database is not None:
            open_runner(self.window.open_db, self.window)

    def show_move(self) -> None:
        """Open "Move to PostgreSQL…" (gui/migrate/move_dialog.py) for the open SQLite database."""
        from gui.migrate.move_dialog import open_move_dialog

        db = self.window.open_db.database
        if db is not None and db.backend == "sqlite":
            open_move_dialog(self.window.open_db, self.window)

    def _on_tools_menu_about_to_show(self) -> None:
        db = self.window.open_db.database
        self.move_action.setEnabled(db is not None and db.backend == "sqlite")

    def _help_menu(self, menu: QMenu) -> QMenu:
        menu.setObjectName("helpMenu")
        self.shortcuts_action = self._action(
            menu, "&Keyboard Shortcuts", "shortcutsAction", self.show_shortcuts
        )
        self.shortcuts_action.setShortcut(QKeySequence(K.HelpContents))
        self.log_folder_action = self._action(
            menu, "Open &Log Folder", "logFolderAction", self.open_log_folder
        )
        self.log_folder_action.setStatusTip(f"Open {log_dir()} in the file manager")
        menu.addSeparator()
        self.about_action = self._action(menu, "&About Warden", "aboutAction", self.show_about)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        return menu

    def _action(self, menu: QMenu, text: str, name: str, slot: object) -> QAction:
        action = QAction(text, self.window)  # on the window: its keys work wherever the focus is
        action.setObjectName(name)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    # --- following the current tab -------------------------------------------------------------

    def current_editor(self) -> QWidget | None:
        """The current tab when it is a table editor (it has `actions_by_name`), else None."""
        page = self.window.tabs.currentWidget()
        return page if page is not None and hasattr(page, "actions_by_name") else None

    def follow_current_tab(self) -> None:
        """Show the current editor's actions in the menus, or the disabled stand-ins when there is none."""
        editor = self.current_editor()
        actions: dict[str, QAction] = getattr(editor, "actions_by_name", {}) if editor is not None else {}
        current = set(actions.values())
        for menu in {*self.menu_of.values()}:
            for action in menu.actions():
                if action.property("editorAction") and action not in current:
                    menu.removeAction(action)  # another tab's: it goes with that tab
        for name, stand_in in self.stand_ins.items():
            own = actions.get(name)
            menu = self.menu_of[name]
            if own is not None and own not in menu.actions():
                menu.insertAction(stand_in, own)
            stand_in.setVisible(own is None)  # hidden, its key is not bound either

    def _on_tabs_current_changed(self, _index: int) -> None:
        self.follow_current_tab()

    def _on_dock_visibility_changed(self, _visible: bool) -> None:
        # The dock hides while the window is being destroyed; its C++ objects may be gone by then.
        dock, action = self._dock, self.navigator_action
        if shiboken6.isValid(dock) and shiboken6.isValid(action):
            action.setChecked(not dock.isHidden())  # not `visible`: a minimised window

    # --- commands ------------------------------------------------------------------------------

    def zoom(self, step: int) -> int:
        """Make the grids' font bigger (1), smaller (-1) or the default (0); remembered. Returns the size."""
        size = saved.DEFAULT_GRID_FONT_PT if step == 0 else saved.grid_font_size() + step
        size = saved.set_grid_font_size(size)
        for i in range(self.window.tabs.count()):
            view = getattr(self.window.tabs.widget(i), "view", None)
            if view is not None and view.property("gridFontPt") is not None:
                grid_font.apply(view, size)
        self.window.statusBar().showMessage(f"Grid font: {size} pt", 3000)
        return size

    def open_log_folder(self) -> bool:
        """Open the log folder in the file manager; says so in the status bar when that fails."""
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        opened = QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
        if not opened:
            self.window.statusBar().showMessage(f"Could not open a file manager; the logs are in {folder}")
        return opened

    def show_shortcuts(self) -> help_dialogs.ShortcutsDialog:
        """Show the keyboard shortcuts of the window and the table editor."""
        dialog = help_dialogs.ShortcutsDialog(self.window.menuBar(), self.window)
        dialog.show()
        return dialog

    def show_about(self) -> help_dialogs.AboutDialog:
        """Show the versions (Warden, Qt, SQLite, sqlite-vec, pgvector, the model, the open database's)."""
        overview = self.window.overview
        versions = dict(overview.capabilities.get("library_versions", {})) if overview is not None else None
        dialog = help_dialogs.AboutDialog(versions, self.window)
        dialog.show()
        return dialog
