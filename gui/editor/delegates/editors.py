"""Cell editor widgets, one per column kind; each reads and writes plain Python values (`set_value`/`value`).

A `value()` that returns `INVALID` means the input is not a value of the column yet: the delegate then
hands over `typed_text()` instead, which the model stages as typed and marks with why (typing is never
dropped silently). Text is never cut to the column's length: a counter shows the limit as you type, and
validation refuses what is over it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import QDate, QDateTime, QEvent, QObject, QPoint, QRect, Qt, QTime, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QRegularExpressionValidator, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QFrame,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTimeEdit,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from core.data.coercion import coerce
from core.schema.catalog import ColumnInfo

INVALID: Any = object()  # "not a value": the delegate leaves the cell as it was
NULL_TEXT = "(null)"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INTEGER_PATTERN = r"[+-]?\d*"
FLOAT_PATTERN = r"[+-]?(\d+\.?\d*|\.\d+)?([eE][+-]?\d*)?"
UUID_PATTERN = (
    r"\{?[0-9A-Fa-f]{0,8}-?[0-9A-Fa-f]{0,4}-?[0-9A-Fa-f]{0,4}-?[0-9A-Fa-f]{0,4}-?[0-9A-Fa-f]{0,12}\}?"
)
DATETIME_FORMAT = "yyyy-MM-dd HH:mm:ss"
DATE_FORMAT = "yyyy-MM-dd"
TIME_FORMAT = "HH:mm:ss"
#: The minimum of a nullable date(-time) editor stands for NULL (shown as NULL_TEXT).
NULL_DATE = QDate(1752, 9, 14)
COUNTER_GAP = 6  # pixels between the text and the length counter
TEXT_ROOM = 10  # a counting editor shows at least this many wide characters beside its counter
COUNT_STYLE = "color: palette(mid);"
OVER_STYLE = "color: #c62828; font-weight: bold;"
REFUSAL_MS = 4000  # how long the "only digits here" tooltip stays
#: Focus lost for a context menu or to another window: the pop-up editor stays open.
STAYING_REASONS = (Qt.FocusReason.PopupFocusReason, Qt.FocusReason.ActiveWindowFocusReason)


def decimal_pattern(precision: int | None, scale: int | None) -> str:
    """A regex for a decimal with at most `precision` digits, `scale` of them after the point."""
    if precision is None:
        return r"[+-]?\d*(\.\d*)?"
    places = scale or 0
    whole = max(precision - places, 0)
    if places == 0:
        return rf"[+-]?\d{{0,{max(whole, 1)}}}"
    return rf"[+-]?\d{{0,{whole}}}(\.\d{{0,{places}}})?"


class ValueLineEdit(QLineEdit):
    """A single-line editor that parses its text into a typed value (text, int, Decimal, float, UUID)."""

    def __init__(self, column: ColumnInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.column = column
        self.setFrame(False)
        kind = column.kind
        pattern = {
            "integer": INTEGER_PATTERN,
            "decimal": decimal_pattern(column.precision, column.scale),
            "float": FLOAT_PATTERN,
            "uuid": UUID_PATTERN,
        }.get(kind)
        if pattern is not None:
            self.setValidator(QRegularExpressionValidator(pattern, self))
            self.inputRejected.connect(self._on_input_rejected)
        # No setMaxLength: it cuts typing and pastes silently. The counter shows the limit instead.
        limit = column.length if kind in ("string", "enum") else None
        self.counter = LengthCounter(limit, self) if limit else None
        if self.counter is not None:
            self.textChanged.connect(self.counter.count)
            self.setTextMargins(0, 0, self.counter.reserved_width() + COUNTER_GAP, 0)
        #: Why the last refused keystroke was refused (also shown as a tooltip under the editor).
        self.refusal = ""
        if kind == "uuid":
            self.setPlaceholderText("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")
        elif column.nullable:
            self.setPlaceholderText(NULL_TEXT)

    def set_value(self, value: Any) -> None:
        """Show `value` whole (the grid may have truncated it); an interval as the server reads it back."""
        if self.column.server_type and value is not None:
            with contextlib.suppress(ValueError):
                value = coerce(self.column, value)  # "1 day 03:00:00", not Python's "1 day, 3:00:00"
        self.setText("" if value is None else str(value))
        self.selectAll()

    def typed_text(self) -> str:
        """The text as typed (what is staged, marked invalid, when it is no value of the column)."""
        return self.text()

    def minimum_width(self) -> int:
        """Room for the counter and some text: a narrow cell's editor grows over its neighbours."""
        room = self.counter.reserved_width() + 2 * COUNTER_GAP if self.counter is not None else 0
        return room + self.fontMetrics().horizontalAdvance("M" * TEXT_ROOM)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Keep the counter at the right end, inside the frame."""
        super().resizeEvent(event)
        if self.counter is not None:
            hint = self.counter.sizeHint()
            width = self.counter.reserved_width()
            self.counter.setGeometry(
                self.width() - width - COUNTER_GAP // 2,
                (self.height() - hint.height()) // 2,
                width,
                hint.height(),
            )

    def _on_input_rejected(self) -> None:
        self.refusal = refusal_message(self.column)
        QToolTip.showText(self.mapToGlobal(QPoint(0, self.height())), self.refusal, self, QRect(), REFUSAL_MS)

    def value(self) -> Any:
        """The typed value, None for a blank non-text cell, or INVALID."""
        text = self.text()
        kind = self.column.kind
        if kind in ("string", "text", "enum", "other"):
            return text
        if not text.strip():
            return None
        try:
            if kind == "integer":
                number = int(text)
                # Qt cannot carry an int beyond 64 bits; as text, validation reports it as out of range.
                return number if INT64_MIN <= number <= INT64_MAX else text.strip()
            if kind == "decimal":
                return _decimal(text, self.column.scale)
            if kind == "float":
                return float(text)
            if kind == "uuid":
                return uuid.UUID(text)
        except (ValueError, InvalidOperation):
            return INVALID
        return text


def refusal_message(column: ColumnInfo) -> str:
    """Why a keystroke was refused, e.g. "Only digits here: quantity is a whole number"."""
    name, kind = column.name, column.kind
    if kind == "integer":
        return f"Only digits here: {name} is a whole number"
    if kind == "decimal":
        if column.precision is None:
            return f"Only digits and one decimal point here: {name} is a number"
        places = column.scale or 0
        whole = max(column.precision - places, 0)
        if not places:
            return f"Only digits here: {name} is a whole number of at most {whole} digits"
        return (
            f"Only digits and one decimal point here: {name} has at most {whole} digits before the point "
            f"and {places} after"
        )
    if kind == "float":
        return f"Only a number here: {name} is a number such as 1.5, -20 or 3e-8"
    if kind == "uuid":
        return f"Only hex digits (0-9, a-f) and dashes here: {name} is a UUID"
    return f"That character cannot go in {name}"


class LengthCounter(QLabel):
    """A count like "118 / 120" at the right of a text editor; red once the text is over the limit."""

    def __init__(self, limit: int, editor: QLineEdit) -> None:
        super().__init__(editor)
        self.limit = limit
        self.setObjectName("lengthCounter")
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        font = self.font()
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
        self.setFont(font)
        self.over: bool | None = None  # unknown until the first count
        self.count(editor.text())

    def reserved_width(self) -> int:
        """Room for the widest count this limit shows (a count may run a digit past the limit)."""
        return self.fontMetrics().horizontalAdvance(f"{self.limit * 10} / {self.limit}")

    def count(self, text: str) -> None:
        """Show the length of `text` against the limit."""
        over = len(text) > self.limit
        self.setText(f"{len(text)} / {self.limit}")
        if over != self.over:  # restyle only when crossing the limit, not on every keystroke
            self.over = over
            self.setStyleSheet(OVER_STYLE if over else COUNT_STYLE)
            self.setToolTip(
                f"At most {self.limit} characters: the text is too long to save"
                if over
                else f"At most {self.limit} characters"
            )


def _decimal(text: str, scale: int | None) -> Decimal:
    """Text as a Decimal, padded to the column's scale (12.5 in NUMERIC(12,2) is 12.50)."""
    value = Decimal(text)
    if scale is not None and value.as_tuple().exponent != -scale:
        value = value.quantize(Decimal(1).scaleb(-scale))
    return value


class DateTimeEditor(QDateTimeEdit):
    """A date-time editor in local time; values in and out are timezone-aware UTC datetimes."""

    def __init__(self, column: ColumnInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.column = column
        self.setCalendarPopup(True)
        self.setDisplayFormat(DATETIME_FORMAT)
        self._original: Any = None
        self._shown = QDateTime()
        if column.nullable:
            self.setMinimumDateTime(QDateTime(NULL_DATE, QTime(0, 0)))
            self.setSpecialValueText(NULL_TEXT)

    def set_value(self, value: Any) -> None:
        """Show a stored (UTC, or naive meaning UTC) datetime in local time; None as NULL."""
        self._original = value
        if value is None:
            self.setDateTime(self.minimumDateTime() if self.column.nullable else QDateTime.currentDateTime())
            self._shown = self.dateTime()
            return
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        local = value.astimezone()  # the machine's local zone
        self.setDateTime(
            QDateTime(
                QDate(local.year, local.month, local.day),
                QTime(local.hour, local.minute, local.second, local.microsecond // 1000),
            )
        )
        self._shown = self.dateTime()

    def value(self) -> Any:
        """The shown local time as an aware UTC datetime, or None for NULL; untouched, the stored value."""
        shown = self.dateTime()
        if shown == self._shown and isinstance(self._original, dt.datetime):
            # Seconds are shown, microseconds are not: opening and closing must not change the value.
            original = self._original
            return (original if original.tzinfo else original.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
        if self.column.nullable and shown == self.minimumDateTime():
            return None
        d, t = shown.date(), shown.time()
        naive = dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), t.second(), t.msec() * 1000)
        return naive.astimezone().astimezone(dt.UTC)  # naive → the machine's local zone → UTC


class DateEditor(QDateEdit):
    """A calendar date editor; values are datetime.date (None shown as NULL when nullable)."""

    def __init__(self, column: ColumnInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.column = column
        self.setCalendarPopup(True)
        self.setDisplayFormat(DATE_FORMAT)
        if column.nullable:
            self.setMinimumDate(NULL_DATE)
            self.setSpecialValueText(NULL_TEXT)

    def set_value(self, value: Any) -> None:
        """Show `value` (a date, or ISO text)."""
        if value is None:
            self.setDate(self.minimumDate() if self.column.nullable else QDate.currentDate())
            return
        if isinstance(value, str):
            value = dt.date.fromisoformat(value[:10])
        self.setDate(QDate(value.year, value.month, value.day))

    def value(self) -> Any:
        """The date shown, or None for NULL."""
        shown = self.date()
        if self.column.nullable and shown == self.minimumDate():
            return None
        return dt.date(shown.year(), shown.month(), shown.day())


class TimeEditor(QTimeEdit):
    """A time-of-day editor; values are datetime.time."""

    def __init__(self, column: ColumnInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.column = column
        self.setDisplayFormat(TIME_FORMAT)

    def set_value(self, value: Any) -> None:
        """Show `value` (a time, or ISO text)."""
        if isinstance(value, str):
            value = dt.time.fromisoformat(value)
        if value is not None:
            self.setTime(QTime(value.hour, value.minute, value.second))

    def value(self) -> Any:
        """The time shown."""
        t = self.time()
        return dt.time(t.hour(), t.minute(), t.second())


class EnumEditor(QComboBox):
    """A combo of the column's enum values, with a NULL entry first when the column is nullable."""

    def __init__(self, column: ColumnInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.column = column
        if column.nullable:
            self.addItem(NULL_TEXT, None)
        for v in column.enum_values or ():
            self.addItem(v, v)

    def set_value(self, value: Any) -> None:
        """Select `value`; a value outside the list (old data) is added so it is not lost silently."""
        i = self.findData(value)
        if i < 0 and value is not None:
            self.addItem(str(value), value)
            i = self.count() - 1
        self.setCurrentIndex(max(i, 0))

    def value(self) -> Any:
        """The chosen value (None for the NULL entry)."""
        return self.currentData()


class PopupTextEditor(QFrame):
    """A large multi-line editor over the grid: Ctrl+Enter saves, Esc cancels."""

    commit_requested = Signal()
    cancel_requested = Signal()
    #: The focus went to a widget outside the editor (a click elsewhere): hand over what was typed.
    focus_left = Signal()

    def __init__(self, column: ColumnInfo, parent: QWidget | None = None, *, hint: str = "") -> None:
        super().__init__(parent)
        self.column = column
        self.setObjectName("popupEditor")
        self.setAutoFillBackground(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.text_edit = QPlainTextEdit(self)
        self.text_edit.setTabChangesFocus(False)
        self.hint = hint or "Ctrl+Enter to save · Esc to cancel"
        self.status = QLabel(self.hint, self)
        self.status.setObjectName("editorStatus")
        self.status.setStyleSheet("color: palette(mid); font-size: 11px;")
        if column.length and column.kind in ("string", "text"):
            self.text_edit.textChanged.connect(self._on_limited_text_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(3)
        layout.addWidget(self.text_edit, 1)
        layout.addWidget(self.status)
        self.setFocusProxy(self.text_edit)
        self.text_edit.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Ctrl+Enter commits and Esc cancels; every other key edits text."""
        if watched is self.text_edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
                event.modifiers() & Qt.KeyboardModifier.ControlModifier
            ):
                self.request_commit()
                return True
            if event.key() == Qt.Key.Key_Escape:
                self.cancel_requested.emit()
                return True
        if watched is self.text_edit and event.type() == QEvent.Type.FocusOut:
            assert isinstance(event, QFocusEvent)
            # A context menu or another window taking the focus for a while is not leaving the editor.
            if event.reason() not in STAYING_REASONS:
                QTimer.singleShot(0, self, self._on_focus_out_settled)  # once the new focus widget is set
        return super().eventFilter(watched, event)

    def _on_focus_out_settled(self) -> None:
        focused = QApplication.focusWidget()
        # The delegate's own event filter only sees the frame; the text edit inside is what loses focus.
        outside = focused is not None and focused is not self and not self.isAncestorOf(focused)
        if outside and self.isVisible():
            self.focus_left.emit()

    def request_commit(self) -> None:
        """Ask the delegate to save the text (subclasses refuse when the text is not valid)."""
        self.commit_requested.emit()

    def set_value(self, value: Any) -> None:
        """Show the whole text."""
        self.text_edit.setPlainText("" if value is None else str(value))
        self.text_edit.selectAll()

    def value(self) -> Any:
        """The text as typed."""
        return self.text_edit.toPlainText()

    def typed_text(self) -> str:
        """The text as typed (what is staged, marked invalid, when it is no value of the column)."""
        return self.text_edit.toPlainText()

    def _on_limited_text_changed(self) -> None:
        """A column with a length: the status line counts characters, red once over the limit."""
        n, limit = len(self.text_edit.toPlainText()), self.column.length or 0
        self.status.setText(f"{n} / {limit} characters · {self.hint}")
        style = OVER_STYLE if n > limit else COUNT_STYLE
        self.status.setStyleSheet(f"{style} font-size: 11px;")
