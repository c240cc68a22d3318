"""An editor's staged edits after its entity changed shape (a migration, a column added or dropped).

Plain Python: given what is staged and the entity as the new catalog describes it, which staged values are
kept and which are dropped, and the message that tells the person about the dropped ones. Staged values are
kept by column name, so a column that still exists keeps them whatever else changed around it; a column that
vanished takes its staged values with it. gui/editor/catalog_follow.py applies this to an open editor.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from typing import Any

from core.schema.catalog import Entity
from gui.editor.model.page_loading import Query
from gui.editor.model.staging import NewRow, RowEdit, Staging


@dataclass(frozen=True)
class Followed:
    """The staging rebuilt on the new entity, and what could not come along."""

    staging: Staging
    dropped: dict[str, int] = field(default_factory=dict)  # vanished column → staged values dropped there
    rows_dropped: int = 0  # staged row edits and deletes dropped because the entity's key changed

    @property
    def kept_everything(self) -> bool:
        """Whether nothing staged was dropped."""
        return not self.dropped and not self.rows_dropped


def follow_staging(staging: Staging, entity: Entity) -> Followed:
    """What `staging` becomes on `entity` (the same table, newly described); `staging` itself is unchanged.

    Staged values on columns that still exist are kept, also in new rows; values on vanished columns are
    dropped and counted per column. Staged deletes stay. Loaded rows are known by their key: when the
    key's columns changed, staged edits and deletes of loaded rows cannot be matched any more and are dropped.
    """
    names = set(entity.column_names)
    dropped: dict[str, int] = {}
    same_key = tuple(entity.primary_key) == tuple(staging.entity.primary_key)

    def keep(values: dict[str, Any]) -> dict[str, Any]:
        for column in values:
            if column not in names:
                dropped[column] = dropped.get(column, 0) + 1
        return {c: copy.deepcopy(v) for c, v in values.items() if c in names}

    def loaded_row(edit: RowEdit, values: dict[str, Any]) -> RowEdit:
        # The conflict check compares only columns the original row holds: a vanished one is not compared.
        original = {c: copy.deepcopy(v) for c, v in edit.original.items() if c in names}
        return RowEdit(values, original, edit.version)

    edits: dict[Any, RowEdit] = {}
    deletes: dict[Any, RowEdit] = {}
    rows_dropped = 0
    if same_key:
        for key, edit in staging.edits.items():
            values = keep(edit.values)
            if values:
                edits[key] = loaded_row(edit, values)
        deletes = {key: loaded_row(gone, {}) for key, gone in staging.deletes.items()}
    else:
        rows_dropped = len(staging.edits) + len(staging.deletes.keys() - staging.edits.keys())
    inserts = [NewRow(row.token, keep(row.values)) for row in staging.inserts]
    errors = {(ref, column): text for (ref, column), text in staging.errors.items() if column in names}
    if not same_key:
        errors = {k: text for k, text in errors.items() if k[0][0] == "new"}
    return Followed(Staging(entity, edits, deletes, inserts, errors), dropped, rows_dropped)


def plural(n: int, one: str, many: str) -> str:
    """'1 staged edit', '2 staged edits'."""
    return f"{n:,} {one if n == 1 else many}"


def dropped_message(followed: Followed, entity: str) -> str | None:
    """What the person is told about staged edits that were dropped, or None when all were kept.

    "2 staged edits on column 'mood' were dropped: it no longer exists."
    """
    parts: list[str] = []
    if followed.dropped:
        columns = sorted(followed.dropped)
        counts: list[str] = []
        for i, c in enumerate(columns):
            n = followed.dropped[c]
            what = plural(n, "staged edit", "staged edits") if i == 0 else f"{n:,}"
            counts.append(f"{what} on column '{c}'")
        total = sum(followed.dropped.values())
        listed = counts[0] if len(counts) == 1 else ", ".join(counts[:-1]) + " and " + counts[-1]
        verb = "was" if total == 1 else "were"
        it = "it no longer exists" if len(columns) == 1 else "they no longer exist"
        parts.append(f"{listed} {verb} dropped: {it}.")
    if followed.rows_dropped:
        n = followed.rows_dropped
        parts.append(
            f"{plural(n, 'staged row change', 'staged row changes')} {'was' if n == 1 else 'were'} dropped: "
            f"the key of {entity} changed."
        )
    return " ".join(parts) or None


def follow_query(query: Query, before: Entity, after: Entity) -> Query:
    """What the editor shows on the new entity: filters on columns that still exist; the same order unless
    it was the entity's default or names a vanished column (then the new default)."""
    names = set(after.column_names)
    sort = query.sort
    if sort == before.default_sort or any(column not in names for column, _descending in sort or []):
        sort = after.default_sort
    return replace(query, sort=sort, filters=tuple(f for f in query.filters if f.column in names))


def same_shape(before: Entity, after: Entity) -> bool:
    """Whether the grid shows `after` as it shows `before`: the same columns, key, links out and flags.

    Which tables point at it (`referenced_by`) is left out: the grid does not show that, the record form
    and the delete preview read it from the catalog they are given.
    """
    old, new = before.as_dict(), after.as_dict()
    old.pop("referenced_by")
    new.pop("referenced_by")
    return old == new
