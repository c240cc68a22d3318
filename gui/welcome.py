"""The welcome tab: what is open, what it can do, and how to start."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

if TYPE_CHECKING:  # core.data.overview loads SQLAlchemy and numpy; the page is built before they are needed
    from core.data.overview import Overview, RowCount
    from core.schema.catalog import Catalog

BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
#: What Warden is for, before a database is open.
GENERIC_SUBTITLE = "Browse and edit SQLite and PostgreSQL databases: tables, links between rows, vectors."
#: Warden's own (reference) schema, described in its own words.
REFERENCE_SUBTITLE = "Your application's database: world content, players and operations."
#: Entity kinds as a summary counts them, in this order.
KIND_NAMES = {
    "table": ("table", "tables"),
    "view": ("view", "views"),
    "materialized_view": ("materialized view", "materialized views"),
    "vec0": ("vector table", "vector tables"),
}


def plural(n: int, one: str, many: str) -> str:
    """'1 table', '5 tables', '1,234 rows'."""
    return f"{n:,} {one if n == 1 else many}"


def kinds_text(kinds: Mapping[str, str]) -> str:
    """'5 tables, 2 views' from {entity: kind}."""
    totals: dict[str, int] = {}
    for kind in kinds.values():
        totals[kind] = totals.get(kind, 0) + 1
    order = [k for k in KIND_NAMES if k in totals] + sorted(k for k in totals if k not in KIND_NAMES)
    return ", ".join(plural(totals[k], *KIND_NAMES.get(k, (k, k + "s"))) for k in order)


def rows_summary(counts: dict[str, RowCount | None]) -> str:
    """'1,234 rows; largest: ideas (900)', '~2.3M rows…' when a count is an estimate; '' without counts."""
    known = {name: c for name, c in counts.items() if c is not None}
    if not known:
        return ""
    total = sum(c.rows for c in known.values())
    exact = all(c.exact for c in known.values())
    largest = max(known, key=lambda n: (known[n].rows, n))
    biggest = known[largest]
    about = "" if exact else "~"
    text = f"{about}{plural(total, 'row', 'rows')}"
    if len(known) > 1 and biggest.rows:
        text += f"; largest: {largest} ({'' if biggest.exact else '~'}{biggest.rows:,})"
    return text


def database_summary(title: str, kinds: Mapping[str, str], counts: dict[str, RowCount | None] | None) -> str:
    """'ideas.db — 5 tables, 2 views, 1,234 rows; largest: ideas (900)' (rows once counted)."""
    parts = [kinds_text(kinds) or "no tables"]
    # a view's rows are some table's rows: counting them again would inflate the total
    stored = {n: c for n, c in (counts or {}).items() if kinds.get(n) != "view"}
    rows = rows_summary(stored)
    parts.append(rows or "counting rows…")
    return f"{title} — " + ", ".join(parts)


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


def has_vector_columns(catalog: Catalog) -> bool:
    """Whether any table (or vec0 table) of `catalog` has a vector column to search."""
    return any(entity.vectors for entity in catalog.entities.values())


def shows_vector_state(caps: dict[str, Any], has_vectors: bool) -> bool:
    """Whether the vector search state is worth showing: the exact fallback is a warning, and a warning
    about searching vectors means nothing to a database that has none (a native library is shown anyway)."""
    return has_vectors or caps.get("vector_search", "fallback") != "fallback"


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
        self.subtitle = subtitle = QLabel(GENERIC_SUBTITLE)
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
        self._overview: Overview | None = None
        self._kinds: dict[str, str] = {}
        self._counts: dict[str, RowCount | None] = {}
        self.show_empty()

    def show_empty(self) -> None:
        """No database is open."""
        self._overview = None
        self._show_summary()
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

    def show_overview(
        self, overview: Overview, kinds: Mapping[str, str] | None = None, *, has_vectors: bool = True
    ) -> None:
        """Summarise the open database: Warden's own schema in its words, any other in its own terms.

        `kinds` is {entity: 'table' | 'view' | 'vec0'} from the catalog; counts follow (show_counts);
        `has_vectors`: whether the catalog has a vector column (see shows_vector_state).
        """
        caps = overview.capabilities
        self._overview = overview
        self._kinds = dict(kinds or {name: "table" for _group, name in overview.tables})
        self._counts = {}
        own = overview.source == "models"
        if own:  # the reference schema's groups mean something: World, Players, Operations
            per_group: dict[str, int] = {}
            for group, _name in overview.tables:
                per_group[group] = per_group.get(group, 0) + 1
            groups = " · ".join(f"{g} {n}" for g, n in per_group.items())
            tables = f"{len(overview.tables)}" + (f" — {groups}" if groups else "")
        else:  # a foreign database: what it holds, not the reference schema's groups
            tables = kinds_text(self._kinds) or "none"
        self.status.setText("Double-click a table in the navigator to open it.")
        while self.form.rowCount():
            self.form.removeRow(0)
        if shows_vector_state(caps, has_vectors):
            vectors = vector_text(caps)
            if caps.get("vector_reason"):
                vectors += f" — {caps['vector_reason']}"
        else:
            vectors = "not needed: no table here has a vector column"
        rows = [
            ("Database", overview.display_url),
            ("Server", backend_text(caps)),
            ("Tables", tables),
            ("Vector search", vectors),
            ("Access", "read-only" if caps.get("read_only") else "read and write"),
        ]
        for label, value in rows:
            text = QLabel(value)
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.form.addRow(f"{label}:", text)
        self.card.show()
        self._show_summary()

    def show_counts(self, counts: dict[str, RowCount | None]) -> None:
        """Add row counts to the summary (they arrive after the overview; later ones replace earlier)."""
        self._counts.update(counts)
        self._show_summary()

    def summary(self) -> str:
        """The one-line description of the open database."""
        return self.subtitle.text()

    def _show_summary(self) -> None:
        overview = self._overview
        if overview is None:
            self.subtitle.setText(GENERIC_SUBTITLE)
        elif overview.source == "models":
            self.subtitle.setText(REFERENCE_SUBTITLE)
        else:
            title = overview.title or overview.display_url
            self.subtitle.setText(database_summary(title, self._kinds, self._counts))
