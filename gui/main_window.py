"""The frame: entity navigator, tabs and status bar. It wires features; it holds none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QFont, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QTabBar,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.db import Database, open_database
from core.overview import Overview, describe
from gui import workers
from gui.app import settings

GROUP_ORDER = ("World", "Players", "Operations", "Other")
ENTITY_ROLE = Qt.ItemDataRole.UserRole
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
SQLITE_FILTER = "SQLite databases (*.db *.sqlite *.sqlite3 *.db3);;All files (*)"
DEFAULT_SIZE = (1200, 800)


def backend_text(caps: dict[str, Any]) -> str:
    """'SQLite 3.50.4' or 'PostgreSQL 18.0'."""
    name = BACKEND_NAMES.get(caps.get("backend", ""), str(caps.get("backend", "?")))
    return f"{name} {caps.get('server_version', '')}".strip()


def vector_text(caps: dict[str, Any]) -> str:
    """How vector search runs: 'sqlite-vec 0.1.9', 'pgvector 0.8.0' or the exact fallback."""
    kind = str(caps.get("vector_search", "fallback"))
    if kind == "fallback":
        return "exact fallback (slower)"
    version = caps.get("library_versions", {}).get(kind)
    return f"{kind} {version}" if version else kind


class WelcomePage(QWidget):
    """The first tab: what is open, what it can do, and how to start."""

    open_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePage")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)  # so the style sheet paints it
        title = QLabel("Warden")
        title.setObjectName("welcomeTitle")
        subtitle = QLabel(
            "Browse and edit your application's database: world content, players and operations."
        )
        subtitle.setObjectName("welcomeSubtitle")
        subtitle.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("welcomeStatus")
        self.status.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("welcomeError")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.card = QFrame()
        self.card.setObjectName("welcomeCard")
        self.form = QFormLayout(self.card)
        self.form.setContentsMargins(16, 14, 16, 14)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.form.setHorizontalSpacing(16)
        self.form.setVerticalSpacing(8)
        self.card.hide()
        open_button = QPushButton("Open SQLite File…")
        open_button.setObjectName("welcomeOpenButton")
        open_button.clicked.connect(self.open_requested)
        column = QVBoxLayout()
        column.setSpacing(12)
        for widget in (title, subtitle, self.status, self.error, self.card):
            column.addWidget(widget)
        column.addWidget(open_button, 0, Qt.AlignmentFlag.AlignLeft)
        holder = QWidget()
        holder.setMaximumWidth(760)
        holder.setLayout(column)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(holder, 6)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(48, 48, 48, 48)
        outer.addLayout(row)
        outer.addStretch(1)
        self.show_empty()

    def show_empty(self) -> None:
        """No database is open."""
        self.status.setText("No database is open. Use File ▸ Open SQLite File… (Ctrl+O) to open one.")
        self.card.hide()

    def show_loading(self, where: str) -> None:
        """A database is being opened or described."""
        self.status.setText(f"Loading {where} …")
        self.error.hide()

    def show_error(self, message: str) -> None:
        """An error the user can act on, shown inline."""
        self.error.setText(message)
        self.error.show()

    def show_overview(self, overview: Overview) -> None:
        """Summarise the open database."""
        caps = overview.capabilities
        per_group: dict[str, int] = {}
        for group, _name in overview.tables:
            per_group[group] = per_group.get(group, 0) + 1
        groups = " · ".join(f"{g} {n}" for g, n in per_group.items())
        self.status.setText("Double-click a table in the navigator to open it.")
        while self.form.rowCount():
            self.form.removeRow(0)
        vectors = vector_text(caps)
        if caps.get("vector_reason"):
            vectors += f" — {caps['vector_reason']}"
        rows = [
            ("Database", overview.display_url),
            ("Server", backend_text(caps)),
            ("Tables", f"{len(overview.tables)}" + (f" — {groups}" if groups else "")),
            ("Vector search", vectors),
            ("Access", "read-only" if caps.get("read_only") else "read and write"),
        ]
        for label, value in rows:
            text = QLabel(value)
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.form.addRow(f"{label}:", text)
        self.card.show()


class MainWindow(QMainWindow):
    """Warden's main window: navigator on the left, tabs in the middle, connection in the status bar."""

    database_opened = Signal(object)  # the Database, after it opened (on the GUI thread)
    overview_loaded = Signal(object)  # the Overview that now fills the navigator
    load_failed = Signal(str)  # a message a person can act on
    entity_activated = Signal(str)  # an entity name the user opened from the navigator

    def __init__(self, db: Database | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db: Database | None = None
        self._owns_db = False
        self._overview: Overview | None = None
        self.setWindowTitle("Warden")
        self.resize(*DEFAULT_SIZE)
        self._build_tabs()
        self._build_navigator()
        self._build_status_bar()
        self._build_menus()
        self._restore_geometry()
        if db is not None:
            self.set_database(db)

    # --- building ------------------------------------------------------------------------------

    def _build_tabs(self) -> None:
        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.tabCloseRequested.connect(self._on_tabs_close_requested)
        self.welcome = WelcomePage()
        self.welcome.open_requested.connect(self._on_open_action_triggered)
        self.tabs.addTab(self.welcome, "Welcome")
        for side in (QTabBar.ButtonPosition.RightSide, QTabBar.ButtonPosition.LeftSide):
            self.tabs.tabBar().setTabButton(0, side, None)  # the welcome tab stays
        self.setCentralWidget(self.tabs)

    def _build_navigator(self) -> None:
        self.navigator_filter = QLineEdit()
        self.navigator_filter.setObjectName("navigatorFilter")
        self.navigator_filter.setPlaceholderText("Filter tables…")
        self.navigator_filter.setClearButtonEnabled(True)
        self.navigator_filter.textChanged.connect(self._on_navigator_filter_changed)
        self.navigator = QTreeWidget()
        self.navigator.setObjectName("navigator")
        self.navigator.setHeaderHidden(True)
        self.navigator.setUniformRowHeights(True)
        self.navigator.itemActivated.connect(self._on_navigator_item_activated)
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.navigator_filter)
        layout.addWidget(self.navigator)
        dock = QDockWidget("Tables", self)
        dock.setObjectName("navigatorDock")
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        dock.setWidget(panel)
        dock.setMinimumWidth(240)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.resizeDocks([dock], [280], Qt.Orientation.Horizontal)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.connection_label = QLabel("No database")
        self.connection_label.setObjectName("connectionLabel")
        self.connection_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.backend_label = QLabel()
        self.backend_label.setObjectName("backendLabel")
        self.vector_label = QLabel()
        self.vector_label.setObjectName("vectorLabel")
        self.read_only_badge = QLabel("READ-ONLY")
        self.read_only_badge.setObjectName("readOnlyBadge")
        self.read_only_badge.setToolTip("Opened read-only: Warden will not write to this database.")
        self.read_only_badge.hide()
        bar.addWidget(self.connection_label, 1)
        for widget in (self.backend_label, self.vector_label, self.read_only_badge):
            bar.addPermanentWidget(widget)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = QAction("&Open SQLite File…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self._on_open_action_triggered)
        file_menu.addAction(self.open_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

    def _restore_geometry(self) -> None:
        state = settings()
        geometry = state.value("main_window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        dock_state = state.value("main_window/state")
        if isinstance(dock_state, QByteArray) and not dock_state.isEmpty():
            self.restoreState(dock_state)

    # --- opening and describing a database (always on a worker) --------------------------------

    @property
    def database(self) -> Database | None:
        """The open database, if any."""
        return self._db

    @property
    def overview(self) -> Overview | None:
        """The summary of the open database, once it has loaded."""
        return self._overview

    def open_target(self, target: str, *, read_only: bool = False) -> None:
        """Open a SQLite file or database URL on a worker; the window switches to it when it is open."""
        self._show_loading(target)
        workers.run(
            open_database,
            target,
            read_only=read_only,
            on_done=self._on_open_done,
            on_error=self._on_load_failed,
            owner=self,
            key="database",
        )

    def set_database(self, db: Database, *, owned: bool = False) -> None:
        """Show `db` (already open); the window disposes it on close only if it `owned` it."""
        previous, previous_owned = self._db, self._owns_db
        self._db, self._owns_db, self._overview = db, owned, None
        if previous is not None and previous_owned and previous is not db:
            workers.run(previous.dispose)
        self._show_loading(db.display_url)
        workers.run(
            describe,
            db,
            on_done=self._on_describe_done,
            on_error=self._on_load_failed,
            owner=self,
            key="database",
        )

    def _on_open_done(self, db: Database) -> None:
        self.set_database(db, owned=True)
        self.database_opened.emit(db)

    def _on_describe_done(self, overview: Overview) -> None:
        self._overview = overview
        self._show_overview(overview)
        self.overview_loaded.emit(overview)

    def _on_load_failed(self, failure: workers.Failure) -> None:
        if failure.bug:
            workers.report_bug(failure)
        if self._overview is not None:
            self._show_overview(self._overview)
        else:
            self._show_nothing_open()
        self.welcome.show_error(failure.message)
        self.tabs.setCurrentWidget(self.welcome)
        self.load_failed.emit(failure.message)

    # --- showing state -------------------------------------------------------------------------

    def _show_loading(self, where: str) -> None:
        self.connection_label.setText(f"Opening {where} …")
        self.navigator.clear()
        loading = QTreeWidgetItem(["Loading…"])
        loading.setFlags(Qt.ItemFlag.NoItemFlags)
        self.navigator.addTopLevelItem(loading)
        self.welcome.show_loading(where)

    def _show_nothing_open(self) -> None:
        self.navigator.clear()
        self.connection_label.setText("No database")
        self.connection_label.setToolTip("")
        for label in (self.backend_label, self.vector_label):
            label.clear()
            label.setToolTip("")
        self.read_only_badge.hide()
        self.welcome.show_empty()

    def _show_overview(self, overview: Overview) -> None:
        caps = overview.capabilities
        self.setWindowTitle(f"{Path(overview.display_url).name or overview.display_url} — Warden")
        self.connection_label.setText(overview.display_url)
        self.connection_label.setToolTip(overview.display_url)
        self.backend_label.setText(backend_text(caps))
        libraries = ", ".join(f"{k} {v}" for k, v in caps.get("library_versions", {}).items())
        self.backend_label.setToolTip(f"Driver {caps.get('driver', '?')}; {libraries}")
        self.vector_label.setText(f"Vectors: {vector_text(caps)}")
        self.vector_label.setProperty("fallback", caps.get("vector_search") == "fallback")
        self.vector_label.setToolTip(
            caps.get("vector_reason") or "Nearest-neighbour search runs natively in the database."
        )
        self.vector_label.style().unpolish(self.vector_label)  # re-read the [fallback] style rule
        self.vector_label.style().polish(self.vector_label)
        self.read_only_badge.setVisible(bool(caps.get("read_only")))
        self._fill_navigator(overview)
        self.welcome.show_overview(overview)

    def _fill_navigator(self, overview: Overview) -> None:
        self.navigator.clear()
        grouped: dict[str, list[str]] = {}
        for group, name in overview.tables:
            grouped.setdefault(group, []).append(name)
        order = [g for g in GROUP_ORDER if g in grouped] + [g for g in grouped if g not in GROUP_ORDER]
        bold = QFont(self.navigator.font())
        bold.setBold(True)
        for group in order:
            group_item = QTreeWidgetItem([f"{group}  ({len(grouped[group])})"])
            group_item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            group_item.setFont(0, bold)
            self.navigator.addTopLevelItem(group_item)
            for name in grouped[group]:
                item = QTreeWidgetItem([name])
                item.setData(0, ENTITY_ROLE, name)
                reason = overview.read_only_reasons.get(name)
                if reason:
                    item.setText(0, f"{name}  (read-only)")
                    item.setToolTip(0, f"{name} is read-only: {reason}")
                else:
                    item.setToolTip(0, name)
                group_item.addChild(item)
            group_item.setExpanded(True)
        self._on_navigator_filter_changed(self.navigator_filter.text())

    # --- navigator and tabs --------------------------------------------------------------------

    def entity_names(self) -> list[str]:
        """The entity names listed in the navigator, in order."""
        names: list[str] = []
        for i in range(self.navigator.topLevelItemCount()):
            group = self.navigator.topLevelItem(i)
            names.extend(str(group.child(j).data(0, ENTITY_ROLE)) for j in range(group.childCount()))
        return names

    def _on_navigator_filter_changed(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.navigator.topLevelItemCount()):
            group = self.navigator.topLevelItem(i)
            shown = 0
            for j in range(group.childCount()):
                child = group.child(j)
                name = str(child.data(0, ENTITY_ROLE) or "")
                hide = bool(needle) and needle not in name.lower()
                child.setHidden(hide)
                shown += not hide
            group.setHidden(group.childCount() > 0 and shown == 0)

    def _on_navigator_item_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        name = item.data(0, ENTITY_ROLE)
        if not name:
            return
        self._open_entity_tab(str(name))
        self.entity_activated.emit(str(name))

    def _open_entity_tab(self, name: str) -> None:
        for i in range(self.tabs.count()):
            if self.tabs.widget(i).property("entity") == name:
                self.tabs.setCurrentIndex(i)
                return
        # The table editor feature (gui/editor) replaces this placeholder when it is wired in.
        page = QLabel(f"{name}\n\nThe table editor opens here.")
        page.setObjectName("entityPlaceholder")
        page.setAlignment(Qt.AlignmentFlag.AlignCenter)
        page.setProperty("entity", name)
        self.tabs.setCurrentIndex(self.tabs.addTab(page, name))

    def _on_tabs_close_requested(self, index: int) -> None:
        page = self.tabs.widget(index)
        if page is self.welcome:
            return
        self.tabs.removeTab(index)
        page.deleteLater()

    # --- file menu and closing -----------------------------------------------------------------

    def _on_open_action_triggered(self) -> None:
        state = settings()
        start = str(state.value("main_window/last_folder", str(Path.home())))
        path, _filter = QFileDialog.getOpenFileName(self, "Open SQLite File", start, SQLITE_FILTER)
        if not path:
            return
        state.setValue("main_window/last_folder", str(Path(path).parent))
        self.open_target(path)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Remember the window layout and release a database this window opened."""
        state = settings()
        state.setValue("main_window/geometry", self.saveGeometry())
        state.setValue("main_window/state", self.saveState())
        if self._db is not None and self._owns_db:
            workers.run(self._db.dispose)
        self._db = None
        super().closeEvent(event)
