"""The grid's font size (View → Font size): applied to a table view, its headers and its cell editors."""

from __future__ import annotations

from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QTableView

from gui import settings as saved

ROW_PADDING = 10  # pixels above and below the text in a row, as the default 24 px row has at 10 pt
MIN_ROW_HEIGHT = 24


def apply(view: QTableView, points: int | None = None) -> int:
    """Set `view`'s font size (the saved one when `points` is None) and fit its rows to it; returns it.

    The app style sheet sets every widget's font size, which outranks QWidget.setFont, so the size goes
    in a style sheet on the view; it reaches the view's headers and open cell editors too.
    """
    size = saved.grid_font_size() if points is None else points
    view.setStyleSheet(f"font-size: {size}pt;")
    view.ensurePolished()
    height = QFontMetrics(view.font()).height() + ROW_PADDING
    view.verticalHeader().setDefaultSectionSize(max(MIN_ROW_HEIGHT, height))
    view.setProperty("gridFontPt", size)
    return size
