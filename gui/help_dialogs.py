"""Help → Keyboard Shortcuts and Help → About: plain dialogs over what the menus, the installation and the
open database already know (no query runs here: the open database's versions come from its capabilities)."""

from __future__ import annotations

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, Signal, qVersion
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMenuBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.paths import data_dir, log_dir
from gui.editor.actions import SPECS, key_sequences

NATIVE = QKeySequence.SequenceFormat.NativeText
NOT_OPEN = "no database open"

NOT_IN_USE = "not in use"

#: (label, library_versions key, its backend's key, shown when the open database of that backend lacks it)
LIBRARIES = (
    ("SQLite", "sqlite", "sqlite", NOT_IN_USE),
    ("sqlite-vec", "sqlite-vec", "sqlite", "not loaded"),
    ("PostgreSQL", "postgresql", "postgresql", NOT_IN_USE),
    ("pgvector", "pgvector", "postgresql", "not installed in this database"),
)


def warden_version() -> str:
    """The installed Warden's version ('unknown' when running from an uninstalled source tree)."""
    # Imported when the About box opens: importlib.metadata and the email package it pulls in are ~25 ms
    # the window need not wait for.
    from core.cli.selftest import package_version

    return package_version("warden", "unknown")


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").split("\t")[0]


def shortcut_rows(menu_bar: QMenuBar) -> list[tuple[str, str, str]]:
    """(where, command, keys) for every menu item with a key, then the editor's keys the menus lack."""
    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()

    def walk(menu: QMenu, where: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), f"{where} → {_plain(action.text())}")  # type: ignore[arg-type]
                continue
            keys = _keys(action)
            if action.isSeparator() or not keys:
                continue
            text = _plain(action.text())
            if text in seen:
                continue
            seen.add(text)
            rows.append((where, text, keys))

    for top in menu_bar.actions():
        if top.menu() is not None:
            walk(top.menu(), _plain(top.text()))  # type: ignore[arg-type]
    for spec in SPECS:
        text = _plain(spec.text)
        keys = ", ".join(k.toString(NATIVE) for k in key_sequences(spec.shortcut))
        if keys and text not in seen:
            seen.add(text)
            rows.append(("Table editor", text, keys))
    return rows


def _keys(action: QAction) -> str:
    return ", ".join(k.toString(NATIVE) for k in action.shortcuts())


class ShortcutsDialog(QDialog):
    """A table of every keyboard shortcut: where it lives, what it does, its keys."""

    def __init__(self, menu_bar: QMenuBar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard Shortcuts")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(680, 600)
        rows = shortcut_rows(menu_bar)
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setObjectName("shortcutsTable")
        self.table.setHorizontalHeaderLabels(["Menu", "Command", "Keys"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # the command's name never clips
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Editor keys work while a table has the focus; the others everywhere."))
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)

    def rows(self) -> list[tuple[str, str, str]]:
        """The table's rows as (menu, command, keys)."""
        texts = [
            [item.text() if (item := self.table.item(r, c)) is not None else "" for c in range(3)]
            for r in range(self.table.rowCount())
        ]
        return [(menu, command, keys) for menu, command, keys in texts]


class AboutDialog(QDialog):
    """Warden's version; Qt's; the SQLite, sqlite-vec and pgvector this installation runs with; the model
    (name, dimensions, where its files are); the data and log folders; and the open database's versions.

    The installation's facts are read on a worker (it loads sqlite-vec into an in-memory connection and
    looks for the model's files): they show "reading…" for that moment. Every value is selectable, and
    Copy puts them all on the clipboard, for a bug report.
    """

    installation_read = Signal()  # the installation's rows are filled in

    def __init__(self, library_versions: dict[str, str] | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About Warden")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setMinimumWidth(620)
        title = QLabel(f"<b>Warden {warden_version()}</b>")
        title.setObjectName("aboutTitle")
        intro = QLabel("Browse and edit an application database on SQLite or PostgreSQL.")
        self.values: dict[str, str] = {label: READING for label in INSTALLATION_ROWS}
        self.values["Warden"] = warden_version()
        self.values["Qt"] = f"{qVersion()} (PySide6 {pyside_version})"
        self.values["Data folder"] = str(data_dir())
        self.values["Log folder"] = str(log_dir())
        self.values["Open database"] = open_database_text(library_versions)
        self._labels: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for label, text in self.values.items():
            value = QLabel(text)
            value.setObjectName(f"about{label.title().replace(' ', '').replace('-', '')}")
            value.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
            )
            value.setWordWrap(True)  # a long folder wraps instead of widening the dialog past the screen
            self._labels[label] = value
            form.addRow(f"{label}:", value)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setObjectName("aboutCopyButton")
        self.copy_button.setToolTip("Copy these versions and folders to the clipboard (for a bug report)")
        self.copy_button.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        from gui.runtime import workers

        workers.run(_read_installation, on_done=self._on_installation_done, owner=self, key="installation")

    def _on_installation_done(self, rows: list[tuple[str, str]]) -> None:
        for label, text in rows:
            if label in self._labels and label not in ("Warden", "Data folder", "Log folder"):
                self.values[label] = text
                self._labels[label].setText(text)
        self.installation_read.emit()

    def text(self) -> str:
        """Every row as "label: value" lines (what Copy puts on the clipboard)."""
        return "\n".join(f"{label}: {value}" for label, value in self.values.items())

    def copy(self) -> None:
        """Put the versions and folders on the clipboard."""
        QGuiApplication.clipboard().setText(self.text())


#: The About box's rows, in order (the installation's from core/cli/selftest.py, with Qt after Warden).
INSTALLATION_ROWS = (
    "Warden", "Qt", "Python", "SQLite", "sqlite-vec", "pgvector", "Model", "Model folder", "Data folder",
    "Log folder",
)  # fmt: skip
READING = "reading…"


def _read_installation() -> list[tuple[str, str]]:
    """On a worker: the installation's (label, value) rows, pgvector named as the Python package."""
    from core.cli.selftest import installation

    rows = installation().rows()
    return [(label, f"{text} (Python package)" if label == "pgvector" else text) for label, text in rows]


def open_database_text(library_versions: dict[str, str] | None) -> str:
    """The open database's library versions in one line (from its capabilities: no query runs for it)."""
    if library_versions is None:
        return NOT_OPEN
    parts = []
    for label, key, backend, missing in LIBRARIES:
        if backend in library_versions:  # pgvector beside a SQLite file: not missing, not used
            parts.append(f"{label} {library_versions.get(key, missing)}")
    return ", ".join(parts) or NOT_OPEN
