"""The table editor's cell delegate: an editor per column kind; booleans and vectors painted in the cell.

Delegates paint and edit; they never query. The model says what a cell is through gui.editor.model.roles
(Role.COLUMN, Role.FOREIGN_KEY); the only database work an editor does is the FK picker's search,
through gui/runtime/workers.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QKeyEvent, QMouseEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionButton,
    QStyleOptionViewItem,
    QWidget,
)

from core.engine.db import Database
from core.schema.catalog import Catalog, ColumnInfo, ForeignKeyInfo
from gui.editor.delegates.array_editor import ArrayEditor
from gui.editor.delegates.editors import (
    INVALID,
    DateEditor,
    DateTimeEditor,
    EnumEditor,
    PopupTextEditor,
    TimeEditor,
    ValueLineEdit,
)
from gui.editor.delegates.fk_picker import ForeignKeyPicker
from gui.editor.delegates.json_editor import JsonEditor
from gui.editor.delegates.vector_cell import as_vector, paint_vector, summarize
from gui.editor.model.cells import Look
from gui.editor.model.roles import Role

Index = QModelIndex | QPersistentModelIndex
#: Kinds shown but never edited in a cell.
READ_ONLY_KINDS = frozenset({"vector", "binary"})
#: Editors bigger than their cell, as (minimum width, height).
POPUP_SIZES = {"text": (460, 220), "json": (480, 280), "array": (360, 200), "fk": (440, 300)}
LINK_COLOUR = QColor("#5f8dd3")
LINK_MARK_WIDTH = 14
VECTOR_MIN_WIDTH = 190
#: Kinds the delegate paints itself; other cells without a foreign key go straight to Qt.
PAINTED_KINDS = frozenset({"vector", "boolean"})
LOADED = "_warden_loaded_value"  # what setEditorData last showed in an editor
CLOSED = "_warden_closed"  # set on an editor once it is committed and closed, or destroyed
_NOTHING = object()


@dataclass
class EditorContext:
    """What editors that search need: the open database and its catalog (set by the view)."""

    db: Database
    catalog: Catalog


class CellDelegate(QStyledItemDelegate):
    """Chooses each cell's editor from Role.COLUMN and Role.FOREIGN_KEY; paints booleans and vectors."""

    #: Ctrl+click on a foreign-key cell: (target entity, target key) of the referenced row.
    open_reference_requested = Signal(str, object)

    def __init__(self, parent: QObject | None = None, *, context: EditorContext | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._model: QAbstractItemModel | None = None  # the model `_columns` describes
        self._columns: list[tuple[ColumnInfo, ForeignKeyInfo | None]] | None = None
        self._look: Callable[[int, int], Look] | None = None  # the bound model's `look`, when it has one
        self._connections: list[Any] = []
        self._stale = False

    # --- what a column is -----------------------------------------------------------------------

    def describe(self, index: Index) -> tuple[ColumnInfo | None, ForeignKeyInfo | None]:
        """The cell's column and foreign key: from a per-column table when the model offers
        `column_info(col)` and `foreign_key(col)` (built once, rebuilt when its columns change), else
        asked of the index (Role.COLUMN, Role.FOREIGN_KEY)."""
        model = index.model()
        if model is not self._model or self._stale:
            self._bind(model)
        table = self._columns
        if table is not None:
            col = index.column()
            if 0 <= col < len(table):
                return table[col]
        return index.data(Role.COLUMN), index.data(Role.FOREIGN_KEY)

    def _bind(self, model: QAbstractItemModel | None) -> None:
        if model is not self._model:
            for connection in self._connections:
                QObject.disconnect(connection)
            self._connections = []
            if model is not None and hasattr(model, "column_info") and hasattr(model, "foreign_key"):
                self._connections = [s.connect(self._on_columns_changed) for s in _column_signals(model)]
        self._model, self._stale, self._columns = model, False, None
        self._look = getattr(model, "look", None)
        if self._connections:  # only for a model that has both (checked above)
            assert model is not None and hasattr(model, "column_info") and hasattr(model, "foreign_key")
            self._columns = [(model.column_info(c), model.foreign_key(c)) for c in range(model.columnCount())]

    def _on_columns_changed(self, *_args: Any) -> None:
        self._stale = True  # rebuilt on the next paint

    # --- editors --------------------------------------------------------------------------------

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        """The editor the cell's column needs; None for read-only kinds and booleans (toggled by click)."""
        column, fk = self.describe(index)
        if column is None:
            return super().createEditor(parent, option, index)
        kind = column.kind
        if kind in READ_ONLY_KINDS or kind == "boolean":
            return None  # type: ignore[return-value]  # Qt accepts no editor
        editor: QWidget
        if fk is not None and self.context is not None:
            picker = ForeignKeyPicker(
                self.context.db, self.context.catalog, fk, nullable=column.nullable, parent=parent
            )
            picker.committed.connect(lambda: self._commit_and_close(picker))
            picker.cancelled.connect(lambda: self._cancel(picker))
            editor = picker
        elif kind == "array":
            editor = self._popup(ArrayEditor(column, parent))
        elif kind == "json":
            editor = self._popup(JsonEditor(column, parent))
        elif kind == "text":
            editor = self._popup(PopupTextEditor(column, parent))
        elif kind == "datetime":
            editor = DateTimeEditor(column, parent)
        elif kind == "date":
            editor = DateEditor(column, parent)
        elif kind == "time":
            editor = TimeEditor(column, parent)
        elif kind == "enum" and column.enum_values:
            editor = EnumEditor(column, parent)
        else:
            editor = ValueLineEdit(column, parent)
        editor.setAutoFillBackground(True)
        return editor

    def _popup(self, editor: PopupTextEditor) -> PopupTextEditor:
        editor.commit_requested.connect(lambda: self._commit_and_close(editor))
        editor.cancel_requested.connect(lambda: self._cancel(editor))
        editor.focus_left.connect(lambda: self._commit_and_close(editor))
        return editor

    def destroyEditor(self, editor: QWidget, index: Index) -> None:
        """Mark the editor closed first: a focus-out it queued while closing must not commit it again."""
        setattr(editor, CLOSED, True)
        super().destroyEditor(editor, index)

    def stage_open_editor(self, view: QAbstractItemView) -> bool:
        """Hand what is typed in `view`'s open editor to the model now and close the editor, as Ctrl+Enter
        or leaving it would; whether one was open. A pop-up editor stages only on Ctrl+Enter or once a
        focus change has settled, too late for a question asked at once (quitting, closing a tab)."""
        index = view.currentIndex()
        editor = view.indexWidget(index) if index.isValid() else None
        if editor is None or getattr(editor, CLOSED, False):
            return False
        self._commit_and_close(editor)
        return True

    def _commit_and_close(self, editor: QWidget) -> None:
        if getattr(editor, CLOSED, False):
            return
        setattr(editor, CLOSED, True)
        self.commitData.emit(editor)
        self.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.NoHint)

    def _cancel(self, editor: QWidget) -> None:
        setattr(editor, CLOSED, True)
        self.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.RevertModelCache)

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        """Show the cell's whole value (EditRole) in the editor."""
        setter = getattr(editor, "set_value", None)
        if setter is None:
            super().setEditorData(editor, index)
            return
        value = index.data(Qt.ItemDataRole.EditRole)
        loaded = getattr(editor, LOADED, _NOTHING)
        if loaded is not _NOTHING and _same(loaded, value):
            return  # the view re-sends data on every dataChanged: keep what the user is typing
        setter(value)
        setattr(editor, LOADED, value)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        """Hand the editor's typed value to the model; input that is no value of the column (invalid JSON,
        half a UUID) goes as the text typed, which the model stages marked invalid: never dropped."""
        getter = getattr(editor, "value", None)
        if getter is None:
            super().setModelData(editor, model, index)
            return
        value = getter()
        if value is INVALID:
            typed = getattr(editor, "typed_text", None)
            if typed is None:
                return
            value = typed()
            if _same(value, getattr(editor, LOADED, _NOTHING)):
                return  # opened on an invalid staged text and left as it was
        model.setData(index, value, Qt.ItemDataRole.EditRole)

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem, index: Index) -> None:
        """Cell-sized editors fill the cell; text, JSON and FK editors open larger, kept inside the view,
        and so does a counting line editor in a cell too narrow for its text beside the counter."""
        size = POPUP_SIZES.get(_popup_kind(editor))
        if size is None and isinstance(editor, ValueLineEdit) and editor.counter is not None:
            size = (editor.minimum_width(), option.rect.height())
            editor.setFrame(size[0] > option.rect.width())  # over its neighbours: show where it ends
        if size is None:
            super().updateEditorGeometry(editor, option, index)
            return
        rect = QRect(option.rect.topLeft(), QSize(max(option.rect.width(), size[0]), size[1]))
        area = parent.rect() if (parent := editor.parentWidget()) is not None else rect
        rect.setWidth(min(rect.width(), max(area.width(), option.rect.width())))
        rect.setHeight(min(rect.height(), max(area.height(), option.rect.height())))
        rect.moveLeft(max(0, min(rect.left(), area.right() + 1 - rect.width())))
        rect.moveTop(max(0, min(rect.top(), area.bottom() + 1 - rect.height())))
        editor.setGeometry(rect)

    # --- painting -------------------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        """Cells from the model's `look` (one lookup per cell); booleans as a centred checkbox, vectors as a
        summary and sparkline, FK cells with a link mark."""
        column, fk = self.describe(index)
        kind = column.kind if column is not None else None
        styled = self._styled(option, index)
        if fk is None and kind not in PAINTED_KINDS:
            if kind == "uuid":  # a narrow key column keeps both ends of a key readable
                styled.textElideMode = Qt.TextElideMode.ElideMiddle
            _draw(painter, styled)  # an ordinary cell
            return
        if kind == "vector":
            vector = as_vector(index.data(Qt.ItemDataRole.EditRole))
            if vector is not None:
                _draw(painter, _without_text(styled))
                selected = bool(option.state & QStyle.StateFlag.State_Selected)
                colour = option.palette.highlightedText() if selected else option.palette.text()
                paint_vector(painter, option.rect, summarize(vector), colour.color())
                return
        if kind == "boolean":
            _draw(painter, _without_text(styled))
            self._paint_check(painter, option, index.data(Qt.ItemDataRole.EditRole))
            return
        if fk is None or index.data(Qt.ItemDataRole.EditRole) is None:
            _draw(painter, styled)
            return
        _draw(painter, _without_text(styled))
        styled.rect = option.rect.adjusted(0, 0, -LINK_MARK_WIDTH, 0)  # the text stops before the mark
        styled.backgroundBrush = QBrush()  # already painted across the whole cell
        _draw(painter, styled)
        _paint_link_mark(painter, option)

    def _styled(self, option: QStyleOptionViewItem, index: Index) -> QStyleOptionViewItem:
        """The cell's style option: from the model's `look` in one call when it has one (Qt's
        initStyleOption asks seven roles through data()), else as Qt builds it."""
        if self._look is None:
            opt = QStyleOptionViewItem(option)
            self.initStyleOption(opt, index)
            return opt
        return _dressed(option, index, self._look(index.row(), index.column()))

    @staticmethod
    def _paint_check(painter: QPainter, option: QStyleOptionViewItem, value: Any) -> None:
        box = QStyleOptionButton()
        box.rect = check_rect(option)
        box.state = QStyle.StateFlag.State_Enabled
        box.state |= (
            QStyle.StateFlag.State_NoChange
            if value is None
            else (QStyle.StateFlag.State_On if value else QStyle.StateFlag.State_Off)
        )
        style = option.widget.style() if option.widget is not None else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_IndicatorCheckBox, box, painter, option.widget)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        """Vectors ask for room for their summary and sparkline."""
        hint = super().sizeHint(option, index)
        column, _fk = self.describe(index)
        if column is not None and column.kind == "vector":
            hint.setWidth(max(hint.width(), VECTOR_MIN_WIDTH))
        return hint

    # --- clicks ---------------------------------------------------------------------------------

    def editorEvent(
        self, event: QEvent, model: QAbstractItemModel, option: QStyleOptionViewItem, index: Index
    ) -> bool:
        """A click on a boolean's box (or Space) toggles it; Ctrl+click on a foreign key opens its row."""
        column, fk = self.describe(index)
        if column is None:
            return super().editorEvent(event, model, option, index)
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent):
            ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
            if fk is not None and ctrl and event.button() == Qt.MouseButton.LeftButton:
                value = index.data(Qt.ItemDataRole.EditRole)
                if value is not None:
                    self.open_reference_requested.emit(fk.target, {fk.target_columns[0]: value})
                    return True
        if column.kind != "boolean" or not index.flags() & Qt.ItemFlag.ItemIsEditable:
            return super().editorEvent(event, model, option, index)
        if kind in (QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick):
            assert isinstance(event, QMouseEvent)
            inside = check_rect(option).adjusted(-4, -4, 4, 4).contains(event.position().toPoint())
            if event.button() != Qt.MouseButton.LeftButton or not inside:
                return False
            if kind == QEvent.Type.MouseButtonDblClick:
                return True  # the press and release already toggled; no editor opens
            return self._toggle(model, index)
        space = (Qt.Key.Key_Space, Qt.Key.Key_Select)
        if kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and event.key() in space:
            return self._toggle(model, index)
        return False

    @staticmethod
    def _toggle(model: QAbstractItemModel, index: Index) -> bool:
        """True becomes False; False and NULL become True."""
        value = index.data(Qt.ItemDataRole.EditRole)
        return bool(model.setData(index, not bool(value), Qt.ItemDataRole.EditRole))


def _same(a: Any, b: Any) -> bool:
    """Equality that never raises (arrays compare element-wise, odd types may refuse)."""
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return False


def check_rect(option: QStyleOptionViewItem) -> QRect:
    """The checkbox indicator's rectangle, centred in the cell."""
    style = option.widget.style() if option.widget is not None else QApplication.style()
    probe = QStyleOptionButton()
    indicator = style.subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, probe, option.widget)
    rect = QRect(0, 0, indicator.width(), indicator.height())
    rect.moveCenter(option.rect.center())
    return rect


def _column_signals(model: QAbstractItemModel) -> tuple[Any, ...]:
    """The model signals after which a column may be something else."""
    return (
        model.modelReset, model.headerDataChanged, model.columnsInserted, model.columnsRemoved,
        model.columnsMoved, model.layoutChanged,
    )  # fmt: skip


def _popup_kind(editor: QWidget) -> str:
    """Which larger-than-the-cell editor `editor` is ('' for a cell-sized one)."""
    if isinstance(editor, ForeignKeyPicker):
        return "fk"
    if isinstance(editor, ArrayEditor):
        return "array"
    if isinstance(editor, JsonEditor):
        return "json"
    if isinstance(editor, PopupTextEditor):
        return "text"
    return ""


def _dressed(option: QStyleOptionViewItem, index: Index, cell: Look) -> QStyleOptionViewItem:
    """The view's option for a cell dressed as `cell` says (what initStyleOption makes of the roles)."""
    opt = QStyleOptionViewItem(option)
    # PySide converts a QPersistentModelIndex too; its stub lists only QModelIndex's copy constructor
    opt.index = QModelIndex(index)  # type: ignore[arg-type]
    if cell.text:
        opt.text = cell.text
        opt.features = _with_display(option.features)
    if cell.alignment is not None:
        opt.displayAlignment = cell.alignment
    if cell.foreground is not None:
        palette = opt.palette
        palette.setColor(QPalette.ColorRole.Text, cell.foreground)
        opt.palette = palette
    if cell.background is not None:
        opt.backgroundBrush = QBrush(cell.background)
    if cell.font is not None:
        opt.font = cell.font
        opt.fontMetrics = QFontMetrics(cell.font)
    return opt


@lru_cache(maxsize=64)
def _with_display(features: QStyleOptionViewItem.ViewItemFeature) -> QStyleOptionViewItem.ViewItemFeature:
    """`features` plus HasDisplay (cached: combining Qt flags builds Python enum values per call)."""
    return features | QStyleOptionViewItem.ViewItemFeature.HasDisplay


def _without_text(opt: QStyleOptionViewItem) -> QStyleOptionViewItem:
    """A copy of `opt` that draws the cell's background, selection and focus, but no text or checkbox."""
    bare = QStyleOptionViewItem(opt)
    bare.text = ""
    bare.features &= ~QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    return bare


def _draw(painter: QPainter, opt: QStyleOptionViewItem) -> None:
    """Draw an item-view cell as the view's style draws it."""
    style = opt.widget.style() if opt.widget is not None else QApplication.style()
    style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)


def _paint_link_mark(painter: QPainter, option: QStyleOptionViewItem) -> None:
    """A small arrow at the right of a foreign-key cell: Ctrl+click follows it."""
    painter.save()
    painter.setPen(LINK_COLOUR)
    mark = QRect(
        option.rect.right() - LINK_MARK_WIDTH, option.rect.top(), LINK_MARK_WIDTH - 2, option.rect.height()
    )
    painter.drawText(mark, Qt.AlignmentFlag.AlignCenter, "↗")
    painter.restore()
