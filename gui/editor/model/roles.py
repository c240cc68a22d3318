"""The contract between the editor's model, its delegates and its view: custom data roles and colours.

The model answers these roles; delegates and views only read them (they never query the database).
"""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor


class Role(IntEnum):
    """Custom item data roles of TableEditorModel."""

    COLUMN = Qt.ItemDataRole.UserRole + 1  # core.schema.catalog.ColumnInfo of the cell's column
    FOREIGN_KEY = Qt.ItemDataRole.UserRole + 2  # catalog.ForeignKeyInfo when the column is a 1-column FK
    ROW_STATE = Qt.ItemDataRole.UserRole + 3  # RowState value of the cell's row
    ERROR = Qt.ItemDataRole.UserRole + 4  # validation message for this cell, or None
    ROW_KEY = Qt.ItemDataRole.UserRole + 5  # the row's primary key as a dict (None for unsaved inserts)
    ORIGINAL = Qt.ItemDataRole.UserRole + 6  # the loaded value, before staged edits
    STAGED = Qt.ItemDataRole.UserRole + 7  # True when this cell has a staged edit
    FULL_TEXT = Qt.ItemDataRole.UserRole + 8  # the whole value as text (DisplayRole is truncated)


class RowState:
    """What a row is, from the editor's point of view."""

    PLACEHOLDER = "placeholder"  # its page has not arrived yet
    LOADED = "loaded"
    EDITED = "edited"  # loaded, with staged cell edits
    INSERTED = "inserted"  # staged new row
    DELETED = "deleted"  # staged delete


#: Colours of staged state; chosen to stay readable with dark text.
STAGED_EDIT = QColor("#fff4c2")
STAGED_INSERT = QColor("#dff5e1")
STAGED_DELETE = QColor("#fbe0e0")
CELL_ERROR = QColor("#f8c9c9")
PLACEHOLDER_TEXT = QColor("#9aa0a6")

#: Grid cells show at most this many characters; the editor shows the whole value.
DISPLAY_LIMIT = 120
