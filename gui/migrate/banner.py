"""The banner above the tabs when the open database is not at its migrations' head (not modal).

Behind head: "This database is 2 revisions behind." and "Review migrations…", which opens the runner. At a
revision the scripts do not know (a newer app, or another app, migrated it): it says so, the editors are
read-only, and "Pick project…" lets the user point at the right Alembic project. Up to date: hidden.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from gui.migrate.jobs import Standing

STYLE = """
QFrame#migrationBanner { background: #fff4ce; border: 1px solid #e6c65c; border-radius: 4px; }
QFrame#migrationBanner[unknown="true"] { background: #fdecea; border: 1px solid #f1b0a8; }
QLabel#migrationBannerText { color: #4d3b00; background: transparent; }
QFrame#migrationBanner[unknown="true"] QLabel#migrationBannerText { color: #8e1b10; }
"""


def unknown_reason(standing: Standing) -> str:
    """Why editors are read-only on a database at a revision its scripts do not know."""
    at = ", ".join(standing.current)
    where = f"the project {standing.project}" if standing.project else "Warden's migrations"
    return (
        f"Read-only: this database is at revision {at}, which {where} do not know (a newer or another "
        "app migrated it). Pick the right project in Migrations to edit it."
    )


def banner_text(standing: Standing) -> str:
    """What the banner says about `standing` ("" when there is nothing to say)."""
    if not standing.known:
        return unknown_reason(standing)
    if standing.pending:
        n = standing.pending
        of = f" of the project {standing.project}" if standing.project else ""
        return f"This database is {n} revision{'s' if n != 1 else ''} behind{of}."
    return ""


class MigrationBanner(QFrame):
    """Behind head, or at an unknown revision: what the database's standing is, and the way to the runner."""

    review_requested = Signal()  # open the migration runner

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("migrationBanner")
        self.setStyleSheet(STYLE)
        self.standing: Standing | None = None
        self.label = QLabel()
        self.label.setObjectName("migrationBannerText")
        self.label.setWordWrap(True)
        self.review_button = QPushButton("Review migrations…")
        self.review_button.setObjectName("migrationReview")
        self.close_button = QPushButton("Not now")
        self.close_button.setObjectName("migrationBannerClose")
        self.close_button.setToolTip("Hide this until the database is opened again")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.review_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.review_button.clicked.connect(self.review_requested)
        self.close_button.clicked.connect(self.hide)
        self.hide()

    def show_standing(self, standing: Standing | None) -> None:
        """Say where the database stands, or hide when it is up to date (or not migrated at all)."""
        self.standing = standing
        text = banner_text(standing) if standing is not None else ""
        unknown = standing is not None and not standing.known
        self.setProperty("unknown", unknown)
        self.style().unpolish(self)
        self.style().polish(self)
        self.label.setText(text)
        self.review_button.setText("Pick project…" if unknown else "Review migrations…")
        self.close_button.setVisible(not unknown)  # read-only editors need the reason in sight
        self.setVisible(bool(text))
