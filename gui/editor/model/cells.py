"""How a grid cell reads and looks: its one-line text, whole text, colours, font and alignment.

`CellLooks` (composed in TableEditorModel): `look(row, col)` answers everything a cell paints with in one
call, so the delegate paints a cell from one lookup instead of the seven data() calls Qt's
initStyleOption makes; data() answers the same roles from the same `look`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from decimal import Decimal
from typing import Any, NamedTuple

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont

from core.data.coercion import interval_text
from core.data.repository import to_jsonable
from core.schema.catalog import ColumnInfo
from gui.editor.delegates.vector_cell import as_vector, vector_tooltip
from gui.editor.model import roles
from gui.editor.model.column_hints import new_row_hint
from gui.editor.model.grid import Grid
from gui.editor.model.roles import RowState
from gui.editor.model.staging import UNSET, RowRef

NUMERIC = ("integer", "decimal", "float")
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_R = Qt.ItemDataRole
#: The roles `Look` answers, as its field positions.
LOOK_ROLES = {
    int(_R.DisplayRole): 0, int(_R.ForegroundRole): 1, int(_R.BackgroundRole): 2, int(_R.FontRole): 3,
    int(_R.TextAlignmentRole): 4,
}  # fmt: skip


class Look(NamedTuple):
    """What a cell paints with; None fields leave the view's defaults."""

    text: str
    foreground: QColor | None = None
    background: QColor | None = None
    font: QFont | None = None
    alignment: Qt.AlignmentFlag | None = None


PLACEHOLDER = Look("…", roles.PLACEHOLDER_TEXT)
NULL_TEXT = "NULL"
#: A text or bytes value longer than this is summarised from its first characters (bytes): a cell-paint or a
#: tooltip never copies, hex-encodes, splits or parses a 10 MB text or a 50 MB BLOB whole.
HUGE = 64 * 1024
#: Characters of a huge value's tooltip excerpt (its size follows).
TOOLTIP_LIMIT = 2000
WHOLE_VALUE = "copy or edit the cell for all of it"
#: An empty string, grey and italic: distinct from NULL, and never a blank cell that looks unloaded.
EMPTY_TEXT = "(empty)"


@functools.lru_cache(maxsize=1)
def _italic() -> QFont:
    """The font of an "(empty)" cell (made once, after the QApplication exists)."""
    font = QFont()
    font.setItalic(True)
    return font


class CellLooks:
    """`look(row, col)` for the grid's cells: what they show (from the grid) and how it looks."""

    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        self.window = grid.window
        self.columns = list(grid.entity.columns)

    def look(self, row: int, col: int) -> Look:
        """The cell's text, colours, font and alignment, as painted; a placeholder asks for its page."""
        info = self.columns[col]
        grid = self.grid
        ref, loaded = grid.locate(row)
        staging = grid.staging
        if ref is None:
            self.window.ask(row - len(staging.inserts))
            return PLACEHOLDER
        quiet = not staging.count and not staging.errors
        value, staged = grid.shown(ref, loaded, col)
        align = RIGHT if info.kind in NUMERIC else None
        if quiet:
            if value is None:
                return Look(NULL_TEXT, roles.PLACEHOLDER_TEXT, None, None, align)
            if isinstance(value, str) and not value:
                return Look(EMPTY_TEXT, roles.PLACEHOLDER_TEXT, None, _italic(), align)
            label = self.label(row, ref, info.name, value)
            return Look(label or display_text(info, value), None, None, None, align)
        error = staging.errors.get((ref, info.name))
        defaulted = loaded is None and staged is UNSET and (info.has_default or info.autoincrement)
        empty = isinstance(value, str) and not value
        label = self.label(row, ref, info.name, value)
        text = NULL_TEXT if value is None else EMPTY_TEXT if empty else label or display_text(info, value)
        return Look(
            new_row_hint(info) if defaulted else text,
            roles.PLACEHOLDER_TEXT if value is None or empty else None,
            self._background(ref, staged is not UNSET, error),
            self._font(ref, defaulted or empty),
            align,
        )

    def label(self, row: int, ref: RowRef, column: str, value: Any) -> str | None:
        """The target's label for an FK cell (page labels, then staged-value labels), else None."""
        if value is None or column not in self.window.fks:
            return None
        inserts = len(self.grid.staging.inserts)
        return self.window.fk_label(row - inserts if ref[0] == "key" else None, column, value)

    def _background(self, ref: RowRef, staged: bool, error: str | None) -> QColor | None:
        if error:
            return roles.CELL_ERROR
        state = self.grid.state(ref)
        if state == RowState.INSERTED:
            return roles.STAGED_INSERT
        if state == RowState.DELETED:
            return roles.STAGED_DELETE
        return roles.STAGED_EDIT if staged else None

    def _font(self, ref: RowRef, italic: bool) -> QFont | None:
        """Struck out in a row staged for deletion; italic for a new row's default and "(empty)"."""
        if self.grid.state(ref) != RowState.DELETED:
            return _italic() if italic else None
        font = QFont()
        font.setStrikeOut(True)
        font.setItalic(italic)
        return font


# --- how values read in the grid --------------------------------------------------------------------


def full_text(info: ColumnInfo, value: Any) -> str:
    """The whole value as text that pastes back into the same column ('' for NULL)."""
    if value is None:
        return ""
    if info.kind == "datetime" and isinstance(value, dt.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return stamp.astimezone().isoformat()
    if info.kind == "boolean":
        return "true" if value else "false"
    if info.kind == "vector":
        vec = as_vector(value)
        return json.dumps([round(float(x), 6) for x in vec]) if vec is not None else str(value)
    if info.kind in ("json", "array") and isinstance(value, str | bytes):
        return json_text(value)
    if info.kind in ("json", "array") or isinstance(value, dict | list):
        return json.dumps(to_jsonable(value), ensure_ascii=False)
    if isinstance(value, bytes | bytearray | memoryview):
        return "0x" + bytes(value).hex()
    if isinstance(value, Decimal) and info.scale is not None:
        return f"{value:.{info.scale}f}"
    if isinstance(value, dt.timedelta):
        return interval_text(value)  # as PostgreSQL reads it back ("1 day, 2:00:00" it would refuse)
    return str(value)


@functools.lru_cache(maxsize=1024)  # look() asks once per painted cell: parse each stored text once
def json_text(stored: str | bytes) -> str:
    """JSON kept as text (a reflected TEXT column), as compact JSON; text that is not JSON as it is.

    Dumping the stored string itself would quote and escape it a second time ("[\\"k1\\", …").
    """
    text = stored.decode("utf-8", "replace") if isinstance(stored, bytes) else stored
    try:
        return json.dumps(json.loads(text), ensure_ascii=False)
    except (ValueError, RecursionError):
        return text  # e.g. invalid JSON the user typed and staged: shown as typed, marked by its error


def tooltip_text(info: ColumnInfo, value: Any) -> str:
    """The whole value for a tooltip; a vector as a summary (dimension, norm, first 8 values); a huge
    text or BLOB as its first TOOLTIP_LIMIT characters and its size."""
    if _is_huge(info, value):
        return f"{_excerpt(info, value, TOOLTIP_LIMIT)}… ({_size(len(value))} in all; {WHOLE_VALUE})"
    if isinstance(value, dict | list):
        head, cut = json_head(value, TOOLTIP_LIMIT)
        if cut:
            return f"{head}… ({WHOLE_VALUE})"
    if info.kind == "vector":
        vec = as_vector(value)
        if vec is not None:
            return vector_tooltip(vec)
    return full_text(info, value)


def display_text(info: ColumnInfo, value: Any) -> str:
    """One line for the grid: local times, ✓ for true, decimals at their scale, vectors as a summary."""
    if value is None:
        return ""
    if info.kind == "datetime" and isinstance(value, dt.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return stamp.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    if info.kind == "boolean":
        return "✓" if value else ""
    if info.kind == "vector":
        vec = as_vector(value)
        if vec is None:
            return str(value)[: roles.DISPLAY_LIMIT]
        return f"{vec.shape[0]}-d ‖v‖={float((vec.astype('float64') ** 2).sum() ** 0.5):.2f}"
    if _is_huge(info, value):
        text = _excerpt(info, value, 4 * roles.DISPLAY_LIMIT)  # enough to fill the line after folding
    elif isinstance(value, dict | list):
        text = json_head(value, 4 * roles.DISPLAY_LIMIT)[0]
    else:
        text = f"{value:.6g}" if isinstance(value, float) else full_text(info, value)
    text = " ".join(text.split()) if "\n" in text or "\r" in text else text
    return text if len(text) <= roles.DISPLAY_LIMIT else text[: roles.DISPLAY_LIMIT - 1] + "…"


def _is_huge(info: ColumnInfo, value: Any) -> bool:
    """A text or bytes value too long to turn into text whole each time a cell is painted or hovered."""
    return (
        isinstance(value, str | bytes | bytearray | memoryview)
        and len(value) > HUGE
        and info.kind != "vector"
    )


def _excerpt(info: ColumnInfo, value: str | bytes | bytearray | memoryview, n: int) -> str:
    """About the first `n` characters of a huge value as full_text would spell them (JSON text unparsed)."""
    if isinstance(value, str):
        return value[:n]
    head = bytes(value[:n])
    if info.kind in ("json", "array"):
        return head.decode("utf-8", "replace")
    return "0x" + head[: n // 2].hex()


class _Full(Exception):
    """json_head has written more than it was asked for."""


def json_head(value: Any, n: int) -> tuple[str, bool]:
    """The first `n` characters of json.dumps(to_jsonable(value), ensure_ascii=False), built only that far
    (a 10 MB document is not encoded whole to show a line of it); and whether the whole is longer."""
    parts: list[str] = []
    left = n

    def put(text: str) -> None:
        nonlocal left
        parts.append(text)
        left -= len(text)
        if left < 0:
            raise _Full

    def string(text: str) -> None:
        # A long string's prefix: its escapes are a prefix of the whole string's, and it overflows `left`.
        put(json.dumps(text[: left + 1] if len(text) > left else text, ensure_ascii=False))

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            put("{")
            for i, (k, x) in enumerate(v.items()):
                put(", " if i else "")
                string(str(k))
                put(": ")
                walk(x)
            put("}")
        elif isinstance(v, list | tuple):
            put("[")
            for i, x in enumerate(v):
                put(", " if i else "")
                walk(x)
            put("]")
        elif isinstance(v, str):
            string(v)
        else:
            plain = to_jsonable(v)
            if isinstance(plain, dict | list | str):
                walk(plain)
            else:
                put(json.dumps(plain, ensure_ascii=False))

    try:
        walk(value)
    except _Full:
        return "".join(parts)[:n], True
    return "".join(parts), False


def _size(n: int) -> str:
    """A length in bytes (or characters) as people read it: 10.0 MB."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"
