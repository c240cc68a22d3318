"""Revert exactly what is selected: one field of an entry, one entry (one row's change), or a whole save.

The inverse goes through the normal save (core/data/writes.py) as a new change, audited as "revert": an
update's fields are set back where the row still holds what the entry set (else ConflictError), an
inserted row is deleted where it is still as inserted, a deleted row is inserted again. Only the rows of
the selected entries are written; a revert that would reach another row (a delete that cascades or sets
NULL elsewhere) is refused before anything is written.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.audit.log import Entry, get_entry, save_entries
from core.data.audit_trail import Auditing
from core.data.changes import Change, Delete, Insert, Update
from core.data.writes import SaveResult, delete_preview, save
from core.engine.db import Database
from core.errors import FieldProblem, NotFoundError, ValidationError, WardenError
from core.progress import TaskState
from core.schema.catalog import Catalog, Entity

__all__ = ["Selection", "inverse", "revert", "revert_save"]


@dataclass(frozen=True)
class Selection:
    """What to revert of one entry: the fields named (an update's), or the whole change when empty."""

    entry_id: int
    fields: tuple[str, ...] = ()


def revert(
    db: Database,
    catalog: Catalog,
    selected: Selection | Sequence[Selection],
    *,
    reason: str | None = None,
    auditing: Auditing | None = None,
    state: TaskState | None = None,
) -> SaveResult:
    """Revert the selected entries (newest first) in one save; ConflictError if a row changed since."""
    picks = [selected] if isinstance(selected, Selection) else list(selected)
    entries = [(get_entry(db, catalog, p.entry_id), p.fields) for p in picks]
    return _apply(db, catalog, entries, reason, auditing, state)


def revert_save(
    db: Database,
    catalog: Catalog,
    save_id: str,
    *,
    reason: str | None = None,
    auditing: Auditing | None = None,
    state: TaskState | None = None,
) -> SaveResult:
    """Revert every entry of one save, in one save of its own."""
    entries = save_entries(db, catalog, save_id)
    if not entries:
        raise NotFoundError("The audit log has no entry of that save.")
    return _apply(db, catalog, [(e, ()) for e in entries], reason, auditing, state)


def _apply(
    db: Database,
    catalog: Catalog,
    entries: list[tuple[Entry, tuple[str, ...]]],
    reason: str | None,
    auditing: Auditing | None,
    state: TaskState | None,
) -> SaveResult:
    # Newest first: a row inserted and then changed in one save is changed back before it is deleted.
    entries.sort(key=lambda pair: pair[0].id, reverse=True)
    changes = [inverse(catalog.get(e.entity), e, fields) for e, fields in entries]
    _refuse_spreading_deletes(db, catalog, changes)
    how = auditing or Auditing()
    audit = dataclasses.replace(how, reason=reason or how.reason, reverts=tuple(e.id for e, _ in entries))
    return save(db, catalog, changes, audit=audit, state=state)


#: The actions of entries that record one row's change (others record a copy or a migration).
ROW_ACTIONS = frozenset({"insert", "update", "delete", "revert"})


def inverse(ent: Entity, entry: Entry, fields: Sequence[str] = ()) -> Change:
    """The change that undoes `entry` (only `fields` of an update), checked against what it left."""
    if entry.action not in ROW_ACTIONS:  # a copy's or a migration's record: no row change to undo
        raise WardenError(f"Entry {entry.id} records a {entry.action}, not a row's change: not revertible.")
    if fields and entry.kind != "update":
        raise ValidationError(
            [FieldProblem(ent.name, f"entry {entry.id} {_did(entry)} a whole row: revert the whole entry")]
        )
    unknown = [f for f in fields if f not in entry.fields]
    if unknown:
        raise NotFoundError(
            f"Entry {entry.id} changed {', '.join(entry.fields)}; it did not change {', '.join(unknown)}."
        )
    key = dict(entry.key)
    if entry.kind == "insert":
        left = {n: _input(ent, n, v) for n, v in (entry.after or {}).items() if _comparable(ent, n)}
        return Delete(ent.name, key, original=left)
    if entry.kind == "delete":
        row = {n: _input(ent, n, v) for n, v in (entry.before or {}).items() if _writable(ent, n)}
        return Insert(ent.name, row)
    names = list(fields) or list(entry.fields)
    before, after = entry.before or {}, entry.after or {}
    values = {n: _input(ent, n, before.get(n)) for n in names}
    return Update(ent.name, key, values, original={n: _input(ent, n, after.get(n)) for n in names})


def _did(entry: Entry) -> str:
    return "inserted" if entry.kind == "insert" else "deleted"


def _input(ent: Entity, name: str, value: Any) -> Any:
    """A logged value as the save reads it: JSON text for a JSON column holding a string (the save would
    read a bare string as JSON text), else as logged (text is read by the column's coercion)."""
    if name not in ent.columns_by_name:
        return value
    info = ent.column(name)
    if info.kind == "json" and isinstance(value, str) and not info.type.rstrip().endswith("[]"):
        return json.dumps(value)
    return value


def _writable(ent: Entity, name: str) -> bool:
    """A column a restored row can be given (not generated, not the rowid, still in the table)."""
    info = ent.columns_by_name.get(name)
    return info is not None and not info.never_written_reason and not info.row_id


def _comparable(ent: Entity, name: str) -> bool:
    """A column the conflict check of an undone insert compares (vectors are left out, as the editor does)."""
    info = ent.columns_by_name.get(name)
    return info is not None and info.kind != "vector" and name != ent.version_column


def _refuse_spreading_deletes(db: Database, catalog: Catalog, changes: list[Change]) -> None:
    """A revert deletes only the rows it names: refuse one whose delete would cascade to or set NULL in
    rows of an entity that this revert does not delete as many rows of (a whole save's children do)."""
    deleted = Counter(ch.entity for ch in changes if isinstance(ch, Delete))
    problems: list[FieldProblem] = []
    for i, ch in enumerate(changes):
        if not isinstance(ch, Delete) or not catalog.get(ch.entity).referenced_by:
            continue
        effects = delete_preview(db, catalog, ch.entity, [ch.key]).summary()
        # Rows of an entity this revert deletes as many others of (not counting this row itself).
        reached = [
            (name, n)
            for name, action, n in effects
            if action != "block" and n > deleted[name] - (name == ch.entity)
        ]
        if reached:
            rows = ", ".join(f"{n} row{'s' if n != 1 else ''} of {name}" for name, n in reached)
            problems.append(FieldProblem(ch.entity, f"undoing this insert would also change {rows}", row=i))
    if problems:
        raise ValidationError(problems)
