"""The welcome tab: what is open, what it can do, and how to start."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

if TYPE_CHECKING:  # core.overview loads SQLAlchemy and numpy; the page is built before they are needed
    from core.overview import Overview

BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


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
    connect_requested = Signal()
    demo_requested = Signal()

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
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        for text, name, signal in (
            ("Open SQLite File…", "welcomeOpenButton", self.open_requested),
            ("Connect to PostgreSQL…", "welcomeConnectButton", self.connect_requested),
            ("New Demo Database…", "welcomeDemoButton", self.demo_requested),
        ):
            button = QPushButton(text)
            button.setObjectName(name)
            button.clicked.connect(signal)
            buttons.addWidget(button)
        buttons.addStretch(1)
        column = QVBoxLayout()
        column.setSpacing(12)
        for widget in (title, subtitle, self.status, self.error, self.card):
            column.addWidget(widget)
        column.addLayout(buttons)
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
        self.status.setText(
            "No database is open. Open a SQLite file, connect to PostgreSQL or create a demo database."
        )
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
