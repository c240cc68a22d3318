"""The delete preview: what deleting rows would cascade to, set to NULL or be blocked by, before staging."""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.data.writes import DeleteEffect, DeletePreview
from gui.editor.dialogs.row_names import names_text

#: (short label, colour, explanation template) per delete action.
ACTIONS: dict[str, tuple[str, str, str]] = {
    "cascade": ("Deleted too", "#c62828", "deleted with it"),
    "set null": ("Cleared", "#b26a00", "{cols} set to empty (NULL)"),
    "set default": ("Reset", "#b26a00", "{cols} set to its default"),
    "block": ("Blocks", "#6a1b9a", "still point here through {cols}; the database refuses the delete"),
}


#: The effects tree grows with its rows up to this height, then scrolls.
TREE_MAX_HEIGHT = 300


def rows_text(n: int, entity: str) -> str:
    """'1 row in npcs', '12 rows in npcs'."""
    return f"{n:,} row{'' if n == 1 else 's'} in {entity}"


def _columns(effect: DeleteEffect) -> str:
    return " / ".join(",".join(fk.columns) for fk in effect.fks)


class DeletePreviewDialog(QDialog):
    """Shows a core DeletePreview; Delete is enabled only when nothing blocks it. Cancel is the default.

    `labels` are the labels of the first rows to delete (dialogs/row_names.py): the title names them.
    """

    def __init__(
        self, preview: DeletePreview, parent: QWidget | None = None, labels: list[str] | None = None
    ) -> None:
        super().__init__(parent)
        self.preview = preview
        self.setObjectName("deletePreviewDialog")
        self.setWindowTitle(f"Delete from {preview.entity}")
        self.resize(640, 400)
        layout = QVBoxLayout(self)

        names = names_text(labels or [], preview.rows)
        self.title = QLabel(f"Delete {names or rows_text(preview.rows, preview.entity)}?")
        self.title.setObjectName("deleteTitle")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        layout.addWidget(self.title)
        if names:
            where = QLabel(f"{rows_text(preview.rows, preview.entity).capitalize()}.")
            where.setObjectName("deleteWhere")
            where.setStyleSheet("color: #5f6368;")
            layout.addWidget(where)

        self.blocked_label = QLabel(self._blocked_text())
        self.blocked_label.setObjectName("blockedBanner")
        self.blocked_label.setWordWrap(True)
        self.blocked_label.setStyleSheet(
            "QLabel { background: #fdecea; color: #8e1b10; border: 1px solid #f5c2bd;"
            " border-radius: 4px; padding: 8px; }"
        )
        self.blocked_label.setVisible(preview.blocked)
        layout.addWidget(self.blocked_label)

        intro = QLabel(
            "Deleting also changes these rows:" if preview.effects else "Nothing else refers to these rows."
        )
        intro.setObjectName("effectsIntro")
        layout.addWidget(intro)

        self.tree = QTreeWidget()
        self.tree.setObjectName("effectsTree")
        self.tree.setHeaderLabels(["What happens", "Rows", "Table", "Details"])
        self.tree.setRootIsDecorated(any(e.depth > 1 for e in preview.effects))
        self.tree.setAlternatingRowColors(True)
        self._fill(preview.effects)
        header = self.tree.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.tree.setVisible(bool(preview.effects))
        layout.addWidget(self.tree, 1)
        if not preview.effects:
            layout.addStretch(1)

        note = QLabel("The delete is staged: nothing is written until you Save.")
        note.setStyleSheet("color: #5f6368;")
        layout.addWidget(note)

        buttons = QDialogButtonBox()
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.delete_button: QPushButton = buttons.addButton(
            f"Delete {preview.rows:,} row{'' if preview.rows == 1 else 's'}",
            QDialogButtonBox.ButtonRole.DestructiveRole,
        )
        self.delete_button.setObjectName("deleteButton")
        self.delete_button.setEnabled(not preview.blocked and preview.rows > 0)
        self.delete_button.setStyleSheet(
            "QPushButton:enabled { background: #c62828; color: white; border: 1px solid #8e1b10;"
            " border-radius: 3px; padding: 4px 12px; }"
        )
        if preview.blocked:
            self.delete_button.setToolTip(self._blocked_text())
        self.cancel_button.setDefault(True)
        self.cancel_button.setFocus()
        self.delete_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)
        layout.addWidget(buttons)
        self._fit_tree()

    def _fit_tree(self) -> None:
        """As tall as its rows (up to TREE_MAX_HEIGHT), so a short preview is a short dialog."""
        rows = sum(1 for _ in self._items())
        if not rows:
            self.resize(640, self.sizeHint().height())
            return
        row_height = max(self.tree.sizeHintForRow(0), self.fontMetrics().height() + 4)
        frame = self.tree.frameWidth() * 2 + self.tree.header().sizeHint().height()
        needed = frame + rows * row_height + 4
        self.tree.setMinimumHeight(min(needed, TREE_MAX_HEIGHT))
        if needed <= TREE_MAX_HEIGHT:
            self.tree.setMaximumHeight(needed)  # no empty rows under a short list
        self.resize(640, self.sizeHint().height())

    def _items(self) -> Iterator[QTreeWidgetItem]:
        """Every item of the effects tree, parents before children."""
        stack = [self.tree.topLevelItem(i) for i in reversed(range(self.tree.topLevelItemCount()))]
        while stack:
            item = stack.pop()
            if item is None:
                continue
            yield item
            stack.extend(item.child(i) for i in reversed(range(item.childCount())))

    def _blocked_text(self) -> str:
        blocks = [e for e in self.preview.effects if e.action == "block"]
        if not blocks:
            return ""
        parts = [f"{rows_text(e.count, e.entity)} (through {_columns(e)})" for e in blocks]
        return (
            "Can't delete: " + "; ".join(parts) + " still refer to these rows, and the database forbids "
            "deleting them while they do. Move or delete those rows first."
        )

    def _fill(self, effects: list[DeleteEffect]) -> None:
        parents: dict[int, QTreeWidgetItem] = {}
        bold = QFont(self.font())
        bold.setBold(True)
        for effect in effects:
            label, colour, template = ACTIONS.get(effect.action, ACTIONS["block"])
            detail = template.format(cols=_columns(effect))
            item = QTreeWidgetItem([label, f"{effect.count:,}", effect.entity, detail])
            item.setForeground(0, QBrush(QColor(colour)))
            item.setFont(0, bold)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setData(0, Qt.ItemDataRole.UserRole, effect.action)
            item.setToolTip(3, ", ".join(fk.name for fk in effect.fks))
            parent = parents.get(effect.depth - 1)
            if parent is not None and effect.depth > 1:
                parent.addChild(item)
            else:
                self.tree.addTopLevelItem(item)
            if effect.action == "cascade":
                parents[effect.depth] = item
        self.tree.expandAll()
