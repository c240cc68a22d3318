"""The graph panel's side panel: the selected node's fields with "Open in Table", and the colour legend; a
node's hover preview (its tooltip) from the same fields."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.graph.model import GraphNode
from gui.graph import style

MAX_VALUE_CHARS = 160


class NodeDetails(QWidget):
    """Shows one node: its label, entity and key, its row's fields (loaded by the panel), and actions."""

    open_requested = Signal()  # "Open in Table" for the node shown
    expand_requested = Signal()
    collapse_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("graphDetails")
        self.node: GraphNode | None = None
        self.title = QLabel("Nothing selected")
        self.title.setObjectName("graphDetailsTitle")
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.subtitle = QLabel("Click a node to see its fields.")
        self.subtitle.setWordWrap(True)
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fields = QTableWidget(0, 2)
        self.fields.setObjectName("graphFields")
        self.fields.setHorizontalHeaderLabels(["Field", "Value"])
        self.fields.verticalHeader().hide()
        self.fields.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.fields.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.fields.setWordWrap(False)
        header = self.fields.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.open_button = QPushButton("Open in Table")
        self.open_button.setObjectName("graphOpenInTable")
        self.open_button.setToolTip("Open this record's table, filtered to this record")
        self.open_button.clicked.connect(self.open_requested)
        self.expand_button = QPushButton("Expand")
        self.expand_button.setToolTip("Show this record's neighbours (double-click does the same)")
        self.expand_button.clicked.connect(self.expand_requested)
        self.collapse_button = QPushButton("Collapse")
        self.collapse_button.setToolTip("Hide the neighbours that hang off this node only")
        self.collapse_button.clicked.connect(self.collapse_requested)
        buttons = QHBoxLayout()
        for button in (self.open_button, self.expand_button, self.collapse_button):
            buttons.addWidget(button)
        self.legend = QLabel()
        self.legend.setObjectName("graphLegend")
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addLayout(buttons)
        layout.addWidget(self.fields, 1)
        legend_title = QLabel("Legend")
        legend_title.setStyleSheet("font-weight: bold;")
        layout.addWidget(legend_title)
        layout.addWidget(self.legend)
        self.show_node(None)

    def show_node(self, node: GraphNode | None) -> None:
        """Show `node` (its fields follow with show_fields), or nothing."""
        self.node = node
        self.fields.setRowCount(0)
        record = node is not None and not node.aggregate
        for button in (self.open_button, self.collapse_button):
            button.setEnabled(record)
        self.expand_button.setEnabled(node is not None)
        if node is None:
            self.title.setText("Nothing selected")
            self.subtitle.setText("Click a node to see its fields; double-click it to expand it.")
        elif node.aggregate:
            self.title.setText(f"+{node.count or 0:,} {node.entity}")
            self.subtitle.setText(
                f"{node.count or 0:,} more {node.entity} rows through {node.via}. "
                "Expand to show the next ones."
            )
        else:
            key = ", ".join(str(v) for v in node.key or ())
            self.title.setText(node.label or key)
            self.subtitle.setText(f"{node.entity} · {key}\nLoading fields…")

    def show_fields(self, values: dict[str, Any]) -> None:
        """Fill the field table with one row's values."""
        if self.node is not None:
            key = ", ".join(str(v) for v in self.node.key or ())
            self.subtitle.setText(f"{self.node.entity} · {key}")
        self.fields.setRowCount(len(values))
        for row, (name, value) in enumerate(values.items()):
            self.fields.setItem(row, 0, QTableWidgetItem(name))
            shown = QTableWidgetItem(display(value))
            shown.setToolTip(display(value, limit=2000))
            if value is None:
                shown.setForeground(Qt.GlobalColor.gray)
            self.fields.setItem(row, 1, shown)

    def show_error(self, message: str) -> None:
        """Say why the fields could not be read."""
        if self.node is not None:
            key = ", ".join(str(v) for v in self.node.key or ())
            self.subtitle.setText(f"{self.node.entity} · {key}\n{message}")

    def set_legend(self, entities: Iterable[str]) -> None:
        """List each shown entity with its colour and letter."""
        rows = []
        for name in entities:
            look = style.entity_style(name)
            rows.append(
                f'<span style="color:{look.colour.name()}; font-size:14pt;">●</span>'
                f"&nbsp;<b>{look.letter}</b>&nbsp;{_escape(name)}"
            )
        link = f'<span style="color:{style.LINK_EDGE.name()};">━</span>&nbsp;link table row'
        fk = f'<span style="color:{style.FK_EDGE.name()};">━</span>&nbsp;foreign key'
        self.legend.setText("<br>".join([*rows, link, fk]) if rows else "")


def display(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """A field value as one line of text: NULL, a byte count, a vector's size, or the value cut short."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value):,} bytes>"
    if hasattr(value, "__len__") and not isinstance(value, str | dict) and len(value) > 16:
        return f"[{len(value):,} values]"
    if isinstance(value, dict | list):  # JSON as JSON, as the grid shows it, not Python's repr
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: How many of a row's fields its hover preview shows.
PREVIEW_FIELDS = 10


def preview(node: GraphNode, values: dict[str, Any]) -> str:
    """A node's tooltip with its row: label, entity and key, then its first fields."""
    key = ", ".join(str(v) for v in node.key or ())
    lines = [node.label, f"{node.entity} · {key}", ""]
    shown = [(k, v) for k, v in values.items() if v is not None][:PREVIEW_FIELDS]
    lines += [f"{name}: {display(value, limit=80)}" for name, value in shown]
    lines += ["", "Double-click to expand"]
    return "\n".join(lines)
