"""Painting a vector cell: its dimension and norm as text, and a tiny sparkline of its values."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen

SPARK_COLOUR = QColor("#3b82f6")
SPARK_FILL = QColor(59, 130, 246, 40)
AXIS_COLOUR = QColor(128, 128, 128, 90)
SPARK_WIDTH = 72
PADDING = 4
TOOLTIP_VALUES = 8  # values a tooltip lists before '…'


@dataclass(frozen=True)
class VectorSummary:
    """What a vector cell shows: dimension, Euclidean norm, and the line's points (one per pixel bucket)."""

    dimension: int
    norm: float
    points: np.ndarray  # bucket means, at most `buckets` of them

    @property
    def text(self) -> str:
        """e.g. '384d · ‖v‖ 1.00'."""
        return f"{self.dimension}d · ‖v‖ {self.norm:.2f}"


def as_vector(value: Any) -> np.ndarray | None:
    """A vector cell's value as a 1-D float array, or None when it is not one (NULL, placeholder)."""
    if value is None or isinstance(value, str):
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        if len(value) % 4:
            return None
        return np.frombuffer(bytes(value), dtype="<f4")  # sqlite-vec's float32 little-endian BLOB
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array.ravel() if array.size else None


def vector_tooltip(vector: np.ndarray, first: int = TOOLTIP_VALUES) -> str:
    """A vector's tooltip: dimension, norm and its first values (never all 384 floats)."""
    summary = summarize(vector, buckets=1)
    head = ", ".join(f"{float(x):.4g}" for x in np.asarray(vector[:first], dtype=np.float64))
    more = ", …" if summary.dimension > first else ""
    return f"{summary.dimension} dimensions · norm {summary.norm:.4g}\n[{head}{more}]"


def summarize(vector: np.ndarray, buckets: int = SPARK_WIDTH) -> VectorSummary:
    """Dimension, norm and up to `buckets` averaged points of `vector`."""
    v = np.asarray(vector, dtype=np.float64)
    finite = np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0)
    n = max(1, min(buckets, finite.size))
    edges = np.linspace(0, finite.size, n + 1).astype(int)
    points = np.array([finite[a:b].mean() if b > a else 0.0 for a, b in itertools.pairwise(edges)])
    return VectorSummary(int(v.size), float(np.linalg.norm(finite)), points)


def paint_vector(painter: QPainter, rect: QRect, summary: VectorSummary, text_colour: QColor) -> None:
    """Draw the summary text on the left and the sparkline on the right of `rect`."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    inner = rect.adjusted(PADDING, 2, -PADDING, -2)
    spark_w = min(SPARK_WIDTH, max(0, inner.width() // 2 - PADDING))
    spark = QRectF(inner.right() - spark_w, inner.top() + 2, spark_w, max(4, inner.height() - 4))
    painter.setPen(text_colour)
    text_rect = inner.adjusted(0, 0, -(spark_w + PADDING), 0)
    text = (
        summary.text
        if painter.fontMetrics().horizontalAdvance(summary.text) <= text_rect.width()
        else (f"{summary.dimension}d")
    )
    painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
    if spark_w >= 8:
        _sparkline(painter, spark, summary.points)
    painter.restore()


def _sparkline(painter: QPainter, area: QRectF, points: np.ndarray) -> None:
    """A line through `points`, scaled symmetrically about zero, over a faint zero axis."""
    peak = float(np.max(np.abs(points))) if points.size else 0.0
    peak = peak or 1.0
    mid = area.center().y()
    half = area.height() / 2
    step = area.width() / max(1, points.size - 1)
    coords = [QPointF(area.left() + i * step, mid - float(p) / peak * half) for i, p in enumerate(points)]
    painter.setPen(QPen(AXIS_COLOUR, 1))
    painter.drawLine(QPointF(area.left(), mid), QPointF(area.right(), mid))
    if len(coords) < 2:
        return
    line = QPainterPath(coords[0])
    for c in coords[1:]:
        line.lineTo(c)
    fill = QPainterPath(line)
    fill.lineTo(QPointF(coords[-1].x(), mid))
    fill.lineTo(QPointF(coords[0].x(), mid))
    fill.closeSubpath()
    painter.fillPath(fill, SPARK_FILL)
    painter.setPen(QPen(SPARK_COLOUR, 1.2))
    painter.drawPath(line)
