"""Painting a search result: an entity's header, or a hit's label, distance and ranks over a snippet of its
text with the query's words marked. The delegate paints only; the rows come from the model."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QAbstractTextDocumentLayout, QColor, QFont, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from gui.search.model import HEADER_ROLE, ITEM_ROLE, Group, ranks_text

PAD = 6
MARK = "background-color: #ffe08a; font-weight: 600;"
HEADER_BACKGROUND = QColor("#eef1f5")
PROBLEM_COLOUR = QColor("#b3261e")
SNIPPET_LINES = 2


def snippet_html(segments: Sequence[tuple[str, bool]]) -> str:
    """A snippet's pieces as HTML, the query's words marked (the text itself is escaped)."""
    return "".join(
        f'<span style="{MARK}">{html.escape(text)}</span>' if marked else html.escape(text)
        for text, marked in segments
    )


class ResultDelegate(QStyledItemDelegate):
    """Paints header rows as a band with the entity and how it was searched, hit rows as two parts."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        """A header is one line; a hit is its label line and up to SNIPPET_LINES of snippet."""
        line = option.fontMetrics.height()
        if index.data(HEADER_ROLE):
            return QSize(200, line + 2 * PAD)
        return QSize(200, line * (1 + SNIPPET_LINES) + 2 * PAD + 2)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        """Draw the row (the selection background from the style, the rest by hand)."""
        item = index.data(ITEM_ROLE)
        painter.save()
        try:
            if isinstance(item, Group):
                self._paint_header(painter, option, item)
            elif item is not None:
                self._paint_hit(painter, option, index, item)
        finally:
            painter.restore()

    def _paint_header(self, painter: QPainter, option: QStyleOptionViewItem, group: Group) -> None:
        rect: QRect = option.rect
        painter.fillRect(rect, HEADER_BACKGROUND)
        inner = rect.adjusted(PAD, 0, -PAD, 0)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        title = group.entity
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        painter.drawText(inner, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, title)
        used = painter.fontMetrics().horizontalAdvance(title) + 2 * PAD
        painter.setFont(option.font)
        if group.problem:
            painter.setPen(PROBLEM_COLOUR)
            note = group.problem
        else:
            painter.setPen(option.palette.color(QPalette.ColorRole.PlaceholderText))
            rows = f"{group.count} row{'s' if group.count != 1 else ''}"
            note = f"{rows} · {group.how}" if group.how else rows
        rest = inner.adjusted(used, 0, 0, 0)
        shown = painter.fontMetrics().elidedText(note, Qt.TextElideMode.ElideRight, rest.width())
        painter.drawText(rest, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, shown)

    def _paint_hit(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
        hit: object,
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:  # the selection and hover background, as the style draws them
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        rect = option.rect.adjusted(PAD + 8, PAD, -PAD, -PAD)
        line = option.fontMetrics.height()
        label = str(getattr(hit, "label", ""))
        ranks = ranks_text(hit)  # type: ignore[arg-type]
        painter.setFont(option.font)
        ranks_width = painter.fontMetrics().horizontalAdvance(ranks) + PAD if ranks else 0
        quiet = text_role if selected else QPalette.ColorRole.PlaceholderText
        painter.setPen(option.palette.color(quiet))
        top = QRect(rect.left(), rect.top(), rect.width(), line)
        painter.drawText(top, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, ranks)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(option.palette.color(text_role))
        label_rect = top.adjusted(0, 0, -ranks_width, 0)
        shown = painter.fontMetrics().elidedText(label, Qt.TextElideMode.ElideRight, label_rect.width())
        painter.drawText(label_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, shown)
        segments = getattr(hit, "snippet", ())
        if not segments:
            return
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setDocumentMargin(0)
        doc.setTextWidth(rect.width())
        doc.setHtml(snippet_html(segments))
        body = QRect(0, 0, rect.width(), line * SNIPPET_LINES)
        painter.translate(rect.left(), rect.top() + line + 2)
        context = QAbstractTextDocumentLayout.PaintContext()
        context.clip = QRectF(body)
        context.palette.setColor(QPalette.ColorRole.Text, option.palette.color(text_role))
        painter.setClipRect(body)
        doc.documentLayout().draw(painter, context)
