"""Staged changes of one table editor, kept by row key (not grid row), and turned into core change batches.

Pure Python: the model shows this state, the undo commands change it, `changes()` hands it to core.
A loaded row is referred to as ("key", primary-key tuple); a staged new row as ("new", token).
"""

from __future__ import annotations

import copy
import csv
import io
import itertools
from dataclasses import dataclass, field
from typing import Any, Literal

from core.data.changes import Change, Delete, Insert, Update
from core.data.validation import check_value, validate
from core.errors import Conflict, FieldProblem, ValidationError
from core.schema.catalog import Catalog, Entity
from core.schema.keys import KeySource

RowRef = tuple[Literal["key", "new"], Any]  # ("key", primary-key tuple) | ("new", token)
UNSET: Any = object()  # "no staged value" (distinct from a staged NULL)
MINE, THEIRS = "mine", "theirs"

_tokens = itertools.count(1)


def new_token() -> int:
    """A fresh identity for a staged new row."""
    return next(_tokens)


@dataclass
class RowEdit:
    """Staged values of one loaded row, with the loaded row they apply to (the conflict-check base)."""

    values: dict[str, Any]
    original: dict[str, Any]
    version: int | None = None
    checked: set[str] = field(default_factory=set)  # columns whose value check_value read and passed


@dataclass
class NewRow:
    """A staged insert: the values given so far (missing columns take their defaults)."""

    token: int
    values: dict[str, Any] = field(default_factory=dict)
    checked: set[str] = field(default_factory=set)  # columns whose value check_value read and passed


@dataclass
class Staging:
    """Everything staged in one editor: cell edits, deletes and new rows, and problems from the last save."""

    entity: Entity
    edits: dict[Any, RowEdit] = field(default_factory=dict)
    deletes: dict[Any, RowEdit] = field(default_factory=dict)
    inserts: list[NewRow] = field(default_factory=list)
    errors: dict[tuple[RowRef, str], str] = field(default_factory=dict)

    # --- reading ------------------------------------------------------------------------------------

    @property
    def count(self) -> int:
        """How many rows have staged changes (one change of the batch each)."""
        return len(self.edits) + len(self.deletes) + len(self.inserts)

    def key_of(self, row: dict[str, Any]) -> Any:
        """The hashable key of a loaded row."""
        return tuple(row[c] for c in self.entity.primary_key)

    def new_row(self, token: int) -> NewRow | None:
        """The staged new row with this token."""
        return next((r for r in self.inserts if r.token == token), None)

    def value(self, ref: RowRef, column: str) -> Any:
        """The staged value of a cell, or UNSET."""
        kind, ident = ref
        if kind == "new":
            row = self.new_row(ident)
            return row.values.get(column, UNSET) if row is not None else UNSET
        edit = self.edits.get(ident)
        return edit.values.get(column, UNSET) if edit is not None else UNSET

    def snapshot(self) -> Staging:
        """A deep copy (for a save in flight)."""
        return Staging(
            self.entity,
            copy.deepcopy(self.edits),
            copy.deepcopy(self.deletes),
            copy.deepcopy(self.inserts),
            dict(self.errors),
        )

    # --- changing -----------------------------------------------------------------------------------

    def set_value(
        self, ref: RowRef, column: str, value: Any, loaded: dict[str, Any] | None, checked: bool = False
    ) -> None:
        """Stage a cell value (UNSET removes the cell's staged value); `loaded` is the row as loaded.

        `checked`: the value came from validation.check_value without a problem; the save does not read
        it again (Update/Insert.checked).
        """
        self.errors.pop((ref, column), None)
        kind, ident = ref
        if kind == "new":
            row = self.new_row(ident)
            if row is not None:
                _put(row.values, column, value)
                _mark(row.checked, column, checked and value is not UNSET)
            return
        edit = self.edits.get(ident)
        if edit is None:
            if value is UNSET or loaded is None:
                return
            version = loaded.get(self.entity.version_column) if self.entity.version_column else None
            edit = self.edits[ident] = RowEdit({}, dict(loaded), version)
        if value is not UNSET and _same(edit.original.get(column, UNSET), value):
            value = UNSET  # back to the loaded value: nothing left to save for this cell
        _put(edit.values, column, value)
        _mark(edit.checked, column, checked and value is not UNSET)
        if not edit.values:
            del self.edits[ident]

    def add_insert(self, row: NewRow, at: int | None = None) -> None:
        """Stage a new row (at a position of the insert list, default last)."""
        self.inserts.insert(len(self.inserts) if at is None else at, row)

    def remove_insert(self, token: int) -> int:
        """Unstage a new row; its former position in the insert list."""
        at = next(i for i, r in enumerate(self.inserts) if r.token == token)
        del self.inserts[at]
        self._drop_errors(("new", token))
        return at

    def mark_deleted(self, key: Any, loaded: dict[str, Any], deleted: bool) -> None:
        """Stage (or unstage) the delete of a loaded row."""
        if deleted:
            version = loaded.get(self.entity.version_column) if self.entity.version_column else None
            self.deletes[key] = RowEdit({}, dict(loaded), version)
        else:
            self.deletes.pop(key, None)
        self._drop_errors(("key", key))

    def clear(self) -> None:
        """Discard everything staged."""
        self.edits.clear()
        self.deletes.clear()
        self.inserts.clear()
        self.errors.clear()

    def _drop_errors(self, ref: RowRef) -> None:
        for k in [k for k in self.errors if k[0] == ref]:
            del self.errors[k]

    # --- the batch ----------------------------------------------------------------------------------

    def changes(self) -> tuple[list[Change], list[RowRef]]:
        """The change batch for core (inserts, updates, deletes) and the row each change came from."""
        name, pk = self.entity.name, self.entity.primary_key
        out: list[Change] = []
        refs: list[RowRef] = []
        for row in self.inserts:
            out.append(Insert(name, dict(row.values), frozenset(row.checked & row.values.keys())))
            refs.append(("new", row.token))
        for key, edit in self.edits.items():
            if key in self.deletes:
                continue
            original = {c: edit.original.get(c) for c in edit.values}
            if self.entity.key_source == KeySource.ROWID:  # checked whole: a VACUUM may have renumbered it
                loaded = [c.name for c in self.entity.columns if c.kind != "vector"]
                original = {c: edit.original[c] for c in loaded if c in edit.original}
            key_values = dict(zip(pk, key, strict=True))
            checked = frozenset(edit.checked & edit.values.keys())
            out.append(Update(name, key_values, dict(edit.values), original, edit.version, checked))
            refs.append(("key", key))
        for key, gone in self.deletes.items():
            # Compared: the columns the row was loaded with (one a migration added since is not known)
            columns = [c.name for c in self.entity.columns if c.kind != "vector" and c.name in gone.original]
            original = {c: gone.original[c] for c in columns}
            out.append(Delete(name, dict(zip(pk, key, strict=True)), original, gone.version))
            refs.append(("key", key))
        return out, refs

    def place_problems(self, problems: list[FieldProblem], refs: list[RowRef]) -> list[str]:
        """Put each problem on its cell; the messages of problems that name no row of the batch."""
        self.errors.clear()
        names = set(self.entity.column_names)
        loose: list[str] = []
        for p in problems:
            if p.row is None or not 0 <= p.row < len(refs):
                loose.append(f"{p.column}: {p.message}")
                continue
            ref = refs[p.row]
            column = p.column if p.column in names else self._first_column(ref)
            message = p.message if p.column in names else f"{p.column}: {p.message}"
            previous = self.errors.get((ref, column))
            self.errors[(ref, column)] = f"{previous}\n{message}" if previous else message
        return loose

    def _first_column(self, ref: RowRef) -> str:
        kind, ident = ref
        staged = self.new_row(ident) if kind == "new" else self.edits.get(ident)
        values = staged.values if staged is not None else {}
        return next(iter(values), self.entity.column_names[0])

    def forget_saved(self, sent: Staging, versions: dict[Any, int | None]) -> None:
        """After a save of `sent`: drop what it wrote, keep what was staged meanwhile on the new versions."""
        for row in sent.inserts:
            if self.new_row(row.token) is not None:
                self.remove_insert(row.token)
        for key in sent.deletes:
            self.deletes.pop(key, None)
        for key, done in sent.edits.items():
            edit = self.edits.get(key)
            if edit is None:
                continue
            for column, value in done.values.items():
                if _same(edit.values.get(column, UNSET), value):
                    del edit.values[column]
                edit.original[column] = value
            if key in versions:
                edit.version = versions[key]
            if not edit.values:
                del self.edits[key]
        self.errors.clear()

    def resolve(self, conflict: Conflict | None, key: Any, resolution: dict[str, Any] | None) -> None:
        """Re-base a conflicting row on what is stored now, keeping the values the user chose."""
        self._drop_errors(("key", key))
        stored = conflict.stored if conflict is not None else None
        if key in self.deletes:
            if resolution is None or stored is None:
                del self.deletes[key]
            else:
                self.mark_deleted(key, stored, True)
            return
        edit = self.edits.get(key)
        if edit is None:
            return
        if resolution is None or stored is None:
            del self.edits[key]
            return
        values: dict[str, Any] = {}
        for column, choice in resolution.items():
            if choice == THEIRS:
                continue
            values[column] = edit.values.get(column, stored.get(column)) if choice == MINE else choice
        version = stored.get(self.entity.version_column) if self.entity.version_column else None
        values = {c: v for c, v in values.items() if not _same(stored.get(c, UNSET), v)}
        if values:
            self.edits[key] = RowEdit(values, dict(stored), version)
        else:
            del self.edits[key]


def _mark(checked: set[str], column: str, yes: bool) -> None:
    if yes:
        checked.add(column)
    else:
        checked.discard(column)


def _put(values: dict[str, Any], column: str, value: Any) -> None:
    if value is UNSET:
        values.pop(column, None)
    else:
        values[column] = value


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same type (so 1 and True, or '1' and 1, stay different)."""
    if a is UNSET or b is UNSET:
        return a is b
    try:
        return type(a) is type(b) and bool(a == b)
    except (ValueError, TypeError):  # arrays compare element-wise
        return False


# --- paste ------------------------------------------------------------------------------------------


@dataclass
class PasteCell:
    """One pasted value on its target cell: the text, the value read from it, or why it cannot go there."""

    row: int  # grid row
    column: str
    col: int  # grid column
    text: str
    value: Any = None
    problem: str | None = None
    checked: bool = False  # read by validation.check_value without a problem: stage it as checked


@dataclass
class PasteTarget:
    """A grid row a pasted line lands on: a loaded or new row, a row not loaded yet, or a row to create."""

    ref: RowRef | None  # None: a new row to create (or a placeholder when `missing`)
    loaded: dict[str, Any] | None = None
    deleted: bool = False
    missing: bool = False


@dataclass
class PastePreview:
    """What a paste would stage: its cells, problems per cell, and problems of the block as a whole."""

    cells: list[PasteCell]
    targets: dict[int, PasteTarget]
    problems: list[str] = field(default_factory=list)
    new_rows_from: int | None = None  # grid rows from here on would be created

    @property
    def ok(self) -> bool:
        """True when nothing is wrong: the paste may be staged."""
        return not self.problems and not any(c.problem for c in self.cells)


def parse_tsv(text: str) -> list[list[str]]:
    """Rows of cells from a spreadsheet's TSV (quoted cells may hold tabs and newlines); "\n" is one blank."""
    if not text:
        return []
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.endswith("\n"):
        text = text[:-1]
    rows = [row or [""] for row in csv.reader(io.StringIO(text), delimiter="\t", quotechar='"')]
    return rows or [[""]]


def build_paste(
    catalog: Catalog, entity: Entity, grid: list[list[str]], top: int, left: int, targets: list[PasteTarget]
) -> PastePreview:
    """Read every pasted cell for its target column and check each target row as core would."""
    cols = entity.columns
    preview = PastePreview([], {})
    for i, line in enumerate(grid):
        row, target = top + i, targets[i]
        preview.targets[row] = target
        if target.ref is None and not target.missing and preview.new_rows_from is None:
            preview.new_rows_from = row
        if left + len(line) > len(cols):
            extra = left + len(line) - len(cols)
            preview.problems.append(f"row {row + 1}: {extra} value(s) beyond the last column")
        row_cells = [
            _paste_cell(entity, cols[left + j], row, left + j, text, target)
            for j, text in enumerate(line[: max(0, len(cols) - left)])
        ]
        _check_row(catalog, entity, target, row_cells)
        preview.cells.extend(row_cells)
    return preview


def _paste_cell(entity: Entity, info: Any, row: int, col: int, text: str, target: PasteTarget) -> PasteCell:
    cell = PasteCell(row, info.name, col, text)
    if target.missing:
        cell.problem = "this row has not loaded yet; scroll to it and paste again"
    elif target.deleted:
        cell.problem = "this row is staged for deletion"
    elif info.kind == "vector":
        cell.problem = "vector columns are read-only"
    elif info.is_version:
        cell.problem = "the version counter is kept by the database"
    else:
        # Read once, here: a cell without a problem is staged as read (checked) and not read again.
        value, cell.problem = check_value(entity, info.name, text)
        cell.value, cell.checked = (value, True) if cell.problem is None else (None, False)
    return cell


def _check_row(catalog: Catalog, entity: Entity, target: PasteTarget, cells: list[PasteCell]) -> None:
    """Validate the row's pasted values as core will at save time; problems go on their cells."""
    values = {c.column: c.value for c in cells if c.problem is None}
    if not values or target.missing or target.deleted:
        return
    checked = frozenset(c.column for c in cells if c.checked)
    if target.ref is not None and target.ref[0] == "key":
        key = dict(zip(entity.primary_key, target.ref[1], strict=True))
        change: Change = Update(entity.name, key, values, checked=checked)
    else:
        change = Insert(entity.name, values, checked)
    try:
        validate(catalog, [change])
    except ValidationError as exc:
        by_column = {c.column: c for c in cells}
        for p in exc.problems:
            cell = by_column.get(p.column)
            if cell is not None and cell.problem is None:  # a missing column of a new row may come later
                cell.problem = p.message
