"""The conflict dialog: per row, every field that changed on either side since I loaded it, and what to keep.

Each field shows its value as loaded, theirs (in the database now) and mine (my edit); a side that left the
field alone says "unchanged". Only fields I changed have a choice, and the fields both sides changed to
different values are highlighted: those are the ones to decide. A field only they changed keeps theirs.

Its result, `resolutions()`, is one (key, resolution) per conflicting row. A resolution is the dict of the
values to stage again on top of their current row (kept-mine and merged fields; taken-theirs fields are left
out), or None to drop my change (the row was deleted meanwhile, or I took theirs on every field).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.data.coercion import coerce
from core.data.merge import RowMerge, compare
from core.data.repository import to_jsonable
from core.errors import Conflict
from core.schema.catalog import ColumnInfo
from gui.editor.dialogs.row_names import quoted

KEEP_MINE, TAKE_THEIRS, MERGE = "mine", "theirs", "merge"
CHOICES = ((KEEP_MINE, "Keep mine"), (TAKE_THEIRS, "Take theirs"), (MERGE, "Merge (edit)"))
DIFFERENT_BG = "#fff4c2"
ERROR_STYLE = "QLineEdit { background: #f8c9c9; }"
UNCHANGED_STYLE = "QLabel { color: #6b6b6b; font-style: italic; }"
HEADERS = ("Field", "As loaded", "Theirs (in the database)", "Mine (your edit)", "Keep", "Saved as")

Resolution = dict[str, Any] | None


def value_text(value: Any) -> str:
    """A value as one line of text: JSON for structures, ISO for times, '' for NULL."""
    plain = to_jsonable(value)
    if plain is None:
        return ""
    if isinstance(plain, dict | list):
        return json.dumps(plain, ensure_ascii=False)
    return str(plain)


def key_text(key: dict[str, Any]) -> str:
    """A row key as 'id=…' text."""
    return ", ".join(f"{k}={v}" for k, v in key.items())


class FieldChoice:
    """One field of one conflict: the combo choosing mine/theirs/merge and the resulting value editor."""

    def __init__(
        self, column: str, theirs: Any, mine: Any, info: ColumnInfo | None, on_changed: Callable[[], None]
    ) -> None:
        self.column, self.theirs, self.mine, self.info = column, theirs, mine, info
        self._on_changed = on_changed
        self.combo = QComboBox()
        for value, label in CHOICES:
            self.combo.addItem(label, value)
        self.combo.setObjectName(f"choice_{column}")
        self.result = QLineEdit(value_text(mine))
        self.result.setObjectName(f"result_{column}")
        self.result.setReadOnly(True)
        self.error: str | None = None
        self.combo.currentIndexChanged.connect(self._on_combo_changed)
        self.result.textEdited.connect(self._on_result_edited)

    @property
    def choice(self) -> str:
        """KEEP_MINE, TAKE_THEIRS or MERGE."""
        return str(self.combo.currentData())

    def set_choice(self, choice: str) -> None:
        """Select a choice by its value."""
        self.combo.setCurrentIndex(self.combo.findData(choice))

    def value(self) -> Any:
        """The value this field will be saved with (a merged text is coerced when the column is known)."""
        if self.choice == KEEP_MINE:
            return self.mine
        if self.choice == TAKE_THEIRS:
            return self.theirs
        text = self.result.text()
        if text == value_text(self.mine):
            return self.mine
        return coerce(self.info, text) if self.info is not None else text

    def _on_combo_changed(self, _index: int) -> None:
        choice = self.choice
        self.result.setReadOnly(choice != MERGE)
        if choice == KEEP_MINE:
            self.result.setText(value_text(self.mine))
        elif choice == TAKE_THEIRS:
            self.result.setText(value_text(self.theirs))
        else:
            self.result.setFocus()
        self._check()

    def _on_result_edited(self, _text: str) -> None:
        self._check()

    def _check(self) -> None:
        self.error = None
        if self.choice == MERGE:
            try:
                self.value()
            except ValueError as exc:
                self.error = str(exc)
        self.result.setStyleSheet(ERROR_STYLE if self.error else "")
        self.result.setToolTip(self.error or "")
        self._on_changed()


class ConflictDialog(QDialog):
    """Lists every conflicting row with theirs vs mine per field; Save again applies the choices."""

    def __init__(
        self,
        conflicts: list[Conflict],
        columns: dict[str, dict[str, ColumnInfo]] | None = None,
        parent: QWidget | None = None,
        labels: dict[int, str] | None = None,
        merged: list[str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.conflicts = conflicts
        self.fields: list[list[FieldChoice]] = []
        self.setObjectName("conflictDialog")
        self.setWindowTitle("Someone else changed these rows")
        self.resize(980, 480)
        n = len(conflicts)
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"<b>{n} row{'s' if n != 1 else ''} changed in the database since you loaded "
            f"{'them' if n != 1 else 'it'}.</b> Nothing was saved. Every field changed on either side is "
            "listed; where both sides changed a field (highlighted), choose what to keep."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.merged_label = QLabel(" ".join(merged or []))  # rows merged without asking, beside these
        self.merged_label.setObjectName("mergedNote")
        self.merged_label.setWordWrap(True)
        self.merged_label.setVisible(bool(merged))
        layout.addWidget(self.merged_label)
        bulk = QHBoxLayout()
        for choice, label in ((KEEP_MINE, "Keep all mine"), (TAKE_THEIRS, "Take all theirs")):
            button = QPushButton(label)
            button.setObjectName(f"all_{choice}")
            button.clicked.connect(self._bulk(choice))
            bulk.addWidget(button)
        bulk.addStretch(1)
        layout.addLayout(bulk)

        buttons = QDialogButtonBox()
        self.cancel_button = buttons.addButton("Keep editing", QDialogButtonBox.ButtonRole.RejectRole)
        self.apply_button = buttons.addButton(
            "Save with these choices", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.apply_button.setObjectName("applyButton")
        self.apply_button.clicked.connect(self._on_apply_button_clicked)
        self.cancel_button.clicked.connect(self.reject)

        body = QWidget()
        rows = QVBoxLayout(body)
        for i, conflict in enumerate(conflicts):
            infos = (columns or {}).get(conflict.entity, {})
            # Named by its label (looked up on a worker: dialogs/row_names.py); by key only without one.
            name = (labels or {}).get(i)
            where = key_text(conflict.key)
            title = f"{quoted(name)} · {conflict.entity}" if name else f"{conflict.entity} · {where}"
            box = self._conflict_box(conflict, title, infos)
            box.setToolTip(where)
            rows.addWidget(box)
        rows.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)

    def _conflict_box(self, conflict: Conflict, title: str, infos: dict[str, ColumnInfo]) -> QGroupBox:
        box = QGroupBox(title)
        grid = QGridLayout(box)
        choices: list[FieldChoice] = []
        self.fields.append(choices)
        merge = compare(conflict, tuple(infos.values()))
        if conflict.stored is None:
            grid.addWidget(QLabel("Someone deleted this row. Your changes to it will be dropped."), 0, 0)
            return box
        if not conflict.attempted:
            theirs = f" (they changed {', '.join(merge.theirs)})" if merge.theirs else ""
            note = QLabel(
                f"You deleted this row, but someone changed it meanwhile{theirs}. It will be kept; "
                "delete it again if you still want it gone."
            )
            note.setWordWrap(True)
            grid.addWidget(note, 0, 0)
            return box
        for col, text in enumerate(HEADERS):
            grid.addWidget(QLabel(f"<b>{text}</b>"), 0, col)
        for r, name in enumerate(merge.fields, start=1):
            self._field_row(grid, r, merge, name, infos.get(name), choices)
        for col in (1, 2, 3, 5):
            grid.setColumnStretch(col, 1)
        return box

    def _field_row(
        self,
        grid: QGridLayout,
        r: int,
        merge: RowMerge,
        name: str,
        info: ColumnInfo | None,
        choices: list[FieldChoice],
    ) -> None:
        """One field: as loaded, theirs, mine, and the choice (only for a field I changed)."""
        conflict = merge.conflict
        stored, original, attempted = conflict.stored or {}, conflict.original, conflict.attempted
        known = name in original
        theirs = name in merge.theirs or not known  # without the loaded value, theirs may be new
        mine = name in merge.mine
        cells = [
            _cell(name),
            _cell(_shown(original.get(name)) if known else "—"),
            _cell(_shown(stored.get(name)) if theirs else "unchanged", changed=theirs),
            _cell(_shown(attempted.get(name)) if mine else "unchanged", changed=mine),
        ]
        for c, label in enumerate(cells):
            if name in merge.both:
                label.setStyleSheet(f"QLabel {{ background: {DIFFERENT_BG}; padding: 2px; }}")
            grid.addWidget(label, r, c)
        if mine:
            choice = FieldChoice(name, stored.get(name), attempted[name], info, self._on_field_changed)
            choices.append(choice)
            grid.addWidget(choice.combo, r, 4)
            grid.addWidget(choice.result, r, 5)
            return
        kept = QLineEdit(value_text(stored.get(name)))  # only they changed it: theirs stays
        kept.setObjectName(f"result_{name}")
        kept.setReadOnly(True)
        grid.addWidget(_cell("Theirs", changed=False), r, 4)
        grid.addWidget(kept, r, 5)

    def _bulk(self, choice: str) -> Callable[[], None]:
        def apply() -> None:
            for row in self.fields:
                for field in row:
                    field.set_choice(choice)

        return apply

    def field(self, row: int, column: str) -> FieldChoice:
        """The choice of one field of the row-th conflict (for tests and scripted use)."""
        return next(f for f in self.fields[row] if f.column == column)

    def problems(self) -> list[str]:
        """Merged values that are not values of their column."""
        return [f"{f.column}: {f.error}" for row in self.fields for f in row if f.error]

    def resolutions(self) -> list[tuple[dict[str, Any], Resolution]]:
        """(key, values to stage again, or None to drop my change) per conflicting row."""
        out: list[tuple[dict[str, Any], Resolution]] = []
        for conflict, choices in zip(self.conflicts, self.fields, strict=True):
            if conflict.stored is None or not conflict.attempted:
                out.append((conflict.key, None))
                continue
            values = {f.column: f.value() for f in choices if f.choice != TAKE_THEIRS}
            out.append((conflict.key, values or None))
        return out

    def _on_field_changed(self) -> None:
        problems = self.problems()
        self.apply_button.setEnabled(not problems)
        self.apply_button.setToolTip("\n".join(problems))

    def _on_apply_button_clicked(self) -> None:
        if self.problems():
            return
        self.accept()


def _shown(value: Any) -> str:
    return value_text(value) or "(empty)"


def _cell(text: str, *, changed: bool = True) -> QLabel:
    """A selectable cell of the field grid; a side that left the field alone reads grey."""
    label = QLabel(text)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setToolTip(text)
    if not changed:
        label.setStyleSheet(UNCHANGED_STYLE)
    return label
