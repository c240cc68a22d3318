"""Export what the graph view shows as a PNG or an SVG file (QtSvg, part of PySide6-Essentials)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsView

#: PNGs are drawn at twice the screen's size, so they stay sharp in documents and slides.
PNG_SCALE = 2


def export_view(view: QGraphicsView, path: Path) -> None:
    """Write the visible part of `view` to `path`: SVG for a .svg name, PNG otherwise. Raises OSError."""
    if path.suffix.lower() == ".svg":
        _svg(view, path)
    else:
        _png(view, path)


def _png(view: QGraphicsView, path: Path) -> None:
    size = view.viewport().size()
    image = QImage(size * PNG_SCALE, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        view.render(painter, source=view.viewport().rect())
    finally:
        painter.end()
    saved: bool = image.save(str(path), "PNG")  # type: ignore[call-overload]  # stubs say bytes; it takes str
    if not saved:
        raise OSError(f"Could not write {path.name}: check the folder exists and is writable.")


def _svg(view: QGraphicsView, path: Path) -> None:
    size: QSize = view.viewport().size()
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(size)
    generator.setViewBox(QRect(0, 0, size.width(), size.height()))
    generator.setTitle("Warden record graph")
    painter = QPainter()
    if not painter.begin(generator):
        raise OSError(f"Could not write {path.name}: check the folder exists and is writable.")
    try:
        view.render(painter, source=view.viewport().rect())
    finally:
        painter.end()
