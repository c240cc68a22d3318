"""Column widths of an entity's grid: fitted to the header and the first rows, and the user's own kept.

The first time rows arrive, each column gets the width of its header (with room for the sort indicator, so
a header is never clipped) or of its widest cell text among the first SAMPLE_ROWS rows, whichever is wider,
capped at MAX_WIDTH. A grid that opens empty (a filter that matches nothing) is fitted to its headers, and
again once rows arrive. A UUID column (not a foreign key, which shows its target's label) is narrow: its
cells are elided in the middle by the delegate, so both ends of a key stay readable. A width the user set
by dragging is saved per entity and column and wins over the fitted one the next time.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QRect, Qt, QTimer
from PySide6.QtWidgets import QStyle, QStyleOptionHeader, QTableView

from gui import settings
from gui.editor.delegates.cell_delegate import LINK_MARK_WIDTH, VECTOR_MIN_WIDTH
from gui.editor.model.roles import Role, RowState
from gui.editor.model.table_model import TableEditorModel

SAVE_DELAY_MS = 500
SAMPLE_ROWS = 50
MAX_WIDTH = 360
MIN_WIDTH = 48
#: What a narrow UUID column shows room for: 8 characters, the ellipsis, 4 characters.
UUID_SAMPLE = "0123abcd…cdef"
SLACK = 4  # pixels beyond the measured text, against rounding in the style's own layout


class ColumnWidths(QObject):
    """Fits a grid's columns once, when its first rows arrive; saves (debounced) the widths the user sets."""

    def __init__(self, view: QTableView, entity: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view, self.header, self.entity = view, view.horizontalHeader(), entity
        self.restored = False
        self._sampled = False  # fitted with rows (not only headers)
        self._fitting = False  # resizing sections ourselves: not the user's widths
        self._resized: dict[str, int] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self.header.sectionResized.connect(self._on_header_section_resized)

    def _names(self) -> list[str]:
        model = self.header.model()
        if model is None:
            return []
        return [str(model.headerData(c, Qt.Orientation.Horizontal)) for c in range(model.columnCount())]

    def restore(self) -> None:
        """Fit every column and apply the saved widths over the fitted ones, once rows (or none) have come.

        Only the first call acts, or a later one once the first rows arrive after a fit to headers alone;
        that refit leaves the widths the user set alone.
        """
        names = self._names()
        rows = self._loaded_rows() if names else []
        has_rows = bool(rows)
        if not names or (self.restored and (self._sampled or not has_rows)):
            return
        saved = {**settings.column_widths(self.entity), **self._resized}
        self._fitting = True
        try:
            for c, name in enumerate(names):
                if not (self.restored and name in saved):
                    self.header.resizeSection(c, saved.get(name) or self.fitted(c, rows))
        finally:
            self._fitting = False
        self.restored, self._sampled = True, has_rows

    def header_width(self, column: int) -> int:
        """The narrowest section that shows the header's whole text beside a sort indicator."""
        header = self.header
        text = str(header.model().headerData(column, Qt.Orientation.Horizontal))
        opt = QStyleOptionHeader()
        opt.initFrom(header)
        opt.section, opt.text, opt.orientation = column, text, Qt.Orientation.Horizontal
        opt.sortIndicator = QStyleOptionHeader.SortIndicator.SortDown  # room for it on every column
        opt.rect = QRect(0, 0, 400, max(header.height(), header.sizeHint().height()))
        label = header.style().subElementRect(QStyle.SubElement.SE_HeaderLabel, opt, header)
        overhead = opt.rect.width() - label.width()  # margins and the arrow, as this style lays them out
        return header.fontMetrics().horizontalAdvance(text) + overhead + SLACK

    def fitted(self, column: int, rows: list[int] | None = None) -> int:
        """The width for `column` from its header and the cells of the first rows loaded (or of `rows`)."""
        view, model = self.view, self.view.model()
        style = view.style()
        margin = 2 * (style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1) + SLACK
        fm = view.fontMetrics()
        kind, fk = None, None
        if isinstance(model, TableEditorModel):
            kind, fk = model.column_info(column).kind, model.foreign_key(column)
        if kind == "uuid" and fk is None:
            cells = fm.horizontalAdvance(UUID_SAMPLE) + margin  # elided in the middle by the delegate
        elif kind == "boolean":
            cells = style.pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth, None, view) + margin
        else:
            texts = self._sample(column, self._loaded_rows() if rows is None else rows)
            cells = max((fm.horizontalAdvance(t) for t in texts), default=0) + margin
            if fk is not None:
                cells += LINK_MARK_WIDTH
            if kind == "vector":
                cells = max(cells, VECTOR_MIN_WIDTH)
        return max(self.header_width(column), min(max(cells, MIN_WIDTH), MAX_WIDTH))

    def _loaded_rows(self) -> list[int]:
        """Which of the first SAMPLE_ROWS rows have loaded (placeholders are skipped, not loaded)."""
        model = self.view.model()
        first = range(min(SAMPLE_ROWS, model.rowCount()))
        return [r for r in first if model.index(r, 0).data(Role.ROW_STATE) != RowState.PLACEHOLDER]

    def _sample(self, column: int, rows: list[int]) -> list[str]:
        """The grid text of `column` in `rows`. The row states are read once for every column: the fit
        runs before the first paint of a table."""
        model = self.view.model()
        return [str(model.index(r, column).data(Qt.ItemDataRole.DisplayRole) or "") for r in rows]

    def _on_header_section_resized(self, column: int, _old: int, new: int, *_args: Any) -> None:
        if self._fitting or not self.restored:
            return  # fitting and restoring, not the user
        names = self._names()
        if 0 <= column < len(names):
            self._resized[names[column]] = new
            self._timer.start()

    def _on_timer_timeout(self) -> None:
        widths = settings.column_widths(self.entity)
        widths.update(self._resized)
        settings.set_column_widths(self.entity, widths)

